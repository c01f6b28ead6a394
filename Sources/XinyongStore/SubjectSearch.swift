import SQLKit
import XinyongModel

/// What the public search asks for. Natural persons are never found by it.
public struct SubjectQuery: Sendable {
    public enum Match: Sendable, Equatable {
        /// Folded name fragments (`SearchText.terms`), each of which must occur in one current or
        /// former name; at least one has two characters or more.
        case name([String])
        /// The start of a unified code or legacy registration number, upper-case.
        case codePrefix(String)
    }

    public var match: Match
    /// Regions to keep (a county and everything below it); empty keeps all.
    public var regionCodes: [String]
    public var kind: SubjectKind?
    /// Keep only subjects on this list on `date`.
    public var list: CreditList?
    public var date: CivilDate
    public var limit: Int

    public init(match: Match, regionCodes: [String] = [], kind: SubjectKind? = nil, list: CreditList? = nil,
                date: CivilDate, limit: Int) {
        self.match = match
        self.regionCodes = regionCodes
        self.kind = kind
        self.list = list
        self.date = date
        self.limit = limit
    }
}

/// A search match before ranking: the subject's id, its names folded (`SearchText.fold`; the current
/// name first, then the former ones) and its code.
public struct SearchCandidate: Sendable {
    public let subjectID: String
    public let foldedNames: [String]
    public let code: String?
}

extension SubjectRepository {
    /// Writes the search entries of new subjects (current and former names).
    func indexForSearch(_ subjects: [Subject], ignoringExisting: Bool = false) async throws {
        let rows: [[any Encodable & Sendable]] = subjects.filter { $0.kind != .naturalPerson }.map { s in
            let names = [s.name] + s.formerNames
            return [s.id, SearchText.haystack(of: names), SearchText.grams(of: names)]
        }
        try await db.insertRows(into: "subject_search", columns: ["subject_id", "names", "grams"], rows: rows,
                                ignoringConflicts: ignoringExisting)
    }

    private struct NamesRow: Decodable { let id, kind, name, former_names: String }

    /// Builds the index for subjects written before it existed (the migration that creates it).
    func indexAllForSearch() async throws {
        var after = ""
        while true {
            let rows = try await db.raw("""
                SELECT id, kind, name, former_names FROM subjects WHERE id > \(bind: after) ORDER BY id LIMIT 5000
                """).all(decoding: NamesRow.self)
            guard let last = rows.last else { return }
            let entries: [[any Encodable & Sendable]] = try rows.filter { $0.kind != SubjectKind.naturalPerson.rawValue }.map { r in
                let names = [r.name] + (try decodeJSON([String].self, r.former_names, column: "former_names"))
                return [r.id, SearchText.haystack(of: names), SearchText.grams(of: names)]
            }
            try await db.insertRows(into: "subject_search", columns: ["subject_id", "names", "grams"], rows: entries)
            after = last.id
        }
    }

    /// Subjects matching `query` as light rows (id, folded names, code), at most `query.limit`, in index
    /// order: the caller ranks them and loads whole subjects only for the page it shows.
    public func searchCandidates(_ query: SubjectQuery) async throws -> [SearchCandidate] {
        let sqlite = db.dialect.name == "sqlite"
        var sql = SQLQueryString("SELECT s.id, ss.names, s.code FROM subjects s ")
        switch query.match {
        case .name(let terms):
            let indexed = terms.filter { $0.count >= SearchText.minimumQueryLength }
            sql += "JOIN subject_search ss ON ss.subject_id = s.id "
            if sqlite {
                // Driven from the FTS index, so that LIMIT stops the scan after enough matches.
                let phrases = indexed.map { "\"" + SearchText.bigrams($0).joined(separator: " ") + "\"" }.joined(separator: " AND ")
                sql += """
                    JOIN subject_search_fts ON subject_search_fts.rowid = ss.rowid WHERE subject_search_fts MATCH \(bind: phrases)
                    """
            } else {
                let grams = indexed.flatMap(SearchText.bigrams).joined(separator: " ")
                sql += "WHERE string_to_array(ss.grams, ' ') @> string_to_array(\(bind: grams), ' ')"
            }
            for term in terms {
                sql += " AND ss.names LIKE \(bind: "%" + likeEscaped(term) + "%") ESCAPE '\\'"
            }
        case .codePrefix(let prefix):
            sql += "JOIN subject_search ss ON ss.subject_id = s.id "
            if sqlite {
                // A range on the code index; codes are ASCII, so U+FFFF sorts after every continuation.
                sql += "WHERE s.code >= \(bind: prefix) AND s.code < \(bind: prefix + "\u{FFFF}")"
            } else {
                sql += "WHERE s.code LIKE \(bind: likeEscaped(prefix) + "%")"
            }
        }
        sql += " AND s.kind <> 'natural_person'"
        if let kind = query.kind { sql += " AND s.kind = \(bind: kind.rawValue)" }
        if !query.regionCodes.isEmpty {
            sql += " AND s.region_code IN (\(binds: query.regionCodes))"
        }
        if let list = query.list {
            let day = query.date.description
            sql += """
                 AND EXISTS (SELECT 1 FROM list_memberships m WHERE m.subject_id = s.id
                 AND (m.list || '') = \(bind: list.rawValue)  -- on the subject key, not the list index
                 AND m.state = 'listed' AND m.start_date <= \(bind: day) AND m.end_date > \(bind: day))
                """
        }
        sql += " LIMIT \(unsafeRaw: String(query.limit))"
        return try await db.raw(sql).all(decoding: CandidateRow.self).map {
            SearchCandidate(subjectID: $0.id, foldedNames: $0.names.split(separator: "|", omittingEmptySubsequences: false).map(String.init),
                            code: $0.code)
        }
    }

    private struct CandidateRow: Decodable { let id, names: String; let code: String? }

    private func likeEscaped(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_")
    }
}

extension SubjectRepository {
    /// Organisations picked at random, for benchmarks. SQLite picks by rowid of the search index (a
    /// lookup each); PostgreSQL by offset in its primary key (an index-only scan each).
    public func sampleOrganisations(_ count: Int, using random: inout SeededRandom) async throws -> [Subject] {
        struct IDRow: Decodable { let subject_id: String }
        let sqlite = db.dialect.name == "sqlite"
        let total = try await db.count(sqlite ? "SELECT COALESCE(MAX(rowid), 0) AS n FROM subject_search" : "SELECT COUNT(*) AS n FROM subject_search")
        guard total > 0 else { return [] }
        var ids: [String] = []
        for _ in 0..<count {
            let position = Int(random.next() % UInt64(total))
            let query: SQLQueryString = sqlite
                ? "SELECT subject_id FROM subject_search WHERE rowid > \(unsafeRaw: String(position)) ORDER BY rowid LIMIT 1"
                : "SELECT subject_id FROM subject_search ORDER BY subject_id LIMIT 1 OFFSET \(unsafeRaw: String(position))"
            if let row = try await db.raw(query).first(decoding: IDRow.self) { ids.append(row.subject_id) }
        }
        let subjects = try await find(ids: ids)
        return ids.compactMap { subjects[$0] }
    }
}
