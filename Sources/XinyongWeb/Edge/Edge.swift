import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import XinyongModel
import XinyongStore

/// The only way to add a route: each declares the ``Access`` it needs, and the edge enforces it before the
/// handler runs, checks the CSRF token of every form a logged-in user posts, and writes an audit entry for
/// every successful read of non-public data. The declarations are kept, so that a test can hold the
/// role × route matrix against the routes that exist.
final class Edge: @unchecked Sendable {
    typealias Handler = @Sendable (Request, AppRequestContext) async throws -> Response

    struct Route: Hashable, Sendable, CustomStringConvertible {
        let method: HTTPRequest.Method
        let path: String
        let access: Access
        var description: String { "\(method) \(path)" }
    }

    let router: Router<AppRequestContext>
    let store: Store
    private(set) var routes: [Route] = []

    init(router: Router<AppRequestContext>, store: Store) {
        self.router = router
        self.store = store
    }

    func get(_ path: String, _ access: Access, use handler: @escaping Handler) { on(.get, path, access, handler) }
    func post(_ path: String, _ access: Access, use handler: @escaping Handler) { on(.post, path, access, handler) }
    func put(_ path: String, _ access: Access, use handler: @escaping Handler) { on(.put, path, access, handler) }

    private func on(_ method: HTTPRequest.Method, _ path: String, _ access: Access, _ handler: @escaping Handler) {
        routes.append(Route(method: method, path: path, access: access))
        let store = store
        router.on(RouterPath(path), method: method) { request, context in
            var request = request
            try Self.authorize(access, request: request, context: context)
            if method != .get, method != .head, let session = context.session {
                try await Self.requireCSRFToken(session.csrfToken, request: &request)
            }
            let response = try await handler(request, context)
            if method == .get, access.readsNonPublicData, response.status.code < 400 {
                try await Self.auditRead(request, context: context, store: store)
            }
            return response
        }
    }

    /// The methods some route takes at `path`, for telling a caller 405 with `Allow` instead of 404.
    func methods(at path: String) -> [HTTPRequest.Method] {
        let segments = path.split(separator: "/", omittingEmptySubsequences: true)
        return routes.filter { route in
            let pattern = route.path.split(separator: "/", omittingEmptySubsequences: true)
            return pattern.count == segments.count && zip(pattern, segments).allSatisfy { $0.hasPrefix("{") || $0 == $1 }
        }.map(\.method)
    }

    /// The one authorisation rule: the route's access against the caller, and what a session must do first.
    static func authorize(_ access: Access, request: Request, context: AppRequestContext) throws {
        let path = request.uri.path
        if let session = context.session, !path.hasPrefix("/account"), path != "/logout" {
            if session.mustChangePassword { throw EdgeError.passwordChangeRequired }
            if session.mustAddSecondFactor { throw EdgeError.secondFactorRequired }
        }
        guard access.allows(context.caller) else {
            if context.caller == .anonymous { throw EdgeError.signInRequired }
            throw EdgeError.forbidden(access)
        }
    }

    /// Forms carry the session's token in a `csrf` field; scripts send it as `X-CSRF-Token`.
    static func requireCSRFToken(_ expected: String, request: inout Request) async throws {
        if let header = request.headers[.csrfToken] {
            guard constantTimeEqual(header, expected) else { throw EdgeError.csrfMismatch }
            return
        }
        let contentType = (request.headers[.contentType] ?? "").lowercased()
        guard contentType.hasPrefix("application/x-www-form-urlencoded") || contentType.hasPrefix("multipart/form-data") else {
            throw EdgeError.csrfMismatch
        }
        let body = try await request.collectBody(upTo: DueProcessRoutes.uploadLimit)
        let sent = contentType.hasPrefix("multipart/") ? MultipartForm.text(named: "csrf", in: body, contentType: contentType)
            : FormFields(body)["csrf"]
        guard let sent, constantTimeEqual(sent, expected) else { throw EdgeError.csrfMismatch }
    }

    static func auditRead(_ request: Request, context: AppRequestContext, store: Store) async throws {
        var fields: [String: String] = ["method": "GET"]
        if let query = request.uri.query, !query.isEmpty { fields["query"] = String(query.prefix(500)) }
        let detail = fields
        let actor = context.actor("read")
        try await store.transaction { repos in
            try await repos.audit.append(actor, action: "read", entity: "route", entityID: String(request.uri.path.prefix(200)),
                                         detail: detail)
        }
    }

    static func constantTimeEqual(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8), y = Array(b.utf8)
        guard x.count == y.count else { return false }
        return zip(x, y).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// What the edge refuses, before any handler runs. ``ErrorMiddleware`` answers each in the caller's language.
enum EdgeError: Error, Equatable {
    case signInRequired
    case sessionExpired
    case forbidden(Access)
    case csrfMismatch
    case passwordChangeRequired
    case secondFactorRequired
}

extension AppRequestContext {
    /// The region a request may look at: the one asked for, if the caller may see it; a county office's
    /// own region when it asks for none; nil (the whole city) for everyone else who asks for none.
    func region(requested: String?, regions: RegionDirectory) throws -> String? {
        guard let scope = caller.regionScope else { return requested }
        guard let requested else { return scope }
        guard regions.isWithin(requested, scope) else {
            throw Problem(.forbidden, type: "other-region", title: "Outside your region",
                          detail: "region \(requested.prefix(12)) is outside \(scope), the region of this county office",
                          page: "县区信用办只能查看本辖区（\(regions[scope]?.name ?? scope)）及下辖地区的数据。")
        }
        return requested
    }
}

extension HTTPField.Name {
    static let csrfToken = Self("X-CSRF-Token")!
    static let requestID = Self("X-Request-Id")!
    static let referrerPolicy = Self("Referrer-Policy")!
    static let xFrameOptions = Self("X-Frame-Options")!
}

/// The fields of an `application/x-www-form-urlencoded` body, form-decoded (`+` is a space); the first of
/// repeated names wins.
struct FormFields {
    let values: [String: String]

    init(_ body: ByteBuffer) { self.init(String(buffer: body)) }

    init(_ text: String) {
        var values: [String: String] = [:]
        for pair in text.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.decoded(parts[0]), values[name] == nil else { continue }
            values[name] = parts.count > 1 ? (Self.decoded(parts[1]) ?? "") : ""
        }
        self.values = values
    }

    static func decoded(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    subscript(_ name: String) -> String? { values[name] }

    /// The field trimmed, nil when absent or empty.
    func text(_ name: String) -> String? {
        guard let value = values[name]?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
        return value
    }
}

extension AppRequestContext {
    /// The department a request acts for: a department's key or clerk acts for its own (asking for another
    /// is a 403); an administrator must name one.
    func department(requested: String?) throws -> String {
        let requested = requested.flatMap { $0.isEmpty ? nil : $0 }
        if let own = caller.departmentID {
            if let requested, requested != own {
                throw Problem(.forbidden, type: "other-department", title: "Not your department",
                              detail: "this caller acts for \(own); it cannot act for \(requested.prefix(60))",
                              page: "您只能以本部门（\(own)）的名义办理。")
            }
            return own
        }
        guard let requested else {
            throw Problem(.badRequest, type: "missing-department", title: "Department required",
                          detail: "an administrator must name the department: department=ID", extra: ["field": "department"],
                          page: "请选择办理部门。")
        }
        return requested
    }
}
