import Foundation
import Hummingbird
import XinyongExchange
import XinyongModel
import XinyongStore
import XinyongSupervision

/// Graded supervision and double-random inspections (双随机一公开): departments set their risk mapping,
/// publish plans, draw and enter results through the API; anyone reads the published plans, their draws
/// and the platform's recomputation of each draw.
struct InspectionRoutes {
    let platform: Platform
    let service: Supervision
    let importer: BatchImporter?

    func register(on edge: Edge) {
        edge.get("/inspections", .open, use: listPage)
        edge.get("/inspections/{id}", .open, use: planPage)
        edge.get("/api/v1/inspections/{id}", .open, use: planJSON)
        edge.get("/api/v1/risk-mapping", .department, use: mapping)
        edge.put("/api/v1/risk-mapping", .department, use: setMapping)
        edge.post("/api/v1/inspections", .department, use: publish)
        edge.post("/api/v1/inspections/{id}/draw", .department, use: draw)
        edge.post("/api/v1/inspections/{id}/results", .department, use: enterResult)
    }

    // MARK: Risk mapping

    /// Grades travel as a list of pairs, not an object keyed by grade: the one JSON decoder names unknown
    /// fields by the request's properties, which an object keyed by data would defeat.
    struct GradeClass: Codable { let grade: String; let riskClass: String }

    struct MappingBody: Encodable {
        let department: String
        let version: Int
        let classes: [RiskMapping.RiskClass]
        let grades: [GradeClass]

        init(department: String, version: Int, mapping: RiskMapping) {
            self.department = department
            self.version = version
            classes = mapping.classes
            grades = RiskMapping.gradeKeys.compactMap { g in mapping.grades[g].map { GradeClass(grade: g, riskClass: $0) } }
        }
    }

    @Sendable func mapping(_ request: Request, context: AppRequestContext) async throws -> Response {
        let department = try context.department(requested: PublicQuery(request: request).text("department"))
        let (version, mapping) = try await service.mapping(department: department)
        return try JSONBody.response(MappingBody(department: department, version: version, mapping: mapping))
    }

    struct MappingRequest: Decodable {
        let department: String?
        let classes: [RiskMapping.RiskClass]
        let grades: [GradeClass]
    }

    @Sendable func setMapping(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await JSONRequest.decode(MappingRequest.self, request)
        let department = try context.department(requested: body.department)
        var grades: [String: String] = [:]
        for pair in body.grades {
            guard grades.updateValue(pair.riskClass, forKey: pair.grade) == nil else {
                throw Problem.invalidField("grades", "grade \(pair.grade.prefix(20)) is listed twice")
            }
        }
        let mapping = RiskMapping(classes: body.classes, grades: grades)
        let version = try await refusals { try await service.setMapping(mapping, department: department, by: context.actor("risk mapping")) }
        return try JSONBody.response(MappingBody(department: department, version: version, mapping: mapping), status: .created)
    }

    // MARK: Plans, draws, results

    struct PlanRequest: Decodable {
        struct Stratum: Decodable { let riskClass: String; let name: String?; let ratio: Double }
        struct InspectorBody: Decodable { let id: String; let name: String; let conflictSubjects: [String]?; let conflictRegions: [String]? }
        let department: String?
        let title: String
        let matters: [String]
        let kinds: [String]?
        let regions: [String]?
        let strata: [Stratum]?
        let inspectors: [InspectorBody]
        let inspectorsPerTarget: Int?
        let maxTargetsPerInspector: Int
        let publicValueName: String
        let publicValueOn: String
    }

    @Sendable func publish(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await JSONRequest.decode(PlanRequest.self, request)
        let department = try context.department(requested: body.department)
        let stored = try await refusals {
            try await service.publish(try planRequest(body), department: department, by: context.actor("inspection plan"))
        }
        return try JSONBody.response(try await published(stored), status: .created)
    }

    private func planRequest(_ body: PlanRequest) throws -> Supervision.PlanRequest {
        guard let valueOn = CivilDate(body.publicValueOn) else { throw Problem.invalidField("public_value_on", "expected a date YYYY-MM-DD") }
        let kinds = try (body.kinds ?? ["enterprise", "individual_business"]).map { text in
            guard let kind = SubjectKind(rawValue: text) else {
                throw Problem.invalidField("kinds", "'\(text.prefix(30))' is not a subject kind; known: \(SubjectKind.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            return kind
        }
        return Supervision.PlanRequest(
            title: body.title, matters: body.matters, kinds: kinds, regions: body.regions,
            strata: body.strata?.map { .init(riskClass: $0.riskClass, name: $0.name ?? $0.riskClass, ratio: $0.ratio) },
            inspectors: body.inspectors.map {
                Inspector(id: $0.id, name: $0.name, conflictSubjects: $0.conflictSubjects ?? [], conflictRegions: $0.conflictRegions ?? [])
            },
            inspectorsPerTarget: body.inspectorsPerTarget ?? InspectionPlan.minimumInspectorsPerTarget,
            maxTargetsPerInspector: body.maxTargetsPerInspector, publicValueName: body.publicValueName, publicValueOn: valueOn)
    }

    struct DrawRequest: Decodable { let publicValue: String }

    @Sendable func draw(_ request: Request, context: AppRequestContext) async throws -> Response {
        let plan = try await ownPlan(context)
        let body = try await JSONRequest.decode(DrawRequest.self, request)
        let stored = try await refusals { try await service.draw(plan.plan.id, publicValue: body.publicValue, by: context.actor("inspection draw")) }
        return try JSONBody.response(try await published(stored))
    }

    struct ResultRequest: Decodable {
        let subjectId: String
        let result: String
        let date: String?
        let legalBasis: String?
    }

    struct ResultBody: Encodable { let plan, subjectId, result, recordId: String }

    @Sendable func enterResult(_ request: Request, context: AppRequestContext) async throws -> Response {
        let plan = try await ownPlan(context)
        let body = try await JSONRequest.decode(ResultRequest.self, request)
        guard let importer else { throw Problem(.serviceUnavailable, type: "no-catalogue", title: "No catalogue", detail: "no catalogue is installed") }
        let date = try body.date.map { text in
            guard let date = CivilDate(text) else { throw Problem.invalidField("date", "expected a date YYYY-MM-DD") }
            return date
        } ?? .today()
        let recordID = try await refusals {
            try await service.enterResult(plan: plan.plan.id, subject: body.subjectId, result: body.result, on: date, legalBasis: body.legalBasis,
                                          importer: importer, by: context.actor("inspection result"))
        }
        return try JSONBody.response(ResultBody(plan: plan.plan.id, subjectId: body.subjectId, result: body.result, recordId: recordID), status: .created)
    }

    /// The plan named in the path, if the caller's department published it (administrators act for any).
    private func ownPlan(_ context: AppRequestContext) async throws -> StoredInspectionPlan {
        let plan = try await refusals { try await service.find(try context.parameters.require("id")) }
        if let own = context.caller.departmentID, own != plan.plan.departmentID {
            throw Problem(.forbidden, type: "other-department", title: "Not your department",
                          detail: "plan \(plan.plan.id) belongs to \(plan.plan.departmentID); this caller acts for \(own)")
        }
        return plan
    }

    /// The service's refusals as problem+json with their stable codes and every reason.
    private func refusals<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let refused as Supervision.Refused {
            let status: HTTPResponse.Status = switch refused.kind {
            case .notFound: .notFound
            case .alreadyDrawn, .tooEarly, .notDrawn: .conflict
            default: .unprocessableContent
            }
            var problem = Problem(status, type: refused.kind.rawValue, title: "Inspection request refused", detail: refused.description,
                                  page: "请求未通过：\(refused.description)")
            problem.issues = refused.reasons
            throw problem
        }
    }

    // MARK: What is published

    /// Everything anyone needs to recompute the draw (docs/inspections.md), and the platform's own recomputation.
    struct PublishedBody: Encodable {
        struct Target: Encodable { let subjectId, name, riskClass, key: String; let rank: Int; let inspectors: [String]; let result, resultOn, recordId: String? }
        let id, status, planSha256, plan, publishedAt: String
        let candidates: [InspectionCandidate]
        let publicValue, seed, drawnAt: String?
        let targets: [Target]
        let verification: String
        let problems: [String]
    }

    private func published(_ stored: StoredInspectionPlan) async throws -> PublishedBody {
        let candidates = try await platform.store.repositories.inspections.candidates(plan: stored.plan.id)
        let targets = try await platform.store.repositories.inspections.targets(plan: stored.plan.id)
        let names = try await names(targets.map(\.target.subjectID))
        let (verification, problems) = try await verdict(stored)
        return PublishedBody(
            id: stored.plan.id, status: stored.status.rawValue, planSha256: stored.sha256, plan: stored.canonicalJSON,
            publishedAt: stored.publishedAt, candidates: candidates, publicValue: stored.publicValue, seed: stored.seed, drawnAt: stored.drawnAt,
            targets: targets.map { t in
                .init(subjectId: t.target.subjectID, name: names[t.target.subjectID] ?? "", riskClass: t.target.riskClass, key: t.target.key,
                      rank: t.target.rank, inspectors: t.target.inspectors, result: t.result, resultOn: t.resultOn?.description,
                      recordId: t.resultRecordID)
            },
            verification: verification, problems: problems)
    }

    private func verdict(_ stored: StoredInspectionPlan) async throws -> (String, [String]) {
        guard stored.status == .drawn else { return ("not_drawn", []) }
        switch try await service.verify(stored.plan.id) {
        case .match: return ("match", [])
        case .mismatch(let problems): return ("mismatch", problems)
        }
    }

    private func names(_ ids: [String]) async throws -> [String: String] {
        var out: [String: String] = [:]
        for id in ids { out[id] = try await platform.store.repositories.subjects.find(id: id)?.name }
        return out
    }

    @Sendable func planJSON(_ request: Request, context: AppRequestContext) async throws -> Response {
        let stored = try await refusals { try await service.find(try context.parameters.require("id")) }
        return try JSONBody.response(try await published(stored))
    }

    // MARK: Pages

    struct ListView {
        struct Line { let id, href, title, department, publishedOn, status: String; let targets: Int }
        let title = "双随机抽查 · 信用郴州"
        let lines: [Line]
    }

    @Sendable func listPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        let plans = try await platform.store.repositories.inspections.plans()
        let departments = try await platform.store.repositories.departments.names(Array(Set(plans.map(\.plan.departmentID))))
        return try platform.html("inspections", ListView(lines: plans.map { p in
            .init(id: p.plan.id, href: "/inspections/\(p.plan.id)", title: p.plan.title,
                  department: departments[p.plan.departmentID] ?? p.plan.departmentID, publishedOn: p.plan.publishedOn.chineseText,
                  status: p.status == .drawn ? "已抽取" : "待抽取", targets: p.plan.targetCount)
        }), context: context)
    }

    struct PlanView {
        struct Stratum { let name, code, ratio: String; let candidates, targets: Int }
        struct InspectorLine { let id, name, conflicts: String }
        struct Target { let name, code, stratum, key, inspectors, result: String; let rank: Int }
        let title: String
        let id, heading, department, publishedOn, matters, scope, sha256, fingerprint, valueName, valueOn, perTarget, cap: String
        let candidateCount: Int
        let publicValue, seed, drawnAt: String?
        let strata: [Stratum]
        let inspectors: [InspectorLine]
        let targets: [Target]
        let matches: Bool
        let drawn: Bool
        let problems: [String]
        let canonicalJSON: String
    }

    @Sendable func planPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        let stored: StoredInspectionPlan
        do {
            stored = try await service.find(try context.parameters.require("id"))
        } catch is Supervision.Refused {
            return try platform.message("未找到该抽查计划", detail: "请核对抽查计划编号。", context: context, status: .notFound)
        }
        let body = try await published(stored)
        let p = stored.plan
        let department = try await platform.store.repositories.departments.find(p.departmentID)?.name ?? p.departmentID
        let inspectorNames = Dictionary(uniqueKeysWithValues: p.inspectors.map { ($0.id, $0.name) })
        let classNames = Dictionary(uniqueKeysWithValues: p.strata.map { ($0.riskClass, $0.name) })
        let view = PlanView(
            title: "\(p.title) · 双随机抽查 · 信用郴州", id: p.id, heading: p.title, department: department,
            publishedOn: p.publishedOn.chineseText, matters: p.matters.joined(separator: "；"),
            scope: p.kinds.compactMap { SubjectKind(rawValue: $0)?.label }.joined(separator: "、") + "；"
                + p.regions.map { platform.regions[$0]?.name ?? $0 }.joined(separator: "、"),
            sha256: stored.sha256, fingerprint: p.candidateFingerprint, valueName: p.publicValueName, valueOn: p.publicValueOn.chineseText,
            perTarget: "\(p.inspectorsPerTarget)", cap: "\(p.maxTargetsPerInspector)", candidateCount: p.candidateCount,
            publicValue: stored.publicValue, seed: stored.seed, drawnAt: stored.drawnAt.map(beijingTime),
            strata: p.strata.map { .init(name: $0.name, code: $0.riskClass, ratio: Self.percent($0.ratioBP), candidates: $0.candidates, targets: $0.targets) },
            inspectors: p.inspectors.map {
                .init(id: $0.id, name: $0.name, conflicts: ($0.conflictSubjects + $0.conflictRegions.map { platform.regions[$0]?.name ?? $0 }).joined(separator: "、"))
            },
            targets: body.targets.map { t in
                .init(name: t.name, code: t.subjectId, stratum: classNames[t.riskClass] ?? t.riskClass, key: String(t.key.prefix(16)),
                      inspectors: t.inspectors.map { inspectorNames[$0] ?? $0 }.joined(separator: "、"), result: t.result ?? "待录入", rank: t.rank)
            },
            matches: body.verification == "match", drawn: stored.status == .drawn, problems: body.problems, canonicalJSON: stored.canonicalJSON)
        return try platform.html("inspection", view, context: context)
    }

    /// 0.0350 → 3.5%.
    static func percent(_ bp: Int) -> String {
        let value = Double(bp) / 100
        return (value == value.rounded() ? String(Int(value)) : String(format: "%.2f", value).replacingOccurrences(of: #"0+$"#, with: "", options: .regularExpression)) + "%"
    }
}
