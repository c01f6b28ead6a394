import CompressNIO
import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import Testing
import XinyongAccess
import XinyongModel
import XinyongStore
@testable import XinyongWeb

/// The edge refuses what it must, in the caller's language, and writes nothing when it does.
@Suite(.serialized) struct EdgeWebTests {
    static let browser: HTTPFields = [.accept: "text/html,application/xhtml+xml"]
    static let form: HTTPFields = [.accept: "text/html", .contentType: "application/x-www-form-urlencoded"]

    func withServer(_ body: @Sendable (any TestClientProtocol, Platform, Callers) async throws -> Void) async throws {
        let platform = try await Fixture.platform.value
        let callers = try await Callers.fixture.value
        let app = buildApplication(platform: platform, host: "127.0.0.1", port: 0)
        try await app.test(.live) { client in try await body(client, platform, callers) }
    }

    func count(_ platform: Platform, _ table: String) async throws -> Int {
        try await platform.store.sql.raw("SELECT COUNT(*) AS n FROM \(unsafeRaw: table)").first(decoding: Count.self)?.n ?? -1
    }

    /// A query value of the wrong form or outside its range is the caller's mistake: 400 naming the parameter,
    /// never a 500 (schemathesis found these) and never a silent clamp.
    @Test func malformedQueryValuesAreRefusedNamingTheParameter() async throws {
        try await withServer { client, _, callers in
            let cases: [(String, String, String)] = [
                ("/api/v1/notices?limit=abc", callers.departmentA, "limit"),
                ("/api/v1/notices?limit=1234567890", callers.departmentA, "limit"),
                ("/api/v1/admin/audit?limit=abc", callers.adminKey, "limit"),
                ("/api/v1/admin/audit?limit=501", callers.adminKey, "limit"),
                ("/api/v1/admin/audit?from=x", callers.adminKey, "from"),
                ("/api/v1/admin/deliveries?limit=abc", callers.adminKey, "limit"),
                ("/api/v1/admin/deliveries?limit=201", callers.adminKey, "limit"),
                ("/api/v1/changes?since=0&limit=10001", callers.recipient, "limit"),
                ("/api/v1/changes?since=0&limit=abc", callers.recipient, "limit"),
            ]
            for (uri, key, parameter) in cases {
                try await client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer \(key)"]) { response in
                    #expect(response.status == .badRequest, "\(uri): \(response.status)")
                    let body = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                    #expect(body?["parameter"] as? String == parameter, "\(uri): \(body ?? [:])")
                }
            }
            try await client.execute(uri: "/api/v1/admin/deliveries?limit=200", method: .get, headers: [.authorization: "Bearer \(callers.adminKey)"]) { response in
                #expect(response.status == .ok)
            }
            // A person on an office page is told in Chinese which parameter is wrong.
            let login = try await Login.of(callers.auditor, client: client)
            try await client.execute(uri: "/office/audit?limit=abc", method: .get, headers: login.headers(csrf: false, Self.browser)) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("参数 limit 应为整数"))
            }
        }
    }

    /// An address that exists but does not take the method is 405 with `Allow`; an address that does not exist stays 404.
    @Test func aMethodAnAddressDoesNotTakeIs405WithTheMethodsItTakes() async throws {
        try await withServer { client, _, _ in
            try await client.execute(uri: "/api/v1/parks", method: .delete) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "GET, POST")
                #expect(response.headers[.contentType]?.hasPrefix("application/problem+json") == true)
            }
            try await client.execute(uri: "/api/v1/checks/chk_1/feedback", method: .put) { response in
                #expect(response.status == .methodNotAllowed)
                #expect(response.headers[.allow] == "POST")
            }
            try await client.execute(uri: "/api/v1/no-such-thing", method: .delete) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.allow] == nil)
            }
        }
    }

    @Test func aWrongPasswordIsRefusedInChineseAndStartsNoSession() async throws {
        try await withServer { client, platform, callers in
            let (cookie, token) = try await client.execute(uri: "/login", method: .get) { response in
                (String(response.headers[values: .setCookie].first { $0.hasPrefix("xy_login=") }!.prefix { $0 != ";" }),
                 htmlValue(named: "token", in: String(buffer: response.body))!)
            }
            let sessions = try await count(platform, "sessions")
            var headers = Self.form
            headers[.cookie] = cookie
            try await client.execute(uri: "/login", method: .post, headers: headers,
                                     body: ByteBuffer(string: "name=\(callers.reviewer.name)&password=not-the-password-1&token=\(token)")) { response in
                #expect(response.status == .unauthorized)
                #expect(String(buffer: response.body).contains("账号、密码或动态口令不正确"))
                #expect(response.headers[values: .setCookie].allSatisfy { !$0.hasPrefix("xy_session=") })
            }
            // Without the login form's own token the post is refused before the password is looked at.
            try await client.execute(uri: "/login", method: .post, headers: Self.form,
                                     body: ByteBuffer(string: "name=\(callers.reviewer.name)&password=\(callers.reviewer.password)&token=x")) { response in
                #expect(response.status == .forbidden)
                #expect(String(buffer: response.body).contains("登录表单已过期"))
            }
            #expect(try await count(platform, "sessions") == sessions)
            let failures = try await platform.store.repositories.audit.search(AuditQuery(entity: "sessions", limit: 20))
            #expect(failures.contains { $0.action == "login-failed" && ($0.detail ?? "").contains(callers.reviewer.name) })
        }
    }

    @Test func anExpiredOrTamperedSessionGoesBackToTheLoginPage() async throws {
        try await withServer { client, platform, callers in
            let login = try await Login.of(callers.reviewer, client: client)
            try await client.execute(uri: "/office/quality", method: .get, headers: login.headers(csrf: false, Self.browser)) { response in
                #expect(response.status == .ok)
            }
            let tampered = Login(cookie: String(login.cookie.dropLast()) + (login.cookie.hasSuffix("0") ? "1" : "0"), csrf: login.csrf)
            try await client.execute(uri: "/office/quality", method: .get, headers: tampered.headers(csrf: false, Self.browser)) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location]?.hasPrefix("/login?next=/office/quality") == true)
            }
            try await client.execute(uri: "/api/v1/quality", method: .get, headers: tampered.headers(csrf: false)) { response in
                #expect(response.status == .unauthorized)
                #expect(response.headers[.contentType]?.hasPrefix("application/problem+json") == true)
                let problem = try decode(ProblemBody.self, response.body)
                #expect(problem.type == "/problems/session-expired")
            }
            // Idle for 31 minutes: the session ends (a second platform on the same database has no cached copy).
            let old = Timestamp.format(Date().addingTimeInterval(-31 * 60))
            try await platform.store.sql.raw("UPDATE sessions SET last_seen_at = \(bind: old)").run()
            let fresh = try await Platform.load(store: platform.store, personKey: platform.personKey, reportKey: .init())
            try await buildApplication(platform: fresh, host: "127.0.0.1", port: 0).test(.live) { client in
                try await client.execute(uri: "/office/quality", method: .get, headers: login.headers(csrf: false, Self.browser)) { response in
                    #expect(response.status == .seeOther)
                    #expect(response.headers[.location]?.contains("expired=1") == true)
                    #expect(response.headers[values: .setCookie].contains { $0.hasPrefix("xy_session=;") || $0.hasPrefix("xy_session=\"\"") || $0.contains("Max-Age=0") })
                }
            }
        }
    }

    @Test func aStaleFormTokenOrARaisedRoleWritesNothing() async throws {
        try await withServer { client, platform, callers in
            let admin = try await Login.of(callers.admin, client: client)
            let users = try await count(platform, "users")
            let name = "t-never-\(UUID().uuidString.prefix(6).lowercased())"
            var headers = admin.headers(csrf: false, Self.form)
            try await client.execute(uri: "/office/users", method: .post, headers: headers,
                                     body: ByteBuffer(string: "csrf=stale&name=\(name)&role=auditor")) { response in
                #expect(response.status == .forbidden)
                #expect(String(buffer: response.body).contains("表单已过期"))
            }
            // A reviewer tries to make itself, or anyone, an administrator.
            let reviewer = try await Login.of(callers.reviewer, client: client)
            headers = reviewer.headers(csrf: false, Self.form)
            try await client.execute(uri: "/office/users", method: .post, headers: headers,
                                     body: ByteBuffer(string: "csrf=\(reviewer.csrf)&name=\(callers.reviewer.name)x&role=admin")) { response in
                #expect(response.status == .forbidden)
                #expect(String(buffer: response.body).contains("无权访问"))
            }
            try await client.execute(uri: "/api/v1/admin/users", method: .post, headers: reviewer.headers([.contentType: "application/json"]),
                                     body: ByteBuffer(string: #"{"name":"\#(name)","role":"admin"}"#)) { response in
                #expect(response.status == .forbidden)
                let problem = try decode(ProblemBody.self, response.body)
                #expect(problem.type == "/problems/forbidden")
            }
            #expect(try await count(platform, "users") == users)
            #expect(try await platform.store.repositories.users.find(name: callers.reviewer.name)?.role == "reviewer")
        }
    }

    @Test func keyRequestsNameTheirRoleAndUnknownFieldsAreRefused() async throws {
        try await withServer { client, platform, callers in
            let keys = try await count(platform, "api_keys")
            let auth: HTTPFields = [.authorization: "Bearer \(callers.adminKey)", .contentType: "application/json"]
            for (body, field) in [(#"{"name":"x"}"#, "role"), (#"{"department":"431000-tax","name":"x"}"#, "department"),
                                  (#"{"role":"department","name":"x"}"#, "department_id"), (#"{"role":"root","name":"x"}"#, "role")] {
                try await client.execute(uri: "/api/v1/admin/keys", method: .post, headers: auth, body: ByteBuffer(string: body)) { response in
                    #expect(response.status == .badRequest, "\(body)")
                    let problem = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
                    #expect(problem["field"] as? String == field, "\(body) → \(problem)")
                    #expect(problem["request_id"] != nil)
                }
            }
            #expect(try await count(platform, "api_keys") == keys)
            try await client.execute(uri: "/api/v1/admin/keys", method: .post, headers: auth,
                                     body: ByteBuffer(string: #"{"role":"recipient","name":"county platform"}"#)) { response in
                #expect(response.status == .created)
            }
        }
    }

    @Test func aCountyOfficeSeesItsRegionOnly() async throws {
        try await withServer { client, _, callers in
            let county = try await Login.of(callers.countyOther, client: client)
            try await client.execute(uri: "/office/quality?region=431002", method: .get, headers: county.headers(csrf: false, Self.browser)) { response in
                #expect(response.status == .forbidden)
                #expect(String(buffer: response.body).contains("只能查看本辖区"))
            }
            try await client.execute(uri: "/office/quality", method: .get, headers: county.headers(csrf: false, Self.browser)) { response in
                #expect(response.status == .ok)
                // The city's departments are outside Yongxing county: none of them is listed.
                #expect(!String(buffer: response.body).contains("郴州市市场监督管理局"))
            }
        }
    }

    @Test func errorsAnswerInTheCallersLanguageWithARequestID() async throws {
        try await withServer { client, _, _ in
            try await client.execute(uri: "/no/such/page", method: .get, headers: Self.browser) { response in
                #expect(response.status == .notFound)
                let html = String(buffer: response.body)
                #expect(html.contains("页面不存在") && html.contains("请求编号"))
                let id = try #require(response.headers[.requestID])
                #expect(html.contains(id))
                #expect(response.headers[.contentSecurityPolicy]?.contains("script-src") == false)
                #expect(response.headers[.contentSecurityPolicy]?.contains("frame-ancestors 'none'") == true)
                #expect(response.headers[.xContentTypeOptions] == "nosniff")
                #expect(response.headers[.referrerPolicy] != nil)
            }
            try await client.execute(uri: "/api/v1/no-such-thing", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(response.headers[.contentType]?.hasPrefix("application/problem+json") == true)
                let problem = try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
                #expect(problem["type"] as? String == "/problems/not-found")
                #expect(problem["request_id"] as? String == response.headers[.requestID])
            }
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(String(buffer: response.body) == #"{"status":"ok"}"#, "anonymous callers learn up or down only")
            }
        }
    }

    @Test func pagesAndJSONAreCompressedWhenTheClientAcceptsIt() async throws {
        try await withServer { client, platform, _ in
            let code = try await Fixture.codeWithPublicPenalty(platform.store)
            for uri in ["/", "/subjects/\(code)", "/static/site.css", "/api/v1/subjects/\(code)", "/lists/black"] {
                let plain = try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.headers[.contentEncoding] == nil)
                    return response.body.readableBytes
                }
                try await client.execute(uri: uri, method: .get, headers: [.acceptEncoding: "gzip, deflate, br"]) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentEncoding] == "gzip", "\(uri)")
                    #expect(response.headers[.vary] == "Accept-Encoding")
                    var body = response.body
                    let unzipped = try body.decompress(with: .gzip())
                    #expect(unzipped.readableBytes == plain, "\(uri) unzips to what is sent plain")
                    #expect(response.body.readableBytes < 100_000, "\(uri) weighs \(response.body.readableBytes) bytes compressed")
                }
            }
        }
    }

    @Test func readsOfOfficePagesAreAuditedAndSearchable() async throws {
        try await withServer { client, platform, callers in
            let reviewer = try await Login.of(callers.reviewer, client: client)
            try await client.execute(uri: "/office/checks", method: .get, headers: reviewer.headers(csrf: false, Self.browser)) { response in
                #expect(response.status == .ok)
            }
            let auditor = try await Login.of(callers.auditor, client: client)
            try await client.execute(uri: "/office/audit?user=\(callers.reviewer.name)", method: .get,
                                     headers: auditor.headers(csrf: false, Self.browser)) { response in
                #expect(response.status == .ok)
                let html = String(buffer: response.body)
                #expect(html.contains("/office/checks") && html.contains("查阅") && html.contains("登录"))
            }
            let reads = try await platform.store.repositories.audit.search(AuditQuery(actor: "user:\(callers.auditor.name)", limit: 5))
            #expect(reads.contains { $0.action == "read" && $0.entity_id == "/office/audit" }, "reading the trail is itself in the trail")
            try await client.execute(uri: "/office/audit", method: .get, headers: reviewer.headers(csrf: false, Self.browser)) { response in
                #expect(response.status == .forbidden)
            }
        }
    }
}
