import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import Testing
import XinyongAccess
import XinyongExchange
import XinyongModel
import XinyongStore
@testable import XinyongWeb

/// Check before handling over real HTTP, on the demo city: answers, feedback, the office's views,
/// refusals as specific problems, and a 503 — never "no hit" — when the database goes away.
@Suite struct CheckWebTests {
    struct Keys { let department: String; let tax: String; let admin: String }

    func withServer(_ body: @Sendable (any TestClientProtocol, Platform, Keys) async throws -> Void) async throws {
        let platform = try await Fixture.platform.value
        let actor = Actor("test", reason: "check web test")
        let keys = Keys(
            department: try await platform.keys.issue(.department, department: "431000-development_reform", name: "procurement system \(UUID())", by: actor).secret,
            tax: try await platform.keys.issue(.department, department: "431000-tax", name: "tax system \(UUID())", by: actor).secret,
            admin: try await platform.keys.issue(.admin, name: "office \(UUID())", by: actor).secret)
        let app = buildApplication(platform: platform, host: "127.0.0.1", port: 0)
        try await app.test(.live) { client in try await body(client, platform, keys) }
    }

    func json(_ secret: String?, _ object: Any) throws -> (HTTPFields, ByteBuffer) {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let secret { headers[.authorization] = "Bearer \(secret)" }
        return (headers, ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: object)))
    }

    func object(_ buffer: ByteBuffer) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: Any])
    }

    /// An organisation on the black list today because a court listed it as a judgment defaulter.
    static func blackListedCode(_ store: Store) async throws -> String {
        struct Row: Decodable { let code: String }
        let today = CivilDate.today().description
        let row = try await store.sql.raw("""
            SELECT s.code FROM list_memberships m JOIN subjects s ON s.id = m.subject_id
            WHERE m.list = 'black' AND m.record_type = 'judgment_defaulter' AND m.state = 'listed' AND s.code IS NOT NULL
            AND m.start_date <= \(bind: today) AND m.end_date > \(bind: today) ORDER BY s.code LIMIT 1
            """).first(decoding: Row.self)
        return try #require(row).code
    }

    @Test func checkByCodeAnswersStoresAndTakesFeedback() async throws {
        try await withServer { client, platform, keys in
            let code = try await Self.blackListedCode(platform.store)
            let (headers, body) = try json(keys.department, ["code": code, "scenario": "bidding", "matter": "郴公资交〔2026〕88号"])
            let (checkID, measures) = try await client.execute(uri: "/api/v1/checks", method: .post, headers: headers, body: body) { response in
                #expect(response.status == .created)
                let answer = try object(response.body)
                #expect(answer["result"] as? String == "hit")
                #expect((answer["match"] as? [String: Any])?["method"] as? String == "code")
                let memberships = try #require(answer["memberships"] as? [[String: Any]])
                #expect(memberships.contains { $0["list"] as? String == "black" && $0["start"] != nil && $0["end"] != nil && $0["record_id"] != nil })
                let measures = try #require(answer["measures"] as? [[String: Any]])
                #expect(measures.contains { $0["id"] as? String == "jd-bidding" && $0["mandatory"] as? Bool == true })
                #expect((answer["freshness"] as? [String: Any])?["latest_change_seq"] != nil)
                let id = try #require(answer["check_id"] as? String)
                #expect(response.headers[.location] == "/api/v1/checks/\(id)")
                return (id, measures.compactMap { $0["id"] as? String } + ((answer["incentives"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String })
            }
            try await client.execute(uri: "/api/v1/checks/\(checkID)", method: .get, headers: [.authorization: "Bearer \(keys.department)"]) { response in
                #expect(response.status == .ok)
                let body = try object(response.body)
                #expect((body["answer"] as? [String: Any])?["check_id"] as? String == checkID)
            }
            // Another department cannot read it.
            try await client.execute(uri: "/api/v1/checks/\(checkID)", method: .get, headers: [.authorization: "Bearer \(keys.tax)"]) { response in
                #expect(response.status == .notFound)
            }
            let lines = measures.map { ["measure_id": $0, "applied": true] as [String: Any] }
            let (fh, fb) = try json(keys.department, ["measures": lines, "outcome": "投标被否决"])
            try await client.execute(uri: "/api/v1/checks/\(checkID)/feedback", method: .post, headers: fh, body: fb) { response in
                #expect(response.status == .created)
            }
            try await client.execute(uri: "/api/v1/checks/\(checkID)/feedback", method: .post, headers: fh, body: fb) { response in
                #expect(response.status == .conflict)
                #expect(response.headers[.contentType]?.hasPrefix("application/problem+json") == true)
            }
            try await client.execute(uri: "/api/v1/admin/checks/report?grace_days=0", method: .get, headers: [.authorization: "Bearer \(keys.admin)"]) { response in
                #expect(response.status == .ok)
                let report = try object(response.body)
                let byMeasure = try #require(report["by_measure"] as? [[String: Any]])
                #expect(byMeasure.contains { $0["key"] as? String == "jd-bidding" && ($0["applied"] as? Int ?? 0) >= 1 })
            }
            try await client.execute(uri: "/openapi.json", method: .get) { response in
                let paths = try #require(try object(response.body)["paths"] as? [String: Any])
                for path in ["/api/v1/checks", "/api/v1/checks/{id}/feedback", "/api/v1/admin/name-overrides", "/api/v1/admin/checks/report"] {
                    #expect(paths[path] != nil, "openapi.json does not describe \(path)")
                }
            }
            try await client.execute(uri: "/office/checks", method: .get, headers: [.authorization: "Bearer \(keys.admin)"]) { response in
                #expect(response.status == .ok)
                let html = String(buffer: response.body)
                #expect(html.contains("落实率") && html.contains("关于对失信被执行人实施联合惩戒的合作备忘录"))
            }
        }
    }

    @Test func badInputIsAProblemThatNamesTheField() async throws {
        try await withServer { client, platform, keys in
            func expectProblem(_ key: String?, _ body: Any, status: HTTPResponse.Status, field: String?, _ location: SourceLocation = #_sourceLocation) async throws {
                let (headers, buffer) = try json(key, body)
                try await client.execute(uri: "/api/v1/checks", method: .post, headers: headers, body: buffer) { response in
                    #expect(response.status == status, sourceLocation: location)
                    #expect(response.headers[.contentType]?.hasPrefix("application/problem+json") == true, sourceLocation: location)
                    let problem = try object(response.body)
                    #expect(problem["field"] as? String == field, "\(problem)", sourceLocation: location)
                }
            }
            let code = try await Self.blackListedCode(platform.store)
            try await expectProblem(nil, ["code": code, "scenario": "bidding"], status: .unauthorized, field: nil)
            try await expectProblem(keys.department, ["code": code], status: .badRequest, field: "scenario")
            try await expectProblem(keys.department, ["code": code, "scenario": 5], status: .badRequest, field: "scenario")
            try await expectProblem(keys.department, ["code": code, "scenario": "bidding", "departmnet": "431000-tax"], status: .badRequest,
                                    field: "departmnet")
            try await expectProblem(keys.department, ["code": ["x"], "scenario": "bidding"], status: .badRequest, field: "code")
            try await expectProblem(keys.department, ["code": code, "scenario": "lottery"], status: .badRequest, field: "scenario")
            try await expectProblem(keys.department, ["code": "91350100M000100I43", "scenario": "bidding"], status: .badRequest, field: "code")
            try await expectProblem(keys.department, ["scenario": "bidding"], status: .badRequest, field: "subject")
            try await expectProblem(keys.department, ["code": code, "scenario": "bidding", "department": "431000-tax"], status: .forbidden, field: nil)
            try await expectProblem(keys.admin, ["code": code, "scenario": "bidding"], status: .badRequest, field: "department")
            try await expectProblem(keys.admin, ["code": code, "scenario": "bidding", "department": "nobody"], status: .unprocessableContent, field: "department")
            try await client.execute(uri: "/api/v1/checks", method: .post, headers: [.authorization: "Bearer \(keys.department)", .contentType: "application/json"],
                                     body: ByteBuffer(string: "{not json")) { response in
                #expect(response.status == .badRequest)
                let body = try object(response.body)
                #expect(body["type"] as? String == "/problems/invalid-json")
            }
            // Feedback that names a measure the check did not return.
            let (h, b) = try json(keys.department, ["code": code, "scenario": "honours"])
            let id = try await client.execute(uri: "/api/v1/checks", method: .post, headers: h, body: b) { try object($0.body)["check_id"] as? String ?? "" }
            let (fh, fb) = try json(keys.department, ["measures": [["measure_id": "nothing", "applied": "yes"]]])
            try await client.execute(uri: "/api/v1/checks/\(id)/feedback", method: .post, headers: fh, body: fb) { response in
                #expect(response.status == .badRequest)
                let body = try object(response.body)
                #expect(body["field"] as? String == "measures[0].applied")
            }
            // Office settings and overrides are for administrators, with their values checked.
            let (sh, sb) = try json(keys.admin, ["name_match_threshold": 2])
            try await client.execute(uri: "/api/v1/admin/joint-settings", method: .put, headers: sh, body: sb) { response in
                #expect(response.status == .badRequest)
                let body = try object(response.body)
                #expect(body["field"] as? String == "name_match_threshold")
            }
            let (dh, db) = try json(keys.department, ["name_match_threshold": 0.95])
            try await client.execute(uri: "/api/v1/admin/joint-settings", method: .put, headers: dh, body: db) { response in
                #expect(response.status == .forbidden)
            }
            let (oh, ob) = try json(keys.admin, ["department": "431000-tax", "name": "某公司", "subject_id": code])
            try await client.execute(uri: "/api/v1/admin/name-overrides", method: .post, headers: oh, body: ob) { response in
                #expect(response.status == .badRequest)
                let body = try object(response.body)
                #expect(body["field"] as? String == "reason")
            }
        }
    }

    @Test func departmentsWithoutASystemUseTheForm() async throws {
        try await withServer { client, platform, keys in
            let actor = Actor("test", reason: "clerk for the check form")
            let name = "t-clerkdr-\(UUID().uuidString.prefix(6).lowercased())"
            _ = try await platform.accounts.add(name: name, role: .clerk, department: "431000-development_reform", region: nil, by: actor)
            let login = try await Login.of(Callers.Person(name: name, password: try await platform.accounts.setPassword(name: name, by: actor)),
                                           client: client)
            try await client.execute(uri: "/checks", method: .get, headers: login.headers(csrf: false)) { response in
                #expect(response.status == .ok)
                let html = String(buffer: response.body)
                #expect(html.contains("政府采购"))
                #expect(!html.contains("api_key") && !html.contains("name=\"department\""), "a clerk checks for its own department, without a key")
            }
            let code = try await Self.blackListedCode(platform.store)
            var form = URLComponents()
            form.queryItems = [("csrf", login.csrf), ("code", code), ("scenario", "government_procurement"), ("matter", "<b>x</b>")]
                .map { URLQueryItem(name: $0.0, value: $0.1) }
            let formHeaders = login.headers(csrf: false, [.contentType: "application/x-www-form-urlencoded"])
            let checkID = try await client.execute(uri: "/checks", method: .post, headers: formHeaders,
                                                   body: ByteBuffer(string: form.percentEncodedQuery!)) { response in
                #expect(response.status == .created)
                let html = String(buffer: response.body)
                #expect(html.contains("命中名单") && html.contains("限制参加政府采购活动") && html.contains("必须"))
                #expect(!html.contains("<b>x</b>"))
                #expect(html.contains("form method=\"post\" action=\"/checks/"), "the answer carries the feedback form")
                let marker = try #require(html.range(of: "action=\"/checks/"))
                return String(html[marker.upperBound...].prefix { $0 != "/" })
            }
            let measures = try await platform.store.repositories.checks.measures(check: checkID)
            #expect(!measures.isEmpty)
            var feedback = URLComponents()
            feedback.queryItems = [URLQueryItem(name: "csrf", value: login.csrf), URLQueryItem(name: "outcome", value: "取消投标资格")]
                + measures.enumerated().flatMap { i, m in
                    [URLQueryItem(name: "applied_\(m.measureID)", value: i == 0 ? "yes" : "no"),
                     URLQueryItem(name: "reason_\(m.measureID)", value: i == 0 ? "" : "本事项不适用")]
                }
            try await client.execute(uri: "/checks/\(checkID)/feedback", method: .post, headers: formHeaders,
                                     body: ByteBuffer(string: feedback.percentEncodedQuery!)) { response in
                #expect(response.status == .created)
                #expect(String(buffer: response.body).contains("已记录查询"))
            }
            #expect(try await platform.store.repositories.checks.find(id: checkID)?.feedbackAt != nil)
            // Without the session's form token the same post is refused and nothing is written.
            form.queryItems![0].value = "stale"
            try await client.execute(uri: "/checks", method: .post, headers: formHeaders,
                                     body: ByteBuffer(string: form.percentEncodedQuery!)) { response in
                #expect(response.status == .forbidden)
            }
            try await client.execute(uri: "/checks", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                     body: ByteBuffer(string: form.percentEncodedQuery!)) { response in
                #expect(response.status == .unauthorized)
            }
        }
    }

    /// A server whose database goes away mid-life: the check is a 503 problem, never an empty answer.
    @Test(arguments: ["sqlite", "postgres"])
    func aCheckFailsLoudlyWhenTheDatabaseGoesAway(_ backend: String) async throws {
        let admin = ProcessInfo.processInfo.environment["XINYONG_TEST_POSTGRES_URL"]
        let url: DatabaseURL
        var drop: (@Sendable () async throws -> Void)?
        if backend == "postgres" {
            guard let admin else { return }
            let name = "xinyong_gone_\(UUID().uuidString.prefix(8).lowercased())"
            let server = try await Store.open(DatabaseURL(admin))
            try await server.sql.raw("CREATE DATABASE \(unsafeRaw: name)").run()
            var components = URLComponents(string: admin)!
            components.path = "/\(name)"
            url = try DatabaseURL(components.string!)
            drop = {
                // The database disappears under the running server: its connections are terminated.
                try await server.sql.raw("DROP DATABASE \(unsafeRaw: name) WITH (FORCE)").run()
                await server.close()
            }
        } else {
            url = .sqlite(path: FileManager.default.temporaryDirectory.appendingPathComponent("xinyong-gone-\(UUID().uuidString).sqlite").path)
        }
        let store = try await Store.open(url)
        try await store.bootstrap()
        try await store.transaction {
            try await $0.departments.insert([Department(id: "431000-tax", name: "国家税务总局郴州市税务局", category: "tax", regionCode: "431000", level: .city)],
                                            by: Actor("test", reason: "outage test"))
        }
        let platform = try await Platform.load(store: store, personKey: SymmetricKey(size: .bits256), reportKey: .init())
        let key = try await platform.keys.issue(.department, department: "431000-tax", name: "tax system", by: Actor("test", reason: "outage test"))
        let app = buildApplication(platform: platform, host: "127.0.0.1", port: 0)
        let code = SocialCreditCode.completing("91431002MA4J0099")!.value
        let dropDatabase = drop
        try await app.test(.live) { client in
            let (headers, body) = try json(key.secret, ["code": code, "scenario": "tax_services"])
            try await client.execute(uri: "/api/v1/checks", method: .post, headers: headers, body: body) { response in
                #expect(response.status == .created)
                let body = try object(response.body)
                #expect(body["result"] as? String == "no_match")
            }
            if let dropDatabase { try await dropDatabase() } else { await store.close() }
            try await client.execute(uri: "/api/v1/checks", method: .post, headers: headers, body: body) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(response.headers[.contentType]?.hasPrefix("application/problem+json") == true)
                let problem = try object(response.body)
                #expect(problem["type"] as? String == "/problems/check-unavailable")
                #expect(problem["result"] == nil)
                #expect((problem["detail"] as? String)?.contains("not a result") == true)
            }
            var form = URLComponents()
            form.queryItems = [URLQueryItem(name: "code", value: code), URLQueryItem(name: "scenario", value: "tax_services")]
            try await client.execute(uri: "/checks", method: .post,
                                     headers: [.contentType: "application/x-www-form-urlencoded", .authorization: "Bearer \(key.secret)"],
                                     body: ByteBuffer(string: form.percentEncodedQuery!)) { response in
                #expect(response.status == .serviceUnavailable)
                #expect(!String(buffer: response.body).contains("未列入"))
            }
        }
        if dropDatabase != nil { await store.close() }
    }
}
