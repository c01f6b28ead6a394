import SQLKit
import XinyongModel

extension Repositories {
    public var apiKeys: ApiKeyRepository { .init(db: db) }
    public var batches: BatchRepository { .init(db: db) }
    public var changes: ChangeFeed { .init(db: db) }
}

// MARK: - API keys

public struct ApiKey: Codable, Sendable, Equatable {
    public let id: String
    public let department_id: String?
    public let agency_id: String?
    public let role: String
    public let name: String
    public let created_at: String
    public let revoked_at: String?
    public let last_used_at: String?
}

public struct ApiKeyRepository: Sendable {
    let db: any SQLDatabase
    private static let select: SQLQueryString = "SELECT id, department_id, agency_id, role, name, created_at, revoked_at, last_used_at FROM api_keys"

    public func create(id: String, departmentID: String?, agencyID: String? = nil, role: String, name: String, keyHash: String,
                       by actor: Actor) async throws {
        try await db.insert(into: "api_keys")
            .columns("id", "department_id", "agency_id", "role", "name", "key_hash", "created_at")
            .values(id, departmentID, agencyID, role, name, keyHash, Timestamp.now()).run()
        try await AuditLog(db: db).append(actor, action: "create", entity: "api_keys", entityID: id,
                                          detail: ["department": departmentID ?? agencyID ?? "(none)", "name": name, "role": role])
    }

    public func find(hash: String) async throws -> ApiKey? {
        try await db.raw("\(Self.select) WHERE key_hash = \(bind: hash)").first(decoding: ApiKey.self)
    }

    public func find(id: String) async throws -> ApiKey? {
        try await db.raw("\(Self.select) WHERE id = \(bind: id)").first(decoding: ApiKey.self)
    }

    public func list() async throws -> [ApiKey] {
        try await db.raw("\(Self.select) ORDER BY created_at, id").all(decoding: ApiKey.self)
    }

    public func touch(id: String) async throws {
        try await db.update("api_keys").set("last_used_at", to: Timestamp.now()).where("id", .equal, id).run()
    }

    /// Revokes a key; false if there is no such key or it was already revoked.
    public func revoke(id: String, by actor: Actor) async throws -> Bool {
        guard let key = try await find(id: id), key.revoked_at == nil else { return false }
        try await db.update("api_keys").set("revoked_at", to: Timestamp.now()).where("id", .equal, id).run()
        try await AuditLog(db: db).append(actor, action: "revoke", entity: "api_keys", entityID: id)
        return true
    }
}

// MARK: - Batches

/// One submission and what became of it.
public struct BatchSummary: Codable, Sendable, Equatable {
    public var id: String
    public var department_id: String
    public var record_type: String
    public var mode: String
    public var source: String
    public var encoding: String?
    public var idempotency_key: String?
    public var request_hash: String?
    /// accepted, partially_accepted or rejected.
    public var status: String
    public var rows_total: Int
    public var created: Int
    public var corrected: Int
    public var unchanged: Int
    public var rejected: Int
    public var warned: Int
    /// Notices before listing issued for new records of the batch (their records wait, `pending_notice`).
    public var notices: Int
    public var submitted_by: String
    public var submitted_at: String
    public var finished_at: String

    public init(id: String, departmentID: String, recordType: String, mode: String, source: String, encoding: String?,
                idempotencyKey: String?, requestHash: String?, submittedBy: String, submittedAt: String) {
        self.id = id
        department_id = departmentID
        record_type = recordType
        self.mode = mode
        self.source = source
        self.encoding = encoding
        idempotency_key = idempotencyKey
        request_hash = requestHash
        status = "rejected"
        rows_total = 0
        created = 0
        corrected = 0
        unchanged = 0
        rejected = 0
        warned = 0
        notices = 0
        submitted_by = submittedBy
        submitted_at = submittedAt
        finished_at = submittedAt
    }
}

/// A problem with one row (or, with row 0, with the file as a whole).
public struct BatchIssue: Codable, Sendable, Equatable {
    public enum Severity: String, Codable, Sendable { case error, warning }

    public let row_number: Int
    public let severity: Severity
    public let field: String?
    public let value: String?
    public let reason: String

    public init(row: Int, severity: Severity, field: String?, value: String?, reason: String) {
        row_number = row
        self.severity = severity
        self.field = field
        self.value = value
        self.reason = reason
    }
}

public struct BatchRepository: Sendable {
    let db: any SQLDatabase
    private static let columns = [
        "id", "department_id", "record_type", "mode", "source", "encoding", "idempotency_key", "request_hash", "status",
        "rows_total", "created", "corrected", "unchanged", "rejected", "warned", "notices", "submitted_by", "submitted_at", "finished_at",
    ]
    private static let select = SQLQueryString("SELECT \(unsafeRaw: columns.joined(separator: ", ")) FROM batches")

    public func insert(_ b: BatchSummary, issues: [BatchIssue], by actor: Actor) async throws {
        try await db.insert(into: "batches").columns(Self.columns).values([
            b.id, b.department_id, b.record_type, b.mode, b.source, b.encoding, b.idempotency_key, b.request_hash,
            b.status, b.rows_total, b.created, b.corrected, b.unchanged, b.rejected, b.warned, b.notices, b.submitted_by,
            b.submitted_at, b.finished_at,
        ] as [any Encodable & Sendable]).run()
        try await db.insertRows(
            into: "batch_issues", columns: ["batch_id", "row_number", "severity", "field", "value", "reason"],
            rows: issues.map { [b.id, $0.row_number, $0.severity.rawValue, $0.field, $0.value, $0.reason] })
        try await AuditLog(db: db).append(actor, action: "submit", entity: "batches", entityID: b.id, detail: [
            "status": b.status, "rows": "\(b.rows_total)", "created": "\(b.created)", "corrected": "\(b.corrected)",
            "rejected": "\(b.rejected)", "notices": "\(b.notices)",
        ])
    }

    public func find(id: String) async throws -> BatchSummary? {
        try await db.raw("\(Self.select) WHERE id = \(bind: id)").first(decoding: BatchSummary.self)
    }

    public func find(department: String, idempotencyKey: String) async throws -> BatchSummary? {
        try await db.raw("\(Self.select) WHERE department_id = \(bind: department) AND idempotency_key = \(bind: idempotencyKey)")
            .first(decoding: BatchSummary.self)
    }

    public func issues(batch: String) async throws -> [BatchIssue] {
        try await db.raw("""
            SELECT row_number, severity, field, value, reason FROM batch_issues WHERE batch_id = \(bind: batch)
            ORDER BY row_number, severity, field
            """).all(decoding: BatchIssue.self)
    }

    /// Rows submitted and rejected per department and record type.
    public struct SubmissionCounts: Decodable, Sendable {
        public let department_id: String
        public let record_type: String
        public let rows_total: Int
        public let rejected: Int
        public let latest: String
    }

    public func submissionCounts() async throws -> [SubmissionCounts] {
        try await db.raw("""
            SELECT department_id, record_type, CAST(SUM(rows_total) AS BIGINT) AS rows_total, CAST(SUM(rejected) AS BIGINT) AS rejected,
            MAX(submitted_at) AS latest FROM batches GROUP BY department_id, record_type ORDER BY department_id, record_type
            """).all(decoding: SubmissionCounts.self)
    }

    /// Records received per department and type, and how many arrived after their submission deadline.
    public struct TimelinessCounts: Decodable, Sendable {
        public let department_id: String
        public let record_type: String
        public let records: Int
        public let late: Int
        public let latest: String
    }

    public func timelinessCounts() async throws -> [TimelinessCounts] {
        // created_at is a UTC instant; the deadline is a date in Asia/Shanghai, so compare the instant + 8 h.
        let receivedDay: SQLQueryString = db.dialect.name == "sqlite"
            ? "date(created_at, '+8 hours')" : "to_char((created_at::timestamptz AT TIME ZONE 'Asia/Shanghai'), 'YYYY-MM-DD')"
        return try await db.raw("""
            SELECT department_id, record_type, COUNT(*) AS records,
            SUM(CASE WHEN \(receivedDay) > submission_due THEN 1 ELSE 0 END) AS late, MAX(created_at) AS latest
            FROM credit_records GROUP BY department_id, record_type ORDER BY department_id, record_type
            """).all(decoding: TimelinessCounts.self)
    }
}

// MARK: - Change feed

/// Every record created, corrected, withdrawn or expired, in a stable order, for the recipients of records.
public struct Change: Codable, Sendable, Equatable {
    /// Records: created, corrected, withdrawn, expired, repaired. List memberships (with `list`): listed, delisted, list_changed.
    public enum Kind: String, Codable, Sendable { case created, corrected, withdrawn, expired, repaired, listed, delisted, listChanged = "list_changed" }

    public let seq: Int
    public let record_id: String
    public let subject_id: String
    public let record_type: String
    public let department_id: String
    public let change: Kind
    public let version: Int
    public let at: String
    public let batch_id: String?
    /// The list (red, black, watch) of a membership change.
    public let list: String?
}

public struct ChangeFeed: Sendable {
    let db: any SQLDatabase

    /// Announces `records`; a correction, withdrawal or repair is also planned for delivery to every recipient
    /// the record has reached (`record_deliveries`), in the same transaction.
    public func append(_ records: [CreditRecord], kind: Change.Kind, batch: String?) async throws {
        guard !records.isEmpty else { return }
        let told = RecipientRepository.toldKinds.contains(kind)
        var before = 0
        if told { before = try await latest()?.seq ?? 0 }
        let now = Timestamp.now()
        try await db.bulkInsert(BulkRows(
            into: "changes", columns: ["record_id", "subject_id", "record_type", "department_id", "change", "version", "at", "batch_id"],
            rows: records.map { r -> [BulkValue] in [.text(r.id), .text(r.subjectID), .text(r.recordType), .text(r.departmentID), .text(kind.rawValue),
                                                    .integer(r.version), .text(now), .nullable(batch)] }))
        if told { try await RecipientRepository(db: db).planDeliveries(after: before) }
    }

    /// Which changes a reader may see. The store applies it; which record types are public and which
    /// publish natural persons is the catalogue's business, so the caller passes both lists in.
    public struct Visibility: Sendable, Equatable {
        /// The reader's department: every change of its own records is visible. Nil for a reader that sees
        /// only what the public sees (an agency): `department_id = NULL` matches no row.
        public var department: String?
        /// Record types whose publicity is public: other departments' records of these may be visible.
        public var publicTypes: [String]
        /// Public record types that publish natural persons too.
        public var naturalPersonTypes: [String]
        /// A record counts as published once its publicity window has started on or before this day.
        public var today: CivilDate

        public init(department: String?, publicTypes: [String], naturalPersonTypes: [String], today: CivilDate) {
            self.department = department
            self.publicTypes = publicTypes
            self.naturalPersonTypes = naturalPersonTypes
            self.today = today
        }
    }

    /// Rows of `changes` read per query while looking for visible ones.
    static let scanWindow = 5_000

    /// Changes after `cursor` (0 for the beginning), oldest first, at most `limit` of them; with a
    /// `visibility`, only those it lets the reader see: every change of the reader's own department's
    /// records, and of other departments' records only where the type is public, the subject is not a
    /// natural person unless the type publishes them, and the record's publicity window has started
    /// (so a once-public record's withdrawal, correction and expiry stay visible; a never-published
    /// record's changes never are).
    ///
    /// `nextCursor` is the cursor for the next call: the last change returned when the page is full,
    /// otherwise the newest change read (visible or not), so a reader never reads the same invisible rows
    /// twice; it equals `cursor` when nothing newer exists. A page with fewer than `limit` changes
    /// means the reader has caught up.
    public func since(_ cursor: Int, limit: Int, visibility: Visibility?) async throws -> (changes: [Change], nextCursor: Int) {
        precondition(limit > 0, "a change feed page holds at least one change")
        let bound = try await settledBound()
        guard let visibility else {
            let changes = try await db.raw("""
                SELECT seq, record_id, subject_id, record_type, department_id, change, version, at, batch_id, list FROM changes
                WHERE seq > \(bind: cursor) AND seq <= \(bind: bound) ORDER BY seq LIMIT \(bind: limit)
                """).all(decoding: Change.self)
            return (changes, changes.last?.seq ?? cursor)
        }
        var found: [Change] = []
        var after = cursor
        while found.count < limit {
            // The end of the next window of rows, visible or not; nil when nothing newer exists.
            struct Upper: Decodable { let upper: Int? }
            guard let upper = try await db.raw("""
                SELECT MAX(seq) AS upper FROM (SELECT seq FROM changes WHERE seq > \(bind: after) AND seq <= \(bind: bound) ORDER BY seq LIMIT \(bind: Self.scanWindow)) w
                """).first(decoding: Upper.self)?.upper
            else { break }
            let page = try await db.raw("""
                SELECT c.seq, c.record_id, c.subject_id, c.record_type, c.department_id, c.change, c.version, c.at, c.batch_id, c.list
                FROM changes c
                LEFT JOIN credit_records r ON r.subject_id = c.subject_id AND r.id = c.record_id
                LEFT JOIN subjects s ON s.id = c.subject_id
                WHERE c.seq > \(bind: after) AND c.seq <= \(bind: upper)
                AND (c.department_id = \(bind: visibility.department) OR (
                    \(Self.isIn("c.record_type", visibility.publicTypes))
                    AND (s.kind <> \(bind: SubjectKind.naturalPerson.rawValue) OR \(Self.isIn("c.record_type", visibility.naturalPersonTypes)))
                    AND r.publicity_start IS NOT NULL AND r.publicity_start <= \(bind: visibility.today.description)))
                ORDER BY c.seq LIMIT \(bind: limit - found.count)
                """).all(decoding: Change.self)
            found += page
            after = found.count == limit ? page.last!.seq : upper
        }
        return (found, after)
    }

    /// The highest seq up to which the feed is settled: no transaction still open can commit a change at or
    /// below it, so a reader that has read that far has missed nothing. On PostgreSQL it is the newest committed
    /// seq, or lower while a writer is in flight: each holds a lock naming a floor below its own seqs
    /// (migration 0021). The newest seq is read (in the statement's snapshot) before the locks, so a writer
    /// without a lock yet can only get seqs above it. Read it in its own statement, outside a repeatable-read
    /// transaction, and read the changes after it. SQLite commits its seqs in order: everything is settled.
    public func settledBound() async throws -> Int {
        guard db.dialect.name != "sqlite" else { return Int.max }
        struct Bound: Decodable { let bound: Int }
        let key = "((l.classid::int8 << 32) | l.objid::int8)"
        let base = String(M0021FeedOrder.floorLockBase)
        return try await db.raw("""
            SELECT LEAST(COALESCE((SELECT MAX(seq) FROM changes), 0), COALESCE((
                SELECT MIN(\(unsafeRaw: key) - \(unsafeRaw: base)) FROM pg_locks l JOIN pg_database d ON d.oid = l.database
                WHERE l.locktype = 'advisory' AND l.objsubid = 1 AND d.datname = current_database()
                AND \(unsafeRaw: key) >= \(unsafeRaw: base)), \(unsafeRaw: String(Int.max)))) AS bound
            """).first(decoding: Bound.self)?.bound ?? 0
    }

    /// `column IN (…)`, or a false condition for an empty list (which SQL does not allow after IN).
    private static func isIn(_ column: String, _ values: [String]) -> SQLQueryString {
        values.isEmpty ? "1 = 0" : "\(unsafeRaw: column) IN (\(binds: values))"
    }

    public func keepHistory(of record: CreditRecord, batch: String?) async throws {
        try await db.insert(into: "record_history")
            .columns("subject_id", "record_id", "version", "snapshot", "replaced_at", "replaced_by_batch")
            .values(record.subjectID, record.id, record.version, jsonText(record), Timestamp.now(), batch).run()
    }

    public func history(of recordID: String) async throws -> [CreditRecord] {
        struct Row: Decodable { let snapshot: String }
        return try await db.raw("SELECT snapshot FROM record_history WHERE record_id = \(bind: recordID) ORDER BY version")
            .all(decoding: Row.self).map { try decodeJSON(CreditRecord.self, $0.snapshot, column: "record_history.snapshot") }
    }
}

extension ChangeFeed {
    public struct Latest: Decodable, Sendable { public let seq: Int; public let at: String }

    /// The newest entry of the feed: how far the platform's data goes.
    public func latest() async throws -> Latest? {
        try await db.raw("SELECT seq, at FROM changes ORDER BY seq DESC LIMIT 1").first(decoding: Latest.self)
    }
}
