import FluentKit
import SQLKit

/// Notices before listing (告知): one row per record that waits for, or went through, a notice. Keyed by
/// subject like the records. The notice's wording (facts, basis, consequences, the right to a statement)
/// is kept as issued, as a JSON document; where it stands is in columns.
struct M0011Notices: AsyncMigration {
    var name: String { "0011_notices" }

    func prepare(on database: any FluentKit.Database) async throws {
        let sql = database as! any SQLDatabase
        let statements = [
            """
            CREATE TABLE notices (
                subject_id TEXT NOT NULL, id TEXT NOT NULL, record_id TEXT NOT NULL, department_id TEXT NOT NULL,
                record_type TEXT NOT NULL, region_code TEXT NOT NULL, list TEXT NOT NULL, issued_on TEXT NOT NULL,
                grace_until TEXT NOT NULL, state TEXT NOT NULL, statement_id TEXT, listed_on TEXT, closed_on TEXT,
                wording TEXT NOT NULL, batch_id TEXT, created_at TEXT NOT NULL, updated_at TEXT NOT NULL,
                PRIMARY KEY (subject_id, id))
            """,
            "CREATE UNIQUE INDEX notices_id ON notices (id)",
            // One notice per record; on a distributed engine a plain index, the exchange issues one per record.
            "CREATE INDEX notices_record ON notices (record_id)",
            "CREATE INDEX notices_state ON notices (state, grace_until)",
            "CREATE INDEX notices_department ON notices (department_id, issued_on)",
            "ALTER TABLE batches ADD COLUMN notices BIGINT NOT NULL DEFAULT 0",
        ]
        for statement in statements {
            try await sql.raw(SQLQueryString(statement)).run()
        }
    }

    func revert(on database: any FluentKit.Database) async throws {
        let sql = database as! any SQLDatabase
        try await sql.drop(table: "notices").run()
        try await sql.raw("ALTER TABLE batches DROP COLUMN notices").run()
    }
}
