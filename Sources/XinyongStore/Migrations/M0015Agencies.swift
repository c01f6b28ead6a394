import FluentKit
import SQLKit

/// Third-party credit agencies and banks the office registered, and the agency an agency key belongs to.
/// What an agency may do (its scopes) lives here, not on its keys, so that changing it reaches every key.
struct M0015Agencies: AsyncMigration {
    var name: String { "0015_agencies" }

    func prepare(on database: any FluentKit.Database) async throws {
        let sql = database as! any SQLDatabase
        let statements = [
            """
            CREATE TABLE agencies (
                id TEXT PRIMARY KEY, name TEXT NOT NULL, kind TEXT NOT NULL, scopes TEXT NOT NULL,
                requests_per_minute BIGINT NOT NULL, created_at TEXT NOT NULL)
            """,
            "ALTER TABLE api_keys ADD COLUMN agency_id TEXT REFERENCES agencies (id)",
        ]
        for statement in statements {
            try await sql.raw(SQLQueryString(statement)).run()
        }
    }

    func revert(on database: any FluentKit.Database) async throws {
        let sql = database as! any SQLDatabase
        try await sql.raw("ALTER TABLE api_keys DROP COLUMN agency_id").run()
        try await sql.drop(table: "agencies").run()
    }
}
