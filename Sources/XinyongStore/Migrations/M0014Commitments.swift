import FluentKit
import SQLKit

/// Credit commitments and their fulfilment (信用承诺). The published fact is a `credit_commitment` record;
/// this table holds what the record has no columns for: the term, the matters, the signature (name, time,
/// SHA-256 of the text) and where fulfilment stands. Keyed by subject like the records.
struct M0014Commitments: AsyncMigration {
    var name: String { "0014_commitments" }

    func prepare(on database: any FluentKit.Database) async throws {
        let sql = database as! any SQLDatabase
        let statements = [
            """
            CREATE TABLE commitments (
                subject_id TEXT NOT NULL, id TEXT NOT NULL, department_id TEXT NOT NULL, record_id TEXT NOT NULL,
                commitment_type TEXT NOT NULL, matters TEXT NOT NULL, term_from TEXT NOT NULL, term_to TEXT NOT NULL,
                state TEXT NOT NULL, signer TEXT NOT NULL, signed_at TEXT NOT NULL, text_hash TEXT NOT NULL, channel TEXT NOT NULL,
                breach_record_id TEXT, closed_at TEXT, created_at TEXT NOT NULL,
                PRIMARY KEY (subject_id, id))
            """,
            "CREATE UNIQUE INDEX commitments_id ON commitments (id)",
            "CREATE INDEX commitments_department ON commitments (department_id, state, term_to)",
        ]
        for statement in statements {
            try await sql.raw(SQLQueryString(statement)).run()
        }
    }

    func revert(on database: any FluentKit.Database) async throws {
        try await (database as! any SQLDatabase).drop(table: "commitments").run()
    }
}
