import Foundation
import SQLKit

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
