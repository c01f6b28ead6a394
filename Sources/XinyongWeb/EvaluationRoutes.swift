import Foundation
import Hummingbird
import XinyongEvaluation
import XinyongModel
import XinyongStore

/// Public credit evaluation on the web: the office's distributions and changes, each subject's explanation
/// with its reason codes and what-ifs, the grade as JSON for departments, and — when the office turns it
/// on — the grade of organisations on their public profile.
struct EvaluationRoutes {
    let platform: Platform

    /// The setting (joint_settings) that shows organisations' grades on their public profiles.
    static let publicGradeSetting = "evaluation_public_grade"

    func register(on edge: Edge) {
        edge.get("/office/evaluation", .office, use: officePage)
        edge.get("/office/evaluation/explain", .office, use: officeExplanation)
        edge.post("/office/evaluation/public", .admin, use: setPublic)
        edge.get("/subjects/{code}/evaluation", .open, use: publicExplanation)
        edge.get("/api/v1/subjects/{code}/evaluation", .department, use: subjectJSON)
        edge.get("/api/v1/evaluation", .office, use: statusJSON)
    }

    var evaluator: Evaluator { platform.evaluation.evaluator }

    func gradesArePublic() async throws -> Bool {
        try await platform.store.lookups.jointSettings.value(Self.publicGradeSetting) == "true"
    }

    // MARK: The office

    struct OfficeView {
        struct Table { let heading: String; let rows: [Row] }
        struct Row { let group: String; let a, b, c, d, total: String }
        struct Change { let month, change, count: String }
        let title: String
        let model: ModelLines
        let graded: String
        let delay: String
        let isPublic: Bool
        let canSwitch: Bool
        let tables: [Table]
        let changes: [Change]
    }

    struct ModelLines {
        let version, effectiveFrom, base, thresholds: String
        let rules: [Rule]
        let vetoes: [String]
        struct Rule { let id, name, applies, points, cap, decay: String }
    }

    @Sendable func officePage(_ request: Request, context: AppRequestContext) async throws -> Response {
        let region = try context.region(requested: PublicQuery(request: request).text("region"), regions: platform.regions)
        let prefix = region.map(Region.codePrefix)
        let repos = platform.store.repositories.evaluations
        var tables: [OfficeView.Table] = []
        for (grouping, heading) in [(EvaluationRepository.Grouping.region, "按地区"), (.kind, "按主体类型"), (.industry, "按行业（由名称推断）")] {
            tables.append(.init(heading: heading, rows: rows(try await repos.distribution(by: grouping, regionPrefix: prefix), grouping)))
        }
        let changes = try await repos.changesByMonth(regionPrefix: prefix).map {
            OfficeView.Change(month: $0.group, change: $0.grade, count: $0.n.grouped)
        }
        let delay = platform.evaluation.delayFigures()
        return try platform.html("evaluation-office", OfficeView(
            title: "公共信用综合评价 · 信用郴州", model: Self.lines(evaluator.scoring.model, catalog: platform.currentCatalog),
            graded: try await repos.count().grouped,
            delay: delay.count == 0 ? "启动以来尚无记录变更。"
                : String(format: "最近 %d 次记录变更到新等级：中位 %.1f 秒，95%% 在 %.1f 秒内，最长 %.1f 秒。", delay.count, delay.p50, delay.p95, delay.max),
            isPublic: try await gradesArePublic(), canSwitch: Access.admin.allows(context.caller),
            tables: tables, changes: changes), context: context)
    }

    private func rows(_ counts: [GradeCount], _ grouping: EvaluationRepository.Grouping) -> [OfficeView.Row] {
        let groups = Dictionary(grouping: counts, by: \.group)
        return groups.keys.sorted().map { key in
            let n = { (grade: Grade) in groups[key]!.first { $0.grade == grade.rawValue }?.n ?? 0 }
            let total = Grade.allCases.map(n).reduce(0, +)
            return .init(group: label(key, grouping), a: n(.a).grouped, b: n(.b).grouped, c: n(.c).grouped, d: n(.d).grouped,
                         total: total.grouped)
        }
    }

    private func label(_ key: String, _ grouping: EvaluationRepository.Grouping) -> String {
        switch grouping {
        case .region: platform.regions[key]?.name ?? key
        case .kind: SubjectKind(rawValue: key)?.label ?? key
        case .industry: Industry(rawValue: key)?.name ?? Industry.unknown.name
        }
    }

    static func lines(_ model: EvaluationModel, catalog: Catalog?) -> ModelLines {
        func number(_ x: Double) -> String { x == x.rounded() ? String(Int(x)) : String(format: "%.2f", x) }
        let thresholds = model.thresholds.sorted { $0.minimum > $1.minimum }.map { "\($0.grade.rawValue) 级 ≥ \(number($0.minimum)) 分" }
        return ModelLines(
            version: String(model.version), effectiveFrom: model.effectiveFrom.description, base: number(model.baseScore),
            thresholds: thresholds.joined(separator: "，"),
            rules: model.rules.map { rule in
                let applies = rule.recordType.map { (catalog?.recordType($0)?.name ?? $0) + (rule.tier.map { "（\($0.label)）" } ?? "") }
                    ?? (rule.polarity == .negative ? "其他失信信息" : "其他守信信息")
                let decay = switch rule.decay.kind {
                case .none: "公示期内不衰减"
                case .linear: "\(number(rule.decay.months ?? 0)) 个月内线性减至 0"
                case .halfLife: "每 \(number(rule.decay.months ?? 0)) 个月减半"
                }
                return .init(id: rule.id, name: rule.name, applies: applies, points: number(rule.points), cap: number(rule.cap), decay: decay)
            },
            vetoes: model.vetoes.map { "\($0.id) \($0.name)：最高 \($0.atMost.rawValue) 级" })
    }

    @Sendable func setPublic(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = FormFields(try await request.body.collect(upTo: 1 << 12))
        guard let show = form.text("show"), ["true", "false"].contains(show) else {
            throw Problem.invalidField("show", "true or false", page: "请选择是否在公开信用档案中显示信用等级。")
        }
        let actor = context.actor("public grade on profiles set to \(show)")
        try await platform.store.transaction { try await $0.jointSettings.set(Self.publicGradeSetting, to: show, by: actor) }
        return Response(status: .seeOther, headers: [.location: "/office/evaluation"])
    }

    // MARK: Explanations

    struct ExplanationView {
        struct Reason { let code, text, recordHref, recordType, points, objectionHref, repairHref, whatIf: String }
        struct Line { let rule, record, recordHref, type, department, date, expiry, raw, points: String }
        let title, name, identifier, grade, gradeLabel, score, scoreGrade, model, asOf, evaluatedAt: String
        let vetoes: [String]
        let reasons: [Reason]
        let lines: [Line]
        let stale: Bool
        let office: Bool
    }

    @Sendable func officeExplanation(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let code = PublicQuery(request: request).text("code") else {
            throw Problem.invalidField("code", "give the subject's unified social credit code", page: "请输入统一社会信用代码。")
        }
        let subject = try await platform.findSubject(code)
        if let scope = try context.region(requested: nil, regions: platform.regions), !platform.regions.isWithin(subject.regionCode, scope) {
            throw Problem(.forbidden, type: "other-region", title: "Outside your region", detail: "the subject is registered outside \(scope)",
                          page: "该主体不在本辖区，县区信用办只能查看本辖区的信用评价。")
        }
        return try await explanation(subject, office: true, context: context)
    }

    @Sendable func publicExplanation(_ request: Request, context: AppRequestContext) async throws -> Response {
        let code = try context.parameters.require("code").removingPercentEncoding ?? ""
        let subject = try await platform.findSubject(code)
        guard try await gradesArePublic(), subject.kind != .naturalPerson else {
            throw Problem.notFound("the credit office does not publish grades", page: "信用办未公开公共信用综合评价等级。自然人的评价等级不公开。")
        }
        return try await explanation(subject, office: false, context: context)
    }

    private func explanation(_ subject: Subject, office: Bool, context: AppRequestContext) async throws -> Response {
        guard let stored = try await platform.store.repositories.evaluations.find(subject.id) else {
            throw Problem.notFound("subject \(subject.id) has not been evaluated yet", page: "该主体尚未评价，新主体在一分钟内完成评价。")
        }
        let live = try await evaluator.explain(subjectID: subject.id, asOf: .today())
        let whatIf = Dictionary(live.whatIfs.map { ($0.recordID, $0) }, uniquingKeysWith: { a, _ in a })
        let typeName = { (code: String) in self.platform.currentCatalog?.recordType(code)?.name ?? code }
        let departments = try await platform.store.repositories.departments.names(stored.contributions.map(\.departmentID))
        let rules = Dictionary(evaluator.scoring.model.rules.map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
        // People read a record by its document number, not its id; a subject has a handful of scored records.
        var documents: [String: String] = [:]
        for c in stored.contributions { documents[c.recordID] = try await platform.store.repositories.records.find(id: c.recordID)?.documentNumber }
        func points(_ x: Double) -> String { String(format: "%+.2f", x) }
        return try platform.html("evaluation", ExplanationView(
            title: "信用评价说明 · \(subject.displayName) · 信用郴州", name: subject.displayName, identifier: subject.displayIdentifier,
            grade: stored.grade.rawValue, gradeLabel: stored.grade.label, score: String(format: "%.2f", stored.score),
            scoreGrade: live.result.scoreGrade.rawValue, model: String(stored.modelVersion), asOf: stored.asOf.description,
            evaluatedAt: beijingTime(stored.evaluatedAt),
            vetoes: stored.vetoes.map { "\($0.vetoID) \($0.name)：等级最高为 \($0.atMost.rawValue) 级" },
            reasons: stored.reasons.map { r in
                let other = whatIf[r.recordID]
                return .init(code: r.code, text: r.text, recordHref: "/records/\(r.recordID)", recordType: typeName(r.recordType),
                             points: r.points == 0 ? "否决" : points(r.points),
                             objectionHref: "/records/\(r.recordID)/objection", repairHref: "/records/\(r.recordID)/repair",
                             whatIf: other.map { "若修复此记录：\(stored.grade.rawValue) → \($0.grade.rawValue)（\(String(format: "%.2f", $0.score)) 分）" } ?? "")
            },
            lines: stored.contributions.map { c in
                .init(rule: "\(c.ruleID) \(rules[c.ruleID] ?? "")", record: documents[c.recordID] ?? "（已撤销的记录）", recordHref: "/records/\(c.recordID)", type: typeName(c.recordType),
                      department: departments[c.departmentID] ?? c.departmentID, date: c.date.description, expiry: c.expiry.description,
                      raw: points(c.rawPoints), points: points(c.points))
            },
            stale: live.result.grade != stored.grade || abs(live.result.score - stored.score) > 0.005, office: office), context: context)
    }

    // MARK: JSON

    struct SubjectBody: Encodable {
        let subjectId: String
        let grade: String
        let score: Double
        let modelVersion: Int
        let asOf: String
        let evaluatedAt: String
        let vetoes: [AppliedVeto]
        let reasons: [EvaluationReason]
        let contributions: [Contribution]
    }

    @Sendable func subjectJSON(_ request: Request, context: AppRequestContext) async throws -> Response {
        let code = try context.parameters.require("code").removingPercentEncoding ?? ""
        let subject = try await platform.findSubject(code)
        guard let e = try await platform.store.repositories.evaluations.find(subject.id) else {
            throw Problem.notFound("subject \(subject.id) has not been evaluated yet")
        }
        return try JSONBody.response(SubjectBody(
            subjectId: e.subjectID, grade: e.grade.rawValue, score: e.score, modelVersion: e.modelVersion, asOf: e.asOf.description,
            evaluatedAt: e.evaluatedAt, vetoes: e.vetoes, reasons: e.reasons, contributions: e.contributions))
    }

    struct StatusBody: Encodable {
        let modelVersion: Int
        let graded: Int
        /// Changes on the feed not yet followed.
        let behind: Int
        let grades: [String: Int]
        let delaySeconds: Delay
        struct Delay: Encodable { let p50, p95, max: Double; let changes: Int }
    }

    /// How many subjects have each grade, how far the grades are behind the change feed, and how long changes
    /// (made at or after `since`, an ISO 8601 instant, when given) waited for their new grade.
    @Sendable func statusJSON(_ request: Request, context: AppRequestContext) async throws -> Response {
        let query = PublicQuery(request: request)
        let region = try context.region(requested: query.text("region"), regions: platform.regions)
        var since: Date? = nil
        if let text = query.text("since") {
            guard let date = Timestamp.parse(text) else {
                throw Problem.invalidField("since", "an ISO 8601 instant with milliseconds, e.g. 2026-11-30T08:00:00.000Z")
            }
            since = date
        }
        let repos = platform.store.repositories.evaluations
        let counts = try await repos.distribution(by: .kind, regionPrefix: region.map(Region.codePrefix))
        let grades = Dictionary(grouping: counts, by: \.grade).mapValues { $0.map(\.n).reduce(0, +) }
        let d = platform.evaluation.delayFigures(since: since)
        return try JSONBody.response(StatusBody(
            modelVersion: evaluator.scoring.model.version, graded: grades.values.reduce(0, +),
            behind: max(0, try await repos.latestChange() - repos.cursor()), grades: grades,
            delaySeconds: .init(p50: d.p50, p95: d.p95, max: d.max, changes: d.count)))
    }
}
