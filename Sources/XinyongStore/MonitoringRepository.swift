import Foundation
import SQLKit

extension Repositories {
    public var monitoring: MonitoringRepository { .init(db: db) }
}

/// Storage for the city credit monitoring: editions, monthly values and events, as plain rows. The
/// monitoring service turns them into the engine's types; the store holds no scoring rules.
public struct MonitoringRepository: Sendable {
    let db: any SQLDatabase

    public struct EditionRow: Codable, Sendable, Equatable {
        public let id, name, issued_on, effective_from: String
        public let total_points: Double
        public let document: String
        public let loaded_at: String

        public init(id: String, name: String, issuedOn: String, effectiveFrom: String, totalPoints: Double, document: String) {
            self.id = id
            self.name = name
            self.issued_on = issuedOn
            self.effective_from = effectiveFrom
            self.total_points = totalPoints
            self.document = document
            self.loaded_at = Timestamp.now()
        }
    }

    public struct ValueRow: Codable, Sendable, Equatable {
        public let city_code, edition_id, month, indicator: String
        public let value: Double
        /// Who supplied it: `demo`, `csv:<file>`, `api:<actor>`.
        public let source: String

        public init(city: String, edition: String, month: String, indicator: String, value: Double, source: String) {
            city_code = city
            edition_id = edition
            self.month = month
            self.indicator = indicator
            self.value = value
            self.source = source
        }
    }

    public struct EventRow: Codable, Sendable, Equatable {
        public let city_code, id, kind, occurred_on: String
        public let expires_on: String?
        public let source, severity, indicator, title: String

        public init(city: String, id: String, kind: String, occurredOn: String, expiresOn: String?, source: String,
                    severity: String, indicator: String, title: String) {
            city_code = city
            self.id = id
            self.kind = kind
            occurred_on = occurredOn
            expires_on = expiresOn
            self.source = source
            self.severity = severity
            self.indicator = indicator
            self.title = title
        }
    }

    public struct EditionConflict: Error, CustomStringConvertible {
        public let id: String
        public var description: String {
            "edition \(id) is already installed with a different document; an edition never changes once loaded, give the new one a new id"
        }
    }

    // MARK: Editions

    /// Installs an edition. The same document again is a no-op; a different document under a known id
    /// is refused, because scores already computed with it would silently change.
    @discardableResult
    public func install(_ edition: EditionRow, by actor: Actor) async throws -> Bool {
        if let existing = try await self.edition(edition.id) {
            guard existing.document == edition.document else { throw EditionConflict(id: edition.id) }
            return false
        }
        try await db.insert(into: "monitoring_editions").model(edition).run()
        try await AuditLog(db: db).append(actor, action: "install", entity: "monitoring_edition", entityID: edition.id)
        return true
    }

    public func edition(_ id: String) async throws -> EditionRow? {
        try await db.select().column("*").from("monitoring_editions").where("id", .equal, id).first(decoding: EditionRow.self)
    }

    public func editions() async throws -> [EditionRow] {
        try await db.select().column("*").from("monitoring_editions").orderBy("effective_from").all(decoding: EditionRow.self)
    }

    // MARK: Values

    /// Writes values; a value already stored for the same city, edition, month and indicator is replaced.
    public func upsert(_ values: [ValueRow], by actor: Actor, reason: String) async throws {
        guard !values.isEmpty else { return }
        let now = Timestamp.now()
        let columns = ["city_code", "edition_id", "month", "indicator", "value", "source", "updated_at"]
        for chunk in stride(from: 0, to: values.count, by: 4_000).map({ values[$0..<min($0 + 4_000, values.count)] }) {
            let insert = db.insert(into: "monitoring_values").columns(columns)
            for v in chunk {
                insert.values([v.city_code, v.edition_id, v.month, v.indicator, v.value, v.source, now] as [any Encodable & Sendable])
            }
            try await insert.onConflict(with: ["city_code", "edition_id", "month", "indicator"]) {
                $0.set(excludedValueOf: "value").set(excludedValueOf: "source").set(excludedValueOf: "updated_at")
            }.run()
        }
        try await AuditLog(db: db).append(actor, action: "import", entity: "monitoring_values", entityID: values.first?.edition_id,
                                          detail: ["rows": String(values.count), "note": reason])
    }

    public func values(edition: String) async throws -> [ValueRow] {
        try await db.select().columns("city_code", "edition_id", "month", "indicator", "value", "source")
            .from("monitoring_values").where("edition_id", .equal, edition).all(decoding: ValueRow.self)
    }

    public func valueCount(edition: String) async throws -> Int {
        try await db.count("SELECT COUNT(*) AS n FROM monitoring_values WHERE edition_id = \(bind: edition)")
    }

    // MARK: Events

    /// Writes events; an event id already stored is replaced (a source may correct its report).
    public func upsert(_ events: [EventRow], by actor: Actor, reason: String) async throws {
        guard !events.isEmpty else { return }
        let now = Timestamp.now()
        let columns = ["city_code", "id", "kind", "occurred_on", "expires_on", "source", "severity", "indicator", "title", "created_at"]
        for chunk in stride(from: 0, to: events.count, by: 2_000).map({ events[$0..<min($0 + 2_000, events.count)] }) {
            let insert = db.insert(into: "monitoring_events").columns(columns)
            for e in chunk {
                insert.values([e.city_code, e.id, e.kind, e.occurred_on, e.expires_on, e.source, e.severity, e.indicator, e.title, now]
                              as [any Encodable & Sendable])
            }
            try await insert.onConflict(with: ["city_code", "id"]) { update in
                var u = update
                for column in ["kind", "occurred_on", "expires_on", "source", "severity", "indicator", "title"] { u = u.set(excludedValueOf: column) }
                return u
            }.run()
        }
        try await AuditLog(db: db).append(actor, action: "import", entity: "monitoring_events", detail: ["rows": String(events.count), "note": reason])
    }

    public func events() async throws -> [EventRow] {
        try await db.select().columns("city_code", "id", "kind", "occurred_on", "expires_on", "source", "severity", "indicator", "title")
            .from("monitoring_events").orderBy("occurred_on").all(decoding: EventRow.self)
    }
}
