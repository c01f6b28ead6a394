import Crypto
import Foundation
import Hummingbird
import XinyongAccess
import XinyongModel

/// Logging in and out, and a person's own account: the password change a one-time password forces, and
/// the TOTP second factor.
struct AccountRoutes {
    let platform: Platform
    /// The login form's own CSRF guard: a cookie set with the form that the post must repeat
    /// (there is no session yet to hold a token).
    static let loginCookie = "xy_login"

    func register(on edge: Edge) {
        edge.get("/login", .open, use: loginForm)
        edge.post("/login", .open, use: login)
        edge.post("/logout", .signedIn, use: logout)
        edge.get("/account", .signedIn, use: account)
        edge.get("/account/password", .signedIn, use: passwordForm)
        edge.post("/account/password", .signedIn, use: changePassword)
        edge.get("/account/totp", .signedIn, use: totpForm)
        edge.post("/account/totp", .signedIn, use: addTOTP)
    }

    struct LoginView {
        let title = "登录 · 信用郴州"
        let name: String
        let next: String
        let token: String
        let askCode: Bool
        let error: String?
        let notice: String?
    }

    @Sendable func loginForm(_ request: Request, context: AppRequestContext) async throws -> Response {
        let query = PublicQuery(request: request)
        let notice = query.text("expired") != nil ? "登录已过期，请重新登录。" : nil
        return try loginPage(name: "", next: query.text("next"), askCode: false, error: nil, notice: notice, context: context, status: .ok)
    }

    @Sendable func login(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = FormFields(try await request.body.collect(upTo: 1 << 16))
        let name = form.text("name") ?? ""
        guard let cookie = request.cookies[Self.loginCookie]?.value, let sent = form["token"], Edge.constantTimeEqual(cookie, sent) else {
            return try loginPage(name: name, next: form["next"], askCode: false, error: "登录表单已过期，请重新输入。", notice: nil, context: context,
                                 status: .forbidden)
        }
        let outcome = try await platform.accounts.login(name: name, password: form["password"] ?? "", code: form.text("code"),
                                                        address: context.address)
        switch outcome {
        case .signedIn(let token, let session):
            let target = session.mustChangePassword ? "/account/password" : session.mustAddSecondFactor ? "/account/totp"
                : Self.safeNext(form["next"]) ?? Self.home(for: session.user.role)
            var response = Response(status: .seeOther, headers: [.location: target])
            response.setCookie(platform.cookies.setting(token))
            return response
        case .needsCode:
            return try loginPage(name: name, next: form["next"], askCode: true, error: nil, notice: "请输入验证器应用显示的 6 位动态口令。",
                                 context: context, status: .ok)
        case .refused:
            return try loginPage(name: name, next: form["next"], askCode: form.text("code") != nil, error: "账号、密码或动态口令不正确。",
                                 notice: nil, context: context, status: .unauthorized)
        case .throttled(let wait):
            var response = try loginPage(name: name, next: form["next"], askCode: false,
                                         error: "登录失败次数过多，请 \(wait) 秒后再试。", notice: nil, context: context, status: .tooManyRequests)
            response.headers[.retryAfter] = String(wait)
            return response
        }
    }

    @Sendable func logout(_ request: Request, context: AppRequestContext) async throws -> Response {
        if let session = context.session { try await platform.accounts.logout(session, address: context.address) }
        var response = Response(status: .seeOther, headers: [.location: "/login"])
        response.setCookie(platform.cookies.clearing)
        return response
    }

    private func loginPage(name: String, next: String?, askCode: Bool, error: String?, notice: String?, context: AppRequestContext,
                           status: HTTPResponse.Status) throws -> Response {
        let token = SymmetricKey(size: .bits128).withUnsafeBytes { Array($0) }.hexEncoded
        var response = try platform.html("login", LoginView(name: name, next: Self.safeNext(next) ?? "", token: token, askCode: askCode,
                                                             error: error, notice: notice), context: context, status: status)
        response.setCookie(Cookie(name: Self.loginCookie, value: token, maxAge: 3600, path: "/login", secure: platform.cookies.secure,
                                  httpOnly: true, sameSite: .strict))
        return response
    }

    /// Only a path on this site, never another site (`//evil`), may follow a login.
    static func safeNext(_ next: String?) -> String? {
        guard let next, next.hasPrefix("/"), !next.hasPrefix("//"), !next.contains("\\"), !next.hasPrefix("/login") else { return nil }
        return String(next.prefix(500))
    }

    static func home(for role: Role) -> String {
        switch role {
        case .admin, .reviewer, .county: "/office/quality"
        case .clerk, .association: "/submit"
        case .auditor: "/office/audit"
        }
    }

    // MARK: Own account

    struct AccountView {
        let title = "我的账号 · 信用郴州"
        let name, role, department, region: String
        let hasSecondFactor: Bool
        let isAdmin: Bool
    }

    @Sendable func account(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let session = context.session else { throw EdgeError.signInRequired }
        let user = session.user
        var department = "—"
        if let id = user.departmentID { department = await platform.departmentName(id) }
        return try platform.html("account", AccountView(
            name: user.name, role: user.role.label, department: department,
            region: user.regionCode.map { platform.regions[$0]?.name ?? $0 } ?? "全市",
            hasSecondFactor: session.hasSecondFactor, isAdmin: user.role == .admin), context: context)
    }

    struct PasswordView {
        let title = "修改密码 · 信用郴州"
        let forced: Bool
        let minimum = PasswordPolicy.minimumLength
        let errors: [FieldError]
    }

    struct FieldError { let field, message: String }

    @Sendable func passwordForm(_ request: Request, context: AppRequestContext) async throws -> Response {
        try platform.html("password", PasswordView(forced: context.session?.mustChangePassword ?? false, errors: []), context: context)
    }

    @Sendable func changePassword(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let session = context.session else { throw EdgeError.signInRequired }
        let form = FormFields(try await request.body.collect(upTo: 1 << 16))
        let new = form["new"] ?? ""
        guard new == form["repeat"] else {
            return try platform.html("password", PasswordView(forced: session.mustChangePassword,
                                                              errors: [FieldError(field: "repeat", message: "两次输入的新密码不一致")]),
                                     context: context, status: .badRequest)
        }
        do {
            try await platform.accounts.changePassword(session, current: form["current"] ?? "", new: new)
        } catch AccessError.invalid(let field, let reason) {
            return try platform.html("password", PasswordView(forced: session.mustChangePassword, errors: [FieldError(field: field, message: reason)]),
                                     context: context, status: .badRequest)
        }
        let target = session.mustAddSecondFactor ? "/account/totp" : Self.home(for: session.user.role)
        return Response(status: .seeOther, headers: [.location: target])
    }

    struct TOTPView {
        let title = "绑定动态口令 · 信用郴州"
        let secret: String
        let url: String
        let required: Bool
        let error: String?
        /// The secret as authenticator apps take it by hand: base32, as in the URL.
        var manual: String { URLComponents(string: url)?.queryItems?.first { $0.name == "secret" }?.value ?? "" }
    }

    @Sendable func totpForm(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let session = context.session else { throw EdgeError.signInRequired }
        let secret = Accounts.newTOTPSecret()
        return try platform.html("totp", TOTPView(secret: secret, url: Accounts.authenticatorURL(secret: secret, user: session.user.name),
                                                  required: session.mustAddSecondFactor, error: nil), context: context)
    }

    @Sendable func addTOTP(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let session = context.session else { throw EdgeError.signInRequired }
        let form = FormFields(try await request.body.collect(upTo: 1 << 16))
        let secret = String((form["secret"] ?? "").prefix(64))
        do {
            guard secret.count >= 16 else { throw AccessError.invalid(field: "secret", reason: "密钥无效，请刷新页面重新绑定") }
            try await platform.accounts.confirmTOTP(session, secret: secret, code: form["code"] ?? "")
        } catch AccessError.invalid(_, let reason) {
            return try platform.html("totp", TOTPView(secret: secret, url: Accounts.authenticatorURL(secret: secret, user: session.user.name),
                                                      required: session.mustAddSecondFactor, error: reason), context: context, status: .badRequest)
        }
        return Response(status: .seeOther, headers: [.location: "/account"])
    }
}

extension Platform {
    /// A department by its name, for pages; its id where it is unknown.
    func departmentName(_ id: String) async -> String {
        ((try? await store.repositories.departments.find(id)) ?? nil)?.name ?? id
    }
}
