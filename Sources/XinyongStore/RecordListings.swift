import SQLKit
import XinyongModel

/// A public listing of records: the double-publicity pages and the red and black lists.
public struct ListingQuery: Sendable {
    /// Record types to list, each with whether natural persons may be shown for it.
    public var types: [(code: String, publishesNaturalPersons: Bool)]
    public var regionCodes: [String]
    public var departmentID: String?
    public var decidedFrom: CivilDate?
    public var decidedTo: CivilDate?
    /// Keep only these subjects' records (a name search's matches); nil keeps every subject, empty none.
    public var subjectIDs: [String]?
    /// Keep only records whose document number starts with this text.
    public var documentPrefix: String?
    /// Every department's id, with `documentPrefix`: the number is then looked up in the natural-key
    /// index (department, type, number) once per department instead of scanning the type.
    public var allDepartmentIDs: [String]
    /// Keyset paging: only records after this one in listing order (newest decision first, then id descending).
    public var after: ListingCursor?
    public var date: CivilDate
    public var limit: Int

    public init(types: [(code: String, publishesNaturalPersons: Bool)], regionCodes: [String] = [], departmentID: String? = nil,
                decidedFrom: CivilDate? = nil, decidedTo: CivilDate? = nil, subjectIDs: [String]? = nil,
                documentPrefix: String? = nil, allDepartmentIDs: [String] = [], after: ListingCursor? = nil,
                date: CivilDate, limit: Int) {
        self.types = types
        self.regionCodes = regionCodes
        self.departmentID = departmentID
        self.decidedFrom = decidedFrom
        self.decidedTo = decidedTo
        self.subjectIDs = subjectIDs
        self.documentPrefix = documentPrefix
        self.allDepartmentIDs = allDepartmentIDs
        self.after = after
        self.date = date
        self.limit = limit
    }
}

/// Where a page of a listing ended: its last record's decision date and id.
public struct ListingCursor: Sendable, Equatable {
    public let decisionDate: CivilDate
    public let id: String

    public init(decisionDate: CivilDate, id: String) {
        self.decisionDate = decisionDate
        self.id = id
    }

    public init(_ record: CreditRecord) { self.init(decisionDate: record.decisionDate, id: record.id) }
}

extension RecordRepository {
    /// The newest records public on `query.date`, newest decision first (then id, descending), at most
    /// `query.limit`. One query per type walks that type's date index from the newest end; the answers are merged.
    public func latestPublic(_ query: ListingQuery) async throws -> [CreditRecord] {
        if query.subjectIDs?.isEmpty == true { return [] }
        var merged: [CreditRecord] = []
        for type in query.types {
            var sql = SQLQueryString("""
                SELECT \(unsafeRaw: Self.columns.map { "r.\($0)" }.joined(separator: ", ")) FROM credit_records r
                """)
            sql += publicRecords(type, query)
            if let after = query.after {
                // `<=` on the date alone keeps the date index usable; the OR only sorts out the boundary day.
                let day = after.decisionDate.description
                sql += " AND r.decision_date <= \(bind: day) AND (r.decision_date < \(bind: day) OR r.id < \(bind: after.id))"
            }
            sql += " ORDER BY \(unsafeRaw: Self.dateOrder(query)) DESC, r.id DESC LIMIT \(unsafeRaw: String(query.limit))"
            merged += try await db.raw(sql).all(decoding: Row.self).map(Self.record)
        }
        merged.sort { ($0.decisionDate, $0.id) > ($1.decisionDate, $1.id) }
        return Array(merged.prefix(query.limit))
    }

    /// How many records `query` lists, counted up to `bound`: at most `bound + 1` index entries are
    /// visited per type, newest first (where public records are dense), so a listing of ten million
    /// records costs the same as one of ten thousand. An answer above `bound` means "more than `bound`".
    public func countPublic(_ query: ListingQuery, upTo bound: Int) async throws -> Int {
        if query.subjectIDs?.isEmpty == true { return 0 }
        var total = 0
        for type in query.types {
            var inner = SQLQueryString("SELECT 1 AS one FROM credit_records r")
            inner += publicRecords(type, query)
            if !Self.narrowed(query) { inner += " ORDER BY r.decision_date DESC" }
            inner += " LIMIT \(unsafeRaw: String(bound + 1))"
            var sql = SQLQueryString("SELECT COUNT(*) AS n FROM (")
            sql += inner
            sql += ") counted"
            total += try await db.raw(sql).first(decoding: CountRow.self)?.n ?? 0
            if total > bound { return bound + 1 }
        }
        return total
    }

    private struct CountRow: Decodable { let n: Int }

    /// A name or document-number search: few records, found through the subject key or the natural key.
    static func narrowed(_ query: ListingQuery) -> Bool { query.subjectIDs != nil || query.documentPrefix != nil }

    /// What a listing sorts by. Narrowed, the date is an expression, so that no planner walks the type's
    /// date index for its order (SQLite without statistics would, and read every record of the type)
    /// instead of looking the few matches up by subject or by number and sorting them.
    static func dateOrder(_ query: ListingQuery) -> String { narrowed(query) ? "(r.decision_date || '')" : "r.decision_date" }

    /// The join and the conditions shared by the listing and its count.
    private func publicRecords(_ type: (code: String, publishesNaturalPersons: Bool), _ query: ListingQuery) -> SQLQueryString {
        let day = query.date.description
        var sql: SQLQueryString = ""
        if !type.publishesNaturalPersons { sql += " JOIN subjects s ON s.id = r.subject_id AND s.kind <> 'natural_person'" }
        sql += """
             WHERE r.record_type = \(bind: type.code) AND r.status = 'active'
             AND r.publicity_start <= \(bind: day) AND r.publicity_end > \(bind: day)
            """
        if !query.regionCodes.isEmpty {
            sql += " AND r.region_code IN (\(binds: query.regionCodes))"
        }
        if let department = query.departmentID { sql += " AND r.department_id = \(bind: department)" }
        if let from = query.decidedFrom { sql += " AND r.decision_date >= \(bind: from.description)" }
        if let to = query.decidedTo { sql += " AND r.decision_date <= \(bind: to.description)" }
        if let subjects = query.subjectIDs {
            // The primary key starts with the subject: one index range per matching subject.
            sql += " AND r.subject_id IN (\(binds: subjects))"
        }
        if let prefix = query.documentPrefix, !prefix.isEmpty {
            let departments = query.departmentID.map { [$0] } ?? query.allDepartmentIDs
            if !departments.isEmpty {
                // Leads the natural-key index (department, type, number): one range per department.
                sql += " AND r.department_id IN (\(binds: departments))"
            }
            // A range on the number (bytewise in SQLite and in C or ICU collations: a string sorts after
            // its prefix and before the prefix followed by U+FFFF); LIKE confirms the prefix exactly.
            sql += " AND r.document_no >= \(bind: prefix) AND r.document_no < \(bind: prefix + "\u{FFFF}")"
            sql += " AND r.document_no LIKE \(bind: Self.likeEscaped(prefix) + "%") ESCAPE '\\'"
        }
        return sql
    }

    static func likeEscaped(_ text: String) -> String {
        text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
            .replacingOccurrences(of: "_", with: "\\_")
    }
}

extension SubjectRepository {
    /// Subjects by id, for pages that list records of many subjects.
    public func find(ids: [String]) async throws -> [String: Subject] {
        guard !ids.isEmpty else { return [:] }
        let subjects = try await db.raw("\(Self.select) WHERE id IN (\(binds: Array(Set(ids))))").all(decoding: Row.self)
            .map(Self.subject)
        return Dictionary(uniqueKeysWithValues: subjects.map { ($0.id, $0) })
    }
}
