import FluentKit
import SQLKit

/// City credit monitoring: indicator editions (whole JSON documents, versioned by id), monthly values
/// per city and indicator, and events. Keyed by city so that they distribute like the subject tables.
struct M0003Monitoring: AsyncMigration {
    var name: String { "0003_monitoring" }

    func prepare(on database: any FluentKit.Database) async throws {
        let sql = database as! any SQLDatabase
        let statements = [
            """
            CREATE TABLE monitoring_editions (
                id TEXT PRIMARY KEY, name TEXT NOT NULL, issued_on TEXT NOT NULL, effective_from TEXT NOT NULL,
                total_points DOUBLE PRECISION NOT NULL, document TEXT NOT NULL, loaded_at TEXT NOT NULL)
            """,
            // One value per city, month and leaf indicator of an edition; a later import replaces it.
            """
            CREATE TABLE monitoring_values (
                city_code TEXT NOT NULL, edition_id TEXT NOT NULL REFERENCES monitoring_editions (id),
                month TEXT NOT NULL, indicator TEXT NOT NULL, value DOUBLE PRECISION NOT NULL, source TEXT NOT NULL,
                updated_at TEXT NOT NULL, PRIMARY KEY (city_code, edition_id, month, indicator))
            """,
            "CREATE INDEX monitoring_values_month ON monitoring_values (edition_id, month)",
            """
            CREATE TABLE monitoring_events (
                city_code TEXT NOT NULL, id TEXT NOT NULL, kind TEXT NOT NULL, occurred_on TEXT NOT NULL,
                expires_on TEXT, source TEXT NOT NULL, severity TEXT NOT NULL, indicator TEXT NOT NULL,
                title TEXT NOT NULL, created_at TEXT NOT NULL, PRIMARY KEY (city_code, id))
            """,
            "CREATE UNIQUE INDEX monitoring_events_id ON monitoring_events (id)",
            "CREATE INDEX monitoring_events_date ON monitoring_events (occurred_on)",
        ]
        for statement in statements {
            try await sql.raw(SQLQueryString(statement)).run()
        }
    }

    func revert(on database: any FluentKit.Database) async throws {
        let sql = database as! any SQLDatabase
        for table in ["monitoring_events", "monitoring_values", "monitoring_editions"] {
            try await sql.drop(table: table).run()
        }
    }
}
