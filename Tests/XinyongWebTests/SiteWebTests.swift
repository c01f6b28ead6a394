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
                    let html = String(buffer: response.body)
                    #expect(html.contains("<table class=\"listing\">") && html.contains("href=\"/records/"), "\(uri) lists no records")
                    #expect(html.contains("共 "), "\(uri) has no total")
                }
            }
            try await client.execute(uri: "/lists/black", method: .get) { response in
                #expect(String(buffer: response.body).contains("列入日期"))
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

    // MARK: Listings and search (issue 15, part 4)

    /// The platform with another export limit and chunk size (the suite's database, shared).
    func platform(_ platform: Platform, exportLimit: Int, chunkSize: Int = 1_000) -> Platform {
        var site = platform.site
        site.exportLimit = exportLimit
        site.exportChunkSize = chunkSize
        return Platform(store: platform.store, catalogs: platform.catalogs, regions: platform.regions, personKey: platform.personKey,
                        site: site, statistics: platform.statistics, accounts: platform.accounts, keys: platform.keys, auditTrail: platform.auditTrail, evaluation: platform.evaluation, cookies: platform.cookies,
                        templates: platform.templates)
    }

    func withServer(_ platform: Platform, _ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let app = buildApplication(platform: platform, host: "127.0.0.1", port: 0)
        try await app.test(.live) { client in try await body(client) }
    }

    /// Public penalties today, counted in SQL independently of the listing code.
    func publicPenalties(_ platform: Platform, subjectID: String? = nil) async throws -> Int {
        let today = CivilDate.today().description
        let row = try await platform.store.sql.raw("""
            SELECT COUNT(*) AS n FROM credit_records r JOIN subjects s ON s.id = r.subject_id
            WHERE s.kind <> 'natural_person' AND r.record_type = 'admin_penalty' AND r.status = 'active'
            AND r.publicity_start <= \(bind: today) AND r.publicity_end > \(bind: today)
            AND (\(bind: subjectID ?? "") = '' OR s.id = \(bind: subjectID ?? ""))
            """).first(decoding: Count.self)
        return try #require(row).n
    }

    struct CappedAnswer: Decodable { let total: Int; let capped: Bool; let page: Int; let results: [SearchAnswer.Hit] }

    @Test func searchPagerHasPreviousNextAndNumbersSaysWhenCappedAndNeverShowsAnEmptyPage() async throws {
        try await withServer { client, _ in
            // "公司" is in most of the demo's 1,500 names: more than the 1,000 a search ranks.
            let q = query("公司")
            let capped = try await client.execute(uri: "/api/v1/search?q=\(q)", method: .get) { try decode(CappedAnswer.self, $0.body) }
            #expect(capped.capped && capped.total <= 1_000 && capped.total > 900)
            let lastPage = (capped.total + 19) / 20
            try await client.execute(uri: "/search?q=\(q)&page=3", method: .get) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("显示最相关的前 1000 个") && html.contains("请输入更多字"))
                #expect(html.contains("rel=\"prev\" href=\"/search?q=") && html.contains("rel=\"next\""))
                #expect(html.contains("<strong aria-current=\"page\">3</strong>") && html.contains("page=\(lastPage)\">\(lastPage)</a>"))
                #expect(html.contains("第 3 / \(lastPage) 页"))
                #expect(!html.contains("Search"), "no bilingual heading")
            }
            // Every page up to the last holds hits; past the last, the last page is shown and the page says so.
            for page in [1, lastPage - 1, lastPage, lastPage + 1, 50, 51, 999_999] {
                try await client.execute(uri: "/search?q=\(q)&page=\(page)", method: .get) { response in
                    #expect(response.status == .ok, "page \(page)")
                    let html = String(buffer: response.body)
                    #expect(html.contains("class=\"hit\""), "page \(page) is empty")
                    #expect(html.contains("没有找到") == false, "page \(page)")
                    if page > lastPage {
                        #expect(html.contains("第 \(page) 页超出范围") && html.contains("<strong aria-current=\"page\">\(lastPage)</strong>"))
                        #expect(!html.contains("rel=\"next\""))
                    }
                }
                let answer = try await client.execute(uri: "/api/v1/search?q=\(q)&page=\(page)", method: .get) { try decode(CappedAnswer.self, $0.body) }
                #expect(!answer.results.isEmpty && answer.page == min(page, lastPage), "API page \(page)")
            }
            try await client.execute(uri: "/search?q=\(q)&page=0", method: .get) { #expect($0.status == .badRequest) }
        }
    }

    @Test func publicityListingIsACompactTableWithATotalSearchableByNameAndDocumentNumber() async throws {
        try await withServer { client, platform in
            let total = try await publicPenalties(platform)
            let departments = try await platform.store.repositories.departments.all()
            try await client.execute(uri: "/publicity/penalties", method: .get) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("共 \(total) 条"))
                #expect(html.contains("href=\"/publicity/penalties.csv\""))
                #expect(html.components(separatedBy: "<tr>").count - 1 == 21, "a header row and 20 records")
                #expect(html.contains("<td class=\"date\">"))
                #expect(departments.contains { html.contains("<td>\($0.name)</td>") }, "departments by name")
                #expect(!departments.contains { html.contains(">\($0.id)<") }, "never a department's id")
                #expect(html.contains("rel=\"next\"") && html.contains("第 1 / "))
            }
            // By name: every row is the subject's, and the total is its count.
            let (code, name, piece) = try await penaltySubject(platform)
            let subject = try #require(try await platform.store.repositories.subjects.find(code: SocialCreditCode.verify(code).code!))
            let own = try await publicPenalties(platform, subjectID: subject.id)
            try await client.execute(uri: "/publicity/penalties?q=\(query(name))", method: .get) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("共 \(own) 条"), "\(name)")
                #expect(html.components(separatedBy: "href=\"/subjects/\(code)\"").count - 1 == min(own, 20))
                #expect(html.contains("value=\"\(name)\""), "the form keeps the name")
            }
            try await client.execute(uri: "/publicity/penalties?q=\(query(piece))", method: .get) { response in
                #expect(String(buffer: response.body).contains("href=\"/subjects/\(code)\""))
            }
            try await client.execute(uri: "/publicity/penalties?q=\(code.prefix(14))", method: .get) { response in
                #expect(String(buffer: response.body).contains("href=\"/subjects/\(code)\""), "by the start of the code")
            }
            // By document number, whole or its start.
            let record = try #require(try await platform.site.doublePublicity(.penalties, .init(pageSize: 5)).entries.last).record
            try await client.execute(uri: "/publicity/penalties?doc=\(query(record.documentNumber))", method: .get) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("href=\"/records/\(record.id)\""), "\(record.documentNumber)")
            }
            try await client.execute(uri: "/publicity/penalties?size=100&doc=\(query(String(record.documentNumber.dropLast(1))))", method: .get) { response in
                #expect(String(buffer: response.body).contains("href=\"/records/\(record.id)\""))
            }
            try await client.execute(uri: "/publicity/penalties?doc=%25", method: .get) { response in
                #expect(response.status == .ok && String(buffer: response.body).contains("共 0 条"), "% is a character, not a wildcard")
            }
            try await client.execute(uri: "/publicity/penalties?q=\(query("建"))", method: .get) { response in
                #expect(response.status == .badRequest && String(buffer: response.body).contains("至少 2 个字"))
            }
            // A page past the last shows the last page and says so.
            let lastPage = (own + 19) / 20
            try await client.execute(uri: "/publicity/penalties?q=\(query(name))&page=40", method: .get) { response in
                let html = String(buffer: response.body)
                #expect(response.status == .ok && html.contains("第 40 页超出范围") && html.contains("href=\"/subjects/\(code)\""))
                #expect(html.contains("第 \(lastPage) 页"))
            }
        }
    }

    func csvLines(_ body: ByteBuffer) -> (bom: Bool, lines: [String]) {
        var body = body
        let bytes = body.readBytes(length: body.readableBytes) ?? []
        let bom = bytes.starts(with: [0xEF, 0xBB, 0xBF])
        let text = String(decoding: bytes.dropFirst(bom ? 3 : 0), as: UTF8.self)
        return (bom, text.components(separatedBy: "\r\n").filter { !$0.isEmpty })
    }

    @Test func publicityListingsExportAsStreamedCSVWithTheSameFilters() async throws {
        let base = try await Fixture.platform.value
        let total = try await publicPenalties(base)
        // Chunks of 7 records: the body is written in many pieces, and reads the same as in one.
        try await withServer(platform(base, exportLimit: 100_000, chunkSize: 7)) { client in
            let whole = try await client.execute(uri: "/publicity/penalties.csv", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/csv; charset=utf-8")
                #expect(response.headers[.contentDisposition]?.hasPrefix("attachment; filename=\"penalties-") == true)
                #expect(response.headers[.contentLength] == nil, "streamed, not built whole")
                let (bom, lines) = csvLines(response.body)
                #expect(bom)
                #expect(lines.first == "行政相对人名称,统一社会信用代码,行政处罚决定书文号,处罚类别,处罚等级,处罚机关,处罚决定日期,公示截止期,信息地址")
                #expect(lines.count == total + 1)
                return lines
            }
            let listing = try await Fixture.platform.value.site.doublePublicity(.penalties, .init(pageSize: 20))
            #expect(whole.dropFirst().prefix(20).map { $0.components(separatedBy: ",").last! } == listing.entries.map { "/records/\($0.record.id)" },
                    "the export is in the listing's order")
            #expect(Set(whole.dropFirst()).count == total, "no record twice across chunks")
            let (code, _, _) = try await penaltySubject(base)
            try await client.execute(uri: "/publicity/penalties?format=csv&q=\(code)", method: .get) { response in
                let lines = csvLines(response.body).lines
                #expect(lines.count > 1 && lines.dropFirst().allSatisfy { $0.contains(",\(code),") })
            }
            try await client.execute(uri: "/publicity/licences.csv", method: .get) { response in
                #expect(csvLines(response.body).lines.first?.hasPrefix("行政相对人名称,统一社会信用代码,行政许可决定文书号,许可类别,许可机关") == true)
            }
            try await client.execute(uri: "/publicity/penalties.csv?from=2026-02-30", method: .get, headers: [.accept: "text/html"]) { response in
                #expect(response.status == .badRequest && String(buffer: response.body).contains("日期应为"))
            }
        }
        // Above the limit: refused before anything is read, with a Chinese page that says how to narrow the filter.
        try await withServer(platform(base, exportLimit: total - 1)) { client in
            try await client.execute(uri: "/publicity/penalties.csv", method: .get, headers: [.accept: "text/html"]) { response in
                #expect(response.status == .unprocessableContent)
                let html = String(buffer: response.body)
                #expect(html.contains("一次最多导出 \(total - 1) 条") && html.contains("请缩小筛选范围") && html.contains("决定日期"))
            }
            try await client.execute(uri: "/publicity/penalties.csv", method: .get, headers: [.accept: "application/json"]) { response in
                #expect(response.status == .unprocessableContent)
                #expect(String(buffer: response.body).contains("/problems/export-too-large"))
            }
            let (code, _, _) = try await penaltySubject(base)
            try await client.execute(uri: "/publicity/penalties.csv?q=\(code)", method: .get) { response in
                #expect(response.status == .ok, "a narrower filter exports")
            }
        }
    }

    @Test func badgesAndDatesStayWholeAndTablesScrollOnAPhone() async throws {
        try await withServer { client, _ in
            let css = try await client.execute(uri: "/static/site.css", method: .get) { String(buffer: $0.body) }
            let block = try #require(css.components(separatedBy: "/* Listings and search (issue 15) */").last)
            #expect(block.contains(".badge, .flag, .date, td.date") && block.contains("white-space: nowrap"))
            #expect(block.contains(".table-scroll { overflow-x: auto"))
            try await client.execute(uri: "/lists/black", method: .get) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("<div class=\"table-scroll\">") && html.contains("<td class=\"date\">"))
            }
            let record = try #require(try await Fixture.platform.value.site.doublePublicity(.penalties, .init(pageSize: 1)).entries.first).record
            try await client.execute(uri: "/records/\(record.id)", method: .get) { response in
                #expect(String(buffer: response.body).contains("<span class=\"date\">\(record.decisionDate)</span>"))
            }
        }
    }
}
