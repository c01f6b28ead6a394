import Foundation
import Hummingbird
import XinyongCommitments
import XinyongModel
import XinyongStore

/// Credit commitments and Xinyi+: the public signing form and commitment page, the Xinyi+ page, and the
/// departments' API to enter fulfilment or a breach. The rules live in XinyongCommitments and the model.
struct CommitmentRoutes {
    let platform: Platform
    let service: CommitmentService

    func register(on edge: Edge) {
        edge.get("/xinyi", .open, use: xinyiPage)
        edge.get("/commitments/sign", .open, use: signForm)
        edge.post("/commitments/sign", .open, use: sign)
        edge.get("/commitments/{id}", .open, use: commitmentPage)
        edge.get("/api/v1/commitments/{id}", .department, use: commitmentJSON)
        edge.post("/api/v1/commitments/{id}/fulfilment", .department, use: fulfil)
        edge.post("/api/v1/commitments/{id}/breach", .department, use: breach)
    }

    // MARK: Xinyi+

    struct XinyiView {
        struct Programme {
            let name, summary, department, legalBasis, howToUse, qualifies: String
            let excludes: String?
            let subjectKinds, validFrom: String
        }
        let title = "信易+ 守信激励 · 信用郴州"
        let version: Int
        let effectiveFrom: String
        let programmes: [Programme]
    }

    @Sendable func xinyiPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        let catalog = XinyiCatalog.shipped
        return try platform.html("xinyi", context: context, XinyiView(
            version: catalog.version, effectiveFrom: catalog.effectiveFrom.description,
            programmes: catalog.inForce(on: .today()).map { p in
                .init(name: p.name, summary: p.summary, department: p.department, legalBasis: p.legalBasis, howToUse: p.howToUse,
                      qualifies: p.qualifies.map(\.label).joined(separator: "，或"),
                      excludes: p.excludes.isEmpty ? nil : p.excludes.map(\.label).joined(separator: "、"),
                      subjectKinds: p.subjectKinds?.compactMap { SubjectKind(rawValue: $0)?.label }.joined(separator: "、") ?? "各类信用主体",
                      validFrom: p.validFrom.description)
            }))
    }

    // MARK: Signing

    struct SignView {
        struct Matter { let code, name, department, term: String; let selected: Bool }
        let title = "在线签署信用承诺书 · 信用郴州"
        let matters: [Matter]
        let matter: Matter?
        let text, hash: String
        let subjectCode, subjectName, signer: String
        let error: String?
        let reasons: [String]
        let lookbackYears: Int
    }

    func signView(matterCode: String?, values: [String: String] = [:], error: String? = nil, reasons: [String] = []) -> SignView {
        let policy = service.policy
        let chosen = matterCode.flatMap(policy.matter)
        let matters = policy.matters.map {
            SignView.Matter(code: $0.code, name: $0.name, department: Self.departmentLabel($0.departmentCategory), term: "\($0.termMonths) 个月",
                            selected: $0.code == chosen?.code)
        }
        let text = chosen.map(policy.text) ?? ""
        return SignView(matters: matters, matter: matters.first(where: \.selected), text: text, hash: chosen == nil ? "" : CommitmentPolicy.hash(text),
                        subjectCode: values["subject_code"] ?? "", subjectName: values["subject_name"] ?? "", signer: values["signer"] ?? "",
                        error: error, reasons: reasons, lookbackYears: policy.breachLookbackYears)
    }

    static func departmentLabel(_ category: String) -> String {
        ["market_regulation": "市场监督管理部门", "housing": "住房和城乡建设部门", "transport": "交通运输部门",
         "culture_tourism": "文化旅游部门", "environment": "生态环境部门"][category] ?? "行业主管部门"
    }

    @Sendable func signForm(_ request: Request, context: AppRequestContext) async throws -> Response {
        let code = PublicQuery(request: request).text("matter")
        if let code, service.policy.matter(code) == nil {
            return try platform.html("commitment-sign", context: context, signView(matterCode: nil, error: "未知的承诺事项，请从列表中选择。"),
                                     status: .notFound)
        }
        return try platform.html("commitment-sign", context: context, signView(matterCode: code))
    }

    @Sendable func sign(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = FormFields(try await request.body.collect(upTo: 1 << 16))
        let values = form.values
        do {
            let c = try await service.sign(.init(
                matter: form.text("matter") ?? "", subjectCode: form.text("subject_code") ?? "", subjectName: form.text("subject_name") ?? "",
                signer: form.text("signer") ?? "", accepted: form.text("agree") == "yes", textHash: form.text("text_hash") ?? ""))
            return try platform.html("commitment", context: context, try await commitmentView(c, signed: true), status: .created)
        } catch let refusal as CommitmentService.Refusal {
            let status: HTTPResponse.Status = switch refusal.code {
            case "no-department": .serviceUnavailable
            case "unknown-matter": .badRequest
            default: .unprocessableContent
            }
            return try platform.html("commitment-sign", context: context, signView(
                matterCode: form.text("matter"), values: values, error: refusal.chinese, reasons: refusal.reasons.map(\.chinese)), status: status)
        }
    }

    // MARK: A commitment

    struct CommitmentView {
        let title: String
        let signed: Bool
        let id, subjectName: String
        let subjectHref: String?
        let matters, department, termFrom, termTo, state, signedAt, hash, commitmentType: String
        let recordHref: String
        let breachHref: String?
        let text: String?
    }

    func commitmentView(_ c: Commitment, signed: Bool = false) async throws -> CommitmentView {
        let repos = platform.store.repositories
        let subject = try await repos.subjects.find(id: c.subjectID)
        let department = try await repos.departments.find(c.departmentID)
        // The text is shown when the shipped text for the matter still hashes to what was signed.
        let text = c.matters.count == 1 ? service.policy.matters.first { $0.name == c.matters[0] }.map(service.policy.text) : nil
        return CommitmentView(
            title: "信用承诺 \(c.id) · 信用郴州", signed: signed, id: c.id, subjectName: subject?.displayName ?? "",
            subjectHref: subject?.code.map { "/subjects/\($0.value)" }, matters: c.matters.joined(separator: "；"),
            department: department?.name ?? c.departmentID, termFrom: c.termFrom.description, termTo: c.termTo.description,
            state: c.state(on: .today()).label, signedAt: beijingTime(c.signedAt) + "（北京时间）", hash: c.textHash,
            commitmentType: c.commitmentType, recordHref: "/records/\(c.recordID)", breachHref: c.breachRecordID.map { "/records/\($0)" },
            text: text.flatMap { CommitmentPolicy.hash($0) == c.textHash ? $0 : nil })
    }

    @Sendable func commitmentPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        do {
            return try platform.html("commitment", context: context, try await commitmentView(try await service.commitment(id)))
        } catch let refusal as CommitmentService.Refusal {
            return try platform.message("未找到该信用承诺", detail: refusal.chinese, input: id, context: context, status: .notFound)
        }
    }

    // MARK: API

    struct CommitmentJSON: Encodable {
        let id, subjectId, departmentId, recordId, commitmentType: String
        let matters: [String]
        let termFrom, termTo, state: String
        let signer, signedAt, textSha256, channel: String
        let breachRecordId, closedAt: String?

        init(_ c: Commitment) {
            (id, subjectId, departmentId, recordId, commitmentType, matters) = (c.id, c.subjectID, c.departmentID, c.recordID, c.commitmentType, c.matters)
            (termFrom, termTo, state) = (c.termFrom.description, c.termTo.description, c.state(on: .today()).rawValue)
            (signer, signedAt, textSha256, channel, breachRecordId, closedAt) = (c.signer, c.signedAt, c.textHash, c.channel, c.breachRecordID, c.closedAt)
        }
    }

    @Sendable func commitmentJSON(_ request: Request, context: AppRequestContext) async throws -> Response {
        // The edge audits the read (a department's GET of data that is not public: the signer's name).
        let c = try await refusalsAsProblems { try await service.commitment(try context.parameters.require("id")) }
        return try JSONBody.response(CommitmentJSON(c))
    }

    struct FulfilmentBody: Decodable { let department: String? }

    @Sendable func fulfil(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let body = try await JSONRequest.decode(FulfilmentBody.self, request)
        let department = try context.department(requested: body.department)
        let c = try await refusalsAsProblems { try await service.fulfil(id, department: department, by: context.caller.auditName) }
        return try JSONBody.response(CommitmentJSON(c))
    }

    struct BreachBody: Decodable {
        let documentNo, breach, legalBasis, decisionDate, tier: String
        let remarks: String?
        let department: String?
    }

    struct BreachJSON: Encodable {
        let commitment: CommitmentJSON
        let breachRecordId: String
    }

    @Sendable func breach(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let body = try await JSONRequest.decode(BreachBody.self, request)
        let department = try context.department(requested: body.department)
        let (c, recordID) = try await refusalsAsProblems {
            try await service.breach(id, .init(documentNumber: body.documentNo, breach: body.breach, legalBasis: body.legalBasis,
                                               decisionDate: body.decisionDate, tier: body.tier, remarks: body.remarks),
                                     department: department, by: context.caller.auditName)
        }
        return try JSONBody.response(BreachJSON(commitment: CommitmentJSON(c), breachRecordId: recordID), status: .created)
    }

    /// The service's refusals as problems: 404 unknown, 403 another department's, 409 already closed, 422 otherwise.
    func refusalsAsProblems<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let refusal as CommitmentService.Refusal {
            let status: HTTPResponse.Status = switch refusal.code {
            case "not-found": .notFound
            case "other-department", "refused": .forbidden
            case "already-closed": .conflict
            default: .unprocessableContent
            }
            throw Problem(status, type: "commitment-" + refusal.code, title: "Refused", detail: refusal.detail,
                          extra: refusal.field.map { ["field": $0] } ?? [:], page: refusal.chinese)
        }
    }
}
