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

    func register(on router: Router<BasicRequestContext>) {
        router.get("/submit", use: form)
        router.post("/submit", use: submit)
    }

    struct FormView {
        struct TypeOption { let code, name: String; let selected: Bool }
        struct Field { let code, label, value: String; let required: Bool; let isDate: Bool; let options: [String]? }
        let title = "报送信用信息 · 信用郴州"
        let types: [TypeOption]
        let type: String
        let typeName: String
        let fields: [Field]
        let result: ResultView?
    }

    struct ResultView {
        struct Issue { let field, value, reason: String; let warning: Bool }
        let accepted: Bool
        let heading: String
        let batchID: String
        let issues: [Issue]
    }

    @Sendable func form(_ request: Request, context: BasicRequestContext) async throws -> Response {
        try render(type: request.uri.queryParameters["type"].map(String.init), values: [:], result: nil, status: .ok)
    }

    @Sendable func submit(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let buffer = try await request.body.collect(upTo: 1 << 20)
        let values = (try? URLEncodedFormDecoder().decode([String: String].self, from: String(buffer: buffer))) ?? [:]
        let type = values["record_type"] ?? ""
        guard let secret = values["api_key"], !secret.isEmpty,
            let key = try await AccessKeys.authenticate(secret, store: platform.store), let department = key.department_id
        else {
            return try render(type: type, values: values, result: ResultView(
                accepted: false, heading: "API 密钥无效", batchID: "",
                issues: [.init(field: "api_key", value: "", reason: "the key is unknown, revoked or not a department's key; ask the credit office", warning: false)]),
                status: .unauthorized)
        }
        let request = BatchRequest(departmentID: department, recordType: type, source: "form", submittedBy: key.id)
        let summary: BatchSummary
        do {
            summary = try await importer.run(request, source: ListSource([InputRow(number: 1, values: values)]))
        } catch let refused as BatchRefused {
            return try render(type: type, values: values, result: ResultView(
                accepted: false, heading: "无法报送", batchID: "",
                issues: [.init(field: "record_type", value: type, reason: refused.description, warning: false)]), status: .forbidden)
        }
        let issues = try await platform.store.repositories.batches.issues(batch: summary.id)
        let accepted = summary.status != "rejected"
        let result = ResultView(
            accepted: accepted, heading: accepted ? (summary.unchanged > 0 ? "内容未变化，无需更新" : "报送成功") : "报送未通过，请修改后重新提交",
            batchID: summary.id,
            issues: issues.map { .init(field: $0.field ?? "", value: $0.value ?? "", reason: $0.reason, warning: $0.severity == .warning) })
        return try render(type: type, values: accepted ? [:] : values, result: result, status: accepted ? .created : .unprocessableContent)
    }

    private func render(type requested: String?, values: [String: String], result: ResultView?, status: HTTPResponse.Status) throws -> Response {
        let catalog = platform.currentCatalog
        let types = catalog?.recordTypes ?? []
        let type = types.first { $0.code == requested } ?? types.first { $0.code == "admin_penalty" } ?? types[0]
        let view = FormView(
            types: types.map { .init(code: $0.code, name: $0.name, selected: $0.code == type.code) },
            type: type.code, typeName: type.name,
            fields: type.fields.map { spec in
                .init(code: spec.code, label: spec.label, value: values[spec.code] ?? "", required: spec.required,
                      isDate: spec.type == .date, options: spec.values)
            },
            result: result)
        guard let html = platform.templates.render(view, withTemplate: "submit") else {
            throw HTTPError(.internalServerError, message: "template submit is missing")
        }
        return Response(status: status, headers: [.contentType: "text/html; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}
