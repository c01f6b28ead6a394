import FluentKit
import SQLKit

/// Subjects' consents to agencies, and the log of every agency request (granted or refused), which the
/// subject reads on its consent's page. Both are keyed by subject, like the other hot tables.
struct M0016Consents: AsyncMigration {
    var name: String { "0016_consents" }

    func prepare(on database: any FluentKit.Database) async throws {
        let sql = database as! any SQLDatabase
        let statements = [
            """
            CREATE TABLE consents (
                id TEXT PRIMARY KEY, agency_id TEXT NOT NULL REFERENCES agencies (id), subject_id TEXT NOT NULL,
                scopes TEXT NOT NULL, purpose TEXT NOT NULL, signer TEXT NOT NULL, granted_at TEXT NOT NULL,
                expires_on TEXT NOT NULL, revoked_at TEXT, follow_up_hash TEXT NOT NULL)
            """,
            "CREATE INDEX consents_subject ON consents (subject_id, agency_id)",
            """
            CREATE TABLE agency_access_log (
                id TEXT PRIMARY KEY, agency_id TEXT NOT NULL, key_id TEXT NOT NULL, subject_id TEXT NOT NULL, consent_id TEXT,
                route TEXT NOT NULL, outcome TEXT NOT NULL, detail TEXT NOT NULL, records BIGINT NOT NULL, at TEXT NOT NULL)
            """,
            "CREATE INDEX agency_access_log_subject ON agency_access_log (subject_id, agency_id, at)",
        ]
        for statement in statements {
            try await sql.raw(SQLQueryString(statement)).run()
        }
    }

    func revert(on database: any FluentKit.Database) async throws {
        let sql = database as! any SQLDatabase
        try await sql.drop(table: "agency_access_log").run()
        try await sql.drop(table: "consents").run()
    }
}
