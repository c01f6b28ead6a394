import Foundation
import Ink
import XinyongModel

/// Markdown the office writes, as HTML a page may include unescaped. Ink parses; these modifiers make its
/// output inert, because Ink copies raw HTML through and pastes link targets, image alt texts and code
/// languages into attributes without escaping them:
/// - raw HTML (blocks and inline) is shown as text;
/// - a link keeps its target only when it is http(s), mailto or relative, and the target is re-escaped;
///   any other target (`javascript:`, `data:`, `vbscript:`, …) leaves the link's text without a link;
/// - an image keeps its source only when it is http(s) or relative; otherwise only its alt text remains;
/// - a code block loses its language class;
/// - a link, image or code block whose parts cannot be told apart exactly (reference links, a target
///   containing `"`) is shown as its Markdown source, escaped.
/// Text, emphasis, headings, lists, quotes, tables and inline code come from Ink, which escapes `<`, `>`, `&`.
public enum SafeMarkdown {
    public static func html(_ markdown: String) -> String {
        parser.html(from: markdown)
    }

    nonisolated(unsafe) private static let parser = MarkdownParser(modifiers: [
        Modifier(target: .html) { String($0.markdown).htmlEscaped },
        Modifier(target: .links) { link(html: $0.html, markdown: $0.markdown) },
        Modifier(target: .images) { image(html: $0.html, markdown: $0.markdown) },
        Modifier(target: .codeBlocks) { codeBlock(html: $0.html, markdown: $0.markdown) },
    ])

    /// `[text](target)`: Ink wrote `<a href="target">text</a>`.
    static func link(html: String, markdown: Substring) -> String {
        guard let target = inlineTarget(markdown), html.hasPrefix("<a href=\"\(target)\">"), html.hasSuffix("</a>") else {
            return String(markdown).htmlEscaped
        }
        let text = String(html.dropFirst("<a href=\"\(target)\">".count).dropLast("</a>".count))
        guard let kind = scheme(of: target), ["http", "https", "mailto", ""].contains(kind) else { return text }
        return "<a href=\"\(target.htmlEscaped)\" rel=\"nofollow noopener\">\(text)</a>"
    }

    /// `![alt](source)`: Ink wrote `<img src="source"/>` or `<img src="source" alt="alt"/>`.
    static func image(html: String, markdown: Substring) -> String {
        guard let source = inlineTarget(markdown), html.hasPrefix("<img src=\"\(source)\""), html.hasSuffix("/>") else {
            return String(markdown).htmlEscaped
        }
        let rest = html.dropFirst("<img src=\"\(source)\"".count).dropLast(2)
        let alt = rest.hasPrefix(" alt=\"") && rest.hasSuffix("\"") ? String(rest.dropFirst(6).dropLast()) : ""
        // The alt text is Ink's HTML of the text, whose quotes Ink left as they were.
        let safeAlt = alt.replacingOccurrences(of: "\"", with: "&quot;")
        guard let kind = scheme(of: source), ["http", "https", ""].contains(kind) else { return safeAlt }
        return "<img src=\"\(source.htmlEscaped)\" alt=\"\(safeAlt)\">"
    }

    /// A fenced block: Ink wrote `<pre><code class="language-LANG">code</code></pre>`, the code escaped.
    static func codeBlock(html: String, markdown: Substring) -> String {
        let language = markdown.drop(while: { $0 == "`" }).prefix(while: { $0 != "\n" }).trimmingCharacters(in: .whitespaces)
        let start = language.isEmpty ? "<pre><code>" : "<pre><code class=\"language-\(language)\">"
        guard html.hasPrefix(start), html.hasSuffix("</code></pre>") else { return "<pre>\(String(markdown).htmlEscaped)</pre>" }
        return "<pre><code>" + html.dropFirst(start.count)
    }

    /// The target of an inline link or image, `[text](target)`, when it can be told apart exactly: the text
    /// holds no `](` and the target no `"` (then the target Ink wrote into the attribute is this one).
    static func inlineTarget(_ markdown: Substring) -> String? {
        guard markdown.hasSuffix(")"), let open = markdown.range(of: "](") else { return nil }
        let target = markdown[open.upperBound...].dropLast()
        return target.contains("\"") ? nil : String(target)
    }

    /// The scheme a browser would see: lowercased, after dropping the whitespace and control characters it
    /// ignores; "" for a relative reference. Entities need no decoding: the target is written escaped, so
    /// `&#106;` reaches the browser as text, not as `j`.
    static func scheme(of target: String) -> String? {
        let seen = String(target.unicodeScalars.filter { $0.value > 0x20 && $0.value != 0x7F }).lowercased()
        guard let end = seen.firstIndex(where: { ":/?#".contains($0) }), seen[end] == ":" else { return "" }
        let scheme = seen[..<end]
        return scheme.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) }) ? String(scheme) : nil
    }
}
