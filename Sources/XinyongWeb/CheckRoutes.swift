import Foundation
import Hummingbird
import XinyongExchange
import XinyongJoint
import XinyongModel
import XinyongStore

/// Check before handling (逢办必查) over HTTP: the check API for departments' systems, feedback, the
/// office's rates and name overrides, a form for departments without a system, and the office page.
/// A check that cannot consult the database is a 503 problem, never an empty answer.
struct CheckRoutes {
    let platform: Platform
    let service: JointService
    /// Department systems check at high rates with the same key: a key found valid is trusted for a few
    /// seconds, so that a check is one database read, not two. A revoked key stops working within that time.
    let keys = KeyCache(seconds: 5)

    func register(on router: Router<BasicRequestContext>) {
        router.get("/api/v1/ping") { _, _ in Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "pong"))) }
        router.post("/api/v1/checks", use: check)
        router.get("/api/v1/checks/{id}", use: stored)
        router.post("/api/v1/checks/{id}/feedback", use: feedback)
        router.get("/api/v1/measures", use: measures)
        router.get("/api/v1/admin/checks/report", use: report)
        router.get("/api/v1/admin/name-overrides", use: listOverrides)
        router.post("/api/v1/admin/name-overrides", use: addOverride)
        router.get("/api/v1/admin/joint-settings", use: settings)
        router.put("/api/v1/admin/joint-settings", use: updateSettings)
        router.get("/checks", use: form)
        router.post("/checks", use: submitForm)
        router.get("/office/checks", use: officePage)
    }

    // MARK: API

    struct CheckBody: Decodable {
        let code: String?
        let name: String?
        let idNumber: String?
        let scenario: String?
        let department: String?
        let matter: String?
    }

    @Sendable func check(_ request: Request, context: BasicRequestContext) async throws -> Response {
        try await consulting {
            let key = try await authenticate(request)
            let body = try await decode(CheckBody.self, request)
            guard let scenario = body.scenario, !scenario.isEmpty else {
                throw invalidField("scenario", "name the business scenario, e.g. government_procurement (GET /api/v1/measures lists them)")
            }
            let department = try departmentFor(key, requested: body.department)
            let answer = try await service.check(CheckRequest(
                code: body.code, name: body.name, idNumber: body.idNumber, scenario: scenario, departmentID: department,
                matter: body.matter, askedBy: key.id))
            var response = Response(status: .created, headers: [.contentType: "application/json; charset=utf-8"],
                                    body: .init(byteBuffer: ByteBuffer(string: answer.encoded)))
            response.headers[.location] = "/api/v1/checks/\(answer.checkId)"
            return response
        }
    }

    @Sendable func stored(_ request: Request, context: BasicRequestContext) async throws -> Response {
        try await consulting {
            let key = try await authenticate(request)
            let id = try context.parameters.require("id")
            guard let check = try await platform.store.repositories.checks.find(id: id), key.isAdmin || key.department_id == check.department_id else {
                throw Problem.notFound("no check \(id) for this key")
            }
            let lines = try await platform.store.repositories.checks.measures(check: id)
            let text = "{\"answer\":\(check.answer),\"feedback\":\(String(decoding: try JSONBody.encoder.encode(StoredFeedback(check: check, lines: lines)), as: UTF8.self))}"
            return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: text)))
        }
    }

    struct StoredFeedback: Encodable {
        struct Line: Encodable { let measureId: String; let applied: Bool?; let reason, reportedBy, reportedAt: String? }
        let reportedAt: String?
        let outcome: String?
        let measures: [Line]
        init(check: StoredCheck, lines: [CheckMeasureRow]) {
            reportedAt = check.feedback_at
            outcome = check.feedback_outcome
            measures = lines.map { .init(measureId: $0.measure_id, applied: $0.applied, reason: $0.reason, reportedBy: $0.reported_by, reportedAt: $0.reported_at) }
        }
    }

    struct FeedbackBody: Decodable {
        let measures: [MeasureFeedback]?
        let outcome: String?
    }

    @Sendable func feedback(_ request: Request, context: BasicRequestContext) async throws -> Response {
        try await consulting {
            let key = try await authenticate(request)
            let id = try context.parameters.require("id")
            let body = try await decode(FeedbackBody.self, request)
            try await service.feedback(check: id, department: key.department_id, lines: body.measures ?? [], outcome: body.outcome,
                                       by: Actor(key.id, reason: "feedback on check \(id)"))
            return try JSONBody.response(["check_id": id, "status": "recorded", "check": "/api/v1/checks/\(id)"], status: .created)
        }
    }

    @Sendable func measures(_ request: Request, context: BasicRequestContext) async throws -> Response {
        try await consulting {
            let catalog = try await service.measureCatalog()
            return try JSONBody.response(catalog)
        }
    }

    @Sendable func report(_ request: Request, context: BasicRequestContext) async throws -> Response {
        try await consulting {
            _ = try await requireAdmin(request)
            let (from, to) = try period(request)
            let grace = Int(request.uri.queryParameters["grace_days"].map(String.init) ?? "5") ?? -1
            guard (0...365).contains(grace) else { throw invalidField("grace_days", "must be a whole number of days from 0 to 365") }
            return try JSONBody.response(try await service.applicationReport(from: from, to: to, graceDays: grace))
        }
    }

    struct OverrideBody: Decodable {
        let department: String?
        let name: String?
        let subjectId: String?
        let reason: String?
    }

    @Sendable func addOverride(_ request: Request, context: BasicRequestContext) async throws -> Response {
        try await consulting {
            let admin = try await requireAdmin(request)
            let body = try await decode(OverrideBody.self, request)
            guard let department = body.department else { throw invalidField("department", "name the department the override is for") }
            guard let subject = body.subjectId else { throw invalidField("subject_id", "name the candidate subject that is not the one asked for") }
            let o = try await service.addOverride(department: department, name: body.name ?? "", subjectID: subject, reason: body.reason ?? "",
                                                  by: Actor(admin.id, reason: body.reason ?? ""))
            return try JSONBody.response(o, status: .created)
        }
    }

    @Sendable func listOverrides(_ request: Request, context: BasicRequestContext) async throws -> Response {
        try await consulting {
            _ = try await requireAdmin(request)
            return try JSONBody.response(try await platform.store.repositories.checks.allOverrides())
        }
    }

    struct SettingsBody: Codable { let nameMatchThreshold: Double? }

    @Sendable func settings(_ request: Request, context: BasicRequestContext) async throws -> Response {
        try await consulting {
            _ = try await requireAdmin(request)
            return try JSONBody.response(SettingsBody(nameMatchThreshold: try await service.threshold()))
        }
    }

    @Sendable func updateSettings(_ request: Request, context: BasicRequestContext) async throws -> Response {
        try await consulting {
            let admin = try await requireAdmin(request)
            let body = try await decode(SettingsBody.self, request)
            guard let value = body.nameMatchThreshold else { throw invalidField("name_match_threshold", "give the new threshold, e.g. 0.9") }
            try await service.setThreshold(value, by: Actor(admin.id, reason: "name-match threshold set through the API"))
            return try JSONBody.response(SettingsBody(nameMatchThreshold: try await service.threshold()))
        }
    }

    // MARK: Errors

    /// Runs a handler that consults the data: refusals become specific problems; anything else (the
    /// database gone, a timeout) becomes a 503 that no client can mistake for a clean result.
    private func consulting(_ body: () async throws -> Response) async throws -> Response {
        do {
            return try await body()
        } catch let problem as Problem {
            throw problem
        } catch let error as JointError {
            switch error {
            case let .invalid(field, reason):
                throw Problem(field == "department" ? .unprocessableContent : .badRequest, type: "invalid-field",
                              title: "Invalid request", detail: "\(field): \(reason)", extra: ["field": field])
            case .notFound(let what): throw Problem.notFound(what)
            case .conflict(let what): throw Problem(.conflict, type: "already-reported", title: "Already reported", detail: what)
            case .forbidden(let what): throw Problem(.forbidden, type: "forbidden", title: "Forbidden", detail: what)
            case .unavailable(let what): throw unavailable(what)
            }
        } catch {
            throw unavailable("the platform could not consult its data (\(type(of: error))); this is not a result — do not treat the subject as clear, retry or ask the credit office")
        }
    }

    private func unavailable(_ detail: String) -> Problem {
        Problem(.serviceUnavailable, type: "check-unavailable", title: "Check unavailable", detail: detail)
    }

    private func invalidField(_ field: String, _ reason: String) -> Problem {
        Problem(.badRequest, type: "invalid-field", title: "Invalid request", detail: "\(field): \(reason)", extra: ["field": field])
    }

    private func decode<T: Decodable>(_ type: T.Type, _ request: Request) async throws -> T {
        let buffer = try await request.body.collect(upTo: 1 << 20)
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        do {
            return try decoder.decode(type, from: Data(buffer: buffer))
        } catch let DecodingError.typeMismatch(expected, context), let DecodingError.valueNotFound(expected, context) {
            let field = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue.snakeCased }.joined(separator: ".")
                .replacingOccurrences(of: ".[", with: "[")
            throw invalidField(field.isEmpty ? "body" : field, "expected \(expected == Double.self ? "a number" : expected == Bool.self ? "true or false" : expected == String.self ? "a string" : "\(expected)")")
        } catch let DecodingError.keyNotFound(key, context) {
            let field = (context.codingPath + [key]).map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue.snakeCased }.joined(separator: ".")
                .replacingOccurrences(of: ".[", with: "[")
            throw invalidField(field, "required")
        } catch {
            throw Problem(.badRequest, type: "invalid-json", title: "Invalid request body", detail: "the body must be a JSON object: \(error)")
        }
    }

    private func period(_ request: Request) throws -> (String, String) {
        let q = request.uri.queryParameters
        let to = q["to"].map(String.init)
        let from = q["from"].map(String.init)
        for (field, value) in [("from", from), ("to", to)] {
            if let value, CivilDate(value) == nil { throw invalidField(field, "'\(value)' is not a date YYYY-MM-DD") }
        }
        let end = to.flatMap { CivilDate($0) }?.adding(days: 1) ?? CivilDate.today().adding(days: 1)
        let start = from.flatMap { CivilDate($0) } ?? end.adding(days: -91)
        guard start < end else { throw invalidField("from", "must not be after 'to'") }
        // Instants are UTC; a day in Asia/Shanghai starts at 16:00 UTC the day before.
        return (start.adding(days: -1).description + "T16:00:00.000Z", end.adding(days: -1).description + "T16:00:00.000Z")
    }

    // MARK: Keys

    private func authenticate(_ request: Request) async throws -> ApiKey {
        guard let header = request.headers[.authorization], header.hasPrefix("Bearer ") else {
            throw Problem(.unauthorized, type: "missing-key", title: "API key required",
                          detail: "send the department's API key as 'Authorization: Bearer xy_…'")
        }
        let secret = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
        if let key = keys.valid(secret) { return key }
        guard let key = try await AccessKeys.authenticate(secret, store: platform.store) else {
            throw Problem(.unauthorized, type: "invalid-key", title: "Unknown or revoked API key",
                          detail: "this API key is unknown or has been revoked; ask the credit office for a new one")
        }
        keys.remember(secret, key)
        return key
    }

    private func requireAdmin(_ request: Request) async throws -> ApiKey {
        let key = try await authenticate(request)
        guard key.isAdmin else {
            throw Problem(.forbidden, type: "admin-only", title: "Administrators only", detail: "this needs a credit-office administrator key")
        }
        return key
    }

    /// A department asks for itself; an administrator names the department it asks for.
    private func departmentFor(_ key: ApiKey, requested: String?) throws -> String {
        if let own = key.department_id {
            if let requested, !requested.isEmpty, requested != own {
                throw Problem(.forbidden, type: "other-department", title: "Not your department",
                              detail: "this key belongs to \(own); it cannot check for \(requested)")
            }
            return own
        }
        guard let requested, !requested.isEmpty else {
            throw invalidField("department", "an administrator key must name the department that handles the matter")
        }
        return requested
    }

    // MARK: Pages

    struct FormView {
        struct Option { let code, name: String; let selected: Bool }
        struct Line { let title, detail: String; let mandatory: Bool }
        struct Result {
            let heading: String
            let tone: String
            let checkID: String
            let subject: String
            let how: String
            let memberships: [Line]
            let measures: [Line]
            let incentives: [Line]
            let candidates: [Line]
            let freshness: String
        }
        let title = "逢办必查 · 信用郴州"
        let scenarios: [Option]
        let code, name, matter: String
        let error: String?
        let result: Result?
    }

    @Sendable func form(_ request: Request, context: BasicRequestContext) async throws -> Response {
        try await renderForm(values: [:], error: nil, result: nil, status: .ok)
    }

    @Sendable func submitForm(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let buffer = try await request.body.collect(upTo: 1 << 16)
        let values = (try? URLEncodedFormDecoder().decode([String: String].self, from: String(buffer: buffer))) ?? [:]
        do {
            guard let secret = values["api_key"], !secret.isEmpty, let key = try await AccessKeys.authenticate(secret, store: platform.store),
                let department = key.department_id
            else {
                return try await renderForm(values: values, error: "API 密钥无效：请使用本部门的密钥（the key is unknown, revoked or not a department's key）", result: nil, status: .unauthorized)
            }
            let code = values["code"].flatMap { $0.isEmpty ? nil : $0 }
            let answer = try await service.check(CheckRequest(
                code: code, name: code == nil ? values["name"] : nil, scenario: values["scenario"] ?? "", departmentID: department,
                matter: values["matter"].flatMap { $0.isEmpty ? nil : $0 }, askedBy: key.id))
            return try await renderForm(values: values, error: nil, result: resultView(answer), status: .created)
        } catch let error as JointError {
            if case .unavailable(let what) = error { return try await renderForm(values: values, error: "查询失败，不是查询结果：\(what)", result: nil, status: .serviceUnavailable) }
            return try await renderForm(values: values, error: error.description, result: nil, status: .badRequest)
        } catch {
            return try await renderForm(values: values, error: "平台暂时无法查询数据，本次不是“未命中”结果，请稍后重试（the database could not be consulted）", result: nil, status: .serviceUnavailable)
        }
    }

    private func resultView(_ a: CheckAnswer) -> FormView.Result {
        let heading = switch a.result {
        case "hit": "命中名单：请按下列措施办理"
        case "clear": "未列入红黑名单及重点关注名单"
        case "candidates": "未能自动确认主体：请核对候选主体或使用统一社会信用代码查询"
        default: "平台未找到该主体"
        }
        let how = switch a.match.method {
        case "code": "按统一社会信用代码匹配"
        case "legacy_number": "按注册号匹配"
        case "id_number": "按身份证号匹配"
        case "name": "按名称匹配（得分 \(a.match.score.map { String(format: "%.2f", $0) } ?? "")，阈值 \(a.match.threshold.map { String(format: "%.2f", $0) } ?? "")）"
        default: "未匹配"
        }
        func measure(_ m: CheckAnswer.MeasureBody) -> FormView.Line {
            .init(title: m.title, detail: "\(m.memorandum.title)（\(m.memorandum.documentNumber)）· 依据：\(m.legalBasis)\(m.programme.map { " · \($0)" } ?? "")",
                  mandatory: m.mandatory)
        }
        return .init(
            heading: heading, tone: a.result == "hit" ? "bad" : a.result == "clear" ? "ok" : "warn", checkID: a.checkId,
            subject: a.match.subject.map { "\($0.name)（\($0.code ?? $0.maskedId ?? $0.id)）" } ?? a.query.value, how: how,
            memberships: a.memberships.map { .init(title: "\($0.listName) · \($0.recordTypeName)",
                                                    detail: "\($0.documentNumber) · \($0.department.name) · \($0.start) 至 \($0.end)（不含）· \($0.legalBasis)", mandatory: false) },
            measures: a.measures.map(measure), incentives: a.incentives.map(measure),
            candidates: a.match.candidates.map { c in
                .init(title: "\(c.name)（\(c.code ?? c.subjectId)）得分 \(String(format: "%.2f", c.score))",
                      detail: c.explanation.map { "\($0.part)：\($0.note)" }.joined(separator: "；") + (c.suppressed.map { " · 已标记为误报：\($0)" } ?? ""),
                      mandatory: false)
            },
            freshness: "数据截至 \(a.freshness.latestChangeAt ?? "—")（变更序号 \(a.freshness.latestChangeSeq.map(String.init) ?? "—")）；主体记录最近更新 \(a.freshness.subjectRecordsUpdatedAt ?? "—")")
    }

    private func renderForm(values: [String: String], error: String?, result: FormView.Result?, status: HTTPResponse.Status) async throws -> Response {
        let scenarios = (try? await service.measureCatalog().scenarios) ?? []
        let view = FormView(
            scenarios: scenarios.map { .init(code: $0.code, name: $0.name, selected: $0.code == values["scenario"]) },
            code: values["code"] ?? "", name: values["name"] ?? "", matter: values["matter"] ?? "", error: error, result: result)
        return try html(view, template: "check-form", status: status)
    }

    struct OfficeView {
        struct Line { let name, returned, reported, applied, rate, feedback: String }
        struct Pending { let id, department, scenario, result, askedAt, measures: String }
        let title = "联合奖惩反馈 · 信用郴州"
        let from, to: String
        let checks: String
        let memoranda, measures, departments, regions: [Line]
        let pending: [Pending]
        let graceDays: Int
    }

    @Sendable func officePage(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let (from, to) = try period(request)
        let report: ApplicationReport
        do {
            report = try await service.applicationReport(from: from, to: to)
        } catch {
            throw unavailable("the office report could not be computed: the database does not answer")
        }
        func lines(_ ls: [ApplicationReport.Line]) -> [OfficeView.Line] {
            ls.map { .init(name: $0.name, returned: "\($0.returned)", reported: "\($0.reported)", applied: "\($0.applied)",
                           rate: percent($0.applicationRate), feedback: percent($0.feedbackRate)) }
        }
        let view = OfficeView(
            from: String(from.prefix(10)), to: String(to.prefix(10)), checks: "\(report.checks)",
            memoranda: lines(report.byMemorandum), measures: lines(report.byMeasure), departments: lines(report.byDepartment),
            regions: lines(report.byRegion),
            pending: report.withoutFeedback.map { .init(id: $0.checkId, department: $0.departmentName, scenario: $0.scenario, result: $0.result,
                                                        askedAt: String($0.askedAt.prefix(16)).replacingOccurrences(of: "T", with: " "),
                                                        measures: "\($0.measures + $0.incentives)") },
            graceDays: report.feedbackGraceDays)
        return try html(view, template: "office-checks", status: .ok)
    }

    private func percent(_ share: Double?) -> String { share.map { String(format: "%.1f %%", $0 * 100) } ?? "—" }

    private func html(_ view: Any, template: String, status: HTTPResponse.Status) throws -> Response {
        guard let html = platform.templates.render(view, withTemplate: template) else {
            throw HTTPError(.internalServerError, message: "template \(template) is missing")
        }
        return Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}

extension String {
    /// `subjectId` → `subject_id`, to name fields as the API spells them.
    var snakeCased: String {
        reduce(into: "") { out, c in
            if c.isUppercase { out += "_" + c.lowercased() } else { out.append(c) }
        }
    }
}

/// API keys recently found valid, by a digest of their secret.
final class KeyCache: @unchecked Sendable {
    private var entries: [String: (key: ApiKey, until: ContinuousClock.Instant)] = [:]
    private let lock = NSLock()
    private let lifetime: Duration

    init(seconds: Int) { lifetime = .seconds(seconds) }

    func valid(_ secret: String) -> ApiKey? {
        let digest = AccessKeys.hash(secret)
        return lock.withLock {
            guard let entry = entries[digest], ContinuousClock.now < entry.until else { return nil }
            return entry.key
        }
    }

    func remember(_ secret: String, _ key: ApiKey) {
        let digest = AccessKeys.hash(secret)
        lock.withLock {
            if entries.count > 10_000 { entries.removeAll() }
            entries[digest] = (key, ContinuousClock.now + lifetime)
        }
    }
}
