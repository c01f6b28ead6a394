import Foundation
import Testing
@testable import XinyongCulture

/// Hostile Markdown comes out inert: every tag in the output is one Markdown makes, with only the attributes
/// the renderer writes, and every link or image target is http(s), mailto or relative.
@Suite struct SafeMarkdownTests {
    static let tags: Set<String> = ["p", "a", "img", "em", "strong", "code", "pre", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li",
                                    "blockquote", "hr", "br", "table", "thead", "tbody", "tr", "th", "td", "del", "s"]
    static let attributes: Set<String> = ["href", "src", "alt", "rel", "start", "align"]
    static let tag = try! NSRegularExpression(pattern: #"<(/?)([A-Za-z][A-Za-z0-9]*)([^>]*)>"#)
    static let attribute = try! NSRegularExpression(pattern: #"^\s+([a-z]+)="([^"]*)""#)

    /// Why `html` is not inert, or nil when it is.
    static func defect(_ html: String) -> String? {
        for match in tag.matches(in: html, range: NSRange(html.startIndex..., in: html)) {
            let name = String(html[Range(match.range(at: 2), in: html)!]).lowercased()
            guard tags.contains(name) else { return "tag <\(name)>" }
            var rest = String(html[Range(match.range(at: 3), in: html)!])
            if rest.hasSuffix("/") { rest.removeLast() }
            while let m = attribute.firstMatch(in: rest, range: NSRange(rest.startIndex..., in: rest)) {
                let key = String(rest[Range(m.range(at: 1), in: rest)!]), value = String(rest[Range(m.range(at: 2), in: rest)!])
                guard attributes.contains(key) else { return "attribute \(key) on <\(name)>" }
                if key == "href" || key == "src" {
                    if value.contains("&#") || value.lowercased().contains("&colon") { return "entity in \(key)=\(value)" }
                    guard let scheme = SafeMarkdown.scheme(of: value), ["http", "https", "mailto", ""].contains(scheme) else {
                        return "\(key)=\(value)"
                    }
                }
                rest = String(rest[Range(m.range, in: rest)!.upperBound...])
            }
            guard rest.allSatisfy(\.isWhitespace) else { return "unparsed attributes '\(rest)' on <\(name)>" }
        }
        return nil
    }

    static let hostile = [
        "<script>alert(1)</script>",
        "Hello <script>alert(1)</script> world",
        "<iframe src=\"https://evil.example\"></iframe>",
        "<img src=x onerror=alert(1)>",
        "text <b onmouseover=\"alert(1)\">bold</b> text",
        "<a href=\"javascript:alert(1)\">x</a>",
        "<svg onload=alert(1)>",
        "<div>\n<script>alert(1)</script>\n</div>",
        "[click](javascript:alert(1))",
        "[click](JaVaScRiPt:alert(1))",
        "[click]( javascript:alert(1))",
        "[click](java\tscript:alert(1))",
        "[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
        "[click](vbscript:msgbox(1))",
        "[click](&#106;avascript:alert(1))",
        "[click](javascript&#58;alert(1))",
        "[click](javascript&colon;alert(1))",
        "[x](\" onmouseover=\"alert(1))",
        "[x](https://ok.example/\"><script>alert(1)</script>)",
        "[t](a\"><script>alert(1)</script>](a)",
        "[x][1]\n\n[1]: javascript:alert(1)",
        "![x](javascript:alert(1))",
        "![a\" onerror=\"alert(1)](/x.png)",
        "![x](data:image/svg+xml;base64,PHN2Zz4=)",
        "```\"><script>alert(1)</script>\ncode\n```",
        "`<script>alert(1)</script>`",
        "| a | b |\n|---|---|\n| <script>alert(1)</script> | [x](javascript:alert(1)) |",
        "---\ntitle: <script>alert(1)</script>\n---\nbody",
        "> <iframe src=//evil></iframe>",
        "- <img src=x onerror=alert(1)>\n- [y](vbscript:x)",
        "**[bold](javascript:alert(1))**",
        "&lt;script&gt;alert(1)&lt;/script&gt;",
    ]

    @Test(arguments: hostile) func hostileMarkdownIsInert(_ markdown: String) {
        let html = SafeMarkdown.html(markdown)
        #expect(Self.defect(html) == nil, "\(markdown) → \(html)")
        #expect(!html.lowercased().contains("<script"))
    }

    @Test func aDangerousLinkKeepsItsTextWithoutTheLink() {
        #expect(SafeMarkdown.html("[点击这里](javascript:alert(1))") == "<p>点击这里</p>")
        #expect(SafeMarkdown.html("见![图](vbscript:x)") == "<p>见图</p>")
    }

    @Test func ordinaryMarkdownRenders() {
        let html = SafeMarkdown.html("""
            # 标题

            **守信**与*失信*，见[名单](/lists/red)、[官网](https://www.creditchina.gov.cn/)和[邮件](mailto:office@example.cn)。

            - 一
            - 二

            ![图](/static/a.png)
            """)
        #expect(html.contains("<h1>标题</h1>"))
        #expect(html.contains("<strong>守信</strong>"))
        #expect(html.contains("<a href=\"/lists/red\" rel=\"nofollow noopener\">名单</a>"))
        #expect(html.contains("<a href=\"https://www.creditchina.gov.cn/\" rel=\"nofollow noopener\">官网</a>"))
        #expect(html.contains("href=\"mailto:office@example.cn\""))
        #expect(html.contains("<li>一</li>"))
        #expect(html.contains("<img src=\"/static/a.png\" alt=\"图\">"))
        #expect(Self.defect(html) == nil)
    }

    @Test func rawHTMLShowsAsText() {
        #expect(SafeMarkdown.html("<b>粗</b>").contains("&lt;b&gt;粗&lt;/b&gt;"))
    }

    @Test func aQueryStringKeepsItsAmpersandsEscaped() {
        #expect(SafeMarkdown.html("[查](/search?q=a&page=2)").contains("href=\"/search?q=a&amp;page=2\""))
    }

    @Test func schemesAreReadAsABrowserReadsThem() {
        #expect(SafeMarkdown.scheme(of: " Java\tScript:x") == "javascript")
        #expect(SafeMarkdown.scheme(of: "/a:b") == "")
        #expect(SafeMarkdown.scheme(of: "a/b:c") == "")
        #expect(SafeMarkdown.scheme(of: "HTTPS://x") == "https")
        #expect(SafeMarkdown.scheme(of: "#top") == "")
    }
}
