import Foundation
import Hummingbird
import XinyongExchange
import XinyongModel
import XinyongStore

/// A web form for one record, for departments without IT staff: the same validation and storage as a
/// batch of one row, and the same report.
struct SubmitFormRoutes {
    let platform: Platform
    let importer: BatchImporter

    func register(on edge: Edge) {
        edge.get("/submit", .source, use: form)
        edge.post("/submit", .source, use: submit)
    }

    struct FormView {
        struct TypeOption { let code, name: String; let selected: Bool }
        struct Field { let code, label, value: String; let required: Bool; let isDate: Bool; let options: [String]? }
        let title = "报送信用信息 · 信用郴州"
        /// Administrators name the department they submit for; clerks submit for their own.
        let asksDepartment: Bool
        let department: String
        let types: [TypeOption]
        let type: String
        let typeName: String
        let fields: [Field]
        let result: ResultView?
    }

    struct ResultView {
        struct Issue { let field, value, reason: String; let warning: Bool }
        struct IssuedNotice { let id, graceUntil: String }
        let accepted: Bool
        let heading: String
        let batchID: String
        let issues: [Issue]
        /// Notices before listing the submission produced, to print and deliver.
        var notices: [IssuedNotice] = []
    }

    @Sendable func form(_ request: Request, context: AppRequestContext) async throws -> Response {
        try render(type: request.uri.queryParameters["type"].map(String.init), values: [:], result: nil, context: context, status: .ok)
    }

    @Sendable func submit(_ request: Request, context: AppRequestContext) async throws -> Response {
        let values = FormFields(try await request.body.collect(upTo: 1 << 20)).values
        let type = values["record_type"] ?? ""
        let department: String
        do {
            department = try context.department(requested: values["department"])
        } catch let problem as Problem {
            return try render(type: type, values: values, result: ResultView(
                accepted: false, heading: "无法报送", batchID: "",
                issues: [.init(field: "报送部门", value: values["department"] ?? "", reason: problem.page ?? problem.detail, warning: false)]),
                context: context, status: problem.status)
        }
        let request = BatchRequest(departmentID: department, recordType: type, source: "form", submittedBy: context.caller.auditName)
        let summary: BatchSummary
        do {
            summary = try await importer.run(request, source: ListSource([InputRow(number: 1, values: values)]))
        } catch let refused as BatchRefused {
            return try render(type: type, values: values, result: ResultView(
                accepted: false, heading: "无法报送", batchID: "",
                issues: [.init(field: "信息类别", value: type, reason: Self.chinese(refused), warning: false)]), context: context,
                status: refused.kind == .notAuthorised ? .forbidden : .unprocessableContent)
        }
        let issues = try await platform.store.repositories.batches.issues(batch: summary.id)
        let labels = Dictionary((platform.currentCatalog?.recordType(type)?.fields ?? []).map { ($0.code, $0.label) }, uniquingKeysWith: { a, _ in a })
        let accepted = summary.status != "rejected"
        let notices = summary.notices == 0 ? [] : try await platform.store.repositories.notices.search(.init(batchID: summary.id))
        let result = ResultView(
            accepted: accepted, heading: accepted ? (summary.unchanged > 0 ? "内容未变化，无需更新" : "报送成功") : "报送未通过，请修改后重新提交",
            batchID: summary.id,
            issues: issues.map { issue in
                let label = issue.field.map { labels[$0] ?? $0 } ?? ""
                return .init(field: label, value: issue.value ?? "", reason: FormIssueText.chinese(reason: issue.reason, label: label),
                             warning: issue.severity == .warning)
            },
            notices: notices.map { .init(id: $0.id, graceUntil: $0.graceUntil.chineseText) })
        return try render(type: type, values: accepted ? [:] : values, result: result, context: context,
                          status: accepted ? .created : .unprocessableContent)
    }

    static func chinese(_ refused: BatchRefused) -> String {
        switch refused.kind {
        case .notAuthorised: "本部门无权报送该类信息，请联系市信用办确认报送目录"
        case .unknownType: "未知的信息类别，请从上方选择"
        case .unknownDepartment: "平台中没有该部门"
        case .unreadable: "无法读取提交的内容"
        case .idempotencyConflict: "该请求与之前的提交冲突"
        }
    }

    private func render(type requested: String?, values: [String: String], result: ResultView?, context: AppRequestContext,
                        status: HTTPResponse.Status) throws -> Response {
        let catalog = platform.currentCatalog
        let types = catalog?.recordTypes ?? []
        let type = types.first { $0.code == requested } ?? types.first { $0.code == "admin_penalty" } ?? types[0]
        let view = FormView(
            asksDepartment: context.caller.departmentID == nil, department: values["department"] ?? "",
            types: types.map { .init(code: $0.code, name: $0.name, selected: $0.code == type.code) },
            type: type.code, typeName: type.name,
            fields: type.fields.map { spec in
                .init(code: spec.code, label: spec.label, value: values[spec.code] ?? "", required: spec.required,
                      isDate: spec.type == .date, options: spec.values)
            },
            result: result)
        return try platform.html("submit", view, context: context, status: status)
    }
}
