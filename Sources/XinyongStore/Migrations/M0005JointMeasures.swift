import FluentKit
import SQLKit
import XinyongModel

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
