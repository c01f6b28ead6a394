import XinyongModel
import XinyongStore

/// A search as a visitor typed it.
public struct SearchRequest: Sendable {
    public var text: String
    public var regionCode: String?
    public var kind: SubjectKind?
    public var list: CreditList?
    public var page: Int
    public var pageSize: Int

    public init(text: String, regionCode: String? = nil, kind: SubjectKind? = nil, list: CreditList? = nil,
                page: Int = 1, pageSize: Int = 20) {
        self.text = text
        self.regionCode = regionCode
        self.kind = kind
        self.list = list
        self.page = page
        self.pageSize = pageSize
    }
}

public struct SearchResults: Sendable {
    public struct Hit: Sendable {
        public let subject: Subject
        /// The name that matched: the current one, or a former one.
        public let matchedName: String
        public let matchedFormerName: Bool
        /// `matchedName` (or the code) cut into matching and other parts, for highlighting.
        public let parts: [(text: String, hit: Bool)]
        public let lists: Set<CreditList>
    }

    public let match: SubjectQuery.Match
    public let hits: [Hit]
    /// Matches found, counted up to `SearchResults.cap`.
    public let total: Int
    /// More subjects match than were ranked; the visitor should narrow the query.
    public let capped: Bool
    /// The page shown: the one asked for, or the last page when that was past the end.
    public let page: Int
    public let pageSize: Int
    /// The page the visitor asked for (differs from `page` when it was past the last one).
    public let requestedPage: Int

    /// How many matches a search ranks. A fragment shared by more names than this (建设, 商贸) is not a
    /// search anyone pages through; the page says so and asks for a longer name or a filter.
    public static let cap = 1_000

    public var pageCount: Int { max(1, (total + pageSize - 1) / pageSize) }
}

extension PublicSite {
    /// Finds organisations by a fragment of a current or former name, or by the start of a code.
    /// Ranked: exact name, then names starting with the fragment, current before former names, shorter first.
    public func search(_ request: SearchRequest, on date: CivilDate = .today()) async throws -> SearchResults {
        let match = try Self.match(for: request.text)
        try validate(ListingFilter(regionCode: request.regionCode, page: 1, pageSize: request.pageSize))
        guard request.page >= 1 else {
            throw PublicQueryError(parameter: "page", reason: "pages start at 1", message: "页码应从 1 开始")
        }
        let query = SubjectQuery(
            match: match, regionCodes: request.regionCode.map(regionAndBelow) ?? [], kind: request.kind,
            list: request.list, date: date, limit: SearchResults.cap + 1)
        let found = try await store.repositories.subjects.searchCandidates(query)
        let ranked = found.prefix(SearchResults.cap).compactMap { Self.rank($0, match: match) }
            .sorted { $0.key != $1.key ? $0.key.lexicographicallyPrecedes($1.key) : $0.tiebreak < $1.tiebreak }
        // A page past the last shows the last page (the page says so), never an empty list under a pager.
        let lastPage = max(1, (ranked.count + request.pageSize - 1) / request.pageSize)
        let shown = min(request.page, lastPage)
        let page = Array(ranked.dropFirst((shown - 1) * request.pageSize).prefix(request.pageSize))
        let subjects = try await store.repositories.subjects.find(ids: page.map(\.candidate.subjectID))
        let lists = try await store.repositories.lists.lists(of: page.map(\.candidate.subjectID), on: date)
        let hits = page.compactMap { ranked -> SearchResults.Hit? in
            guard let subject = subjects[ranked.candidate.subjectID] else { return nil }
            return Self.hit(subject, nameIndex: ranked.nameIndex, match: match, lists: lists[subject.id] ?? [])
        }
        return SearchResults(match: match, hits: hits, total: ranked.count, capped: found.count > SearchResults.cap,
                             page: shown, pageSize: request.pageSize, requestedPage: request.page)
    }

    /// A code prefix when the text is only Latin letters and digits with at least one digit; else a name.
    static func match(for text: String) throws -> SubjectQuery.Match {
        let trimmed = SocialCreditCode.normalize(String(text.prefix(SearchText.maximumQueryLength * 4)))
        if text.count > SearchText.maximumQueryLength * 4 || trimmed.count > SearchText.maximumQueryLength {
            throw PublicQueryError(parameter: "q", reason: "at most \(SearchText.maximumQueryLength) characters", message: "查询内容不能超过 \(SearchText.maximumQueryLength) 个字")
        }
        if !trimmed.isEmpty, trimmed.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }), trimmed.contains(where: \.isNumber) {
            guard trimmed.count >= 2, trimmed.count <= 18 else {
                throw PublicQueryError(parameter: "q", reason: "a code prefix has 2 to 18 characters", message: "代码查询请输入 2 至 18 位")
            }
            return .codePrefix(trimmed)
        }
        let terms = Array(SearchText.terms(trimmed).prefix(8))
        guard terms.contains(where: { $0.count >= SearchText.minimumQueryLength }) else {
            throw PublicQueryError(parameter: "q", reason: "enter at least \(SearchText.minimumQueryLength) characters of a name, or the start of a code",
                                   message: "请输入名称中至少 \(SearchText.minimumQueryLength) 个字，或代码的开头部分")
        }
        return .name(terms)
    }

    private struct Ranked {
        let candidate: SearchCandidate
        /// Which of the subject's names matched: 0 is the current name.
        let nameIndex: Int
        let key: [Int]
        let tiebreak: String
    }

    /// Ranks a candidate, or drops it when no single name holds every word (the index matches words
    /// anywhere in a subject's names).
    private static func rank(_ candidate: SearchCandidate, match: SubjectQuery.Match) -> Ranked? {
        switch match {
        case .codePrefix:
            return Ranked(candidate: candidate, nameIndex: 0, key: [0, 0, 0], tiebreak: candidate.code ?? candidate.subjectID)
        case .name(let terms):
            guard let index = candidate.foldedNames.firstIndex(where: { name in terms.allSatisfy(name.contains) }) else { return nil }
            let name = candidate.foldedNames[index]
            let closeness = name == terms.joined() ? 0 : (name.hasPrefix(terms[0]) ? 1 : 2)
            return Ranked(candidate: candidate, nameIndex: index, key: [closeness, index == 0 ? 0 : 1, name.count], tiebreak: name)
        }
    }

    private static func hit(_ subject: Subject, nameIndex: Int, match: SubjectQuery.Match, lists: Set<CreditList>) -> SearchResults.Hit {
        switch match {
        case .codePrefix(let prefix):
            let code = subject.code?.value ?? subject.legacyRegistrationNumber?.value ?? ""
            let parts: [(text: String, hit: Bool)] = [(String(code.prefix(prefix.count)), true), (String(code.dropFirst(prefix.count)), false)]
            return SearchResults.Hit(subject: subject, matchedName: code, matchedFormerName: false,
                                     parts: parts.filter { !$0.text.isEmpty }, lists: lists)
        case .name(let terms):
            let names = [subject.name] + subject.formerNames
            let name = names.indices.contains(nameIndex) ? names[nameIndex] : subject.name
            return SearchResults.Hit(subject: subject, matchedName: name, matchedFormerName: nameIndex > 0,
                                     parts: SearchText.highlight(name, terms: terms), lists: lists)
        }
    }
}
