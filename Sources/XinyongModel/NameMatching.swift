/// Matching Chinese organisation names when a department has no unified code: the same firm is written
/// 郴州市宏达商贸有限公司, 郴州宏达商贸有限责任公司, 宏达（郴州）商贸有限公司 or just 宏达商贸; a branch
/// (…北湖分公司) is a subject of its own, and different firms share a region and a legal form.
///
/// A name is parsed into its parts (region prefix, core = trade name and industry, legal form, branch);
/// two names score 1 when every part agrees, and each disagreement costs what it says about identity.
/// The explanation lists every part with its verdict, so that a clerk sees why a candidate scored.
public struct OrganisationName: Sendable, Equatable {
    public enum LegalForm: String, Sendable, Codable {
        case limited, jointStock = "joint_stock", groupLimited = "group_limited", groupJointStock = "group_joint_stock"
        case generalPartnership = "general_partnership", limitedPartnership = "limited_partnership"
        case cooperative
        /// "公司" alone: an old or abbreviated name that does not say which form.
        case company
        /// "集团" or "集团公司" alone: a group that does not say whether limited or joint stock.
        case group
    }

    public let original: String
    /// Half-width, unified brackets, no whitespace or punctuation, upper-case Latin: the form overrides are keyed by.
    public let normalized: String
    /// The region prefix as written (normalised), e.g. 湖南省郴州市.
    public let regionText: String
    /// The most specific region the prefix names, as GB/T 2260 codes (a name may fit several).
    public let regionCodes: Set<String>
    /// Trade name and industry (字号 + 行业), the part that identifies the firm.
    public let core: String
    public let legalForm: LegalForm?
    public let legalFormText: String
    /// The branch designation (e.g. 北湖分公司), canonical: region short form + branch word.
    public let branch: String?

    public init(_ text: String, regions: RegionNames = .shipped) {
        original = text
        var s = OrganisationName.normalize(text)
        normalized = s
        // Bracketed parts: a region (宏达（郴州）商贸), a branch, a partnership form, or words kept in place.
        var bracketRegions: [Set<String>] = []
        var bracketBranch: String?
        var bracketForm: (LegalForm, String)?
        while let open = s.firstIndex(of: "("), let close = s[open...].firstIndex(of: ")") {
            let inside = String(s[s.index(after: open)..<close])
            var replacement = ""
            if let codes = regions.codes(inside, shortFormsAllowed: true), !codes.isEmpty {
                bracketRegions.append(codes)
            } else if OrganisationName.branchWords.contains(where: { inside.hasSuffix($0) }) {
                bracketBranch = inside
            } else if inside == "普通合伙" || inside == "特殊普通合伙" {
                bracketForm = (.generalPartnership, inside)
            } else if inside == "有限合伙" {
                bracketForm = (.limitedPartnership, inside)
            } else {
                replacement = inside
            }
            s.replaceSubrange(open...close, with: replacement)
        }
        s = s.filter { $0 != "(" && $0 != ")" }

        // Branch: text after the head office's legal form that ends in a branch word.
        var branchText = bracketBranch
        if branchText == nil, let word = OrganisationName.branchWords.first(where: { s.hasSuffix($0) }) {
            for form in ["有限责任公司", "股份有限公司", "有限公司", "公司"] {
                if let range = s.range(of: form, options: .backwards), range.upperBound < s.endIndex,
                    s.distance(from: range.upperBound, to: s.endIndex) >= word.count {
                    branchText = String(s[range.upperBound...])
                    s = String(s[..<range.upperBound])
                    break
                }
            }
        }
        branch = branchText.map { OrganisationName.canonicalBranch($0, regions: regions) }

        // Legal form at the end.
        var form: LegalForm? = bracketForm?.0
        var formText = bracketForm?.1 ?? ""
        if form == nil {
            for (suffix, f) in OrganisationName.legalForms where s.hasSuffix(suffix) && s.count > suffix.count {
                form = f
                formText = suffix
                s.removeLast(suffix.count)
                break
            }
        }
        legalForm = form
        legalFormText = formText

        // Region prefix: the longest region names at the start, each inside the one before.
        var prefix = ""
        var codes: Set<String> = []
        var first = true
        while true {
            guard let (length, found) = regions.longestPrefix(of: s, within: first ? nil : codes, shortFormsAllowed: true),
                s.count > length
            else { break }
            prefix += s.prefix(length)
            codes = found
            s.removeFirst(length)
            first = false
        }
        for bracket in bracketRegions {
            prefix += prefix.isEmpty ? "" : "/"
            codes = codes.isEmpty ? bracket : regions.deeper(codes, bracket)
        }
        regionText = prefix
        regionCodes = codes
        core = s
    }

    /// Full-width → half-width, every bracket to ( ), whitespace and joining punctuation removed, Latin upper-cased.
    public static func normalize(_ text: String) -> String {
        var out = ""
        out.unicodeScalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.unicodeScalars {
            var v = scalar.value
            if (0xFF01...0xFF5E).contains(v) { v -= 0xFEE0 }
            switch v {
            case 0x28, 0x5B, 0x7B, 0x3010, 0x3014, 0x3016, 0x300C, 0x300E: out.append("(")
            case 0x29, 0x5D, 0x7D, 0x3011, 0x3015, 0x3017, 0x300D, 0x300F: out.append(")")
            case 0x20, 0x09, 0x0A, 0x0D, 0x3000, 0xA0, 0x2D, 0x5F, 0x2E, 0x2C, 0x3001, 0x3002, 0xB7, 0x30FB, 0x22, 0x27,
                 0x201C, 0x201D, 0x2018, 0x2019:
                continue
            default:
                let s = Unicode.Scalar(v)!
                if (0x61...0x7A).contains(v) { out.unicodeScalars.append(Unicode.Scalar(v - 32)!) } else { out.unicodeScalars.append(s) }
            }
        }
        return out
    }

    static let branchWords = ["分公司", "分店", "分厂", "营业部", "分部", "办事处", "分行", "支行", "分理处", "经营部", "分社", "分所"]

    /// Longest first, so that 有限责任公司 is not read as …责任 + 有限公司.
    static let legalForms: [(String, LegalForm)] = [
        ("集团股份有限公司", .groupJointStock), ("集团有限责任公司", .groupLimited), ("集团有限公司", .groupLimited),
        ("股份有限公司", .jointStock), ("有限责任公司", .limited), ("有限公司", .limited),
        ("农民专业合作社", .cooperative), ("专业合作社", .cooperative), ("合作社", .cooperative), ("集团公司", .group),
        ("公司", .company), ("集团", .group),
    ]

    /// A branch designation without its region suffix: 北湖区分公司 and 北湖分公司 are the same branch.
    static func canonicalBranch(_ text: String, regions: RegionNames) -> String {
        guard let word = branchWords.first(where: { text.hasSuffix($0) }) else { return text }
        let place = String(text.dropLast(word.count))
        if let codes = regions.codes(place, shortFormsAllowed: true), let code = codes.sorted().first {
            return "@\(code)" + word
        }
        return place + word
    }

    /// The key a subject's name is indexed under for finding candidates: its core (never empty).
    public var indexKey: String { core.isEmpty ? normalized : core }
}

/// How alike two names are, part by part.
public struct NameMatch: Sendable, Equatable {
    public struct Part: Sendable, Equatable, Codable {
        /// region, core, legal_form, branch, former_name.
        public let part: String
        public let query: String
        public let candidate: String
        /// same, equivalent, missing, nested, different, similar.
        public let verdict: String
        /// What this part took off the score (0 when it agreed).
        public let penalty: Double
        public let note: String
    }

    public let score: Double
    public let parts: [Part]

    /// The name matched is one the subject used to have.
    public var viaFormerName: Bool { parts.contains { $0.part == "former_name" } }

    public func isSame(threshold: Double) -> Bool { score >= threshold }
}

public enum NameMatcher {
    /// The office's default threshold: at or above it a candidate may be an automatic hit.
    public static let defaultThreshold = 0.9

    /// Scores `query` against `candidate`. Symmetric in the parts it compares.
    public static func match(_ q: OrganisationName, _ c: OrganisationName, regions: RegionNames = .shipped) -> NameMatch {
        var parts: [NameMatch.Part] = []
        var score: Double
        // Core: the identity of the firm. Anything short of equal keeps the pair below any sensible threshold.
        if q.core == c.core {
            score = 1
            parts.append(.init(part: "core", query: q.core, candidate: c.core, verdict: "same", penalty: 0, note: "字号和行业相同"))
        } else {
            let dice = diceCoefficient(q.core, c.core)
            score = 0.8 * dice
            parts.append(.init(part: "core", query: q.core, candidate: c.core, verdict: dice > 0 ? "similar" : "different",
                               penalty: 1 - score, note: "字号或行业不同（相似度 \(formatShare(dice))）"))
        }
        // Region.
        let regionPenalty: Double
        let regionVerdict: String
        let regionNote: String
        switch (q.regionCodes.isEmpty, c.regionCodes.isEmpty) {
        case (true, true): (regionPenalty, regionVerdict, regionNote) = (0, "same", "双方均无地区前缀")
        case (true, false), (false, true): (regionPenalty, regionVerdict, regionNote) = (0.04, "missing", "一方省略了地区前缀")
        default:
            if !q.regionCodes.isDisjoint(with: c.regionCodes) {
                (regionPenalty, regionVerdict, regionNote) = (0, q.regionText == c.regionText ? "same" : "equivalent", "同一地区（全称或简称）")
            } else if regions.nested(q.regionCodes, c.regionCodes) {
                (regionPenalty, regionVerdict, regionNote) = (0.12, "nested", "地区一方包含另一方，登记机关层级不同")
            } else {
                (regionPenalty, regionVerdict, regionNote) = (0.5, "different", "不同地区")
            }
        }
        if !(q.regionText.isEmpty && c.regionText.isEmpty) {
            parts.append(.init(part: "region", query: q.regionText, candidate: c.regionText, verdict: regionVerdict,
                               penalty: regionPenalty, note: regionNote))
        }
        score -= regionPenalty
        // Legal form.
        let formPenalty: Double
        let formVerdict: String
        let formNote: String
        switch (q.legalForm, c.legalForm) {
        case (nil, nil): (formPenalty, formVerdict, formNote) = (0, "same", "双方均无组织形式")
        case (nil, _), (_, nil): (formPenalty, formVerdict, formNote) = (0.03, "missing", "一方省略了组织形式")
        case let (a?, b?) where a == b:
            (formPenalty, formVerdict, formNote) = (0, q.legalFormText == c.legalFormText ? "same" : "equivalent",
                                                    q.legalFormText == c.legalFormText ? "组织形式相同" : "有限公司即有限责任公司")
        case (.company, .limited), (.limited, .company), (.company, .jointStock), (.jointStock, .company):
            (formPenalty, formVerdict, formNote) = (0.03, "missing", "“公司”未写明组织形式")
        case (.group, .groupLimited), (.groupLimited, .group), (.group, .groupJointStock), (.groupJointStock, .group):
            (formPenalty, formVerdict, formNote) = (0.03, "missing", "“集团”未写明组织形式")
        default: (formPenalty, formVerdict, formNote) = (0.3, "different", "组织形式不同")
        }
        if q.legalForm != nil || c.legalForm != nil {
            parts.append(.init(part: "legal_form", query: q.legalFormText, candidate: c.legalFormText, verdict: formVerdict,
                               penalty: formPenalty, note: formNote))
        }
        score -= formPenalty
        // Branch: a branch is not its head office, nor another branch.
        switch (q.branch, c.branch) {
        case (nil, nil): break
        case let (a?, b?) where a == b:
            parts.append(.init(part: "branch", query: a, candidate: b, verdict: "same", penalty: 0, note: "同一分支机构"))
        default:
            parts.append(.init(part: "branch", query: q.branch ?? "", candidate: c.branch ?? "", verdict: "different", penalty: 0.5,
                               note: q.branch == nil || c.branch == nil ? "分支机构与总公司不是同一主体" : "不同分支机构"))
            score -= 0.5
        }
        return NameMatch(score: max(0, min(1, (score * 1000).rounded() / 1000)), parts: parts)
    }

    /// Scores a query against a subject's current name and former names; the best wins, and a former name
    /// costs a little (another firm may have taken the name since).
    public static func match(query: String, name: String, formerNames: [String], regions: RegionNames = .shipped) -> NameMatch {
        let q = OrganisationName(query, regions: regions)
        var best = match(q, OrganisationName(name, regions: regions), regions: regions)
        for former in formerNames {
            let m = match(q, OrganisationName(former, regions: regions), regions: regions)
            let adjusted = max(0, ((m.score - 0.02) * 1000).rounded() / 1000)
            if adjusted > best.score {
                best = NameMatch(score: adjusted, parts: [.init(part: "former_name", query: query, candidate: former, verdict: "same",
                                                                penalty: 0.02, note: "与曾用名匹配")] + m.parts)
            }
        }
        return best
    }

    /// Sørensen–Dice over character bigrams (single characters for one-character strings).
    public static func diceCoefficient(_ a: String, _ b: String) -> Double {
        func grams(_ s: String) -> [String: Int] {
            let chars = Array(s)
            if chars.count < 2 { return chars.isEmpty ? [:] : [String(chars): 1] }
            var out: [String: Int] = [:]
            for i in 0..<(chars.count - 1) { out[String(chars[i...i + 1]), default: 0] += 1 }
            return out
        }
        let ga = grams(a), gb = grams(b)
        let total = ga.values.reduce(0, +) + gb.values.reduce(0, +)
        guard total > 0 else { return 0 }
        let shared = ga.reduce(0) { $0 + min($1.value, gb[$1.key] ?? 0) }
        return 2 * Double(shared) / Double(total)
    }

    static func formatShare(_ x: Double) -> String {
        let n = Int((x * 100).rounded())
        return "\(n)%"
    }
}

/// Region names as they appear at the start of organisation names: full names anywhere in China; short
/// forms (湖南, 韶关, 郴州, 北湖) for provinces, every prefecture-level city in the country (firms write
/// 韶关天顺… for 韶关市天顺…), and the home province's counties. County short forms elsewhere stay off:
/// a two-character county stem (永安, 兴隆) is more often a trade name than a place.
public struct RegionNames: Sendable {
    private let byName: [String: Set<String>]
    private let shortNames: [String: Set<String>]
    private let parents: [String: String]
    private let maxLength: Int

    public init(_ directory: RegionDirectory, homeProvince: String = "43") {
        var full: [String: Set<String>] = [:], short: [String: Set<String>] = [:], parents: [String: String] = [:]
        let suffixes = ["特别行政区", "自治区", "自治州", "自治县", "自治旗", "地区", "林区", "省", "市", "区", "县", "旗", "盟", "州"]
        for region in directory.all {
            parents[region.code] = region.parent
            // A prefecture that repeats its province (北京市/北京市) counts as the province's city.
            full[region.name, default: []].insert(region.code)
            guard let suffix = suffixes.first(where: { region.name.hasSuffix($0) }) else { continue }
            // An autonomous area is written short with or without its nationalities (文山壮族苗族, 文山).
            let stem = String(region.name.dropLast(suffix.count))
            let stems = suffix.hasPrefix("自治") ? [stem, Self.withoutEthnicGroups(stem)] : [stem]
            guard region.level != .county || region.code.hasPrefix(homeProvince) else { continue }
            for stem in stems where stem.count >= 2 {
                short[stem, default: []].insert(region.code)
            }
        }
        byName = full
        shortNames = short
        self.parents = parents
        maxLength = max(full.keys.map(\.count).max() ?? 0, short.keys.map(\.count).max() ?? 0)
    }

    public static let shipped = RegionNames(.shipped)

    /// China's 55 minority nationalities as autonomous areas name them; the single-character ones only with 族,
    /// since a bare 白 or 水 at the end of a place name is more often part of it.
    static let ethnicGroups: [String] = {
        let multi = ["维吾尔", "土家", "蒙古", "布依", "朝鲜", "哈尼", "哈萨克", "傈僳", "东乡", "仡佬", "拉祜", "纳西", "仫佬", "锡伯",
                     "柯尔克孜", "景颇", "达斡尔", "撒拉", "布朗", "毛南", "塔吉克", "普米", "阿昌", "鄂温克", "基诺", "德昂", "保安",
                     "俄罗斯", "裕固", "乌孜别克", "门巴", "鄂伦春", "独龙", "赫哲", "高山", "珞巴", "塔塔尔"]
        let single = ["壮", "回", "满", "苗", "彝", "藏", "侗", "瑶", "白", "黎", "傣", "畲", "佤", "水", "羌", "土", "京", "怒"]
        return (multi.flatMap { [$0 + "族", $0] } + single.map { $0 + "族" }).sorted { $0.count > $1.count }
    }()

    /// An autonomous area's stem without the nationalities it names, however many (阿坝藏族羌族 → 阿坝,
    /// 博尔塔拉蒙古 → 博尔塔拉, 红河哈尼族彝族 → 红河), never shorter than two characters.
    static func withoutEthnicGroups(_ stem: String) -> String {
        var stem = stem
        while let group = ethnicGroups.first(where: { stem.hasSuffix($0) && stem.count - $0.count >= 2 }) {
            stem = String(stem.dropLast(group.count))
        }
        return stem
    }

    /// Codes a whole text names (郴州市, 郴州 → 431000), or nil.
    public func codes(_ text: String, shortFormsAllowed: Bool) -> Set<String>? {
        byName[text] ?? (shortFormsAllowed ? shortNames[text] : nil)
    }

    /// The longest region name at the start of `text`; after the first, only regions inside `within`.
    func longestPrefix(of text: String, within: Set<String>?, shortFormsAllowed: Bool) -> (Int, Set<String>)? {
        let chars = Array(text.prefix(maxLength))
        guard chars.count >= 2 else { return nil }
        for length in stride(from: chars.count, through: 2, by: -1) {
            let candidate = String(chars[0..<length])
            guard var codes = codes(candidate, shortFormsAllowed: shortFormsAllowed) else { continue }
            if let within {
                codes = codes.filter { code in within.contains { isWithin(code, $0) && code != $0 } }
                if codes.isEmpty { continue }
            }
            return (length, codes)
        }
        return nil
    }

    func isWithin(_ code: String, _ ancestor: String) -> Bool {
        var next: String? = code
        while let c = next {
            if c == ancestor { return true }
            next = parents[c]
        }
        return false
    }

    /// Whether some region of one set lies inside some region of the other.
    func nested(_ a: Set<String>, _ b: Set<String>) -> Bool {
        a.contains { x in b.contains { y in isWithin(x, y) || isWithin(y, x) } }
    }

    /// Of two sets naming the same place at different depths, the deeper; else the first.
    func deeper(_ a: Set<String>, _ b: Set<String>) -> Set<String> {
        let inside = b.filter { y in a.contains { x in isWithin(y, x) } }
        return inside.isEmpty ? a : inside
    }
}
