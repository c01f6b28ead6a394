import Foundation
import Hummingbird
import HummingbirdAuth
import Logging
import XinyongAccess
import XinyongModel
import XinyongPublication

/// Finds who is asking, once per request: a bearer API key for systems, else the session cookie of a
/// person who logged in. A key or cookie that does not resolve is refused here (401), never silently
/// treated as anonymous, so that a revoked key cannot fall back to reading public data unnoticed.
struct AuthenticationMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    static let sessionCookie = "xy_session"

    let keys: AccessKeys
    let accounts: Accounts

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var context = context
        if let header = request.headers[.authorization] {
            guard header.hasPrefix("Bearer ") else {
                throw Problem(.unauthorized, type: "missing-key", title: "API key required",
                              detail: "send the API key as 'Authorization: Bearer xy_…'")
            }
            let secret = String(header.dropFirst(7)).trimmingCharacters(in: .whitespaces)
            guard let key = try await keys.authenticate(secret) else {
                throw Problem(.unauthorized, type: "invalid-key", title: "Unknown or revoked API key",
                              detail: "this API key is unknown or has been revoked; ask the credit office for a new one")
            }
            context.identity = .key(key)
        } else if let token = request.cookies[Self.sessionCookie]?.value, !token.isEmpty {
            if let session = try await accounts.session(token: String(token.prefix(128))) {
                context.identity = .user(session.user)
                context.session = session
            } else if !Self.isLoginPage(request) {
                throw EdgeError.sessionExpired
            }
        }
        context.logger[metadataKey: "caller"] = .string(context.caller.auditName)
        return try await next(request, context)
    }

    /// The login page itself answers a stale cookie: that is where the visitor is sent to log in again.
    static func isLoginPage(_ request: Request) -> Bool {
        request.uri.path == "/login" || request.uri.path.hasPrefix("/static/")
    }
}

/// Every response carries the headers that keep pages from being framed, sniffed or scripted from
/// elsewhere; the site has no scripts of its own.
struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    static var policy: String {
        "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.contentSecurityPolicy] = Self.policy
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[.referrerPolicy] = "same-origin"
        response.headers[.xFrameOptions] = "DENY"
        return response
    }
}

/// Turns every error — refusals, unknown paths, unexpected failures — into an answer: problem+json
/// (RFC 9457) for API callers, a Chinese page for browsers, each with the request id that is also logged.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = AppRequestContext
    let platform: Platform
    let edge: Edge

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let requestID = context.id
        do {
            var response = try await next(request, context)
            response.headers[.requestID] = requestID
            return response
        } catch {
            var response = answer(error, request: request, context: context)
            response.headers[.requestID] = requestID
            return response
        }
    }

    func answer(_ error: any Error, request: Request, context: Context) -> Response {
        let browser = Self.wantsPage(request)
        switch error {
        case EdgeError.signInRequired, EdgeError.sessionExpired:
            if browser { return redirectToLogin(request, expired: (error as? EdgeError) == .sessionExpired) }
        case EdgeError.passwordChangeRequired where browser: return Response(status: .seeOther, headers: [.location: "/account/password"])
        case EdgeError.secondFactorRequired where browser: return Response(status: .seeOther, headers: [.location: "/account/totp"])
        default: break
        }
        var problem = Self.problem(for: error)
        // An address that exists, asked with a method it does not take, is 405 with the methods it does take.
        var allowed: [HTTPRequest.Method] = []
        if (error as? HTTPError)?.status == .notFound {
            allowed = edge.methods(at: request.uri.path)
            if !allowed.isEmpty {
                problem = Problem(.methodNotAllowed, type: "method-not-allowed", title: "Method not allowed",
                                  detail: "\(request.uri.path) takes \(allowed.map(\.rawValue).joined(separator: ", ")), not \(request.method.rawValue)")
            }
        }
        if problem.status.code >= 500 {
            context.logger.error("request failed: \(String(reflecting: error))", metadata: ["path": .string(request.uri.path)])
        } else {
            context.logger.info("request refused: \(problem.status.code) \(problem.type)", metadata: ["path": .string(request.uri.path)])
        }
        problem.extra["request_id"] = context.id
        var response = browser
            ? (try? platform.errorPage(problem, context: context))
                ?? Response(status: problem.status, headers: [.contentType: "text/plain; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(string: "\(problem.status.code) 请求未能完成（请求编号 \(context.id)）")))
            : (try? problem.response(from: request, context: context)) ?? Response(status: .internalServerError)
        // A refusal that says when to come back says it in the header clients and proxies read too.
        if let wait = problem.extra["retry_after"] { response.headers[.retryAfter] = wait }
        if !allowed.isEmpty { response.headers[.allow] = allowed.map(\.rawValue).joined(separator: ", ") }
        return response
    }

    /// Browsers ask for HTML; API clients, scripts and anything under /api/ get problem+json.
    static func wantsPage(_ request: Request) -> Bool {
        guard !request.uri.path.hasPrefix("/api/") else { return false }
        return (request.headers[.accept] ?? "").contains("text/html")
    }

    func redirectToLogin(_ request: Request, expired: Bool) -> Response {
        var components = URLComponents()
        components.path = "/login"
        var items = [URLQueryItem(name: "next", value: String(request.uri.description.prefix(500)))]
        if expired { items.append(URLQueryItem(name: "expired", value: "1")) }
        components.queryItems = items
        var response = Response(status: .seeOther, headers: [.location: components.string ?? "/login"])
        if expired { response.setCookie(platform.cookies.clearing) }
        return response
    }

    /// The problem an error stands for.
    static func problem(for error: any Error) -> Problem {
        switch error {
        case let problem as Problem: return problem
        case let edge as EdgeError: return edge.problem
        case let access as AccessError: return access.problem
        case let query as PublicQueryError:
            return Problem(.badRequest, type: "invalid-parameter", title: "Invalid query parameter", detail: query.description,
                           extra: ["parameter": query.parameter], page: query.message)
        case let http as HTTPError:
            return Problem(http.status, type: http.status == .notFound ? "not-found" : "http-\(http.status.code)",
                           title: http.status.reasonPhrase, detail: http.body ?? Self.generalDetail(http.status))
        case let response as any HTTPResponseError:
            return Problem(response.status, type: "http-\(response.status.code)", title: response.status.reasonPhrase,
                           detail: String(describing: error))
        default:
            return Problem(.internalServerError, type: "internal-error", title: "Internal error",
                           detail: "the platform failed to answer this request; the request id is in the log")
        }
    }

    static func generalDetail(_ status: HTTPResponse.Status) -> String {
        switch status {
        case .notFound: "there is nothing at this address"
        case .methodNotAllowed: "this address does not take this method"
        case .contentTooLarge: "the request body is too large"
        default: status.reasonPhrase
        }
    }
}

extension EdgeError {
    var problem: Problem {
        switch self {
        case .signInRequired:
            Problem(.unauthorized, type: "unauthenticated", title: "Authentication required",
                    detail: "send an API key as 'Authorization: Bearer xy_…', or log in", page: "请先登录。")
        case .sessionExpired:
            Problem(.unauthorized, type: "session-expired", title: "Session expired",
                    detail: "the session has expired or was ended; log in again", page: "登录已过期或已退出，请重新登录。")
        case .forbidden(let access):
            Problem(.forbidden, type: "forbidden", title: "Forbidden",
                    detail: "this needs \(access.requirement); the caller does not have it", page: "您的账号无权访问此页面（需要\(access.label)）。")
        case .csrfMismatch:
            Problem(.forbidden, type: "csrf-token", title: "Missing or stale form token",
                    detail: "a logged-in request that changes anything must carry the session's CSRF token (form field csrf or X-CSRF-Token)",
                    page: "表单已过期或来源不明，请返回上一页刷新后重新提交。")
        case .passwordChangeRequired:
            Problem(.forbidden, type: "password-change-required", title: "Password change required",
                    detail: "this account has a one-time password; change it at /account/password first", page: "请先修改一次性密码。")
        case .secondFactorRequired:
            Problem(.forbidden, type: "second-factor-required", title: "Second factor required",
                    detail: "administrators must add a TOTP second factor at /account/totp first", page: "管理员须先绑定动态口令（TOTP）。")
        }
    }
}

extension Access {
    /// What the route needs, for API messages.
    var requirement: String {
        switch self {
        case .open: "nothing"
        case .department: "a government department's API key or clerk login (or an administrator naming the department)"
        case .source: "a department's or business association's API key or login (or an administrator naming the department)"
        case .signedIn: "a login"
        case .office: "a credit-office login (administrator, reviewer or county office)"
        case .feed: "a department, association, recipient, public-data agency or administrator key"
        case .admin: "an administrator"
        case .audit: "an auditor or administrator"
        case .agencyPublicData: "an agency key with the public_data scope"
        case .agencyConsented: "an agency key with the consented scope"
        case .agencyLending: "an agency key with the lending scope"
        }
    }

    /// What the route needs, for pages.
    var label: String {
        switch self {
        case .open: "无"
        case .department: "政府部门账号"
        case .source: "部门或行业协会商会账号"
        case .signedIn: "登录"
        case .office: "信用办账号"
        case .feed: "部门、行业协会或数据接收方密钥"
        case .admin: "管理员账号"
        case .audit: "审计人员或管理员账号"
        case .agencyPublicData: "具有公开数据权限的信用服务机构密钥"
        case .agencyConsented: "具有授权数据权限的信用服务机构密钥"
        case .agencyLending: "具有信易贷查询权限的机构密钥"
        }
    }
}

extension AccessError {
    var problem: Problem {
        switch self {
        case let .invalid(field, reason): Problem.invalidField(field, reason, page: reason)
        case .notFound(let what): Problem.notFound(what)
        case .conflict(let what): Problem(.conflict, type: "conflict", title: "Conflict", detail: what)
        }
    }
}

/// The session cookie: HttpOnly, SameSite=Strict, and Secure when `COOKIE_SECURE=true` (behind TLS).
public struct SessionCookies: Sendable {
    let secure: Bool

    public init(secure: Bool) { self.secure = secure }

    func setting(_ token: String) -> Cookie {
        Cookie(name: AuthenticationMiddleware.sessionCookie, value: token, maxAge: Int(Accounts.sessionLimit), path: "/",
               secure: secure, httpOnly: true, sameSite: .strict)
    }

    var clearing: Cookie {
        Cookie(name: AuthenticationMiddleware.sessionCookie, value: "", maxAge: 0, path: "/", secure: secure, httpOnly: true, sameSite: .strict)
    }
}
