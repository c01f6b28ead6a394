import Foundation
import Hummingbird
import XinyongAccess
import XinyongModel
import XinyongStore

/// The office's people, for administrators: the same operations as `xinyong user …`, as JSON and as a page.
struct AdminRoutes {
    let platform: Platform

    func register(on edge: Edge) {
        edge.get("/api/v1/admin/users", .admin, use: listUsers)
        edge.post("/api/v1/admin/users", .admin, use: addUser)
        edge.post("/api/v1/admin/users/{name}/disable", .admin, use: disableUser)
        edge.post("/api/v1/admin/users/{name}/reset-password", .admin, use: resetPassword)
        edge.get("/office/users", .admin, use: page)
        edge.post("/office/users", .admin, use: addFromPage)
        edge.post("/office/users/{name}/disable", .admin, use: disableFromPage)
        edge.post("/office/users/{name}/reset-password", .admin, use: resetFromPage)
    }

    // MARK: JSON

    struct NewUser: Decodable {
        let name: String
        let role: String
        let departmentId: String?
        let region: String?
    }

    /// A user as the API shows it: never the password hash or the TOTP secret.
    struct UserBody: Encodable {
        let name, role: String
        let departmentId, region: String?
        let secondFactor: Bool
        let mustChangePassword: Bool
        let createdAt: String
        let disabledAt: String?

        init(_ u: StoredUser) {
            name = u.name
            role = u.role
            departmentId = u.department_id
            region = u.region_code
            secondFactor = u.totp_secret != nil
            mustChangePassword = u.must_change_password
            createdAt = u.created_at
            disabledAt = u.disabled_at
        }
    }

    struct Created: Encodable {
        let user: UserBody
        let oneTimePassword: String
        let note = "shown once: the user must change it at first login"
    }

    @Sendable func listUsers(_ request: Request, context: AppRequestContext) async throws -> Response {
        try JSONBody.response(try await platform.accounts.list().map(UserBody.init))
    }

    @Sendable func addUser(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await JSONRequest.decode(NewUser.self, request)
        let (user, password) = try await add(name: body.name, role: body.role, department: body.departmentId, region: body.region, context: context)
        return try JSONBody.response(Created(user: UserBody(user), oneTimePassword: password), status: .created)
    }

    @Sendable func disableUser(_ request: Request, context: AppRequestContext) async throws -> Response {
        let name = try context.parameters.require("name")
        try await platform.accounts.disable(name: name, by: context.actor("user disabled through the API"))
        return try JSONBody.response(["name": name, "status": "disabled"])
    }

    @Sendable func resetPassword(_ request: Request, context: AppRequestContext) async throws -> Response {
        let name = try context.parameters.require("name")
        let password = try await platform.accounts.resetPassword(name: name, by: context.actor("password reset through the API"))
        return try JSONBody.response(["name": name, "one_time_password": password])
    }

    private func add(name: String, role roleText: String, department: String?, region: String?,
                     context: AppRequestContext) async throws -> (StoredUser, String) {
        guard let role = Role(rawValue: roleText) else {
            throw AccessError.invalid(field: "role", reason: "'\(roleText.prefix(30))' is not one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        return try await platform.accounts.add(name: name, role: role, department: department, region: region,
                                               by: context.actor("user added by an administrator"))
    }

    // MARK: Page

    struct UsersView {
        struct Line { let name, role, department, region, state, created: String; let active: Bool }
        struct Option { let value, label: String; let selected: Bool }
        let title = "用户管理 · 信用郴州"
        let users: [Line]
        let roles: [Option]
        let error: String?
        let notice: String?
        /// A one-time password, shown once after adding a user or resetting a password.
        let password: String?
    }

    @Sendable func page(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await render(context: context)
    }

    @Sendable func addFromPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = FormFields(try await request.body.collect(upTo: 1 << 16))
        do {
            let (user, password) = try await add(name: form.text("name") ?? "", role: form.text("role") ?? "", department: form.text("department"),
                                                 region: form.text("region"), context: context)
            return try await render(context: context, notice: "已添加用户 \(user.name)。请把下面的一次性密码当面或经安全渠道交给本人，首次登录时须修改：",
                                    password: password, status: .created)
        } catch let error as AccessError {
            return try await render(context: context, error: Self.chinese(error), status: error.problem.status)
        }
    }

    @Sendable func disableFromPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        let name = try context.parameters.require("name")
        do {
            try await platform.accounts.disable(name: name, by: context.actor("user disabled on the office page"))
            return try await render(context: context, notice: "已停用用户 \(name)，其登录已全部失效。")
        } catch let error as AccessError {
            return try await render(context: context, error: Self.chinese(error), status: error.problem.status)
        }
    }

    @Sendable func resetFromPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        let name = try context.parameters.require("name")
        do {
            let password = try await platform.accounts.resetPassword(name: name, by: context.actor("password reset on the office page"))
            return try await render(context: context, notice: "已重置 \(name) 的密码，其登录已全部失效。新的一次性密码：", password: password)
        } catch let error as AccessError {
            return try await render(context: context, error: Self.chinese(error), status: error.problem.status)
        }
    }

    private func render(context: AppRequestContext, error: String? = nil, notice: String? = nil, password: String? = nil,
                        status: HTTPResponse.Status = .ok) async throws -> Response {
        let users = try await platform.accounts.list()
        var departments: [String: String] = [:]
        for d in try await platform.store.repositories.departments.all() { departments[d.id] = d.name }
        let view = UsersView(
            users: users.map { u in
                .init(name: u.name, role: Role(rawValue: u.role)?.label ?? u.role,
                      department: u.department_id.map { departments[$0] ?? $0 } ?? "—",
                      region: u.region_code.map { platform.regions[$0]?.name ?? $0 } ?? "—",
                      state: u.disabled_at != nil ? "已停用" : u.must_change_password ? "待首次登录改密" : "正常",
                      created: beijingTime(u.created_at), active: u.disabled_at == nil)
            },
            roles: Role.allCases.map { .init(value: $0.rawValue, label: $0.label, selected: false) },
            error: error, notice: notice, password: password)
        return try platform.html("users", view, context: context, status: status)
    }

    static let fieldLabels = ["name": "账号", "role": "角色", "department": "所属部门", "region": "管辖地区"]

    static func chinese(_ error: AccessError) -> String {
        switch error {
        case let .invalid(field, reason):
            let text: String = switch field {
            case "name": "应为 3–64 个字母、数字或 . _ -"
            case "role": "请选择角色"
            case "department": reason.contains("there is no") ? "没有该部门" : reason.contains("only clerks") ? "只有部门经办人属于部门" : "部门经办人须填写所属部门"
            case "region": reason.contains("only county") ? "只有县区信用办有管辖地区" : "县区信用办须填写有效的县区或市行政区划代码"
            default: reason
            }
            return "“\(fieldLabels[field] ?? field)”：\(text)"
        case .notFound: return "没有该用户。"
        case .conflict(let what): return what.contains("already exists") ? "该账号已存在。" : "该用户已停用。"
        }
    }
}
