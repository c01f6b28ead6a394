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
    public var date: CivilDate
    public var limit: Int

    public init(types: [(code: String, publishesNaturalPersons: Bool)], regionCodes: [String] = [], departmentID: String? = nil,
                decidedFrom: CivilDate? = nil, decidedTo: CivilDate? = nil, date: CivilDate, limit: Int) {
        self.types = types
        self.regionCodes = regionCodes
        self.departmentID = departmentID
        self.decidedFrom = decidedFrom
        self.decidedTo = decidedTo
        self.date = date
        self.limit = limit
    }
}

extension RecordRepository {
    /// The newest records public on `query.date`, newest decision first, at most `query.limit`.
    /// One query per type walks that type's date index from the newest end; the answers are merged.
    public func latestPublic(_ query: ListingQuery) async throws -> [CreditRecord] {
        let day = query.date.description
        var merged: [CreditRecord] = []
        for type in query.types {
            var sql = SQLQueryString("""
                SELECT \(unsafeRaw: Self.columns.map { "r.\($0)" }.joined(separator: ", ")) FROM credit_records r
                """)
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
            sql += " ORDER BY r.decision_date DESC, r.id LIMIT \(unsafeRaw: String(query.limit))"
            merged += try await db.raw(sql).all(decoding: Row.self).map(Self.record)
        }
        merged.sort { ($0.decisionDate, $0.id) > ($1.decisionDate, $1.id) }
        return Array(merged.prefix(query.limit))
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

/// Objections as far as the public site needs them: filing (the demo and the due-process service) and
/// which records are under one.
public struct ObjectionRepository: Sendable {
    let db: any SQLDatabase

    public func insert(_ objections: [Objection], by actor: Actor) async throws {
        let now = Timestamp.now()
        try await db.insertRows(
            into: "objections", columns: ["subject_id", "id", "record_id", "ground", "status", "filed_at", "due_on"],
            rows: objections.map { [$0.subjectID, $0.id, $0.recordID, $0.ground, $0.status.rawValue, now, $0.dueOn.description] })
        try await AuditLog(db: db).append(actor, action: "create", entity: "objections",
                                          entityID: objections.count == 1 ? objections[0].id : nil,
                                          detail: ["rows": "\(objections.count)"])
    }

    private struct RecordIDRow: Decodable { let record_id: String }

    /// Which of `recordIDs` have an open objection.
    public func open(recordIDs: [String]) async throws -> Set<String> {
        guard !recordIDs.isEmpty else { return [] }
        let open = Objection.Status.allCases.filter(\.isOpen).map(\.rawValue)
        let rows = try await db.raw("""
            SELECT record_id FROM objections WHERE record_id IN (\(binds: recordIDs)) AND status IN (\(binds: open))
            """).all(decoding: RecordIDRow.self)
        return Set(rows.map(\.record_id))
    }
}
