import Foundation
import Hummingbird
import XinyongDueProcess
import XinyongModel
import XinyongStore

/// The office's queues and decisions, and the departments' API for their cases.
extension DueProcessRoutes {
    struct OfficeView {
        let title, heading: String
        let objectionsPage: Bool
        let statuses: [Choice]
        let region: String
        let rows: [Row]
        let empty: Bool
        let overdue: [Row]
        let months: [DueProcessFigures.Month]
        let objectionTimes, repairTimes: String
        let departments: [DepartmentLine]
        let notice: String?
        struct Row {
            let number, kind, status, subject, record, department, filedOn, dueOn, clock, statement: String
            let overdue, canAccept, canDecide, canForward: Bool
            let files: [File]
        }
        struct File { let href, name: String }
        struct DepartmentLine { let name: String; let open, overdue, decided: Int; let median: String }
    }

    @Sendable func officeObjections(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await officePage(request, context: context, objections: true)
    }

    @Sendable func officeRepairs(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await officePage(request, context: context, objections: false)
    }

    func officePage(_ request: Request, context: AppRequestContext, objections: Bool) async throws -> Response {
        let query = PublicQuery(request: request)
        let region = try context.region(requested: query.text("region"), regions: platform.regions)
        let prefix = region.map { Region.codePrefix($0) }
        let status = query.text("status")
        let repos = platform.store.repositories
        let figures = try await DueProcessFigures.compute(store: platform.store, regionPrefix: prefix)
        let names = try await departmentNames()
        let rows: [OfficeView.Row]
        let overdue: [OfficeView.Row]
        let statuses: [Choice]
        if objections {
            let chosen = status.flatMap(Objection.Status.init(rawValue:)).map { [$0] } ?? Objection.Status.allCases.filter(\.isOpen)
            rows = try await objectionRows(try await repos.objections.list(statuses: chosen, regionPrefix: prefix), names: names)
            overdue = try await objectionRows(figures.overdueObjections, names: names)
            statuses = Objection.Status.allCases.map { Choice(value: $0.rawValue, label: $0.label, selected: $0.rawValue == status) }
        } else {
            let chosen = status.flatMap(RepairApplication.Status.init(rawValue:)).map { [$0] } ?? RepairApplication.Status.allCases.filter(\.isOpen)
            rows = try await repairRows(try await repos.repairs.list(statuses: chosen, regionPrefix: prefix), names: names)
            overdue = try await repairRows(figures.overdueRepairs, names: names)
            statuses = RepairApplication.Status.allCases.map { Choice(value: $0.rawValue, label: $0.label, selected: $0.rawValue == status) }
        }
        let days = { (d: Double?) in d.map { String(format: "%.1f 天", $0) } ?? "—" }
        return try platform.html("office-due-process", context: context, OfficeView(
            title: (objections ? "异议办理" : "信用修复办理") + " · 信用郴州", heading: objections ? "异议办理" : "信用修复办理",
            objectionsPage: objections, statuses: statuses, region: region ?? "", rows: rows, empty: rows.isEmpty, overdue: overdue,
            months: figures.months,
            objectionTimes: "已办结 \(figures.objectionTimes.decided) 件，中位数 \(days(figures.objectionTimes.medianDays))，90% 在 \(days(figures.objectionTimes.p90Days)) 内",
            repairTimes: "已办结 \(figures.repairTimes.decided) 件，中位数 \(days(figures.repairTimes.medianDays))，90% 在 \(days(figures.repairTimes.p90Days)) 内",
            departments: figures.departments.map {
                .init(name: names[$0.departmentID] ?? $0.departmentID, open: $0.open, overdue: $0.overdue, decided: $0.decided, median: days($0.medianDays))
            },
            notice: query.text("done").map { "已办理：\($0)" }))
    }

    func departmentNames() async throws -> [String: String] {
        Dictionary(try await platform.store.repositories.departments.all().map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
    }

    func subjectNames(_ ids: [String]) async throws -> [String: String] {
        try await platform.store.repositories.subjects.find(ids: ids).mapValues(\.displayName)
    }

    func objectionRows(_ cases: [ObjectionCase], names: [String: String]) async throws -> [OfficeView.Row] {
        let subjects = try await subjectNames(cases.map(\.objection.subjectID))
        let evidence = try await platform.store.repositories.evidence.list(owners: cases.map(\.objection.id))
        var rows: [OfficeView.Row] = []
        for c in cases {
            let o = c.objection
            let files = evidence[o.id] ?? []
            rows.append(.init(
                number: o.id, kind: o.kind.label, status: o.status.label, subject: subjects[o.subjectID] ?? o.subjectID, record: o.recordID,
                department: names[c.departmentID ?? ""] ?? (c.departmentID ?? ""), filedOn: o.filedOn.description, dueOn: o.dueOn.description,
                clock: Self.clock(due: o.dueOn, open: o.status.isOpen), statement: o.ground, overdue: o.status.isOpen && o.dueOn < .today(),
                canAccept: o.status == .submitted, canDecide: o.status.isOpen, canForward: false,
                files: files.map { .init(href: "/office/evidence/\(o.id)/\($0.seq)", name: $0.file_name) }))
        }
        return rows
    }

    func repairRows(_ cases: [RepairCase], names: [String: String]) async throws -> [OfficeView.Row] {
        let subjects = try await subjectNames(cases.map(\.application.subjectID))
        let evidence = try await platform.store.repositories.evidence.list(owners: cases.map(\.application.id))
        var rows: [OfficeView.Row] = []
        for c in cases {
            let a = c.application
            let due = c.decisionDue ?? a.answerDue
            let files = evidence[a.id] ?? []
            rows.append(.init(
                number: a.id, kind: "信用修复", status: a.status.label, subject: subjects[a.subjectID] ?? a.subjectID, record: a.recordID,
                department: names[a.departmentID] ?? a.departmentID, filedOn: a.filedOn.description, dueOn: due.description,
                clock: Self.clock(due: due, open: a.status.isOpen), statement: a.conduct,
                overdue: DueProcessFigures.isOverdue(c, today: .today()), canAccept: false, canDecide: a.status == .forwarded,
                canForward: a.status == .submitted,
                files: files.map { .init(href: "/office/evidence/\(a.id)/\($0.seq)", name: $0.file_name) }))
        }
        return rows
    }

    /// The office acts as the caller's role allows: a county office within its region.
    func decider(_ context: AppRequestContext, reason: String) -> Decider {
        Decider(actor: context.actor(reason), departmentID: context.caller.departmentID,
                regionPrefix: context.caller.regionScope.map { Region.codePrefix($0) })
    }

    @Sendable func acceptObjection(_ request: Request, context: AppRequestContext) async throws -> Response {
        let number = try context.parameters.require("number")
        try await refusalsAsProblems { try await service.accept(objection: number, by: decider(context, reason: "objection accepted and forwarded")) }
        return Response(status: .seeOther, headers: [.location: "/office/objections?done=\(number)"])
    }

    @Sendable func decideObjectionForm(_ request: Request, context: AppRequestContext) async throws -> Response {
        let number = try context.parameters.require("number")
        let form = FormFields(try await request.body.collect(upTo: 1 << 16))
        guard let decision = form.text("decision").flatMap(DueProcess.ObjectionDecision.init) else {
            throw Problem.invalidField("decision", "one of upheld_withdrawn, upheld_corrected, rejected, unverifiable", page: "请选择处理结果。")
        }
        try await refusalsAsProblems {
            _ = try await service.decide(objection: number, decision, reasons: form.text("reasons") ?? "", by: decider(context, reason: "objection decided"))
        }
        return Response(status: .seeOther, headers: [.location: "/office/objections?done=\(number)"])
    }

    @Sendable func forwardRepair(_ request: Request, context: AppRequestContext) async throws -> Response {
        let number = try context.parameters.require("number")
        try await refusalsAsProblems { try await service.forward(repair: number, by: decider(context, reason: "repair application forwarded")) }
        return Response(status: .seeOther, headers: [.location: "/office/repairs?done=\(number)"])
    }

    @Sendable func decideRepairForm(_ request: Request, context: AppRequestContext) async throws -> Response {
        let number = try context.parameters.require("number")
        let form = FormFields(try await request.body.collect(upTo: 1 << 16))
        guard let outcome = form.text("decision"), ["repaired", "refused"].contains(outcome) else {
            throw Problem.invalidField("decision", "repaired or refused", page: "请选择处理结果。")
        }
        try await refusalsAsProblems {
            _ = try await service.decide(repair: number, repaired: outcome == "repaired", reasons: form.text("reasons") ?? "",
                                         by: decider(context, reason: "repair decided"))
        }
        return Response(status: .seeOther, headers: [.location: "/office/repairs?done=\(number)"])
    }

    /// Evidence is only ever a download: never shown inline, never given a type a browser would run.
    @Sendable func evidence(_ request: Request, context: AppRequestContext) async throws -> Response {
        let owner = try context.parameters.require("owner")
        guard let seq = Int(try context.parameters.require("seq")),
            let file = try await platform.store.repositories.evidence.content(owner: owner, seq: seq)
        else { throw Problem.notFound("no such evidence file", page: "未找到该证明材料。") }
        let ascii = file.name.unicodeScalars.allSatisfy { $0.isASCII && $0 != "\"" } ? file.name : "evidence-\(seq)"
        return Response(status: .ok, headers: [
            .contentType: "application/octet-stream",
            .contentDisposition: "attachment; filename=\"\(ascii)\"; filename*=UTF-8''\(file.name.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")",
        ], body: .init(byteBuffer: ByteBuffer(bytes: file.content)))
    }

    // MARK: Departments' API

    struct CaseJSON: Encodable {
        let number, kind, status, recordId, subjectId, filedOn, dueOn: String
        let statement: String
        let reasons, outcome: String?
        let overdue: Bool
        let evidence: [EvidenceRepository.Stored]
    }

    @Sendable func departmentObjections(_ request: Request, context: AppRequestContext) async throws -> Response {
        let department = try context.department(requested: PublicQuery(request: request).text("department"))
        let cases = try await platform.store.repositories.objections.list(departmentID: department, limit: 500)
        let evidence = try await platform.store.repositories.evidence.list(owners: cases.map(\.objection.id))
        var out: [CaseJSON] = []
        for c in cases {
            let o = c.objection
            out.append(CaseJSON(number: o.id, kind: o.kind.rawValue, status: o.status.rawValue, recordId: o.recordID, subjectId: o.subjectID,
                                filedOn: o.filedOn.description, dueOn: o.dueOn.description, statement: o.ground, reasons: c.reasons,
                                outcome: c.outcome, overdue: o.status.isOpen && o.dueOn < .today(),
                                evidence: evidence[o.id] ?? []))
        }
        return try JSONBody.response(["objections": out])
    }

    @Sendable func departmentRepairs(_ request: Request, context: AppRequestContext) async throws -> Response {
        let department = try context.department(requested: PublicQuery(request: request).text("department"))
        let cases = try await platform.store.repositories.repairs.list(departmentID: department, limit: 500)
        let evidence = try await platform.store.repositories.evidence.list(owners: cases.map(\.application.id))
        var out: [CaseJSON] = []
        for c in cases {
            let a = c.application
            out.append(CaseJSON(number: a.id, kind: "repair", status: a.status.rawValue, recordId: a.recordID, subjectId: a.subjectID,
                                filedOn: a.filedOn.description, dueOn: (c.decisionDue ?? a.answerDue).description, statement: a.conduct,
                                reasons: c.reasons, outcome: nil, overdue: DueProcessFigures.isOverdue(c, today: .today()),
                                evidence: evidence[a.id] ?? []))
        }
        return try JSONBody.response(["repairs": out])
    }

    struct DecisionBody: Decodable {
        let decision: String
        let reasons: String
    }

    @Sendable func decideObjectionAPI(_ request: Request, context: AppRequestContext) async throws -> Response {
        let number = try context.parameters.require("number")
        let body = try await JSONRequest.decode(DecisionBody.self, request)
        guard let decision = DueProcess.ObjectionDecision(body.decision) else {
            throw Problem.invalidField("decision", "one of upheld_withdrawn, upheld_corrected, rejected, unverifiable")
        }
        let decided = try await refusalsAsProblems {
            try await service.decide(objection: number, decision, reasons: body.reasons, by: decider(context, reason: "objection decided by department"))
        }
        return try JSONBody.response(["number": number, "status": decided.objection.status.rawValue, "outcome": decided.outcome ?? ""])
    }

    @Sendable func decideRepairAPI(_ request: Request, context: AppRequestContext) async throws -> Response {
        let number = try context.parameters.require("number")
        let body = try await JSONRequest.decode(DecisionBody.self, request)
        guard ["repaired", "refused"].contains(body.decision) else { throw Problem.invalidField("decision", "repaired or refused") }
        let decided = try await refusalsAsProblems {
            try await service.decide(repair: number, repaired: body.decision == "repaired", reasons: body.reasons,
                                     by: decider(context, reason: "repair decided by department"))
        }
        return try JSONBody.response(["number": number, "status": decided.application.status.rawValue])
    }

    /// The service's refusals as problems: 404 for a case out of reach, 409 for one in the wrong state, 422 otherwise.
    func refusalsAsProblems<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let refusal as DueProcess.Refusal {
            let status: HTTPResponse.Status = switch refusal.code {
            case "not-found": .notFound
            case "not-submitted", "already-decided", "correction-not-received", "record-not-active": .conflict
            default: .unprocessableContent
            }
            throw Problem(status, type: refusal.code, title: "Refused", detail: refusal.detail,
                          extra: refusal.field.map { ["field": $0] } ?? [:], page: refusal.chinese)
        }
    }
}
