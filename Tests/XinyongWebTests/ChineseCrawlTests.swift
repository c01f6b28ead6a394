import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import Testing
import XinyongModel
import XinyongStore
@testable import XinyongWeb

/// Every page a person reads speaks Chinese: a crawl of the pages of every template — as the public, a
/// clerk and an administrator, with errors, refusals and form answers — finds no Latin-script sentence
/// outside codes (`<code>`), numbers and names.
@Suite struct ChineseCrawlTests {
    static let browser: HTTPFields = [.accept: "text/html"]

    /// Three or more Latin words in a row: a sentence or a heading in English.
    static let sentence = try! NSRegularExpression(pattern: #"[A-Za-z][a-z]+(?:[ ,'’-]+[A-Za-z][a-z]+){2,}"#)

    static func visibleText(_ html: String) -> String {
        var text = html
        for pattern in [#"<(script|style|code|pre|title)[^>]*>[\s\S]*?</\1>"#, #"<[^>]+>"#] {
            text = text.replacingOccurrences(of: pattern, with: " ", options: .regularExpression)
        }
        return text.replacingOccurrences(of: "&amp;", with: "&").replacingOccurrences(of: "&#39;", with: "'")
    }

    static func englishSentences(_ html: String) -> [String] {
        let text = visibleText(html)
        return sentence.matches(in: text, range: NSRange(text.startIndex..., in: text)).map { String(text[Range($0.range, in: text)!]) }
    }

    /// The demo's inspection plan (InspectionDemo.swift), published two weeks before the demo's as-of date, today.
    static var demoPlan: String { "CC\(CivilDate.today().adding(days: -14).description.replacingOccurrences(of: "-", with: ""))-DEMO0001" }

    @Test func noPageSpeaksEnglish() async throws {
        let platform = try await Fixture.platform.value
        let callers = try await Callers.fixture.value
        let code = try await Fixture.codeWithPublicPenalty(platform.store)
        let article = try #require(try await platform.store.repositories.articles.list(section: .cases, states: [.published], limit: 1).first)
        struct Number: Decodable { let id: String }
        let consent = try #require(try await platform.store.sql.raw("SELECT id FROM consents ORDER BY id LIMIT 1").first(decoding: Number.self)).id
        let app = buildApplication(platform: platform, host: "127.0.0.1", port: 0)
        try await app.test(.live) { client in
            let clerk = try await Login.of(callers.clerkA, client: client)
            let admin = try await Login.of(callers.admin, client: client)
            var findings: [String] = []
            func crawl(_ uri: String, as login: Login? = nil, method: HTTPRequest.Method = .get, form: String? = nil) async throws {
                var headers = login?.headers(csrf: false, Self.browser) ?? Self.browser
                if form != nil { headers[.contentType] = "application/x-www-form-urlencoded" }
                let body = form.map { ByteBuffer(string: $0 + (login.map { "&csrf=\($0.csrf)" } ?? "")) } ?? ByteBuffer()
                let uri = uri.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? uri
                try await client.execute(uri: uri, method: method, headers: headers, body: body) { response in
                    if response.status.code / 100 == 3 { return }
                    #expect(response.headers[.contentType]?.hasPrefix("text/html") == true, "\(uri) is not a page")
                    for found in Self.englishSentences(String(buffer: response.body)) { findings.append("\(uri): \(found)") }
                }
            }
            for uri in ["/", "/search?q=郴州", "/search?q=x", "/subjects/\(code)", "/subjects/BADCODE", "/subjects/91350100M000100Y43",
                        "/publicity/penalties", "/publicity/licences", "/publicity/nothing", "/lists/red", "/lists/black", "/lists/watch",
                        "/reports/\(code)", "/verify", "/login", "/login?expired=1", "/repair", "/objections", "/no/such/page",
                        "/office/quality", "/subjects/\(code)/evaluation", "/xinyi", "/commitments/sign",
                        "/commitments/sign?matter=food_business_licence", "/commitments/sign?matter=nope", "/commitments/CN20260101-0000000000",
                        "/inspections", "/inspections/\(Self.demoPlan)", "/inspections/CC20260101-NONE",
                        "/parks", "/parks/gaoxin", "/parks/zixing", "/parks/nope", "/associations", "/associations/431000-association-construction",
                        "/associations/nope",
                        "/cases", "/cases?kind=good", "/cases?kind=bad", "/news", "/policies", "/cases/\(article.id)", "/news/WZ20260101-NONE",
                        "/consents/new", "/consents/SQ20260101-0000000000", "/consents/\(consent)"] {
                try await crawl(uri)
            }
            try await crawl("/commitments/sign", method: .post, form: "matter=food_business_licence&subject_code=91350100M000100Y43&subject_name=x&signer=x")
            try await crawl("/verify", method: .post, form: "document=%7B%22report%22%3A1%7D")
            try await crawl("/verify", method: .post, form: "number=XY0000")
            try await crawl("/consents/new", method: .post, form: "agency=demo-agency&subject_code=\(code)&subject_name=x&signer=x&scopes=consented")
            try await crawl("/consents/SQ20260101-0000000000/revoke", method: .post, form: "code=x")
            try await crawl("/consents/\(consent)", method: .post, form: "code=WRONGCODE")
            for uri in ["/submit", "/submit?type=admin_licence", "/checks", "/account", "/account/password", "/office/users", "/notices",
                        "/notices/GZ20260101-0000000000"] {
                try await crawl(uri, as: clerk)
            }
            try await crawl("/submit", as: clerk, method: .post,
                            form: "record_type=admin_penalty&subject_name=x&subject_code=not%20a%20code&decision_date=2999-01-01")
            try await crawl("/checks", as: clerk, method: .post, form: "name=%E9%83%B4%E5%B7%9E%E5%BB%BA%E8%AE%BE&scenario=bidding")
            try await crawl("/checks", as: clerk, method: .post, form: "code=\(code)&scenario=commitment_approval")
            try await crawl("/account/password", as: clerk, method: .post, form: "current=wrong&new=short&repeat=short")
            for uri in ["/office/quality", "/office/checks", "/office/users", "/office/audit", "/office/deliveries", "/office/deliveries/1",
                        "/account/totp", "/checks", "/submit",
                        "/office/notices", "/office/notices/GZ20260101-0000000000",
                        "/office/evaluation", "/office/evaluation/explain?code=\(code)", "/office/evaluation/explain?code=BAD",
                        "/office/parks",
                        "/office/articles", "/office/articles/new?section=news", "/office/articles/\(article.id)"] {
                try await crawl(uri, as: admin)
            }
            try await crawl("/office/parks/gaoxin/members", as: admin, method: .post, form: "mode=strict&codes=NOT-A-CODE%0A91431000MAYYYYYY")
            try await crawl("/office/parks/gaoxin/reviews", as: admin, method: .post, form: "year=1990&outcome=passed&note=x")
            try await crawl("/office/parks/gaoxin/reviews", as: admin, method: .post, form: "year=2026&outcome=bogus&note=x")
            try await crawl("/office/users", as: admin, method: .post, form: "name=x&role=clerk")
            try await crawl("/office/articles", as: admin, method: .post, form: "section=cases&title=x&body=y&records=nope")
            #expect(findings.isEmpty, "English on pages:\n\(findings.joined(separator: "\n"))")
        }
    }
}
