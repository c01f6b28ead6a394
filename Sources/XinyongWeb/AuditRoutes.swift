import Foundation
import Hummingbird
import XinyongAudit
import XinyongModel
import XinyongStore

/// The audit trail for auditors and administrators: every write and every read of non-public data,
/// searchable by subject, user, department and dates. Reading it is itself audited by the edge.
struct AuditRoutes {
    let platform: Platform

    func register(on edge: Edge) {
        edge.get("/office/audit", .audit, use: page)
        edge.get("/api/v1/admin/audit", .audit, use: api)
        edge.get("/audit/checkpoints", .open, use: checkpoints)
    }

    /// The signed checkpoints of the audit chain with the key that signs them, for anyone to keep a copy
    /// of: `xinyong audit verify --checkpoints` holds the chain to such a copy.
    @Sendable func checkpoints(_ request: Request, context: AppRequestContext) async throws -> Response {
        try JSONBody.response(try await platform.auditTrail.published())
    }

    /// The search as the query string gives it; dates are Beijing calendar days, inclusive.
    func query(_ request: Request) async throws -> (AuditQuery, [String: String]) {
        let q = PublicQuery(request: request)
        var query = AuditQuery(limit: try q.int("limit", default: 100, in: 1...500))
        var echo: [String: String] = [:]
        if let subject = q.text("subject") {
            echo["subject"] = subject
            // A code is looked up; anything else is taken as a subject id.
            query.subjectID = ((try? await platform.findSubject(subject))?.id) ?? subject
        }
        if let user = q.text("user") {
            echo["user"] = user
            query.actor = user.contains(":") || user == "anonymous" || user == "system" ? user : "user:\(user)"
        }
        if let department = q.text("department") {
            echo["department"] = department
            query.departmentID = department
        }
        // A Beijing day starts at 16:00 UTC the day before.
        if let from = try q.date("from") {
            echo["from"] = from.description
            query.from = from.adding(days: -1).description + "T16:00:00.000Z"
        }
        if let to = try q.date("to") {
            echo["to"] = to.description
            query.to = to.description + "T16:00:00.000Z"
        }
        if let before = q.text("before") {
            guard let id = Int(before.prefix(18)), id > 0 else { throw Problem.invalidField("before", "must be an entry id from the previous page") }
            query.before = id
        }
        return (query, echo)
    }

    @Sendable func api(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (query, _) = try await self.query(request)
        let entries = try await platform.store.repositories.audit.search(query)
        return try JSONBody.response(AuditPage(entries: entries, next: entries.count == query.limit ? entries.last.map { "before=\($0.id)" } : nil))
    }

    struct AuditPage: Encodable {
        let entries: [AuditLog.Entry]
        let next: String?
    }

    struct View {
        struct Line { let id, at, actor, action, entity, entityID, reason, detail: String }
        let title = "审计记录 · 信用郴州"
        let subject, user, department, from, to: String
        let lines: [Line]
        let empty: Bool
        let next: String?
    }

    @Sendable func page(_ request: Request, context: AppRequestContext) async throws -> Response {
        let (query, echo) = try await self.query(request)
        let entries = try await platform.store.repositories.audit.search(query)
        var next: String?
        if entries.count == query.limit, let last = entries.last {
            var components = URLComponents()
            components.path = "/office/audit"
            components.queryItems = echo.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) }
                + [URLQueryItem(name: "before", value: String(last.id))]
            next = components.string
        }
        let view = View(
            subject: echo["subject"] ?? "", user: echo["user"] ?? "", department: echo["department"] ?? "",
            from: echo["from"] ?? "", to: echo["to"] ?? "",
            lines: entries.map { e in
                .init(id: String(e.id), at: beijingTime(e.at), actor: e.actor, action: Self.actionLabels[e.action] ?? e.action, entity: e.entity,
                      entityID: e.entity_id ?? "", reason: e.reason, detail: e.detail ?? "")
            },
            empty: entries.isEmpty, next: next)
        return try platform.html("audit", view, context: context)
    }

    static let actionLabels = [
        "read": "查阅", "create": "新增", "login": "登录", "logout": "退出", "login-failed": "登录失败", "login-throttled": "登录受限",
        "disable": "停用", "reset-password": "重置密码", "change-password": "修改密码", "add-totp": "绑定动态口令", "revoke": "吊销",
        "withdraw": "撤销", "submit": "报送", "correct": "更正", "check": "查询", "feedback": "反馈", "override": "误报标记",
        "replace-members": "更新成员名单", "review": "年度复核",
    ]
}
