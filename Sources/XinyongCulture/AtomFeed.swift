import XinyongModel

/// Published articles as an Atom 1.0 feed (RFC 4287). Ids are tag URIs (RFC 4151), stable whatever host
/// serves the feed; links are relative to the feed's own address. Each entry carries the same sanitised
/// HTML as its page, escaped as `type="html"` content.
public enum AtomFeed {
    static let idPrefix = "tag:xinyong.chenzhou,2026:"

    /// - Parameter now: the feed's `updated` when there is no article yet.
    public static func xml(_ articles: [Article], now: String) -> String {
        var out = """
            <?xml version="1.0" encoding="utf-8"?>
            <feed xmlns="http://www.w3.org/2005/Atom" xml:lang="zh-CN">
            <id>\(idPrefix)feed</id>
            <title>信用郴州 · 诚信文化</title>
            <subtitle>典型案例、信用动态与政策法规</subtitle>
            <updated>\(articles.map(\.updatedAt).max() ?? now)</updated>
            <link rel="self" type="application/atom+xml" href="/feed.atom"/>
            <link rel="alternate" type="text/html" href="/"/>
            <author><name>郴州市社会信用体系建设领导小组办公室</name></author>

            """
        for article in articles { out += entry(article) }
        return out + "</feed>\n"
    }

    static func entry(_ a: Article) -> String {
        let category = a.verdict?.label ?? a.section.label
        return """
            <entry>
            <id>\(idPrefix)articles/\(a.id)</id>
            <title>\(a.title.htmlEscaped)</title>
            <updated>\(a.updatedAt)</updated>
            <published>\(a.publishedAt ?? a.updatedAt)</published>
            <link rel="alternate" type="text/html" href="\(a.path)"/>
            <category term="\(a.section.rawValue)" label="\(category.htmlEscaped)"/>
            \(a.summary.isEmpty ? "" : "<summary>\(a.summary.htmlEscaped)</summary>\n")<content type="html">\(SafeMarkdown.html(a.body).htmlEscaped)</content>
            </entry>

            """
    }
}
