import FluentKit
import SQLKit

/// Computed monitoring months: one row per edition and month holding the month's scores, ranks and rank
/// intervals as a JSON document, with the fingerprint of the inputs and settings it was computed from.
/// The monitoring service writes them when data is imported and at start, and reads them instead of
/// repeating the Monte Carlo; a row whose fingerprint no longer matches is recomputed.
struct M0007MonitoringResults: AsyncMigration {
    var name: String { "0007_monitoring_results" }

    func prepare(on database: any FluentKit.Database) async throws {
        let sql = database as! any SQLDatabase
        try await sql.raw("""
            CREATE TABLE monitoring_results (
                edition_id TEXT NOT NULL REFERENCES monitoring_editions (id), month TEXT NOT NULL,
                inputs TEXT NOT NULL, document TEXT NOT NULL, computed_at TEXT NOT NULL,
                PRIMARY KEY (edition_id, month))
            """).run()
    }

    func revert(on database: any FluentKit.Database) async throws {
        try await (database as! any SQLDatabase).drop(table: "monitoring_results").run()
    }
}
