import Foundation
import Hummingbird
import XinyongAgencies
import XinyongModel
import XinyongStore

/// The subject's side of agency access: the consent form, and the consent's page, where (with the
/// follow-up code) the subject reads every access the agency made and can revoke the consent.
struct ConsentRoutes {
    let platform: Platform
    let service: AgencyService

    func register(on edge: Edge) {
        edge.get("/consents/new", .open, use: form)
        edge.post("/consents/new", .open, use: grant)
        edge.get("/consents/{number}", .open, use: page)
        edge.post("/consents/{number}", .open, use: page)
        edge.post("/consents/{number}/revoke", .open, use: revoke)
    }

    // MARK: Granting

    struct FormView {
        struct Choice { let value, label: String; let selected: Bool }
        let title = "授权第三方机构查询信用信息 · 信用郴州"
        let agencies, scopes: [Choice]
        let subjectCode, subjectName, signer, purpose, expiresOn, latest: String
        let error: String?
    }

    func formView(_ form: FormFields? = nil, scopes chosen: [String] = [], error: String? = nil) async throws -> FormView {
        let today = CivilDate.today()
        let agencies = try await platform.store.repositories.agencies.all().filter { !$0.scopes.isDisjoint(with: Consent.grantableScopes) }
        return FormView(
            agencies: agencies.map { .init(value: $0.id, label: "\($0.name)（\($0.kind.label)）", selected: $0.id == form?.text("agency")) },
            scopes: Consent.grantableScopes.map { .init(value: $0.rawValue, label: $0.label, selected: chosen.contains($0.rawValue)) },
            subjectCode: form?.text("subject_code") ?? "", subjectName: form?.text("subject_name") ?? "", signer: form?.text("signer") ?? "",
            purpose: form?.text("purpose") ?? "", expiresOn: form?.text("expires_on") ?? today.adding(months: 3).description,
            latest: today.adding(months: Consent.longestMonths).description, error: error)
    }

    @Sendable func form(_ request: Request, context: AppRequestContext) async throws -> Response {
        try platform.html("consent-form", context: context, try await formView())
    }

    @Sendable func grant(_ request: Request, context: AppRequestContext) async throws -> Response {
        let text = String(buffer: try await request.body.collect(upTo: 1 << 16))
        let form = FormFields(text)
        // Checkboxes repeat the field name; FormFields keeps the first, so the scopes are read from the raw pairs.
        let scopes = text.split(separator: "&").compactMap { pair -> String? in
            let parts = pair.split(separator: "=", maxSplits: 1)
            return parts.count == 2 && parts[0] == "scopes" ? FormFields.decoded(parts[1]) : nil
        }
        do {
            let (consent, code) = try await service.grant(.init(
                agencyID: form.text("agency") ?? "", subjectCode: form.text("subject_code") ?? "", subjectName: form.text("subject_name") ?? "",
                signer: form.text("signer") ?? "", purpose: form.text("purpose") ?? "", scopes: scopes, expiresOn: form.text("expires_on") ?? ""))
            return try platform.html("consent", context: context, try await view(consent, code: code, granted: true), status: .created)
        } catch let refusal as AgencyService.Refusal {
            return try platform.html("consent-form", context: context, try await formView(form, scopes: scopes, error: refusal.chinese),
                                     status: .unprocessableContent)
        }
    }

    // MARK: The consent's page

    struct ConsentView {
        struct Access { let at, agency, what, outcome: String; let records: Int; let refused: Bool }
        let title: String
        let number, agency, subject, state: String
        let inForce: Bool
        /// Shown once, right after the grant.
        let code: String?
        let details: Details?
        let error: String?
        struct Details {
            let scopes, purpose, signer, grantedAt, expiresOn, followUp: String
            let accesses: [Access]
        }
    }

    func view(_ consent: Consent, code: String?, granted: Bool = false, error: String? = nil) async throws -> ConsentView {
        let repos = platform.store.repositories
        let agency = try await repos.agencies.find(consent.agencyID)
        let subject = try await repos.subjects.find(id: consent.subjectID)
        let state = consent.state(on: .today())
        var details: ConsentView.Details?
        if let code {
            let accesses = try await service.accesses(under: consent)
            details = .init(scopes: AgencyScope.allCases.filter(consent.scopes.contains).map(\.label).joined(separator: "、"), purpose: consent.purpose,
                            signer: consent.signer, grantedAt: beijingTime(consent.grantedAt) + "（北京时间）", expiresOn: consent.expiresOn.description,
                            followUp: code, accesses: accesses.map { Self.line($0, agency: agency?.name ?? $0.agencyID) })
        }
        return ConsentView(title: "授权 \(consent.id) · 信用郴州", number: consent.id, agency: agency.map { "\($0.name)（\($0.kind.label)）" } ?? consent.agencyID,
                           subject: subject?.displayName ?? "", state: state.label, inForce: state == .inForce, code: granted ? code : nil,
                           details: details, error: error)
    }

    static func line(_ a: AgencyAccess, agency: String) -> ConsentView.Access {
        let what = routeLabels.first { a.route.hasSuffix($0.0) }?.1 ?? a.route
        let outcome = a.outcome == .granted ? (a.detail.isEmpty ? "已提供" : "已提供（\(a.detail)）") : "已拒绝：" + (refusalLabels[a.detail] ?? a.detail)
        return .init(at: beijingTime(a.at), agency: agency, what: what, outcome: outcome, records: a.records, refused: a.outcome == .refused)
    }

    static let routeLabels = [
        (AgencyRoutes.reportPath, "获取平台信用报告"), (AgencyRoutes.subjectPath, "查询非公开信用信息"), (AgencyRoutes.lendingPath, "信易贷授信核查"),
    ]

    static let refusalLabels = [
        "consent-required": "未出示授权", "consent-mismatch": "授权与机构或主体不符", "consent-revoked": "授权已撤回",
        "consent-expired": "授权已到期", "outside-consent-scope": "超出授权范围", "unknown-consent": "授权编号不存在",
    ]

    @Sendable func page(_ request: Request, context: AppRequestContext) async throws -> Response {
        let number = try context.parameters.require("number")
        let code = request.method == .post ? FormFields(try await request.body.collect(upTo: 1 << 16)).text("code") ?? "" : nil
        let consent: Consent
        do {
            consent = try await service.consent(number)
        } catch let refusal as AgencyService.Refusal {
            return try platform.message("未找到该授权", detail: refusal.chinese, input: number, context: context, status: .notFound)
        }
        guard let code else { return try platform.html("consent", context: context, try await view(consent, code: nil)) }
        do {
            _ = try await service.consent(number, followUpCode: code)
            return try platform.html("consent", context: context, try await view(consent, code: code))
        } catch let refusal as AgencyService.Refusal {
            return try platform.html("consent", context: context, try await view(consent, code: nil, error: refusal.chinese), status: .forbidden)
        }
    }

    @Sendable func revoke(_ request: Request, context: AppRequestContext) async throws -> Response {
        let number = try context.parameters.require("number")
        let code = FormFields(try await request.body.collect(upTo: 1 << 16)).text("code") ?? ""
        do {
            let consent = try await service.revoke(number, followUpCode: code)
            return try platform.html("consent", context: context, try await view(consent, code: code))
        } catch let refusal as AgencyService.Refusal {
            let status: HTTPResponse.Status = refusal.code == "unknown-consent" ? .notFound : .forbidden
            return try platform.message("未能撤回授权", detail: refusal.chinese, input: number, context: context, status: status)
        }
    }
}
