import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import XinyongDemo
import XinyongModel
import XinyongStore
@testable import XinyongWeb

/// One demo database for the whole suite: a real SQLite file filled by the real generator.
enum Fixture {
    static let platform = Task { () throws -> Platform in
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("xinyong-web-\(UUID().uuidString).sqlite").path
        let store = try await Store.open(.sqlite(path: path))
        try await store.bootstrap()
        let options = DemoGenerator.Options(subjects: 1_500, seed: 7, asOf: .today(), recordScale: 2)
        let key = SymmetricKey(size: .bits256)
        _ = try await DemoGenerator(options: options, personKey: key).run(into: store)
        return try await Platform.load(store: store, personKey: key, reportKey: .init())
    }

    /// A subject with a public penalty, found through SQL so the test does not depend on one seed's luck.
    static func codeWithPublicPenalty(_ store: Store) async throws -> String {
        let today = CivilDate.today().description
        struct Row: Decodable { let code: String }
        let row = try await store.sql.raw("""
            SELECT s.code FROM subjects s JOIN credit_records r ON r.subject_id = s.id
            WHERE s.code IS NOT NULL AND r.record_type = 'admin_penalty' AND r.status = 'active'
            AND r.publicity_start <= \(bind: today) AND r.publicity_end > \(bind: today) ORDER BY s.code LIMIT 1
            """).first(decoding: Row.self)
        return try #require(row).code
    }
}

struct Decoded: Decodable {
    struct Subject: Decodable { let code: String?; let name: String; let kind: String; let region: Region }
    struct Region: Decodable { let code: String; let chain: [String] }
    struct Section: Decodable { let section: String; let types: [TypeGroup] }
    struct TypeGroup: Decodable { let recordType: String; let records: [Record] }
    struct Record: Decodable { let documentNumber: String; let legalBasis: String; let publicityEnds: String?; let department: Department }
    struct Department: Decodable { let name: String }
    let subject: Subject
    let asOf: String
    let sections: [Section]
}

struct ProblemBody: Decodable { let type: String; let status: Int; let detail: String }

func decode<T: Decodable>(_ type: T.Type, _ body: ByteBuffer) throws -> T {
    let decoder = JSONDecoder()
    decoder.keyDecodingStrategy = .convertFromSnakeCase
    return try decoder.decode(type, from: Data(buffer: body))
}

@Suite struct WebTests {
    func withServer(_ body: @Sendable (any TestClientProtocol, Platform) async throws -> Void) async throws {
        let platform = try await Fixture.platform.value
        let app = buildApplication(platform: platform, host: "127.0.0.1", port: 0)
        try await app.test(.live) { client in try await body(client, platform) }
    }

    @Test func healthChecksTheDatabase() async throws {
        try await withServer { client, platform in
            try await client.execute(uri: "/health", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body) == #"{"status":"ok"}"#)
            }
            let admin = try await platform.keys.issue(.admin, name: "health", by: Actor("test", reason: "health")).secret
            try await client.execute(uri: "/health", method: .get, headers: [.authorization: "Bearer \(admin)"]) { response in
                #expect(String(buffer: response.body) == #"{"database":"sqlite","status":"ok"}"#, "administrators learn which database")
            }
        }
    }

    @Test func subjectProfileGroupsPublicRecordsByType() async throws {
        try await withServer { client, platform in
            let code = try await Fixture.codeWithPublicPenalty(platform.store)
            try await client.execute(uri: "/api/v1/subjects/\(code)", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
                let profile = try decode(Decoded.self, response.body)
                #expect(profile.subject.code == code)
                #expect(profile.subject.region.chain.first == "湖南省")
                let penalties = try #require(profile.sections.first { $0.section == "penalty" })
                let records = try #require(penalties.types.first { $0.recordType == "admin_penalty" }).records
                #expect(!records.isEmpty)
                for record in records {
                    #expect(!record.legalBasis.isEmpty)
                    #expect(record.publicityEnds.map { $0 > profile.asOf } == true, "an expired record was shown")
                    #expect(record.department.name.contains("局"))
                }
            }
            // The same subject found through a full-width, lower-case spelling of its code.
            let fullWidth = String(code.lowercased().unicodeScalars.map { s in
                s.properties.isASCIIHexDigit || s.properties.isAlphabetic ? Character(Unicode.Scalar(s.value + 0xFEE0)!) : Character(s)
            })
            try await client.execute(uri: "/api/v1/subjects/\(fullWidth.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed)!)", method: .get) { response in
                #expect(response.status == .ok)
            }
        }
    }

    @Test func invalidCodeIsA400ThatNamesTheDefect() async throws {
        try await withServer { client, _ in
            try await client.execute(uri: "/api/v1/subjects/91350100M000100I43", method: .get) { response in
                #expect(response.status == .badRequest)
                #expect(response.headers[.contentType]?.hasPrefix("application/problem+json") == true)
                let problem = try decode(ProblemBody.self, response.body)
                #expect(problem.type == "/problems/invalid-code")
                #expect(problem.detail.contains("'I' at position 16"))
            }
            try await client.execute(uri: "/api/v1/subjects/431002198506121230", method: .get) { response in
                #expect(response.status == .badRequest)
            }
        }
    }

    @Test func unknownCodeIsA404Problem() async throws {
        try await withServer { client, _ in
            let unknown = SocialCreditCode.completing("91110000ZZZZ9999".replacingOccurrences(of: "Z", with: "Y"))!.value
            try await client.execute(uri: "/api/v1/subjects/\(unknown)", method: .get) { response in
                #expect(response.status == .notFound)
                let problem = try decode(ProblemBody.self, response.body)
                #expect(problem.status == 404 && problem.detail.contains(unknown))
            }
        }
    }

    @Test func homeAndSubjectPagesRender() async throws {
        try await withServer { client, platform in
            let code = try await Fixture.codeWithPublicPenalty(platform.store)
            let subject = try #require(try await platform.store.repositories.subjects.find(code: SocialCreditCode.verify(code).code!))
            try await client.execute(uri: "/", method: .get) { response in
                #expect(response.status == .ok)
                let html = String(buffer: response.body)
                #expect(html.contains("公共信用信息查询"))
                #expect(html.contains("href=\"/subjects/"))
                #expect(html.contains("行政处罚"))
            }
            try await client.execute(uri: "/subjects/\(code)", method: .get) { response in
                #expect(response.status == .ok)
                let html = String(buffer: response.body)
                #expect(html.contains(subject.name))
                #expect(html.contains("公示截止"))
            }
            try await client.execute(uri: "/subjects?code=%20\(code.lowercased())", method: .get) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location] == "/subjects/\(code)")
            }
            try await client.execute(uri: "/subjects?code=%3Cscript%3Ealert(1)%3C/script%3E", method: .get) { response in
                #expect(response.status == .seeOther)
                #expect(response.headers[.location]?.hasPrefix("/search?q=") == true)
            }
        }
    }

    @Test func metricsAndOpenAPIAreServed() async throws {
        try await withServer { client, platform in
            try await client.execute(uri: "/health", method: .get)
            try await client.execute(uri: "/metrics", method: .get) { response in
                #expect(response.status == .unauthorized, "metrics are for the office's monitoring, with an admin key")
            }
            let admin = try await platform.keys.issue(.admin, name: "prometheus", by: Actor("test", reason: "metrics")).secret
            try await client.execute(uri: "/metrics", method: .get, headers: [.authorization: "Bearer \(admin)"]) { response in
                #expect(response.status == .ok)
                let text = String(buffer: response.body)
                #expect(text.contains("hb_requests"))
                // Due process as gauges, under the names the office's dashboards use, each with its help line.
                for name in ["filed_this_month", "overdue", "decision_days_median", "decision_days_p90"] {
                    #expect(text.contains("# HELP xinyong_due_process_\(name) "), "help for \(name)")
                    #expect(text.contains("xinyong_due_process_\(name){kind=\"objection\"} "), "objections' \(name)")
                }
            }
            try await client.execute(uri: "/openapi.json", method: .get) { response in
                let spec = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                let paths = spec?["paths"] as? [String: Any]
                #expect(paths?["/api/v1/subjects/{code}"] != nil)
                #expect(paths?["/health"] != nil)
            }
        }
    }
}
