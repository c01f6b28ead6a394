import FluentKit
import Foundation
import SQLKit
import XinyongModel

extension Repositories {
    public var lists: ListRepository { .init(db: db) }
    public var measures: MeasureCatalogRepository { .init(db: db) }
    public var checks: CheckRepository { .init(db: db) }
    public var nameIndex: NameIndex { .init(db: db) }
    public var jointSettings: JointSettingsRepository { .init(db: db) }
}

/// Joint rewards and punishments: materialised list memberships, the measures catalogue by version,
/// checks and their feedback, name overrides, the office's settings. Memberships and the subject name
/// index are backfilled from what the database already holds.
struct M0005JointMeasures: AsyncMigration {
    var name: String { "0005_joint_measures" }

    func prepare(on database: any FluentKit.Database) async throws {
        let sql = database as! any SQLDatabase
        let statements = [
            // One row per basis record: the span [start_date, end_date) the record puts its subject on a list,
            // `listed` until it ends (expired, withdrawn, repaired, corrected away), then `ended`.
            """
            CREATE TABLE list_memberships (
                subject_id TEXT NOT NULL, record_id TEXT NOT NULL, list TEXT NOT NULL, record_type TEXT NOT NULL,
                department_id TEXT NOT NULL, source_category TEXT NOT NULL, document_no TEXT NOT NULL,
                legal_basis TEXT NOT NULL, start_date TEXT NOT NULL, end_date TEXT NOT NULL, state TEXT NOT NULL,
                ended_on TEXT, ended_reason TEXT, updated_at TEXT NOT NULL, PRIMARY KEY (subject_id, record_id))
            """,
            "CREATE INDEX list_memberships_list ON list_memberships (list, state, end_date)",
            "CREATE INDEX list_memberships_record ON list_memberships (record_id)",
            """
            CREATE TABLE measure_catalog_versions (
                version BIGINT PRIMARY KEY, effective_from TEXT NOT NULL, note TEXT, definition TEXT NOT NULL,
                loaded_at TEXT NOT NULL)
            """,
            // Candidates for a name: the core of every organisation's current and former names.
            "CREATE TABLE subject_name_keys (name_key TEXT NOT NULL, subject_id TEXT NOT NULL, PRIMARY KEY (name_key, subject_id))",
            """
            CREATE TABLE checks (
                id TEXT PRIMARY KEY, department_id TEXT NOT NULL, region_code TEXT NOT NULL, asked_by TEXT NOT NULL,
                scenario TEXT NOT NULL, matter TEXT, query_kind TEXT NOT NULL, query TEXT NOT NULL, subject_id TEXT,
                match_method TEXT NOT NULL, match_score DOUBLE PRECISION, result TEXT NOT NULL, lists TEXT NOT NULL,
                measures BIGINT NOT NULL, incentives BIGINT NOT NULL, answer TEXT NOT NULL, asked_at TEXT NOT NULL,
                feedback_at TEXT, feedback_outcome TEXT)
            """,
            "CREATE INDEX checks_department ON checks (department_id, asked_at)",
            "CREATE INDEX checks_asked_at ON checks (asked_at)",
            "CREATE INDEX checks_subject ON checks (subject_id)",
            // Every measure a check returned, and what the department reported back about it.
            """
            CREATE TABLE check_measures (
                check_id TEXT NOT NULL, measure_id TEXT NOT NULL, memorandum_id TEXT NOT NULL, kind TEXT NOT NULL,
                mandatory BOOLEAN NOT NULL, applied BOOLEAN, reason TEXT, reported_by TEXT, reported_at TEXT,
                PRIMARY KEY (check_id, measure_id))
            """,
            """
            CREATE TABLE name_overrides (
                id TEXT PRIMARY KEY, department_id TEXT NOT NULL, name_key TEXT NOT NULL, subject_id TEXT NOT NULL,
                reason TEXT NOT NULL, decided_by TEXT NOT NULL, decided_at TEXT NOT NULL)
            """,
            "CREATE INDEX name_overrides_lookup ON name_overrides (department_id, name_key)",
            "CREATE TABLE joint_settings (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_by TEXT NOT NULL, updated_at TEXT NOT NULL)",
            "ALTER TABLE changes ADD COLUMN list TEXT",
        ]
        for statement in statements {
            try await sql.raw(SQLQueryString(statement)).run()
        }
        try await Self.backfill(sql)
    }

    /// Memberships for the records already stored, and name keys for the subjects (in pages, so that a
    /// database of millions migrates in bounded memory). Backfilled memberships make no feed entries:
    /// their records were announced when they arrived; one audit entry says what was derived.
    static func backfill(_ sql: any SQLDatabase) async throws {
        let lists = ListRepository(db: sql)
        var after = ("", ""), memberships = 0
        let types = CreditList.allCases.flatMap(\.recordTypes)
        // Walk the primary key in order; SQLite would otherwise pick the type index and sort every list record
        // for each page (`+` keeps it off that index).
        let typeColumn: SQLQueryString = sql.dialect.name == "sqlite" ? "+record_type" : "record_type"
        while true {
            let rows = try await sql.raw("""
                \(RecordRepository.select) WHERE \(typeColumn) IN (\(binds: types))
                AND (subject_id, id) > (\(bind: after.0), \(bind: after.1))
                ORDER BY subject_id, id LIMIT 5000
                """).all(decoding: RecordRepository.Row.self)
            guard let last = rows.last else { break }
            let records = try rows.map(RecordRepository.record)
            memberships += try await lists.sync(records, fresh: true, by: .system("migration 0005"), batch: nil, announce: false)
            after = (last.subject_id, last.id)
        }
        var afterSubject = "", subjects = 0
        struct SubjectRow: Decodable { let id, kind, name, former_names: String }
        while true {
            let rows = try await sql.raw("""
                SELECT id, kind, name, former_names FROM subjects WHERE id > \(bind: afterSubject) ORDER BY id LIMIT 5000
                """).all(decoding: SubjectRow.self)
            guard let last = rows.last else { break }
            let entries = try rows.filter { $0.kind != SubjectKind.naturalPerson.rawValue }.map {
                ($0.id, [$0.name] + (try decodeJSON([String].self, $0.former_names, column: "former_names")))
            }
            try await NameIndex(db: sql).add(entries)
            subjects += rows.count
            afterSubject = last.id
        }
        try await AuditLog(db: sql).append(.system("migration 0005: lists derived from stored records"), action: "backfill",
                                           entity: "list_memberships", detail: ["memberships": "\(memberships)", "subjects_indexed": "\(subjects)"])
    }

    func revert(on database: any FluentKit.Database) async throws {
        let sql = database as! any SQLDatabase
        for table in ["joint_settings", "name_overrides", "check_measures", "checks", "subject_name_keys", "measure_catalog_versions", "list_memberships"] {
            try await sql.drop(table: table).run()
        }
    }
}

// MARK: - List memberships

/// A membership as stored, with where it stands.
public struct StoredMembership: Sendable, Equatable {
    public enum State: String, Sendable, Codable { case listed, ended }
    public let membership: ListMembership
    /// The kind of the department whose record founds it (memoranda may cover only some sources).
    public let sourceCategory: String
    public let state: State
    public let endedOn: CivilDate?
    public let endedReason: String?
}

public struct ListRepository: Sendable {
    let db: any SQLDatabase

    struct Row: Codable {
        let subject_id, record_id, list, record_type, department_id, source_category, document_no, legal_basis: String
        let start_date, end_date, state: String
        let ended_on, ended_reason: String?
    }

    static let columns = ["subject_id", "record_id", "list", "record_type", "department_id", "source_category", "document_no",
                          "legal_basis", "start_date", "end_date", "state", "ended_on", "ended_reason"]

    /// Brings the memberships founded by `records` in line with the records (the model's rule,
    /// `CreditRecord.listMembership`), in the caller's transaction. Every start and end goes to the change
    /// feed (`listed`, `delisted`, `list_changed`) and the audit trail. `fresh` skips looking for existing
    /// rows (the records were just inserted). Returns how many memberships were written.
    @discardableResult
    public func sync(_ records: [CreditRecord], fresh: Bool = false, by actor: Actor, batch: String?,
                     today: CivilDate = .today(), announce: Bool = true) async throws -> Int {
        let relevant = records.filter { CreditList(recordType: $0.recordType) != nil }
        guard !relevant.isEmpty else { return 0 }
        var existing: [String: Row] = [:]
        if !fresh {
            let rows = try await db.select().columns(Self.columns.map { SQLIdentifier($0) }).from("list_memberships")
                .where("record_id", .in, relevant.map(\.id)).all(decoding: Row.self)
            existing = Dictionary(rows.map { ($0.record_id, $0) }, uniquingKeysWith: { a, _ in a })
        }
        let categories = try await departmentCategories(Array(Set(relevant.map(\.departmentID))))
        let now = Timestamp.now()
        var inserts: [[any Encodable & Sendable]] = []
        var events: [(CreditRecord, CreditList, Change.Kind, String)] = []
        var written = 0
        for record in relevant {
            let list = CreditList(recordType: record.recordType)!
            let membership = record.listMembership
            let endReason: String? = switch (membership, record.status) {
            case (nil, .repaired): "repaired"
            case (nil, _): "withdrawn"
            case (let m?, _): m.end <= today ? "expired" : nil
            }
            guard let old = existing[record.id] else {
                guard let m = membership else { continue }
                inserts.append([m.subjectID, m.recordID, list.rawValue, m.recordType, m.departmentID,
                                categories[m.departmentID] ?? "", m.documentNumber, m.legalBasis, m.start.description,
                                m.end.description, endReason == nil ? "listed" : "ended", endReason == nil ? nil : m.end.description,
                                endReason, now])
                if endReason == nil { events.append((record, list, .listed, "\(m.start)–\(m.end)")) }
                continue
            }
            let start = membership?.start.description ?? old.start_date
            let end = membership?.end.description ?? old.end_date
            let state = endReason == nil ? "listed" : "ended"
            guard state != old.state || start != old.start_date || end != old.end_date else { continue }
            try await db.update("list_memberships")
                .set("start_date", to: start).set("end_date", to: end).set("state", to: state)
                .set("ended_on", to: endReason == nil ? nil : (membership == nil ? today.description : min(end, today.description)))
                .set("ended_reason", to: endReason).set("legal_basis", to: record.legalBasis).set("updated_at", to: now)
                .where("subject_id", .equal, record.subjectID).where("record_id", .equal, record.id).run()
            written += 1
            switch (old.state, state) {
            case ("listed", "ended"): events.append((record, list, .delisted, endReason ?? ""))
            case ("ended", "listed"): events.append((record, list, .listed, "\(start)–\(end)"))
            case ("listed", "listed"): events.append((record, list, .listChanged, "\(start)–\(end)"))
            default: break
            }
        }
        try await db.insertRows(into: "list_memberships", columns: Self.columns + ["updated_at"], rows: inserts)
        written += inserts.count
        guard announce, !events.isEmpty else { return written }
        try await db.insertRows(
            into: "changes", columns: ["record_id", "subject_id", "record_type", "department_id", "change", "version", "at", "batch_id", "list"],
            rows: events.map { r, list, kind, _ in [r.id, r.subjectID, r.recordType, r.departmentID, kind.rawValue, r.version, now, batch, list.rawValue] })
        try await db.insertRows(
            into: "audit_log", columns: ["at", "actor", "action", "entity", "entity_id", "reason", "detail"],
            rows: events.map { r, list, kind, what in
                [now, actor.name, kind.rawValue, "list_memberships", "\(r.subjectID)/\(r.id)", actor.reason,
                 jsonText(["list": list.rawValue, "record_type": r.recordType, kind == .delisted ? "ended" : "span": what])]
            })
        return written
    }

    private struct CategoryRow: Decodable { let id, category: String }

    private func departmentCategories(_ ids: [String]) async throws -> [String: String] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await db.select().columns("id", "category").from("departments").where("id", .in, ids).all(decoding: CategoryRow.self)
        return Dictionary(rows.map { ($0.id, $0.category) }, uniquingKeysWith: { a, _ in a })
    }

    /// Every membership of a subject (history included), newest start first.
    public func forSubject(_ subjectID: String) async throws -> [StoredMembership] {
        try await db.select().columns(Self.columns.map { SQLIdentifier($0) }).from("list_memberships")
            .where("subject_id", .equal, subjectID).orderBy("start_date", .descending)
            .all(decoding: Row.self).map(Self.stored)
    }

    private struct CountRow: Decodable { let list: String; let n: Int }

    /// Subjects with a membership in force on `date`, per list.
    public func activeCounts(on date: CivilDate = .today()) async throws -> [CreditList: Int] {
        let day = date.description
        let rows = try await db.raw("""
            SELECT list, COUNT(DISTINCT subject_id) AS n FROM list_memberships
            WHERE state = 'listed' AND start_date <= \(bind: day) AND end_date > \(bind: day) GROUP BY list
            """).all(decoding: CountRow.self)
        return Dictionary(uniqueKeysWithValues: rows.compactMap { r in CreditList(rawValue: r.list).map { ($0, r.n) } })
    }

    private struct ListRow: Decodable { let subject_id, list: String }

    /// The lists each of `subjectIDs` is on, on `date` (search results' badges).
    public func lists(of subjectIDs: [String], on date: CivilDate) async throws -> [String: Set<CreditList>] {
        guard !subjectIDs.isEmpty else { return [:] }
        let day = date.description
        let rows = try await db.raw("""
            SELECT subject_id, list FROM list_memberships WHERE subject_id IN (\(binds: subjectIDs))
            AND state = 'listed' AND start_date <= \(bind: day) AND end_date > \(bind: day)
            """).all(decoding: ListRow.self)
        var lists: [String: Set<CreditList>] = [:]
        for row in rows {
            if let list = CreditList(rawValue: row.list) { lists[row.subject_id, default: []].insert(list) }
        }
        return lists
    }

    private struct CodeRow: Decodable { let code: String? }

    /// For benchmarks: the code of the first listed subject at or after `start` in key order, and of the
    /// first subject of any kind there (primary-key walks, fast on a million rows).
    public func codesAt(_ start: String) async throws -> (listed: String?, any: String?) {
        let listed = try await db.raw("""
            SELECT s.code FROM list_memberships m JOIN subjects s ON s.id = m.subject_id
            WHERE m.subject_id >= \(bind: start) AND m.state = 'listed' ORDER BY m.subject_id LIMIT 1
            """).first(decoding: CodeRow.self)?.code
        let any = try await db.raw("""
            SELECT code FROM subjects WHERE id >= \(bind: start) AND code IS NOT NULL ORDER BY id LIMIT 1
            """).first(decoding: CodeRow.self)?.code
        return (listed, any)
    }

    static func stored(_ r: Row) throws -> StoredMembership {
        guard let list = CreditList(rawValue: r.list), let start = CivilDate(r.start_date), let end = CivilDate(r.end_date),
            let state = StoredMembership.State(rawValue: r.state)
        else { throw StoredDataError(description: "list membership \(r.subject_id)/\(r.record_id) does not read back") }
        return StoredMembership(
            membership: ListMembership(list: list, subjectID: r.subject_id, recordID: r.record_id, recordType: r.record_type,
                                       departmentID: r.department_id, documentNumber: r.document_no, legalBasis: r.legal_basis,
                                       start: start, end: end),
            sourceCategory: r.source_category, state: state, endedOn: r.ended_on.flatMap { CivilDate($0) }, endedReason: r.ended_reason)
    }
}

// MARK: - The one read a check by code needs

/// A subject found for a check, with its memberships in force and how fresh its data is: one query.
public struct CheckSubjectView: Sendable {
    public let subject: Subject
    public let memberships: [StoredMembership]
    /// Latest write to any of the subject's records.
    public let recordsUpdatedAt: String?
}

extension CheckRepository {
    private struct ViewRow: Decodable {
        let id, kind, name, former_names: String
        let code: String?
        let code_check_failed: Bool
        let legacy_reg_no, person_id_masked: String?
        let region_code, status: String
        let registered_on: String?
        let records_updated_at: String?
        let record_id, list, record_type, department_id, source_category, document_no, legal_basis, start_date, end_date: String?
    }

    /// The subject with this code (or id) and its memberships in force on `date`, with freshness.
    public func view(code: String? = nil, subjectID: String? = nil, on date: CivilDate) async throws -> CheckSubjectView? {
        let day = date.description
        let filter: SQLQueryString = if let code { "s.code = \(bind: code)" } else { "s.id = \(bind: subjectID ?? "")" }
        let rows = try await db.raw("""
            SELECT s.id, s.kind, s.name, s.former_names, s.code, s.code_check_failed, s.legacy_reg_no, s.person_id_masked,
            s.region_code, s.status, s.registered_on,
            (SELECT MAX(r.updated_at) FROM credit_records r WHERE r.subject_id = s.id) AS records_updated_at,
            m.record_id, m.list, m.record_type, m.department_id, m.source_category, m.document_no, m.legal_basis,
            m.start_date, m.end_date
            FROM subjects s LEFT JOIN list_memberships m ON m.subject_id = s.id AND m.state = 'listed'
            AND m.start_date <= \(bind: day) AND m.end_date > \(bind: day)
            WHERE \(filter) ORDER BY m.list, m.start_date
            """).all(decoding: ViewRow.self)
        guard let first = rows.first else { return nil }
        guard let kind = SubjectKind(rawValue: first.kind), let status = SubjectStatus(rawValue: first.status) else {
            throw StoredDataError(description: "subject \(first.id) has unknown kind or status")
        }
        let subject = Subject(
            id: first.id, kind: kind, name: first.name,
            formerNames: try decodeJSON([String].self, first.former_names, column: "former_names"),
            code: first.code.flatMap { SocialCreditCode.verify($0).code }, codeCheckFailed: first.code_check_failed,
            legacyRegistrationNumber: first.legacy_reg_no.flatMap { LegacyRegistrationNumber($0) },
            person: first.person_id_masked.map { PersonIdentity(idHash: "", maskedID: $0) },
            regionCode: first.region_code, status: status, registeredOn: first.registered_on.flatMap { CivilDate($0) })
        let memberships = try rows.compactMap { r -> StoredMembership? in
            guard let recordID = r.record_id, let list = r.list, let type = r.record_type, let department = r.department_id,
                let start = r.start_date, let end = r.end_date
            else { return nil }
            return try ListRepository.stored(.init(
                subject_id: r.id, record_id: recordID, list: list, record_type: type, department_id: department,
                source_category: r.source_category ?? "", document_no: r.document_no ?? "", legal_basis: r.legal_basis ?? "",
                start_date: start, end_date: end, state: "listed", ended_on: nil, ended_reason: nil))
        }
        return CheckSubjectView(subject: subject, memberships: memberships, recordsUpdatedAt: first.records_updated_at)
    }
}

// MARK: - Measures catalogue

public struct MeasureCatalogRepository: Sendable {
    let db: any SQLDatabase

    private struct Row: Decodable { let definition: String }

    /// Stores a version unless it is there already (versions are never rewritten).
    @discardableResult
    public func installIfMissing(_ catalog: MeasureCatalog, by actor: Actor) async throws -> Bool {
        guard try await db.count("SELECT COUNT(*) AS n FROM measure_catalog_versions WHERE version = \(bind: catalog.version)") == 0
        else { return false }
        try await db.insert(into: "measure_catalog_versions")
            .columns("version", "effective_from", "note", "definition", "loaded_at")
            .values(catalog.version, catalog.effectiveFrom.description, catalog.note, jsonText(catalog), Timestamp.now()).run()
        try await AuditLog(db: db).append(actor, action: "install", entity: "measure_catalog_versions", entityID: "\(catalog.version)",
                                          detail: ["memoranda": "\(catalog.memoranda.count)", "measures": "\(catalog.measures.count)"])
        return true
    }

    /// The newest version in effect on `date`.
    public func current(on date: CivilDate = .today()) async throws -> MeasureCatalog? {
        try await db.raw("""
            SELECT definition FROM measure_catalog_versions WHERE effective_from <= \(bind: date.description)
            ORDER BY version DESC LIMIT 1
            """).first(decoding: Row.self).map { try decodeJSON(MeasureCatalog.self, $0.definition, column: "measure_catalog_versions.definition") }
    }
}

// MARK: - Name index

/// The cores of organisations' names (current and former), for finding name-match candidates. Natural
/// persons are never indexed: a name alone does not identify a person.
public struct NameIndex: Sendable {
    let db: any SQLDatabase

    func add(_ subjects: [Subject], ignoringExisting: Bool = false) async throws {
        try await add(subjects.filter { $0.kind != .naturalPerson }.map { ($0.id, [$0.name] + $0.formerNames) }, ignoringExisting: ignoringExisting)
    }

    func add(_ entries: [(id: String, names: [String])], ignoringExisting: Bool = false) async throws {
        var rows: [[any Encodable & Sendable]] = []
        for (id, names) in entries {
            for key in Set(names.map { OrganisationName($0).indexKey }) where !key.isEmpty { rows.append([key, id]) }
        }
        try await db.insertRows(into: "subject_name_keys", columns: ["name_key", "subject_id"], rows: rows, ignoringConflicts: ignoringExisting)
    }

    private struct Row: Decodable { let id, name, former_names, region_code, kind: String; let code: String? }

    /// Organisations indexed under `key`, at most `limit`.
    public func candidates(key: String, limit: Int = 50) async throws -> [Subject] {
        try await db.raw("""
            SELECT s.id, s.name, s.former_names, s.region_code, s.kind, s.code FROM subject_name_keys k
            JOIN subjects s ON s.id = k.subject_id WHERE k.name_key = \(bind: key) ORDER BY s.id LIMIT \(bind: limit)
            """).all(decoding: Row.self).map { r in
            Subject(id: r.id, kind: SubjectKind(rawValue: r.kind) ?? .other, name: r.name,
                    formerNames: try decodeJSON([String].self, r.former_names, column: "former_names"),
                    code: r.code.flatMap { SocialCreditCode.verify($0).code }, regionCode: r.region_code)
        }
    }
}

// MARK: - Settings

/// Settings the credit office changes at run time (audited), such as the name-match threshold.
public struct JointSettingsRepository: Sendable {
    let db: any SQLDatabase
    public static let nameMatchThreshold = "name_match_threshold"

    private struct Row: Decodable { let value: String }

    public func value(_ key: String) async throws -> String? {
        try await db.raw("SELECT value FROM joint_settings WHERE key = \(bind: key)").first(decoding: Row.self)?.value
    }

    public func set(_ key: String, to value: String, by actor: Actor) async throws {
        let old = try await self.value(key)
        if old == nil {
            try await db.insert(into: "joint_settings").columns("key", "value", "updated_by", "updated_at")
                .values(key, value, actor.name, Timestamp.now()).run()
        } else {
            try await db.update("joint_settings").set("value", to: value).set("updated_by", to: actor.name)
                .set("updated_at", to: Timestamp.now()).where("key", .equal, key).run()
        }
        try await AuditLog(db: db).append(actor, action: "set", entity: "joint_settings", entityID: key,
                                          detail: ["from": old ?? "(default)", "to": value])
    }
}

// MARK: - Checks, feedback, overrides

/// One check as stored: who asked, about what, what the platform answered.
public struct CheckEntry: Sendable, Codable, Equatable {
    public struct MeasureLine: Sendable, Codable, Equatable {
        public let measureID: String
        public let memorandumID: String
        public let kind: String
        public let mandatory: Bool
        public init(measureID: String, memorandumID: String, kind: String, mandatory: Bool) {
            self.measureID = measureID
            self.memorandumID = memorandumID
            self.kind = kind
            self.mandatory = mandatory
        }
    }

    public var id: String
    public var departmentID: String
    public var regionCode: String
    public var askedBy: String
    public var scenario: String
    public var matter: String?
    /// code, legacy_number, id_number, name.
    public var queryKind: String
    /// What was asked (a personal id number only masked).
    public var query: String
    public var subjectID: String?
    /// code, legacy_number, id_number, name, none.
    public var matchMethod: String
    public var matchScore: Double?
    /// hit (on a list), clear (matched, on no list), candidates (name below threshold or ambiguous), no_match.
    public var result: String
    public var lists: [String]
    public var measures: [MeasureLine]
    /// The answer as the department received it (JSON).
    public var answer: String
    public var askedAt: String
    /// Other departments' records whose list membership the answer cited: the asking department is now
    /// one of their recipients.
    public var citedRecordIDs: [String]

    public init(id: String, departmentID: String, regionCode: String, askedBy: String, scenario: String, matter: String?,
                queryKind: String, query: String, subjectID: String?, matchMethod: String, matchScore: Double?, result: String,
                lists: [String], measures: [MeasureLine], answer: String, askedAt: String, citedRecordIDs: [String] = []) {
        self.id = id
        self.departmentID = departmentID
        self.regionCode = regionCode
        self.askedBy = askedBy
        self.scenario = scenario
        self.matter = matter
        self.queryKind = queryKind
        self.query = query
        self.subjectID = subjectID
        self.matchMethod = matchMethod
        self.matchScore = matchScore
        self.result = result
        self.lists = lists
        self.measures = measures
        self.answer = answer
        self.askedAt = askedAt
        self.citedRecordIDs = citedRecordIDs
    }
}

public struct StoredCheck: Sendable, Decodable, Equatable {
    public let id, department_id, region_code, asked_by, scenario: String
    public let matter: String?
    public let query_kind, query: String
    public let subject_id: String?
    public let match_method: String
    public let match_score: Double?
    public let result, lists: String
    public let measures, incentives: Int
    public let answer, asked_at: String
    public let feedback_at, feedback_outcome: String?
}

public struct CheckMeasureRow: Sendable, Decodable, Equatable {
    public let check_id, measure_id, memorandum_id, kind: String
    public let mandatory: Bool
    public let applied: Bool?
    public let reason, reported_by, reported_at: String?
}

public struct NameOverride: Sendable, Codable, Equatable {
    public let id, department_id, name_key, subject_id, reason, decided_by, decided_at: String

    public init(id: String, department_id: String, name_key: String, subject_id: String, reason: String, decided_by: String, decided_at: String) {
        self.id = id
        self.department_id = department_id
        self.name_key = name_key
        self.subject_id = subject_id
        self.reason = reason
        self.decided_by = decided_by
        self.decided_at = decided_at
    }
}

/// Application counts for the office: measures returned, reported on, applied.
public struct ApplicationCounts: Sendable, Decodable, Equatable {
    public let key: String
    public let returned: Int
    public let reported: Int
    public let applied: Int
}

public struct CheckRepository: Sendable {
    let db: any SQLDatabase

    /// Stores checks with their measures and one audit entry each: a department read list data, for a matter.
    public func insert(_ entries: [CheckEntry]) async throws {
        guard !entries.isEmpty else { return }
        try await db.insertRows(
            into: "checks",
            columns: ["id", "department_id", "region_code", "asked_by", "scenario", "matter", "query_kind", "query", "subject_id",
                      "match_method", "match_score", "result", "lists", "measures", "incentives", "answer", "asked_at"],
            rows: entries.map { e in
                [e.id, e.departmentID, e.regionCode, e.askedBy, e.scenario, e.matter, e.queryKind, e.query, e.subjectID,
                 e.matchMethod, e.matchScore, e.result, e.lists.joined(separator: ","),
                 e.measures.count { $0.kind == Measure.Kind.punishment.rawValue }, e.measures.count { $0.kind == Measure.Kind.incentive.rawValue },
                 e.answer, e.askedAt]
            })
        try await db.insertRows(
            into: "check_measures", columns: ["check_id", "measure_id", "memorandum_id", "kind", "mandatory"],
            rows: entries.flatMap { e in e.measures.map { [e.id, $0.measureID, $0.memorandumID, $0.kind, $0.mandatory] } })
        try await db.insertRows(
            into: "audit_log", columns: ["at", "actor", "action", "entity", "entity_id", "reason", "detail"],
            rows: entries.map { e in
                [e.askedAt, e.askedBy, "check", "checks", e.id,
                 "check before handling: \(e.scenario)" + (e.matter.map { ", matter \($0)" } ?? ""),
                 jsonText(["department": e.departmentID, "subject": e.subjectID ?? "", "query_kind": e.queryKind,
                           "result": e.result, "lists": e.lists.joined(separator: ",")])]
            })
        try await RecipientRepository(db: db).record(entries.flatMap { e in
            e.citedRecordIDs.compactMap { record in
                e.subjectID.map { Receipt(.department(e.departmentID), subjectID: $0, recordID: record, via: .check, reference: e.id) }
            }
        })
    }

    public func find(id: String) async throws -> StoredCheck? {
        try await db.raw("SELECT * FROM checks WHERE id = \(bind: id)").first(decoding: StoredCheck.self)
    }

    public func measures(check id: String) async throws -> [CheckMeasureRow] {
        try await db.raw("""
            SELECT check_id, measure_id, memorandum_id, kind, mandatory, applied, reason, reported_by, reported_at
            FROM check_measures WHERE check_id = \(bind: id) ORDER BY measure_id
            """).all(decoding: CheckMeasureRow.self)
    }

    /// Records what the department did about each measure, and the check's outcome; audited.
    public func recordFeedback(check: String, lines: [(measureID: String, applied: Bool, reason: String?)], outcome: String?,
                               by actor: Actor) async throws {
        let now = Timestamp.now()
        for line in lines {
            try await db.update("check_measures").set("applied", to: line.applied).set("reason", to: line.reason)
                .set("reported_by", to: actor.name).set("reported_at", to: now)
                .where("check_id", .equal, check).where("measure_id", .equal, line.measureID).run()
        }
        try await db.update("checks").set("feedback_at", to: now).set("feedback_outcome", to: outcome).where("id", .equal, check).run()
        try await AuditLog(db: db).append(actor, action: "feedback", entity: "checks", entityID: check, detail: [
            "applied": lines.filter(\.applied).map(\.measureID).joined(separator: ","),
            "not_applied": lines.filter { !$0.applied }.map(\.measureID).joined(separator: ","), "outcome": outcome ?? "",
        ])
    }

    /// Measures returned, reported and applied, grouped by memorandum, measure, department or region, for
    /// checks asked in [from, to).
    /// `within`: a GB/T 2260 code prefix (`4310` for a city, `431002` for a county); nil for everything.
    public func applicationCounts(by dimension: String, from: String, to: String, within prefix: String? = nil) async throws -> [ApplicationCounts] {
        let column: SQLQueryString = switch dimension {
        case "memorandum": "m.memorandum_id"
        case "measure": "m.measure_id"
        case "department": "c.department_id"
        default: "c.region_code"
        }
        return try await db.raw("""
            SELECT \(column) AS key, COUNT(*) AS returned,
            SUM(CASE WHEN m.applied IS NULL THEN 0 ELSE 1 END) AS reported,
            SUM(CASE WHEN m.applied THEN 1 ELSE 0 END) AS applied
            FROM check_measures m JOIN checks c ON c.id = m.check_id
            WHERE c.asked_at >= \(bind: from) AND c.asked_at < \(bind: to) AND c.region_code LIKE \(bind: (prefix ?? "") + "%")
            GROUP BY \(column) ORDER BY \(column)
            """).all(decoding: ApplicationCounts.self)
    }

    /// Checks that returned measures and got no feedback, oldest first.
    public func withoutFeedback(askedBefore: String, limit: Int, within prefix: String? = nil) async throws -> [StoredCheck] {
        try await db.raw("""
            SELECT * FROM checks WHERE feedback_at IS NULL AND (measures > 0 OR incentives > 0) AND asked_at < \(bind: askedBefore)
            AND region_code LIKE \(bind: (prefix ?? "") + "%")
            ORDER BY asked_at LIMIT \(bind: limit)
            """).all(decoding: StoredCheck.self)
    }

    public func count(since: String, within prefix: String? = nil) async throws -> Int {
        try await db.count("SELECT COUNT(*) AS n FROM checks WHERE asked_at >= \(bind: since) AND region_code LIKE \(bind: (prefix ?? "") + "%")")
    }

    // Overrides

    public func addOverride(_ o: NameOverride, by actor: Actor) async throws {
        try await db.insert(into: "name_overrides")
            .columns("id", "department_id", "name_key", "subject_id", "reason", "decided_by", "decided_at")
            .values(o.id, o.department_id, o.name_key, o.subject_id, o.reason, o.decided_by, o.decided_at).run()
        try await AuditLog(db: db).append(actor, action: "override", entity: "name_overrides", entityID: o.id,
                                          detail: ["department": o.department_id, "name": o.name_key, "subject": o.subject_id])
    }

    public func overrides(department: String, nameKey: String) async throws -> [NameOverride] {
        try await db.raw("""
            SELECT id, department_id, name_key, subject_id, reason, decided_by, decided_at FROM name_overrides
            WHERE department_id = \(bind: department) AND name_key = \(bind: nameKey)
            """).all(decoding: NameOverride.self)
    }

    public func allOverrides() async throws -> [NameOverride] {
        try await db.raw("""
            SELECT id, department_id, name_key, subject_id, reason, decided_by, decided_at FROM name_overrides ORDER BY decided_at DESC
            """).all(decoding: NameOverride.self)
    }
}

extension ChangeFeed {
    public struct Latest: Decodable, Sendable { public let seq: Int; public let at: String }

    /// The newest entry of the feed: how far the platform's data goes.
    public func latest() async throws -> Latest? {
        try await db.raw("SELECT seq, at FROM changes ORDER BY seq DESC LIMIT 1").first(decoding: Latest.self)
    }
}
