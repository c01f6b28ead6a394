import FluentKit
import SQLKit

/// Honesty demonstration parks: the parks the office named, the members it listed by code, and its yearly
/// reviews. Members by region are not stored: they are whoever is registered there on the day asked.
struct M0018Parks: AsyncMigration {
    var name: String { "0018_parks" }

    func prepare(on database: any FluentKit.Database) async throws {
        let sql = database as! any SQLDatabase
        let statements = [
            """
            CREATE TABLE parks (
                id TEXT PRIMARY KEY, name TEXT NOT NULL, managing_body TEXT NOT NULL, established_on TEXT NOT NULL,
                region_codes TEXT NOT NULL, targets TEXT NOT NULL, created_at TEXT NOT NULL)
            """,
            """
            CREATE TABLE park_members (
                park_id TEXT NOT NULL REFERENCES parks (id), subject_id TEXT NOT NULL REFERENCES subjects (id),
                added_at TEXT NOT NULL, PRIMARY KEY (park_id, subject_id))
            """,
            """
            CREATE TABLE park_reviews (
                park_id TEXT NOT NULL REFERENCES parks (id), year BIGINT NOT NULL, outcome TEXT NOT NULL, note TEXT NOT NULL,
                figures TEXT NOT NULL, reviewed_by TEXT NOT NULL, reviewed_at TEXT NOT NULL, PRIMARY KEY (park_id, year))
            """,
        ]
        for statement in statements {
            try await sql.raw(SQLQueryString(statement)).run()
        }
    }

    func revert(on database: any FluentKit.Database) async throws {
        let sql = database as! any SQLDatabase
        for table in ["park_reviews", "park_members", "parks"] { try await sql.drop(table: table).run() }
    }
}
