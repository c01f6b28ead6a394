import SQLKit
import XinyongModel

public struct RecordRepository: Sendable {
    let db: any SQLDatabase

    static let columns = [
        "subject_id", "id", "record_type", "catalog_version", "department_id", "region_code", "document_no", "tier",
        "decision_date", "legal_basis", "publicity_start", "publicity_end", "repair_eligible_from", "submission_due",
        "status", "code_check_failed", "fields", "version",
    ]
    static let select = SQLQueryString("SELECT \(unsafeRaw: columns.joined(separator: ", ")) FROM credit_records")

    struct Row: Codable {
        let subject_id, id, record_type: String
        let catalog_version: Int
        let department_id, region_code, document_no: String
        let tier: String?
        let decision_date, legal_basis: String
        let publicity_start, publicity_end, repair_eligible_from: String?
        let submission_due, status: String
        let code_check_failed: Bool
        let fields: String
        let version: Int
        let batch_id: String?
    }

    /// Inserts records in bulk, with one audit entry for the call. With `announcedAsOf`, records whose
    /// publicity ended on or before that day are written as already announced on it (history loaded in bulk,
    /// which a first start should not replay onto the change feed); written with the row, not by a later
    /// UPDATE, which on PostgreSQL would write each such row twice.
    public func insert(_ records: [CreditRecord], by actor: Actor, batch: String? = nil, announcedAsOf: CivilDate? = nil) async throws {
        try await insert(records, encoded: records.map(EncodedContent.init), by: actor, batch: batch, announcedAsOf: announcedAsOf)
    }

    /// The same with each record's content encoded beforehand (`encoded[i]` is `records[i]`'s).
    public func insert(_ records: [CreditRecord], encoded: [EncodedContent], by actor: Actor, batch: String? = nil,
                       announcedAsOf: CivilDate? = nil) async throws {
        precondition(records.count == encoded.count, "one encoded content per record")
        let now = Timestamp.now()
        let announced = announcedAsOf.map(\.description)
        try await db.bulkInsert(BulkRows(
            into: "credit_records", columns: Self.columns + ["content_hash", "batch_id", "created_at", "updated_at", "expiry_announced"],
            rows: zip(records, encoded).map { r, e in
                let ended = announcedAsOf.map { day in r.schedule.end.map { $0 <= day } ?? false } ?? false
                return Self.values(r, fieldsJSON: e.fieldsJSON) + [.text(e.digest), .nullable(batch), .text(now), .text(now),
                                                                  .nullable(ended ? announced : nil)]
            }))
        try await ListRepository(db: db).sync(records, fresh: true, by: actor, batch: batch)
        try await AuditLog(db: db).append(actor, action: "create", entity: "credit_records",
                                          entityID: records.count == 1 ? records[0].id : (batch.map { "batch \($0)" }),
                                          detail: ["rows": "\(records.count)"])
    }

    /// Replaces a record's content with a corrected version; the caller keeps the old one in history.
    public func update(_ r: CreditRecord, batch: String?) async throws {
        let assignments = zip(Self.columns, Self.values(r).map(\.encodable)).filter { $0.0 != "id" && $0.0 != "subject_id" }
        var query = db.update("credit_records")
        for (column, value) in assignments { query = query.set(column, to: value) }
        try await query.set("content_hash", to: r.contentDigest).set("batch_id", to: batch)
            .set("updated_at", to: Timestamp.now())
            .where("subject_id", .equal, r.subjectID).where("id", .equal, r.id).run()
        try await ListRepository(db: db).sync([r], by: Actor("exchange", reason: "correction in batch \(batch ?? "-")"), batch: batch)
    }

    /// A record's values in the order of ``columns``.
    private static func values(_ r: CreditRecord, fieldsJSON: String? = nil) -> [BulkValue] {
        [.text(r.subjectID), .text(r.id), .text(r.recordType), .integer(r.catalogVersion), .text(r.departmentID),
         .text(r.regionCode), .text(r.documentNumber), .nullable(r.tier?.rawValue), .text(r.decisionDate.description),
         .text(r.legalBasis), .nullable(r.schedule.start?.description), .nullable(r.schedule.end?.description),
         .nullable(r.schedule.repairEligibleFrom?.description), .text(r.schedule.submissionDue.description),
         .text(r.status.rawValue), .bool(r.codeCheckFailed), .text(fieldsJSON ?? jsonText(r.fields)), .integer(r.version)]
    }

    /// Marks a record withdrawn by its department (or after an upheld objection); returns it as withdrawn.
    public func withdraw(id: String, by actor: Actor) async throws -> CreditRecord? {
        guard var record = try await find(id: id), record.status != .withdrawn else { return nil }
        record.status = .withdrawn
        try await db.update("credit_records").set("status", to: record.status.rawValue).set("updated_at", to: Timestamp.now())
            .where("subject_id", .equal, record.subjectID).where("id", .equal, id).run()
        try await AuditLog(db: db).append(actor, action: "withdraw", entity: "credit_records", entityID: id)
        try await ListRepository(db: db).sync([record], by: actor, batch: nil)
        try await NoticeRepository(db: db).recordWithdrawn(id, on: .today(), by: actor)
        return record
    }

    /// Stores a repair: the status and the publicity end the repair set (the service decides both).
    public func markRepaired(_ record: CreditRecord, by actor: Actor) async throws {
        try await db.update("credit_records").set("status", to: record.status.rawValue)
            .set("publicity_end", to: record.schedule.end?.description).set("updated_at", to: Timestamp.now())
            .where("subject_id", .equal, record.subjectID).where("id", .equal, record.id).run()
        try await AuditLog(db: db).append(actor, action: "repair", entity: "credit_records", entityID: record.id,
                                          subjectID: record.subjectID)
    }

    /// Makes a record that waited for its notice active and public (`CreditRecord.listed(on:)`), and starts
    /// its list membership on `today`: `listed` on the change feed and in the audit trail.
    func activate(_ r: CreditRecord, by actor: Actor, today: CivilDate) async throws {
        try await db.update("credit_records").set("status", to: r.status.rawValue)
            .set("publicity_start", to: r.schedule.start?.description).set("updated_at", to: Timestamp.now())
            .where("subject_id", .equal, r.subjectID).where("id", .equal, r.id).run()
        try await ListRepository(db: db).sync([r], by: actor, batch: nil, today: today)
    }

    /// Active records whose publicity has ended on or before `date` and whose end was not yet announced.
    public func expiredUnannounced(on date: CivilDate, limit: Int) async throws -> [CreditRecord] {
        try await db.raw("""
            \(Self.select) WHERE status = 'active' AND publicity_end <= \(bind: date.description) AND expiry_announced IS NULL
            ORDER BY publicity_end, id LIMIT \(bind: limit)
            """).all(decoding: Row.self).map(Self.record)
    }

    public func markExpiryAnnounced(_ records: [CreditRecord], on date: CivilDate) async throws {
        // Slices keep each statement far below SQLite's and PostgreSQL's limits on bound values.
        for start in stride(from: 0, to: records.count, by: 10_000) {
            try await db.update("credit_records").set("expiry_announced", to: date.description)
                .where("id", .in, records[start..<min(start + 10_000, records.count)].map(\.id)).run()
        }
    }

    /// A stored record with the batch that last wrote it.
    public struct Stored: Sendable {
        public let record: CreditRecord
        public let batchID: String?
    }

    /// Records of one department and type with the given document numbers, by document number.
    public func byDocumentNumbers(department: String, type: String, _ numbers: [String]) async throws -> [String: Stored] {
        guard !numbers.isEmpty else { return [:] }
        let rows = try await db.select().columns((Self.columns + ["batch_id"]).map { SQLIdentifier($0) }).from("credit_records")
            .where("department_id", .equal, department).where("record_type", .equal, type)
            .where("document_no", .in, numbers).all(decoding: Row.self)
        return Dictionary(try rows.map { ($0.document_no, Stored(record: try Self.record($0), batchID: $0.batch_id)) },
                          uniquingKeysWith: { a, _ in a })
    }

    public func find(id: String) async throws -> CreditRecord? {
        try await db.raw("\(Self.select) WHERE id = \(bind: id)").first(decoding: Row.self).map(Self.record)
    }

    /// Every record of a subject, newest decision first (public or not: callers decide what to show).
    public func forSubject(_ subjectID: String) async throws -> [CreditRecord] {
        try await db.raw("\(Self.select) WHERE subject_id = \(bind: subjectID) ORDER BY decision_date DESC, id")
            .all(decoding: Row.self).map(Self.record)
    }

    /// Records the public sees on `date`: active, published and within their window.
    public func publicForSubject(_ subjectID: String, on date: CivilDate) async throws -> [CreditRecord] {
        let day = date.description
        return try await db.raw("""
            \(Self.select) WHERE subject_id = \(bind: subjectID) AND status = 'active'
            AND publicity_start <= \(bind: day) AND publicity_end > \(bind: day)
            ORDER BY decision_date DESC, id
            """).all(decoding: Row.self).map(Self.record)
    }

    public func count() async throws -> Int { try await db.count("SELECT COUNT(*) AS n FROM credit_records") }

    /// The organisation behind the most recent public record of `type` on `date`, for the home page's examples.
    public func latestPublicOrganisation(type: String, on date: CivilDate) async throws -> String? {
        try await latestPublicOfOrganisations(type: type, on: date, limit: 1).first?.subjectID
    }

    /// The most recent public records of `type` on `date` whose subjects are organisations with a code, newest
    /// first (the home page's examples, the demo's typical cases). Walks the (record_type, decision_date) index
    /// from the newest end.
    public func latestPublicOfOrganisations(type: String, on date: CivilDate, limit: Int) async throws -> [CreditRecord] {
        let day = date.description
        let columns = Self.columns.map { "r." + $0 }.joined(separator: ", ")
        return try await db.raw("""
            SELECT \(unsafeRaw: columns) FROM credit_records r JOIN subjects s ON s.id = r.subject_id
            WHERE r.record_type = \(bind: type) AND r.status = 'active' AND s.code IS NOT NULL
            AND r.publicity_start <= \(bind: day) AND r.publicity_end > \(bind: day)
            ORDER BY r.decision_date DESC, r.id LIMIT \(bind: limit)
            """).all(decoding: Row.self).map(Self.record)
    }

    private struct TypeCount: Decodable { let record_type: String; let n: Int }

    public func countsByType() async throws -> [String: Int] {
        let rows = try await db.raw("SELECT record_type, COUNT(*) AS n FROM credit_records GROUP BY record_type")
            .all(decoding: TypeCount.self)
        return Dictionary(uniqueKeysWithValues: rows.map { ($0.record_type, $0.n) })
    }

    static func record(_ r: Row) throws -> CreditRecord {
        func date(_ text: String?, _ column: String) throws -> CivilDate? {
            guard let text else { return nil }
            guard let d = CivilDate(text) else { throw StoredDataError(description: "record \(r.id): \(column) '\(text)' is not a date") }
            return d
        }
        guard let status = CreditRecord.Status(rawValue: r.status), let decision = try date(r.decision_date, "decision_date"),
            let due = try date(r.submission_due, "submission_due")
        else { throw StoredDataError(description: "record \(r.id) has unknown status \(r.status) or missing dates") }
        return CreditRecord(
            id: r.id, subjectID: r.subject_id, recordType: r.record_type, catalogVersion: r.catalog_version,
            departmentID: r.department_id, regionCode: r.region_code, documentNumber: r.document_no,
            tier: r.tier.flatMap(Tier.init(rawValue:)), decisionDate: decision, legalBasis: r.legal_basis,
            schedule: PublicitySchedule(
                start: try date(r.publicity_start, "publicity_start"), end: try date(r.publicity_end, "publicity_end"),
                repairEligibleFrom: try date(r.repair_eligible_from, "repair_eligible_from"), submissionDue: due),
            status: status, codeCheckFailed: r.code_check_failed,
            fields: try decodeJSON([String: String].self, r.fields, column: "fields"), version: r.version)
    }
}

/// The append-only audit trail: who did what, when and why. The database itself refuses updates and deletes.
/// What the office searches the audit trail by; nil means any.
public struct AuditQuery: Sendable {
    public var entity, subjectID, actor, departmentID, from, to: String?
    /// Paging: entries older than this id.
    public var before: Int?
    public var limit: Int

    public init(entity: String? = nil, subjectID: String? = nil, actor: String? = nil, departmentID: String? = nil,
                from: String? = nil, to: String? = nil, before: Int? = nil, limit: Int = 100) {
        self.entity = entity
        self.subjectID = subjectID
        self.actor = actor
        self.departmentID = departmentID
        self.from = from
        self.to = to
        self.before = before
        self.limit = limit
    }
}

public struct AuditLog: Sendable {
    let db: any SQLDatabase

    public struct Entry: Codable, Sendable, Equatable {
        public let id: Int
        public let at, actor, action, entity: String
        public let entity_id: String?
        public let reason: String
        public let detail: String?
        public let department_id: String?
        public let subject_id: String?
    }

    public func append(_ actor: Actor, action: String, entity: String, entityID: String? = nil, subjectID: String? = nil,
                       detail: [String: String] = [:]) async throws {
        var columns = ["at", "actor", "action", "entity", "entity_id", "reason", "detail"]
        var values: [any Encodable & Sendable] = [Timestamp.now(), actor.name, action, entity, entityID, actor.reason,
                                                  detail.isEmpty ? nil : jsonText(detail)]
        // The two columns exist from migration 0006 on; earlier migrations write entries without them.
        if let department = actor.departmentID { columns.append("department_id"); values.append(department) }
        if let subjectID { columns.append("subject_id"); values.append(subjectID) }
        try await db.insert(into: "audit_log").columns(columns).values(values).run()
    }

    public func entries(entity: String? = nil, limit: Int = 100) async throws -> [Entry] {
        try await search(AuditQuery(entity: entity, limit: limit))
    }

    /// The trail filtered by any of subject, actor, department, entity and dates (instants, UTC), newest first.
    public func search(_ query: AuditQuery) async throws -> [Entry] {
        var conditions: [SQLQueryString] = []
        if let v = query.entity { conditions.append("entity = \(bind: v)") }
        if let v = query.subjectID { conditions.append("(subject_id = \(bind: v) OR entity_id = \(bind: v))") }
        if let v = query.actor { conditions.append("actor = \(bind: v)") }
        if let v = query.departmentID { conditions.append("department_id = \(bind: v)") }
        if let v = query.from { conditions.append("at >= \(bind: v)") }
        if let v = query.to { conditions.append("at < \(bind: v)") }
        if let v = query.before { conditions.append("id < \(bind: v)") }
        let filter: SQLQueryString = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        return try await db.raw("""
            SELECT id, at, actor, action, entity, entity_id, reason, detail, department_id, subject_id FROM audit_log
            \(filter) ORDER BY id DESC LIMIT \(bind: query.limit)
            """).all(decoding: Entry.self)
    }

    public func count() async throws -> Int { try await db.count("SELECT COUNT(*) AS n FROM audit_log") }
}

/// A record's stored content worked out ahead of its write: its fields as JSON and its digest. An import
/// encodes each row while validating, off the path that holds the writer. It stays valid while the record's
/// content is unchanged; its id, status and version may still be set.
public struct EncodedContent: Sendable {
    public let fieldsJSON: String
    public let digest: String

    public init(_ record: CreditRecord) {
        fieldsJSON = jsonText(record.fields)
        digest = record.contentDigest
    }
}
