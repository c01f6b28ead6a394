import Foundation
import Hummingbird
import XinyongExchange
import XinyongModel
import XinyongStore

/// Every recipient told (DESIGN §3.3, §3.4): the office sees whether each correction, withdrawal and repair reached
/// every recipient of its record, and administrators set the departments' webhooks.
struct DeliveryRoutes {
    let platform: Platform

    func register(on edge: Edge) {
        edge.get("/office/deliveries", .office, use: page)
        edge.get("/office/deliveries/{seq}", .office, use: detailPage)
        edge.get("/api/v1/admin/deliveries", .admin, use: list)
        edge.get("/api/v1/admin/webhooks", .admin, use: webhooks)
        edge.put("/api/v1/admin/departments/{id}/webhook", .admin, use: setWebhook)
        edge.post("/api/v1/admin/departments/{id}/webhook/remove", .admin, use: removeWebhook)
    }

    // MARK: JSON

    struct ListBody: Encodable {
        let changes: [Deliveries.Line]
        /// Pass as `before` for the next (older) page; nil on the last.
        let nextBefore: Int?
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let query = PublicQuery(request: request)
        let before = try query.text("before").map { try Self.seq($0, parameter: "before") }
        let limit = try query.int("limit", default: 50, in: 1...200)
        let lines = try await Deliveries.recent(store: platform.store, region: query.text("region"), before: before, limit: limit)
        return try JSONBody.response(ListBody(changes: lines, nextBefore: lines.count == limit ? lines.last?.seq : nil))
    }

    struct NewWebhook: Decodable {
        let url: String
        let secret: String?
    }

    @Sendable func setWebhook(_ request: Request, context: AppRequestContext) async throws -> Response {
        let department = try context.parameters.require("id")
        let body = try await JSONRequest.decode(NewWebhook.self, request)
        do {
            let secret = try await Webhooks.set(department: department, url: body.url, secret: body.secret, store: platform.store,
                                                by: context.actor("webhook set through the API"))
            return try JSONBody.response([
                "department_id": department, "url": body.url, "secret": secret,
                "note": "sign check: \(WebhookSignature.signatureHeader) = sha256=HMAC-SHA256(secret, \(WebhookSignature.timestampHeader) + \".\" + body)",
            ])
        } catch let invalid as Webhooks.Invalid {
            if invalid.field == "department" { throw Problem.notFound(invalid.description) }
            throw Problem.invalidField(invalid.field, invalid.description)
        }
    }

    @Sendable func removeWebhook(_ request: Request, context: AppRequestContext) async throws -> Response {
        let department = try context.parameters.require("id")
        let removed = try await platform.store.transaction {
            try await $0.recipients.removeWebhook(department: department, by: context.actor("webhook removed through the API"))
        }
        guard removed else { throw Problem.notFound("department \(department.prefix(60)) has no webhook") }
        return try JSONBody.response(["department_id": department, "status": "removed"])
    }

    @Sendable func webhooks(_ request: Request, context: AppRequestContext) async throws -> Response {
        try JSONBody.response(try await platform.store.repositories.recipients.webhooks())
    }

    private static func seq(_ text: String, parameter: String) throws -> Int {
        guard text.count <= 18, let value = Int(text), value > 0 else {
            throw Problem(.badRequest, type: "invalid-parameter", title: "Invalid parameter",
                          detail: "\(parameter) '\(text.prefix(20))' must be a change's seq (a positive integer)",
                          extra: ["parameter": parameter], page: "参数 \(parameter) 应为变更序号（正整数）。")
        }
        return value
    }

    // MARK: Pages

    struct View {
        struct Recipient { let name, state, overdue, via: String; let reached: Bool }
        struct Line {
            let seq, change, at, record, type, department, reached: String
            let complete: Bool
            let missing: [Recipient]
        }
        let title = "更正送达情况 · 信用郴州"
        let lines: [Line]
        let empty: Bool
        let older: String?
    }

    struct DetailView {
        let title: String
        let line: View.Line
        let recipients: [View.Recipient]
    }

    @Sendable func page(_ request: Request, context: AppRequestContext) async throws -> Response {
        let query = PublicQuery(request: request)
        let region = try context.region(requested: query.text("region"), regions: platform.regions)
        let before = try query.text("before").map { try Self.seq($0, parameter: "before") }
        let lines = try await Deliveries.recent(store: platform.store, region: region, before: before, limit: 50)
        let older = lines.count == 50 ? lines.last.map { "/office/deliveries?before=\($0.seq)" + (region.map { "&region=\($0)" } ?? "") } : nil
        return try platform.html("office-deliveries", View(lines: lines.map(view), empty: lines.isEmpty, older: older), context: context)
    }

    @Sendable func detailPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        let seq = try Self.seq(try context.parameters.require("seq"), parameter: "seq")
        let region = try context.region(requested: nil, regions: platform.regions)
        guard let line = try await Deliveries.one(seq: seq, store: platform.store, region: region) else {
            throw Problem.notFound("no correction, withdrawal or repair \(seq) here", page: "未找到该变更，或它不是更正、撤销或信用修复。")
        }
        return try platform.html("office-delivery", DetailView(
            title: "送达明细 \(seq) · 信用郴州", line: view(line), recipients: line.recipients.map(recipientView)), context: context)
    }

    private func view(_ line: Deliveries.Line) -> View.Line {
        View.Line(
            seq: String(line.seq), change: Self.changeLabel(line.change), at: beijingTime(line.at), record: line.recordId,
            type: platform.currentCatalog?.recordType(line.recordType)?.name ?? line.recordType, department: line.departmentName,
            reached: "已送达 \(line.reachedCount)/\(line.recipientsTotal)", complete: line.reachedCount == line.recipientsTotal,
            missing: line.missing.map(recipientView))
    }

    private func recipientView(_ r: Deliveries.Recipient) -> View.Recipient {
        let state: String
        if r.reached {
            state = r.reachedBy == "webhook" ? "已送达（推送）" : "已送达（订阅）"
        } else {
            state = switch r.webhook {
            case "pending": "未送达，推送重试中（已试 \(r.webhookAttempts) 次）"
            case "failed": "未送达，推送失败（已试 \(r.webhookAttempts) 次）"
            default: "未送达，等待其读取变更订阅"
            }
        }
        return View.Recipient(name: r.kind == "key" ? "接收系统：\(r.name)" : r.name, state: state,
                              overdue: r.overdueSeconds.map { "已逾 " + Self.duration($0) } ?? "—",
                              via: r.receivedVia == "check" ? "逢办必查" : "变更订阅", reached: r.reached)
    }

    static func changeLabel(_ change: String) -> String {
        switch change {
        case "corrected": "更正"
        case "withdrawn": "撤销"
        case "repaired": "信用修复"
        default: change
        }
    }

    /// 3 天 4 小时, 5 小时 12 分钟, 12 分钟.
    static func duration(_ seconds: Int) -> String {
        let days = seconds / 86_400, hours = seconds % 86_400 / 3600, minutes = seconds % 3600 / 60
        if days > 0 { return "\(days) 天 \(hours) 小时" }
        if hours > 0 { return "\(hours) 小时 \(minutes) 分钟" }
        return "\(minutes) 分钟"
    }
}
