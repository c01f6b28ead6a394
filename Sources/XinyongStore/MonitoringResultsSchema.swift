import FluentKit
import Foundation
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

extension MonitoringRepository {
    public struct ResultRow: Codable, Sendable, Equatable {
        public let edition_id, month, inputs, document, computed_at: String

        public init(edition: String, month: String, inputs: String, document: String) {
            edition_id = edition
            self.month = month
            self.inputs = inputs
            self.document = document
            computed_at = Timestamp.now()
        }
    }

    /// Writes computed months, replacing what was stored for the same edition and month.
    public func saveResults(_ rows: [ResultRow]) async throws {
        for row in rows {
            try await db.insert(into: "monitoring_results").model(row).onConflict(with: ["edition_id", "month"]) {
                $0.set(excludedValueOf: "inputs").set(excludedValueOf: "document").set(excludedValueOf: "computed_at")
            }.run()
        }
    }

    public func results(edition: String) async throws -> [ResultRow] {
        try await db.select().columns("edition_id", "month", "inputs", "document", "computed_at").from("monitoring_results")
            .where("edition_id", .equal, edition).orderBy("month").all(decoding: ResultRow.self)
    }

    public func result(edition: String, month: String) async throws -> ResultRow? {
        try await db.select().columns("edition_id", "month", "inputs", "document", "computed_at").from("monitoring_results")
            .where("edition_id", .equal, edition).where("month", .equal, month).first(decoding: ResultRow.self)
    }

    /// Months computed from inputs that are no longer the edition's: removed when the month has no data left.
    public func deleteResults(edition: String, except months: [String]) async throws {
        let stored = try await results(edition: edition).map(\.month)
        for month in stored where !months.contains(month) {
            try await db.delete(from: "monitoring_results").where("edition_id", .equal, edition).where("month", .equal, month).run()
        }
    }
}
