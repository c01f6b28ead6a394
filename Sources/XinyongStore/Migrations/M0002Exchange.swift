import FluentKit
import SQLKit

/// The data exchange: department API keys, batches and their row issues, record history, the change feed.
struct M0002Exchange: AsyncMigration {
    var name: String { "0002_exchange" }

    func prepare(on database: any FluentKit.Database) async throws {
        let sql = database as! any SQLDatabase
        let serial = sql.dialect.name == "sqlite"
            ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"
        let statements = [
            // Keys are stored as SHA-256 of a 256-bit random secret; an admin key has no department.
            """
            CREATE TABLE api_keys (
                id TEXT PRIMARY KEY, department_id TEXT REFERENCES departments (id), role TEXT NOT NULL,
                name TEXT NOT NULL, key_hash TEXT NOT NULL, created_at TEXT NOT NULL, revoked_at TEXT, last_used_at TEXT)
            """,
            "CREATE UNIQUE INDEX api_keys_hash ON api_keys (key_hash)",
            """
            CREATE TABLE batches (
                id TEXT PRIMARY KEY, department_id TEXT NOT NULL REFERENCES departments (id), record_type TEXT NOT NULL,
                mode TEXT NOT NULL, source TEXT NOT NULL, encoding TEXT, idempotency_key TEXT, request_hash TEXT,
                status TEXT NOT NULL, rows_total BIGINT NOT NULL, created BIGINT NOT NULL, corrected BIGINT NOT NULL,
                unchanged BIGINT NOT NULL, rejected BIGINT NOT NULL, warned BIGINT NOT NULL,
                submitted_by TEXT NOT NULL, submitted_at TEXT NOT NULL, finished_at TEXT NOT NULL)
            """,
            "CREATE UNIQUE INDEX batches_idempotency ON batches (department_id, idempotency_key)",
            "CREATE INDEX batches_department ON batches (department_id, submitted_at)",
            """
            CREATE TABLE batch_issues (
                batch_id TEXT NOT NULL REFERENCES batches (id), row_number BIGINT NOT NULL, severity TEXT NOT NULL,
                field TEXT, value TEXT, reason TEXT NOT NULL)
            """,
            "CREATE INDEX batch_issues_batch ON batch_issues (batch_id, row_number)",
            // The version a correction replaced, whole, so that nothing a department once sent is lost.
            """
            CREATE TABLE record_history (
                subject_id TEXT NOT NULL, record_id TEXT NOT NULL, version BIGINT NOT NULL, snapshot TEXT NOT NULL,
                replaced_at TEXT NOT NULL, replaced_by_batch TEXT, PRIMARY KEY (subject_id, record_id, version))
            """,
            """
            CREATE TABLE changes (
                seq \(serial), record_id TEXT NOT NULL, subject_id TEXT NOT NULL, record_type TEXT NOT NULL,
                department_id TEXT NOT NULL, change TEXT NOT NULL, version BIGINT NOT NULL, at TEXT NOT NULL, batch_id TEXT)
            """,
            "ALTER TABLE credit_records ADD COLUMN content_hash TEXT",
            "ALTER TABLE credit_records ADD COLUMN batch_id TEXT",
            "ALTER TABLE credit_records ADD COLUMN expiry_announced TEXT",
            "CREATE INDEX credit_records_department ON credit_records (department_id, record_type, created_at)",
        ]
        for statement in statements {
            try await sql.raw(SQLQueryString(statement)).run()
        }
    }

    func revert(on database: any FluentKit.Database) async throws {
        let sql = database as! any SQLDatabase
        for table in ["changes", "record_history", "batch_issues", "batches", "api_keys"] {
            try await sql.drop(table: table).run()
        }
    }
}
