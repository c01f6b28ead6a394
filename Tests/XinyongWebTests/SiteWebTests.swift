import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Hummingbird
import HummingbirdTesting
import Testing
import XinyongModel
import XinyongStore
@testable import XinyongWeb

/// The public website over real HTTP: search, listings, lists, reports and their verification, and
/// hostile input at every public entry point.
struct Count: Decodable { let n: Int }

@Suite struct SiteWebTests {
    func withServer(_ body: @Sendable (any TestClientProtocol, Platform) async throws -> Void) async throws {
        let platform = try await Fixture.platform.value
        let app = buildApplication(platform: platform, host: "127.0.0.1", port: 0)
        try await app.test(.live) { client in try await body(client, platform) }
    }

    struct SearchAnswer: Decodable {
        struct Hit: Decodable { let code: String?; let name: String; let highlight: [Part]; let lists: [String] }
        struct Part: Decodable { let text: String; let hit: Bool }
        let matchedBy: String
        let total: Int
        let results: [Hit]
    }

    /// A subject with a public penalty and a four-character piece of its name after the region prefix.
    func penaltySubject(_ platform: Platform) async throws -> (code: String, name: String, piece: String) {
        let code = try await Fixture.codeWithPublicPenalty(platform.store)
        let subject = try #require(try await platform.store.repositories.subjects.find(code: SocialCreditCode.verify(code).code!))
        let name = Array(subject.name)
        return (code, subject.name, String(name[3..<min(name.count, 7)]))
    }

    func query(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: .alphanumerics)! }

    @Test func searchFindsByFragmentWordsAndCodePrefix() async throws {
        try await withServer { client, platform in
            let (code, name, piece) = try await penaltySubject(platform)
            try await client.execute(uri: "/api/v1/search?q=\(query(piece))&size=100", method: .get) { response in
                #expect(response.status == .ok)
                let answer = try decode(SearchAnswer.self, response.body)
                #expect(answer.matchedBy == "name")
                let hit = try #require(answer.results.first { $0.code == code })
                #expect(hit.highlight.filter(\.hit).map(\.text).joined() == piece)
            }
            // A browser form sends the space between two words as "+".
            let words = String(name.prefix(2)) + "+" + query(String(Array(name)[3..<5]))
            try await client.execute(uri: "/search?q=\(query(String(name.prefix(2))))+\(query(String(Array(name)[3..<5])))", method: .get) { response in
                #expect(response.status == .ok, "\(words)")
                #expect(String(buffer: response.body).contains("<mark>"))
            }
            try await client.execute(uri: "/api/v1/search?q=\(code.prefix(14))", method: .get) { response in
                let answer = try decode(SearchAnswer.self, response.body)
                #expect(answer.matchedBy == "code_prefix")
                #expect(answer.results.contains { $0.code == code })
            }
        }
    }

    @Test func badSearchesAreA400ThatNamesTheParameter() async throws {
        try await withServer { client, _ in
            for (uri, parameter) in [("/api/v1/search?q=%E5%BB%BA", "q"), ("/api/v1/search", "q"), ("/api/v1/search?q=%E5%BB%BA%E8%AE%BE&list=grey", "list"),
                                     ("/api/v1/search?q=%E5%BB%BA%E8%AE%BE&page=x", "page"), ("/api/v1/search?q=%E5%BB%BA%E8%AE%BE&region=12", "region")] {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status == .badRequest, "\(uri)")
                    #expect(response.headers[.contentType]?.hasPrefix("application/problem+json") == true)
                    #expect(String(buffer: response.body).contains("\"parameter\":\"\(parameter)\""), "\(uri)")
                }
            }
        }
    }

    @Test func hostileInputGetsAnOrdinaryAnswerAndIsNeverEchoedRaw() async throws {
        try await withServer { client, _ in
            let script = "<script>alert(1)</script>"
            let inputs = [script, "' OR 1=1 --", "\" OR \"\"=\"", "建设%' ; DROP TABLE subjects; --",
                          String(repeating: "郴", count: 5_000)]
            var uris = inputs.flatMap { text in
                ["/search?q=\(query(text))", "/api/v1/search?q=\(query(text))", "/subjects?q=\(query(text))",
                 "/publicity/penalties?region=\(query(text))", "/lists/black?from=\(query(text))", "/records/\(query(text))",
                 "/verify?number=\(query(text))"]
            }
            uris += ["/search?q=%FF%FE%E5%BB", "/search?q=%", "/api/v1/search?q=%C0%AF%E5%BB%BA%E8%AE%BE", "/lists/black?page=99999999999999"]
            for uri in uris {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect([200, 303, 400, 404].contains(response.status.code), "\(uri.prefix(80)) answered \(response.status.code)")
                    #expect(!String(buffer: response.body).contains(script), "\(uri.prefix(80)) echoed the script tag")
                }
            }
            // 100 KB queries: the HTTP parser refuses such a request line with a 400 and closes the
            // connection, which the test client cannot read, so these go through URLSession.
            let port = try #require(client.port)
            for text in [String(repeating: "a", count: 100_000), String(repeating: "郴", count: 11_000)] {
                for path in ["/search?q=", "/api/v1/search?q=", "/subjects?q="] {
                    let url = try #require(URL(string: "http://127.0.0.1:\(port)\(path)\(query(text))"))
                    let (_, response) = try await URLSession.shared.data(from: url)
                    #expect((response as? HTTPURLResponse)?.statusCode == 400, "\(path) with \(text.utf8.count) bytes")
                }
            }
            try await client.execute(uri: "/verify", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                     body: ByteBuffer(string: "document=\(query(script))")) { response in
                #expect(response.status == .ok)
                let html = String(buffer: response.body)
                #expect(!html.contains(script))
                #expect(html.contains("data-verdict=\"malformed\""))
            }
        }
    }

    @Test func publicityListingsListsAndRecordPages() async throws {
        try await withServer { client, platform in
            for uri in ["/publicity/penalties", "/publicity/licences", "/lists/red", "/lists/black", "/lists/watch"] {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status == .ok, "\(uri)")
                    #expect(String(buffer: response.body).contains("class=\"record"), "\(uri) lists no records")
                }
            }
            try await client.execute(uri: "/lists/black", method: .get) { response in
                #expect(String(buffer: response.body).contains("列入 "))
            }
            try await client.execute(uri: "/publicity/penalties?from=2026-02-30", method: .get) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("日期应为"))
            }
            try await client.execute(uri: "/lists/grey", method: .get) { response in #expect(response.status == .notFound) }
            let listing = try await platform.site.doublePublicity(.penalties, .init(pageSize: 1))
            let record = try #require(listing.entries.first).record
            try await client.execute(uri: "/records/\(record.id)", method: .get) { response in
                #expect(response.status == .ok)
                let html = String(buffer: response.body)
                #expect(html.contains(record.documentNumber) && html.contains(record.department) && html.contains("公示截止"))
            }
            try await client.execute(uri: "/records/no-such-record", method: .get) { response in #expect(response.status == .notFound) }
        }
    }

    struct Verdict: Decodable { let verdict: String; let genuine: Bool; let number: String? }

    @Test func aDownloadedReportVerifiesOnlineAndTamperingIsCaught() async throws {
        try await withServer { client, platform in
            let (code, name, _) = try await penaltySubject(platform)
            let reportsBefore = try await platform.store.sql.raw("SELECT COUNT(*) AS n FROM credit_reports").first(decoding: Count.self)?.n
            try await client.execute(uri: "/reports/\(code)", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("form method=\"post\" action=\"/reports/\(code)\""))
            }
            let reportsAfterGet = try await platform.store.sql.raw("SELECT COUNT(*) AS n FROM credit_reports").first(decoding: Count.self)?.n
            #expect(reportsBefore == reportsAfterGet, "GET never writes: the report page only offers to issue one")
            let json = try await client.execute(uri: "/reports/\(code)?format=json", method: .post) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentDisposition]?.contains("attachment") == true)
                return Data(buffer: response.body)
            }
            let number = try SignedCreditReport.decode(json).report.number
            try await client.execute(uri: "/api/v1/reports/verify", method: .post, body: ByteBuffer(bytes: json)) { response in
                let verdict = try decode(Verdict.self, response.body)
                #expect(verdict.genuine && verdict.verdict == "genuine" && verdict.number == number)
            }
            let tampered = Data(String(decoding: json, as: UTF8.self).replacingOccurrences(of: name, with: name + "（分公司）").utf8)
            try await client.execute(uri: "/api/v1/reports/verify", method: .post, body: ByteBuffer(bytes: tampered)) { response in
                let verdict = try decode(Verdict.self, response.body)
                #expect(!verdict.genuine && verdict.verdict == "altered")
            }
            let boundary = "xinyongboundary"
            var upload = Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"document\"; filename=\"r.json\"\r\nContent-Type: application/json\r\n\r\n".utf8)
            upload += json + Data("\r\n--\(boundary)--\r\n".utf8)
            try await client.execute(uri: "/verify", method: .post, headers: [.contentType: "multipart/form-data; boundary=\(boundary)"],
                                     body: ByteBuffer(bytes: upload)) { response in
                #expect(String(buffer: response.body).contains("data-verdict=\"genuine\""))
            }
            try await client.execute(uri: "/verify", method: .post, headers: [.contentType: "application/x-www-form-urlencoded"],
                                     body: ByteBuffer(string: "number=\(number)")) { response in
                #expect(String(buffer: response.body).contains("data-verdict=\"genuine\""))
            }
            try await client.execute(uri: "/reports/issued/\(number)", method: .get) { response in
                #expect(response.status == .ok && String(buffer: response.body).contains(number))
            }
            try await client.execute(uri: "/reports/public-key", method: .get) { response in
                #expect(ReportKey.parse(String(buffer: response.body)) != nil)
            }
        }
    }
}
