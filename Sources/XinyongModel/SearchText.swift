/// How names are matched by the credit website's search: the rule both databases' indexes are built by.
///
/// A name is folded to its letters and digits (full-width forms to half-width, Latin upper-cased,
/// brackets, spaces and punctuation dropped), so 郴州某某（集团）有限公司 and 郴州某某(集团)有限公司 index
/// alike. The index holds the folded text's character bigrams as words; a query of n characters is the
/// phrase of its n − 1 bigrams, which finds it as a substring anywhere in a current or former name.
/// A query of several words separated by spaces (郴州 某某建设) asks for each of them.
public enum SearchText {
    /// The shortest query the name search answers: one character would match most of the city.
    public static let minimumQueryLength = 2
    /// Longer queries are cut here; no registered name is longer.
    public static let maximumQueryLength = 100

    /// The searchable form of a name.
    public static func fold(_ text: String) -> String {
        String(String.UnicodeScalarView(foldedScalars(text).map(\.scalar)))
    }

    /// The folded words of a query, in order, without repeats.
    public static func terms(_ query: String) -> [String] {
        var seen = Set<String>()
        return query.split(whereSeparator: { $0.isWhitespace || $0 == "\u{3000}" }).map { fold(String($0)) }
            .filter { !$0.isEmpty && seen.insert($0).inserted }
    }

    /// Space-separated bigrams of the folded names, a name per "|" so that no bigram spans two names.
    public static func grams(of names: [String]) -> String {
        names.map { bigrams(fold($0)).joined(separator: " ") }.filter { !$0.isEmpty }.joined(separator: " | ")
    }

    /// The folded names as one text, the exact substring test after the index has narrowed the candidates.
    public static func haystack(of names: [String]) -> String {
        names.map(fold).joined(separator: "|")
    }

    /// The bigrams a folded query must contain, in order.
    public static func bigrams(_ folded: String) -> [String] {
        let chars = Array(folded)
        guard chars.count >= 2 else { return chars.isEmpty ? [] : [String(chars)] }
        return (0..<(chars.count - 1)).map { String(chars[$0...$0 + 1]) }
    }

    /// Splits `name` into the parts that match any of the folded `terms` (each possibly several times)
    /// and the rest, for highlighting. Matching is on the folded form; the parts are the original characters.
    public static func highlight(_ name: String, terms: [String]) -> [(text: String, hit: Bool)] {
        let scalars = Array(name.unicodeScalars)
        let folded = foldedScalars(name)
        var hit = [Bool](repeating: false, count: scalars.count)
        for term in terms {
            let needle = Array(fold(term).unicodeScalars)
            guard !needle.isEmpty else { continue }
            var i = 0
            while i + needle.count <= folded.count {
                if (0..<needle.count).allSatisfy({ folded[i + $0].scalar == needle[$0] }) {
                    for k in folded[i].index...folded[i + needle.count - 1].index { hit[k] = true }
                    i += needle.count
                } else {
                    i += 1
                }
            }
        }
        var parts: [(text: String, hit: Bool)] = []
        for (k, scalar) in scalars.enumerated() {
            if let last = parts.last, last.hit == hit[k] {
                parts[parts.count - 1].text.unicodeScalars.append(scalar)
            } else {
                parts.append((String(Character(scalar)), hit[k]))
            }
        }
        return parts
    }

    /// Each kept scalar of the folded text with its position in the original.
    private static func foldedScalars(_ text: String) -> [(scalar: Unicode.Scalar, index: Int)] {
        var out: [(scalar: Unicode.Scalar, index: Int)] = []
        for (index, original) in text.unicodeScalars.enumerated() {
            var scalar = original
            if (0xFF01...0xFF5E).contains(scalar.value) { scalar = Unicode.Scalar(scalar.value - 0xFEE0)! }
            if scalar.isASCII {
                // The common case, without Unicode property lookups.
                switch scalar.value {
                case 0x30...0x39, 0x41...0x5A: out.append((scalar, index))
                case 0x61...0x7A: out.append((Unicode.Scalar(scalar.value - 0x20)!, index))
                default: break
                }
                continue
            }
            let properties = scalar.properties
            guard properties.isAlphabetic || properties.numericType != nil else { continue }
            if properties.changesWhenUppercased {
                for upper in properties.uppercaseMapping.unicodeScalars { out.append((upper, index)) }
            } else {
                out.append((scalar, index))
            }
        }
        return out
    }
}
