import Foundation
import Hummingbird
import XinyongJoint
import XinyongModel
import XinyongStore

/// Check before handling (逢办必查) over HTTP: the check API for departments' systems, feedback, the
/// office's rates and name overrides, a form for departments without a system, and the office page.
/// A check that cannot consult the database is a 503 problem, never an empty answer.
struct CheckRoutes {
    let platform: Platform
    let service: JointService

    func register(on edge: Edge) {
        edge.post("/api/v1/checks", .department, use: check)
        edge.get("/api/v1/checks/{id}", .department, use: stored)
        edge.post("/api/v1/checks/{id}/feedback", .department, use: feedback)
        edge.get("/api/v1/measures", .open, use: measures)
        edge.get("/api/v1/admin/checks/report", .office, use: report)
        edge.get("/api/v1/admin/name-overrides", .admin, use: listOverrides)
        edge.post("/api/v1/admin/name-overrides", .admin, use: addOverride)
        edge.get("/api/v1/admin/joint-settings", .admin, use: settings)
        edge.put("/api/v1/admin/joint-settings", .admin, use: updateSettings)
        edge.get("/checks", .department, use: form)
        edge.post("/checks", .department, use: submitForm)
        edge.post("/checks/{id}/feedback", .department, use: feedbackForm)
        edge.get("/office/checks", .office, use: officePage)
    }

    // MARK: API

    /// The fields of a check's body, all strings.
    static let checkFields: Set<String> = ["code", "name", "id_number", "scenario", "department", "matter"]

    @Sendable func check(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await consulting {
            let body = try await JSONRequest.strings(request, fields: Self.checkFields)
            guard let scenario = body["scenario"], !scenario.isEmpty else {
                throw Problem.invalidField("scenario", "name the business scenario, e.g. government_procurement (GET /api/v1/measures lists them)")
            }
            let department = try context.department(requested: body["department"])
            let answer = try await service.check(CheckRequest(
                code: body["code"], name: body["name"], idNumber: body["id_number"], scenario: scenario, departmentID: department,
                matter: body["matter"], askedBy: context.caller.auditName))
            var response = Response(status: .created, headers: [.contentType: "application/json; charset=utf-8"],
                                    body: .init(byteBuffer: ByteBuffer(string: answer.encoded)))
            response.headers[.location] = "/api/v1/checks/\(answer.checkId)"
            return response
        }
    }

    @Sendable func stored(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await consulting {
            let id = try context.parameters.require("id")
            guard let check = try await platform.store.repositories.checks.find(id: id),
                context.caller.isAdmin || context.caller.departmentID == check.departmentID
            else {
                throw Problem.notFound("no check \(id) for this caller")
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
        init(check: AnsweredCheck, lines: [ReturnedMeasure]) {
            reportedAt = check.feedbackAt
            outcome = check.feedbackOutcome
            measures = lines.map { .init(measureId: $0.measureID, applied: $0.applied, reason: $0.reason, reportedBy: $0.reportedBy, reportedAt: $0.reportedAt) }
        }
    }

    struct FeedbackBody: Decodable {
        let measures: [MeasureFeedback]?
        let outcome: String?
    }

    @Sendable func feedback(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await consulting {
            let id = try context.parameters.require("id")
            let body = try await JSONRequest.decode(FeedbackBody.self, request)
            try await service.feedback(check: id, department: context.caller.departmentID, lines: body.measures ?? [], outcome: body.outcome,
                                       by: context.actor("feedback on check \(id)"))
            return try JSONBody.response(["check_id": id, "status": "recorded", "check": "/api/v1/checks/\(id)"], status: .created)
        }
    }

    @Sendable func measures(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await consulting {
            let catalog = try await service.measureCatalog()
            return try JSONBody.response(catalog)
        }
    }

    @Sendable func report(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await consulting {
            let (from, to) = try period(request)
            let grace = Int(request.uri.queryParameters["grace_days"].map(String.init) ?? "5") ?? -1
            guard (0...365).contains(grace) else { throw Problem.invalidField("grace_days", "must be a whole number of days from 0 to 365") }
            let region = try context.region(requested: request.uri.queryParameters["region"].map(String.init), regions: platform.regions)
            return try JSONBody.response(try await service.applicationReport(from: from, to: to, graceDays: grace, within: region))
        }
    }

    struct OverrideBody: Decodable {
        let department: String?
        let name: String?
        let subjectId: String?
        let reason: String?
    }

    @Sendable func addOverride(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await consulting {
            let body = try await JSONRequest.decode(OverrideBody.self, request)
            guard let department = body.department else { throw Problem.invalidField("department", "name the department the override is for") }
            guard let subject = body.subjectId else { throw Problem.invalidField("subject_id", "name the candidate subject that is not the one asked for") }
            let o = try await service.addOverride(department: department, name: body.name ?? "", subjectID: subject, reason: body.reason ?? "",
                                                  by: context.actor(body.reason ?? ""))
            return try JSONBody.response(o, status: .created)
        }
    }

    @Sendable func listOverrides(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await consulting {
            try JSONBody.response(try await platform.store.repositories.checks.allOverrides())
        }
    }

    struct SettingsBody: Codable { let nameMatchThreshold: Double? }

    @Sendable func settings(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await consulting {
            try JSONBody.response(SettingsBody(nameMatchThreshold: try await service.threshold()))
        }
    }

    @Sendable func updateSettings(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await consulting {
            let body = try await JSONRequest.decode(SettingsBody.self, request)
            guard let value = body.nameMatchThreshold else { throw Problem.invalidField("name_match_threshold", "give the new threshold, e.g. 0.9") }
            try await service.setThreshold(value, by: context.actor("name-match threshold set through the API"))
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

    private func period(_ request: Request) throws -> (String, String) {
        let q = request.uri.queryParameters
        let to = q["to"].map(String.init)
        let from = q["from"].map(String.init)
        for (field, value) in [("from", from), ("to", to)] {
            if let value, CivilDate(value) == nil { throw Problem.invalidField(field, "'\(value)' is not a date YYYY-MM-DD") }
        }
        let end = to.flatMap { CivilDate($0) }?.adding(days: 1) ?? CivilDate.today().adding(days: 1)
        let start = from.flatMap { CivilDate($0) } ?? end.adding(days: -91)
        guard start < end else { throw Problem.invalidField("from", "must not be after 'to'") }
        return (start.startInstant, end.startInstant)
    }

    // MARK: Pages

    struct FormView {
        struct Option { let code, name: String; let selected: Bool }
        struct Line { let id, title, detail: String; let mandatory: Bool }
        struct Result {
            let heading: String
            let tone: String
            let checkID: String
            let subject: String
            let how: String
            let memberships: [Line]
            /// Records in their notice period: not on a list, no measures yet.
            let pendingNotices: [Line]
            let measures: [Line]
            let incentives: [Line]
            let candidates: [Line]
            let freshness: String
            /// The subject's grade and the reasons behind it, when it has one.
            let evaluation: String?
            /// Measures and incentives to report on, in the feedback form.
            let feedback: [Line]
            /// 告知承诺: whether the subject may use it, and the records that bar it.
            let commitment: String?
            let commitmentReasons: [Line]
            /// Xinyi+ programmes it qualifies for that this department grants here.
            let xinyi: [Line]
        }
        let title = "逢办必查 · 信用郴州"
        let scenarios: [Option]
        let code, name, matter, department: String
        /// Administrators name the department they check for; clerks and keys check for their own.
        let asksDepartment: Bool
        let error: String?
        let notice: String?
        let result: Result?
    }

    @Sendable func form(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await renderForm(values: [:], error: nil, result: nil, context: context, status: .ok)
    }

    @Sendable func submitForm(_ request: Request, context: AppRequestContext) async throws -> Response {
        let values = FormFields(try await request.body.collect(upTo: 1 << 16)).values
        do {
            let department = try context.department(requested: values["department"])
            let code = values["code"].flatMap { $0.isEmpty ? nil : $0 }
            let answer = try await service.check(CheckRequest(
                code: code, name: code == nil ? values["name"] : nil, scenario: values["scenario"] ?? "", departmentID: department,
                matter: values["matter"].flatMap { $0.isEmpty ? nil : $0 }, askedBy: context.caller.auditName))
            return try await renderForm(values: values, error: nil, result: resultView(answer), context: context, status: .created)
        } catch let problem as Problem {
            return try await renderForm(values: values, error: problem.page ?? problem.detail, result: nil, context: context, status: problem.status)
        } catch let error as JointError {
            if case .unavailable = error {
                return try await renderForm(values: values, error: "查询失败，本次不是查询结果：平台暂时无法查询数据，请稍后重试。", result: nil,
                                            context: context, status: .serviceUnavailable)
            }
            return try await renderForm(values: values, error: Self.chinese(error), result: nil, context: context, status: .badRequest)
        } catch {
            return try await renderForm(values: values, error: "平台暂时无法查询数据，本次不是“未命中”结果，请稍后重试。", result: nil,
                                        context: context, status: .serviceUnavailable)
        }
    }

    /// The feedback form under a check's answer: for each measure, applied or not (with the reason), and the outcome.
    @Sendable func feedbackForm(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let values = FormFields(try await request.body.collect(upTo: 1 << 16))
        let measures = try await platform.store.repositories.checks.measures(check: id)
        var lines: [MeasureFeedback] = []
        for m in measures {
            guard let applied = values.text("applied_\(m.measureID)") else {
                return try await renderForm(values: [:], error: "请对每项措施选择“已采取”或“未采取”。", result: nil, context: context, status: .badRequest)
            }
            lines.append(MeasureFeedback(measureId: m.measureID, applied: applied == "yes", reason: values.text("reason_\(m.measureID)")))
        }
        do {
            try await service.feedback(check: id, department: context.caller.departmentID, lines: lines, outcome: values.text("outcome"),
                                       by: context.actor("feedback on check \(id)"))
        } catch let error as JointError {
            return try await renderForm(values: [:], error: Self.chinese(error), result: nil, context: context,
                                        status: { if case .notFound = error { return .notFound }; if case .conflict = error { return .conflict }; return .badRequest }())
        }
        return try await renderForm(values: [:], error: nil, notice: "已记录查询 \(id) 的措施采取情况，谢谢反馈。", result: nil, context: context, status: .created)
    }

    /// A refusal of the joint service as a page reads it.
    static func chinese(_ error: JointError) -> String {
        switch error {
        case .invalid(let field, _): "“\(Self.fieldLabels[field] ?? field)”填写有误：\(error.description.contains("reason") ? "未采取措施时须说明理由" : "请检查后重新提交")。"
        case .notFound: "未找到该查询记录，或它不属于本部门。"
        case .conflict: "该查询的反馈已经提交过，不能重复提交。"
        case .forbidden: "无权办理该事项。"
        case .unavailable: "平台暂时无法查询数据，请稍后重试。"
        }
    }

    /// A check's result as the office page names it.
    static func label(_ result: CheckResult) -> String {
        switch result {
        case .hit: "命中名单"
        case .clear: "未列入名单"
        case .pendingNotice: "列入前告知中"
        case .candidates: "待核对主体"
        case .noMatch: "未找到主体"
        }
    }

    /// The parts of a name the matcher compares, as the explanation names them on the page.
    static let partLabels = ["core": "字号与行业", "region": "地区", "legal_form": "组织形式", "branch": "分支机构", "former_name": "曾用名"]

    static let fieldLabels = ["scenario": "办理事项", "code": "统一社会信用代码", "name": "名称", "department": "部门", "measures": "措施",
                              "outcome": "办理结果", "id_number": "身份证号"]

    private func resultView(_ a: CheckAnswer) -> FormView.Result {
        let heading = switch a.result {
        case .hit: "命中名单：请按下列措施办理"
        case .clear: "未列入红黑名单及重点关注名单"
        case .pendingNotice: "尚未列入名单：拟列入前的告知正在进行，暂不采取惩戒措施"
        case .candidates: "未能自动确认主体：请核对候选主体或使用统一社会信用代码查询"
        case .noMatch: "平台未找到该主体"
        }
        let how = switch a.match.method {
        case .code: "按统一社会信用代码匹配"
        case .legacyNumber: "按注册号匹配"
        case .idNumber: "按身份证号匹配"
        case .name: "按名称匹配（得分 \(a.match.score.map { String(format: "%.2f", $0) } ?? "")，阈值 \(a.match.threshold.map { String(format: "%.2f", $0) } ?? "")）"
        case .unmatched: "未匹配"
        }
        func measure(_ m: CheckAnswer.MeasureBody) -> FormView.Line {
            .init(id: m.id, title: m.title, detail: "\(m.memorandum.title)（\(m.memorandum.documentNumber)）· 依据：\(m.legalBasis)\(m.programme.map { " · \($0)" } ?? "")",
                  mandatory: m.mandatory)
        }
        return .init(
            heading: heading, tone: a.result == .hit ? "bad" : a.result == .clear ? "ok" : "warn", checkID: a.checkId,
            subject: a.match.subject.map { "\($0.name)（\($0.code ?? $0.maskedId ?? $0.id)）" } ?? a.query.value, how: how,
            memberships: a.memberships.map { .init(id: $0.recordId, title: "\($0.listName) · \($0.recordTypeName)",
                                                    detail: "\($0.documentNumber) · \($0.department.name) · \($0.start) 至 \($0.end)（不含）· \($0.legalBasis)\($0.underObjection ? " · 异议处理中" : "")", mandatory: false) },
            pendingNotices: a.pendingNotice.map { n in
                .init(id: n.recordId, title: "拟列入\(n.listName) · \(n.recordTypeName)",
                      detail: "告知书 \(n.noticeId) · \(n.state == Notice.State.statementFiled.rawValue ? "陈述申辩处理中，待决定后确定是否列入" : "陈述申辩期至 \(n.graceUntil)（含），期满未申辩的次日起列入")",
                      mandatory: false)
            },
            measures: a.measures.map(measure), incentives: a.incentives.map(measure),
            candidates: a.match.candidates.map { c in
                .init(id: c.subjectId, title: "\(c.name)（\(c.code ?? c.subjectId)）得分 \(String(format: "%.2f", c.score))",
                      detail: c.explanation.map { "\(Self.partLabels[$0.part] ?? "名称")：\($0.note)" }.joined(separator: "；") + (c.suppressed.map { " · 已标记为误报：\($0)" } ?? ""),
                      mandatory: false)
            },
            freshness: "数据截至 \(a.freshness.latestChangeAt.map(beijingTime) ?? "—")（变更序号 \(a.freshness.latestChangeSeq.map(String.init) ?? "—")）；主体记录最近更新 \(a.freshness.subjectRecordsUpdatedAt.map(beijingTime) ?? "—")",
            evaluation: a.evaluation.map { e in
                "公共信用综合评价 \(Grade(rawValue: e.grade)?.label ?? e.grade)，\(String(format: "%.2f", e.score)) 分（模型第 \(e.modelVersion) 版，数据截止 \(e.asOf)）"
                    + (e.reasons.isEmpty ? "" : "；主要原因：" + e.reasons.map { "\($0.code) \($0.text)" }.joined(separator: "、"))
            },
            feedback: (a.measures + a.incentives).map(measure),
            commitment: a.commitment.map { $0.eligible ? "可以适用告知承诺" : "不适用告知承诺（列入黑名单或 \($0.lookbackYears) 年内有违背信用承诺记录）" },
            commitmentReasons: a.commitment?.reasons.map { .init(id: $0.recordId, title: $0.code == "black_list" ? "列入黑名单" : "违背信用承诺",
                                                                 detail: "\($0.documentNumber) · \($0.date)", mandatory: false) } ?? [],
            xinyi: a.xinyi.map { x in
                .init(id: x.code, title: x.name, detail: "符合：\(x.grounds.map(\.label).joined(separator: "、")) · \(x.department) · \(x.howToUse)", mandatory: false)
            })
    }

    private func renderForm(values: [String: String], error: String?, notice: String? = nil, result: FormView.Result?,
                            context: AppRequestContext, status: HTTPResponse.Status) async throws -> Response {
        let scenarios = (try? await service.measureCatalog().scenarios) ?? []
        let view = FormView(
            scenarios: scenarios.map { .init(code: $0.code, name: $0.name, selected: $0.code == values["scenario"]) },
            code: values["code"] ?? "", name: values["name"] ?? "", matter: values["matter"] ?? "", department: values["department"] ?? "",
            asksDepartment: context.caller.departmentID == nil, error: error, notice: notice, result: result)
        return try platform.html("check-form", view, context: context, status: status)
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

    @Sendable func officePage(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (from, to) = try period(request)
        let report: ApplicationReport
        do {
            let region = try context.region(requested: request.uri.queryParameters["region"].map(String.init), regions: platform.regions)
            report = try await service.applicationReport(from: from, to: to, within: region)
        } catch let problem as Problem {
            throw problem
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
            pending: report.withoutFeedback.map { .init(id: $0.checkId, department: $0.departmentName, scenario: $0.scenario,
                                                        result: Self.label($0.result),
                                                        askedAt: beijingTime($0.askedAt),
                                                        measures: "\($0.measures + $0.incentives)") },
            graceDays: report.feedbackGraceDays)
        return try platform.html("office-checks", view, context: context)
    }

    private func percent(_ share: Double?) -> String { share.map { String(format: "%.1f %%", $0 * 100) } ?? "—" }
}
