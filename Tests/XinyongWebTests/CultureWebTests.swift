import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import Testing
import XinyongModel
import XinyongStore
@testable import XinyongWeb

/// Honesty culture over real HTTP on the demo city: the home page's cases, news and figures; a reviewer
/// writing a case in hostile Markdown that an administrator publishes, inert on its page and in the feed;
/// refusals next to the form; drafts and withdrawn articles hidden from the public.
@Suite(.serialized) struct CultureWebTests {
    /// The demo city's server, as the commitment tests start it (their form helpers are used here too).
    func withServer(_ body: @Sendable (any TestClientProtocol, Platform, Callers) async throws -> Void) async throws {
        try await CommitmentWebTests().withServer(body)
    }

    static let hostileBody = """
        # 案情

        <script>alert(1)</script> <iframe src="https://evil.example"></iframe> <img src=x onerror=alert(2)>

        [点我](javascript:alert(3)) [再点](JaVaScRiPt&#58;alert(4)) [数据](data:text/html,x) [旧](vbscript:x) [引](" onmouseover="alert(5))

        ![图](javascript:alert(6)) [名单](/lists/black)
        """

    static func post(_ client: some TestClientProtocol, _ uri: String, as login: Login, _ fields: [String: String],
                     _ check: @escaping @Sendable (TestResponse) throws -> Void) async throws {
        try await client.execute(uri: uri, method: .post, headers: login.headers(csrf: false, CommitmentWebTests.formHeaders),
                                 body: CommitmentWebTests.form(fields.merging(["csrf": login.csrf]) { a, _ in a }), testCallback: check)
    }

    /// What a page or a feed must never carry once the hostile body is rendered.
    static func expectInert(_ html: String, _ place: String) {
        for bad in ["<script", "<iframe", "<img src=x", "onmouseover=\"", "href=\"javascript", "href=\"data:", "href=\"vbscript",
                    "&#58;alert", "src=\"javascript"] {
            #expect(!html.lowercased().contains(bad.lowercased()), "\(place) carries \(bad)")
        }
    }

    @Test func theHomePageShowsTheLatestCasesNewsAndChecksThisMonth() async throws {
        try await withServer { client, _, _ in
            try await client.execute(uri: "/", method: .get) { response in
                let html = String(buffer: response.body)
                #expect(response.status == .ok)
                for words in ["典型案例", "信用动态", "本月联合奖惩核查", "本月行政处罚公示", "红名单", "href=\"/cases/WZ", "href=\"/news/WZ", "最新公示"] {
                    #expect(html.contains(words), "\(words)")
                }
            }
        }
    }

    @Test func aHostileCaseIsWrittenPublishedShownInertAndWithdrawn() async throws {
        try await withServer { client, platform, callers in
            let record = try #require(try await platform.store.repositories.records.latestPublicOfOrganisations(
                type: "serious_dishonesty", on: .today(), limit: 1).first)
            let reviewer = try await Login.of(callers.reviewer, client: client)
            let admin = try await Login.of(callers.admin, client: client)
            let title = "恶意脚本测试案例\(UUID().uuidString.prefix(6))"
            let location = try await client.execute(
                uri: "/office/articles", method: .post, headers: reviewer.headers(csrf: false, CommitmentWebTests.formHeaders),
                body: CommitmentWebTests.form(["csrf": reviewer.csrf, "section": "cases", "verdict": "bad", "title": title,
                                               "body": Self.hostileBody, "records": record.id, "list_black": "yes"])) { response in
                #expect(response.status == .seeOther)
                return try #require(response.headers[.location])
            }
            let id = String(try #require(location.split(separator: "/").last?.split(separator: "?").first))
            try await client.execute(uri: "/cases/\(id)", method: .get) { #expect($0.status == .notFound, "a draft is not public") }
            try await client.execute(uri: location, method: .get, headers: reviewer.headers(csrf: false)) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("草稿") && !html.contains("/publish\""), "a reviewer sees no button to publish")
                Self.expectInert(html, "the office's preview")
            }
            try await Self.post(client, "/office/articles/\(id)/publish", as: reviewer, [:]) { #expect($0.status == .forbidden) }
            try await Self.post(client, "/office/articles/\(id)/publish", as: admin, [:]) { #expect($0.status == .seeOther) }

            try await client.execute(uri: "/cases/\(id)", method: .get) { response in
                #expect(response.status == .ok)
                let html = String(buffer: response.body)
                #expect(html.contains(title) && html.contains("失信典型") && html.contains("点我"))
                #expect(html.contains("href=\"/records/\(record.id)\"") && html.contains(record.documentNumber))
                #expect(html.contains("href=\"/lists/black\""))
                #expect(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"), "raw HTML shows as text")
                Self.expectInert(html, "the case page")
            }
            try await client.execute(uri: "/news/\(id)", method: .get) { #expect($0.status == .notFound, "a case is not news") }
            try await client.execute(uri: "/cases?kind=bad", method: .get) { #expect(String(buffer: $0.body).contains("href=\"/cases/\(id)\"")) }
            try await client.execute(uri: "/cases?kind=good", method: .get) { #expect(!String(buffer: $0.body).contains("href=\"/cases/\(id)\"")) }

            try await client.execute(uri: "/feed.atom", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "application/atom+xml; charset=utf-8")
                let feed = try FeedReader(Data(buffer: response.body))
                #expect(feed.elements.starts(with: ["feed", "id", "title"]))
                #expect(feed.elements.contains("updated"))
                let entry = try #require(feed.entries.first { $0.id.hasSuffix("articles/\(id)") })
                #expect(entry.title == title && entry.link == "/cases/\(id)" && entry.contentType == "html" && !entry.updated.isEmpty)
                #expect(entry.content.contains("<h1>案情</h1>") && entry.content.contains("&lt;script&gt;"))
                Self.expectInert(entry.content, "the feed's content")
            }

            try await Self.post(client, "/office/articles/\(id)/withdraw", as: admin, [:]) { #expect($0.status == .seeOther) }
            try await client.execute(uri: "/cases/\(id)", method: .get) { #expect($0.status == .notFound, "a withdrawn case is not public") }
            try await client.execute(uri: "/feed.atom", method: .get) { #expect(!String(buffer: $0.body).contains(id)) }
            let actions = try await platform.store.repositories.audit.entries(entity: "articles", limit: 10_000).filter { $0.entity_id == id }
            #expect(Set(actions.map(\.action)) == ["create", "publish", "withdraw"])
            #expect(actions.first { $0.action == "create" }?.actor == "user:\(callers.reviewer.name)")
        }
    }

    @Test func badInputIsRefusedNextToTheFormWithItsReason() async throws {
        try await withServer { client, _, callers in
            let county = try await Login.of(callers.countyOther, client: client)
            let good = ["section": "cases", "verdict": "good", "title": "标题", "body": "正文"]
            for (change, words) in [(["title": " "], "请填写标题"), (["records": "no-such-record"], "未找到编号为 no-such-record 的信用记录"),
                                    (["list_gold": "yes"], "没有名为“gold”的名单"),
                                    (["body": String(repeating: "长", count: Article.Limits.body + 1)], "正文过长"),
                                    (["verdict": ""], "请选择典型案例的类别")] {
                try await Self.post(client, "/office/articles", as: county, good.merging(change) { _, b in b }) { response in
                    #expect(response.status == .unprocessableContent, "\(words)")
                    let html = String(buffer: response.body)
                    #expect(html.contains(words), "\(words)")
                    #expect(html.contains("name=\"title\""), "the form comes back")
                }
            }
            try await Self.post(client, "/office/articles", as: county, ["title": "x", "body": "y"]) { #expect($0.status == .badRequest) }
        }
    }

    @Test func theDemoSectionsListTheirPublishedArticlesOnly() async throws {
        try await withServer { client, _, _ in
            for (uri, words) in [("/news", "信用动态"), ("/policies", "信用修复管理办法"), ("/cases?kind=good", "守信典型")] {
                try await client.execute(uri: uri, method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(String(buffer: response.body).contains(words), "\(uri)")
                }
            }
            try await client.execute(uri: "/cases?kind=good", method: .get) { #expect(!String(buffer: $0.body).contains("class=\"tag\">失信典型")) }
            try await client.execute(uri: "/policies/WZ20260101-NONE", method: .get) { #expect($0.status == .notFound) }
        }
    }
}

/// The Atom elements a test needs, read by a real XML parser (so the feed must be well-formed).
final class FeedReader: NSObject, XMLParserDelegate {
    struct Entry { var id = "", title = "", updated = "", link = "", contentType = "", content = "" }
    private(set) var elements: [String] = []
    private(set) var entries: [Entry] = []
    private var text = ""
    private var entry: Entry?

    init(_ data: Data) throws {
        super.init()
        let parser = XMLParser(data: data)
        parser.delegate = self
        guard parser.parse() else { throw parser.parserError ?? CocoaError(.coderReadCorrupt) }
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        elements.append(name)
        text = ""
        if name == "entry" { entry = Entry() }
        if name == "link", entry != nil { entry?.link = attributes["href"] ?? "" }
        if name == "content" { entry?.contentType = attributes["type"] ?? "" }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        switch name {
        case "id": entry?.id = text
        case "title": entry?.title = text
        case "updated": entry?.updated = text
        case "content": entry?.content = text
        case "entry": if let entry { entries.append(entry) }; entry = nil
        default: break
        }
    }
}
