import Foundation
import Hummingbird
import XinyongDueProcess
import XinyongModel
import XinyongStore

/// Objections and credit repair: the public forms and status pages, the office's queues and decisions,
/// and the departments' API. The rules live in XinyongDueProcess; this file reads forms and renders.
struct DueProcessRoutes {
    let platform: Platform
    let service: DueProcess

    /// Five files of 10 MB and the text around them.
    static let uploadLimit = 52 << 20

    func register(on edge: Edge) {
        edge.get("/records/{id}/objection", .open, use: objectionForm)
        edge.post("/records/{id}/objection", .open, use: fileObjection)
        edge.get("/records/{id}/repair", .open, use: repairForm)
        edge.post("/records/{id}/repair", .open, use: applyForRepair)
        edge.get("/objections/{number}", .open, use: objectionStatus)
        edge.post("/objections/{number}", .open, use: objectionStatus)
        edge.get("/repairs/{number}", .open, use: repairStatus)
        edge.post("/repairs/{number}", .open, use: repairStatus)
        edge.get("/office/objections", .office, use: officeObjections)
        edge.get("/office/repairs", .office, use: officeRepairs)
        edge.post("/office/objections/{number}/accept", .office, use: acceptObjection)
        edge.post("/office/objections/{number}/decision", .office, use: decideObjectionForm)
        edge.post("/office/repairs/{number}/forward", .office, use: forwardRepair)
        edge.post("/office/repairs/{number}/decision", .office, use: decideRepairForm)
        edge.get("/office/evidence/{owner}/{seq}", .office, use: evidence)
        edge.get("/api/v1/objections", .source, use: departmentObjections)
        edge.post("/api/v1/objections/{number}/decision", .source, use: decideObjectionAPI)
        edge.get("/api/v1/repairs", .source, use: departmentRepairs)
        edge.post("/api/v1/repairs/{number}/decision", .source, use: decideRepairAPI)
    }

    // MARK: Public forms

    struct FormView {
        let title: String
        let record: RecordSummary
        let error: String?
        let kinds: [Choice]
        let repairNumber: String
        let statement, name, identifier, contact, conduct, signer: String
        let commitment: String
        let eligibleFrom: String?
    }

    struct Choice { let value, label: String; let selected: Bool }

    struct RecordSummary {
        let id, typeName, documentNumber, department, decisionDate, subjectName: String
    }

    func summary(_ record: CreditRecord) async throws -> RecordSummary {
        let subject = try await platform.store.repositories.subjects.find(id: record.subjectID)
        let department = try await platform.store.repositories.departments.find(record.departmentID)
        return RecordSummary(id: record.id, typeName: platform.catalogs[record.catalogVersion]?.recordType(record.recordType)?.name ?? record.recordType,
                             documentNumber: record.documentNumber, department: department?.name ?? record.departmentID,
                             decisionDate: record.decisionDate.description, subjectName: subject?.displayName ?? "")
    }

    func record(_ context: AppRequestContext) async throws -> CreditRecord {
        let id = try context.parameters.require("id")
        guard let record = try await platform.store.repositories.records.find(id: id) else {
            throw Problem.notFound("no record \(id.prefix(80))", page: "未找到该条信用信息。")
        }
        return record
    }

    /// Objections concern what the public sees (or a notice's pending record, or a repair result).
    func kinds(for record: CreditRecord, repair: String?, selected: String?) -> [Choice] {
        let kinds: [Objection.Kind] = record.status == .pendingNotice ? [.statement] : (repair == nil ? [.content, .period] : [.repairResult])
        return kinds.map { Choice(value: $0.rawValue, label: $0.label, selected: $0.rawValue == selected) }
    }

    @Sendable func objectionForm(_ request: Request, context: AppRequestContext) async throws -> Response {
        let record = try await record(context)
        let repair = PublicQuery(request: request).text("repair")
        if record.status != .pendingNotice, repair == nil,
            let refusal = Self.objectionRefusal(record, type: service.catalog.recordType(record.recordType)) {
            return try platform.message("不能对该信息提出异议", detail: refusal.chinese, context: context, status: .unprocessableContent)
        }
        return try platform.html("objection-form", context: context, FormView(
            title: "提出异议 · 信用郴州", record: try await summary(record), error: nil, kinds: kinds(for: record, repair: repair, selected: nil),
            repairNumber: repair ?? "", statement: "", name: "", identifier: "", contact: "", conduct: "", signer: "",
            commitment: "", eligibleFrom: nil))
    }

    /// Why the public may not object to this record today, if it may not.
    static func objectionRefusal(_ record: CreditRecord, type: RecordType?) -> DueProcessRefusal? {
        do {
            try DueProcessRules.mayObject(.content, to: record, type: type, on: .today())
            return nil
        } catch {
            return error
        }
    }

    @Sendable func fileObjection(_ request: Request, context: AppRequestContext) async throws -> Response {
        let record = try await record(context)
        let form = try await Self.multipart(request)
        let repair = form.trimmed("repair")
        let view = { (error: String, status: HTTPResponse.Status) in
            try platform.html("objection-form", context: context, FormView(
                title: "提出异议 · 信用郴州", record: try await summary(record), error: error,
                kinds: kinds(for: record, repair: repair, selected: form.text("kind")), repairNumber: repair ?? "",
                statement: form.text("statement") ?? "", name: form.text("filer_name") ?? "", identifier: form.text("filer_identifier") ?? "",
                contact: form.text("contact") ?? "", conduct: "", signer: "", commitment: "", eligibleFrom: nil), status: status)
        }
        guard let kind = form.text("kind").flatMap(Objection.Kind.init(rawValue:)) else {
            return try await view("请选择异议类型。", .badRequest)
        }
        do {
            let receipt = try await service.fileObjection(.init(
                recordID: record.id, kind: kind, statement: form.text("statement") ?? "", filer: filer(form), repairNumber: repair,
                evidence: try EvidenceFile.validate(form.files("evidence"))))
            return try receiptPage(receipt, kind: "异议", path: "objections", context: context)
        } catch let refusal as DueProcess.Refusal {
            return try await view(refusal.chinese, refusal.code == "already-open" ? .conflict : .unprocessableContent)
        } catch let problem as EvidenceFile.Problem {
            return try await view(problem.chinese, .unprocessableContent)
        }
    }

    @Sendable func repairForm(_ request: Request, context: AppRequestContext) async throws -> Response {
        let record = try await record(context)
        do {
            _ = try await service.repairEligibility(recordID: record.id)
        } catch let refusal as DueProcess.Refusal {
            return try platform.message("暂不能申请信用修复", detail: refusal.chinese, context: context, status: .unprocessableContent)
        }
        return try platform.html("repair-form", context: context, repairView(record: try await summary(record), error: nil, form: nil))
    }

    func repairView(record: RecordSummary, error: String?, form: MultipartForm?) -> FormView {
        FormView(title: "申请信用修复 · 信用郴州", record: record, error: error, kinds: [], repairNumber: "", statement: "",
                 name: form?.text("filer_name") ?? "", identifier: form?.text("filer_identifier") ?? "", contact: form?.text("contact") ?? "",
                 conduct: form?.text("conduct") ?? "", signer: form?.text("signer") ?? "", commitment: CreditCommitment.text, eligibleFrom: nil)
    }

    @Sendable func applyForRepair(_ request: Request, context: AppRequestContext) async throws -> Response {
        let record = try await record(context)
        let form = try await Self.multipart(request)
        do {
            let receipt = try await service.applyForRepair(.init(
                recordID: record.id, conduct: form.text("conduct") ?? "", filer: filer(form),
                commitmentSigner: form.text("agree") == "yes" ? (form.text("signer") ?? "") : "",
                evidence: try EvidenceFile.validate(form.files("evidence"))))
            return try receiptPage(receipt, kind: "信用修复申请", path: "repairs", context: context)
        } catch let refusal as DueProcess.Refusal {
            return try platform.html("repair-form", context: context, repairView(record: try await summary(record), error: refusal.chinese, form: form),
                                     status: refusal.code == "already-open" ? .conflict : .unprocessableContent)
        } catch let problem as EvidenceFile.Problem {
            return try platform.html("repair-form", context: context, repairView(record: try await summary(record), error: problem.chinese, form: form),
                                     status: .unprocessableContent)
        }
    }

    func filer(_ form: MultipartForm) -> Filer {
        Filer(name: form.text("filer_name") ?? "", identifier: (form.text("filer_identifier") ?? "").uppercased(),
              contact: form.text("contact") ?? "")
    }

    /// The body of a form with files; anything larger than five files of 10 MB is refused before it is read whole.
    static func multipart(_ request: Request) async throws -> MultipartForm {
        let contentType = request.headers[.contentType] ?? ""
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: uploadLimit)
        } catch {
            throw Problem(.contentTooLarge, type: "upload-too-large", title: "Upload too large",
                          detail: "a filing may carry at most 5 files of 10 MB each", page: "提交的内容过大：证明材料最多 5 个文件，每个不超过 10 MB。")
        }
        guard let form = MultipartForm(body, contentType: contentType) else {
            throw Problem(.unsupportedMediaType, type: "multipart-required", title: "multipart/form-data required",
                          detail: "send the form as multipart/form-data", page: "请通过页面上的表单提交。")
        }
        return form
    }

    struct ReceiptView {
        let title: String
        let kind, number, code, dueOn, link: String
    }

    func receiptPage(_ receipt: DueProcess.Receipt, kind: String, path: String, context: AppRequestContext) throws -> Response {
        try platform.html("receipt", context: context, ReceiptView(
            title: "\(kind)已提交 · 信用郴州", kind: kind, number: receipt.number, code: receipt.followUpCode,
            dueOn: receipt.dueOn.description, link: "/\(path)/\(receipt.number)"), status: .created)
    }

    // MARK: Following a case

    struct StatusView {
        let title, heading, number, kindLabel, statusLabel, filedOn, dueOn, clock, recordLink, recordLabel: String
        let overdue, open: Bool
        let path: String
        let error: String?
        let details: Details?
        struct Details {
            let text, reasons, outcome: String?
            let files: [String]
            let objectLink: String?
        }
    }

    @Sendable func objectionStatus(_ request: Request, context: AppRequestContext) async throws -> Response {
        let number = try context.parameters.require("number")
        let code = request.method == .post ? FormFields(try await request.body.collect(upTo: 1 << 16)).text("code") ?? "" : nil
        let found: ObjectionCase
        do {
            found = try await service.objection(number: number)
        } catch let refusal as DueProcess.Refusal {
            return try platform.message("未找到该异议", detail: refusal.chinese, input: number, context: context, status: .notFound)
        }
        var error: String?
        var details: StatusView.Details?
        if let code {
            do {
                _ = try await service.objection(number: number, followUpCode: code)
                let files = try await platform.store.repositories.evidence.list(owner: found.objection.id)
                details = .init(text: found.objection.ground, reasons: found.reasons, outcome: found.outcome == "withdrawn" ? "该信息已撤销" : (found.outcome == "corrected" ? "该信息已更正" : nil),
                                files: files.map { "\($0.file_name)（SHA-256 \($0.sha256.prefix(16))…）" }, objectLink: nil)
            } catch let refusal as DueProcess.Refusal { error = refusal.chinese }
        }
        let o = found.objection
        return try platform.html("case-status", context: context, StatusView(
            title: "异议 \(o.id) · 信用郴州", heading: "异议申请 \(o.id)", number: o.id, kindLabel: o.kind.label, statusLabel: o.status.label,
            filedOn: o.filedOn.description, dueOn: o.dueOn.description, clock: Self.clock(due: o.dueOn, open: o.status.isOpen),
            recordLink: "/records/\(o.recordID)", recordLabel: "相关信用信息", overdue: o.status.isOpen && o.dueOn < .today(), open: o.status.isOpen,
            path: "objections", error: error, details: details), status: error == nil ? .ok : .forbidden)
    }

    @Sendable func repairStatus(_ request: Request, context: AppRequestContext) async throws -> Response {
        let number = try context.parameters.require("number")
        let code = request.method == .post ? FormFields(try await request.body.collect(upTo: 1 << 16)).text("code") ?? "" : nil
        let found: RepairCase
        do {
            found = try await service.repair(number: number)
        } catch let refusal as DueProcess.Refusal {
            return try platform.message("未找到该申请", detail: refusal.chinese, input: number, context: context, status: .notFound)
        }
        let a = found.application
        var error: String?
        var details: StatusView.Details?
        if let code {
            do {
                _ = try await service.repair(number: number, followUpCode: code)
                let files = try await platform.store.repositories.evidence.list(owner: a.id)
                details = .init(text: a.conduct, reasons: found.reasons, outcome: nil,
                                files: files.map { "\($0.file_name)（SHA-256 \($0.sha256.prefix(16))…）" },
                                objectLink: a.status.isOpen ? nil : "/records/\(a.recordID)/objection?repair=\(a.id)")
            } catch let refusal as DueProcess.Refusal { error = refusal.chinese }
        }
        let due = found.decisionDue ?? a.answerDue
        return try platform.html("case-status", context: context, StatusView(
            title: "信用修复 \(a.id) · 信用郴州", heading: "信用修复申请 \(a.id)", number: a.id, kindLabel: "信用修复", statusLabel: a.status.label,
            filedOn: a.filedOn.description, dueOn: due.description, clock: Self.clock(due: due, open: a.status.isOpen),
            recordLink: "/records/\(a.recordID)", recordLabel: "申请修复的信用信息", overdue: DueProcessFigures.isOverdue(found, today: .today()),
            open: a.status.isOpen, path: "repairs", error: error, details: details), status: error == nil ? .ok : .forbidden)
    }

    /// "还剩 5 天" or "已超期 3 天" against a due day.
    static func clock(due: CivilDate, open: Bool, today: CivilDate = .today()) -> String {
        guard open else { return "已办结" }
        let days = due.dayNumber - today.dayNumber
        return days >= 0 ? "距办理期限还剩 \(days) 天" : "已超过办理期限 \(-days) 天"
    }
}
