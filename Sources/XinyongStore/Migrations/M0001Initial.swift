import FluentKit
import SQLKit

struct M0001Initial: AsyncMigration {
    var name: String { "0001_initial" }

    func prepare(on database: any FluentKit.Database) async throws {
        let sql = database as! any SQLDatabase
        let serial = sql.dialect.name == "sqlite"
            ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"
        let statements = [
            """
            CREATE TABLE regions (
                code TEXT PRIMARY KEY, name TEXT NOT NULL, level TEXT NOT NULL, parent TEXT,
                longitude DOUBLE PRECISION, latitude DOUBLE PRECISION)
            """,
            "CREATE INDEX regions_parent ON regions (parent)",
            """
            CREATE TABLE departments (
                id TEXT PRIMARY KEY, name TEXT NOT NULL, category TEXT NOT NULL,
                region_code TEXT NOT NULL REFERENCES regions (code), level TEXT NOT NULL, code TEXT,
                created_at TEXT NOT NULL)
            """,
            """
            CREATE TABLE catalog_versions (
                version BIGINT PRIMARY KEY, effective_from TEXT NOT NULL, note TEXT,
                tier_periods TEXT NOT NULL, deadlines TEXT NOT NULL, loaded_at TEXT NOT NULL)
            """,
            """
            CREATE TABLE record_types (
                code TEXT NOT NULL, version BIGINT NOT NULL REFERENCES catalog_versions (version),
                name TEXT NOT NULL, section TEXT NOT NULL, polarity TEXT NOT NULL, legal_basis TEXT NOT NULL,
                publishes_natural_persons BOOLEAN NOT NULL, definition TEXT NOT NULL,
                PRIMARY KEY (code, version))
            """,
            // No UNIQUE on code or person hash: the id is derived from them, and a distributed engine
            // only enforces uniqueness that includes the distribution key.
            """
            CREATE TABLE subjects (
                id TEXT PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL, former_names TEXT NOT NULL,
                code TEXT, code_check_failed BOOLEAN NOT NULL, legacy_reg_no TEXT,
                person_id_hash TEXT, person_id_masked TEXT, region_code TEXT NOT NULL, status TEXT NOT NULL,
                registered_on TEXT, legal_representative TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL)
            """,
            "CREATE INDEX subjects_code ON subjects (code)",
            "CREATE INDEX subjects_legacy_reg_no ON subjects (legacy_reg_no)",
            "CREATE INDEX subjects_region ON subjects (region_code, kind)",
            """
            CREATE TABLE credit_records (
                subject_id TEXT NOT NULL REFERENCES subjects (id), id TEXT NOT NULL,
                record_type TEXT NOT NULL, catalog_version BIGINT NOT NULL,
                department_id TEXT NOT NULL REFERENCES departments (id), region_code TEXT NOT NULL,
                document_no TEXT NOT NULL, tier TEXT, decision_date TEXT NOT NULL, legal_basis TEXT NOT NULL,
                publicity_start TEXT, publicity_end TEXT, repair_eligible_from TEXT, submission_due TEXT NOT NULL,
                status TEXT NOT NULL, code_check_failed BOOLEAN NOT NULL, fields TEXT NOT NULL,
                version BIGINT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
                PRIMARY KEY (subject_id, id))
            """,
            "CREATE UNIQUE INDEX credit_records_id ON credit_records (id)",
            // The natural key of a submitted row. On a distributed engine this becomes a plain index and
            // the exchange service enforces it inside its transaction.
            "CREATE UNIQUE INDEX credit_records_natural_key ON credit_records (department_id, record_type, document_no)",
            "CREATE INDEX credit_records_type_date ON credit_records (record_type, decision_date)",
            "CREATE INDEX credit_records_publicity_end ON credit_records (publicity_end)",
            """
            CREATE TABLE audit_log (
                id \(serial), at TEXT NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
                entity TEXT NOT NULL, entity_id TEXT, reason TEXT NOT NULL, detail TEXT)
            """,
            "CREATE INDEX audit_log_entity ON audit_log (entity, entity_id)",
        ]
        for statement in statements + appendOnlyAudit(sqlite: sql.dialect.name == "sqlite") {
            try await sql.raw(SQLQueryString(statement)).run()
        }
    }

    /// The audit trail refuses UPDATE and DELETE at the database itself, not only in our code.
    private func appendOnlyAudit(sqlite: Bool) -> [String] {
        if sqlite {
            return ["UPDATE", "DELETE"].map { op in
                """
                CREATE TRIGGER audit_log_no_\(op.lowercased()) BEFORE \(op) ON audit_log
                BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END
                """
            }
        }
        return [
            """
            CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN RAISE EXCEPTION 'audit_log is append-only'; END $$
            """,
            """
            CREATE TRIGGER audit_log_no_change BEFORE UPDATE OR DELETE ON audit_log
            FOR EACH ROW EXECUTE FUNCTION audit_log_append_only()
            """,
        ]
    }

    func revert(on database: any FluentKit.Database) async throws {
        let sql = database as! any SQLDatabase
        for table in ["audit_log", "credit_records", "subjects", "record_types", "catalog_versions", "departments", "regions"] {
            try await sql.drop(table: table).run()
        }
        if sql.dialect.name != "sqlite" { try await sql.raw("DROP FUNCTION audit_log_append_only()").run() }
    }
}
