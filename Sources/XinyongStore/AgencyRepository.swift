import SQLKit
import XinyongModel

extension Repositories {
    public var agencies: AgencyRepository { .init(db: db) }
}

public struct AgencyRepository: Sendable {
    let db: any SQLDatabase

    struct Row: Codable {
        let id, name, kind, scopes: String
        let requests_per_minute: Int
    }

    public func create(_ agency: Agency, by actor: Actor) async throws {
        try await db.insert(into: "agencies")
            .columns("id", "name", "kind", "scopes", "requests_per_minute", "created_at")
            .values(agency.id, agency.name, agency.kind.rawValue, Self.text(agency.scopes), agency.requestsPerMinute, Timestamp.now())
            .run()
        try await AuditLog(db: db).append(actor, action: "create", entity: "agencies", entityID: agency.id,
                                          detail: ["name": agency.name, "kind": agency.kind.rawValue, "scopes": Self.text(agency.scopes)])
    }

    public func find(_ id: String) async throws -> Agency? {
        try await db.raw("SELECT id, name, kind, scopes, requests_per_minute FROM agencies WHERE id = \(bind: id)")
            .first(decoding: Row.self).map(Self.agency)
    }

    public func all() async throws -> [Agency] {
        try await db.raw("SELECT id, name, kind, scopes, requests_per_minute FROM agencies ORDER BY id")
            .all(decoding: Row.self).map(Self.agency)
    }

    static func text(_ scopes: Set<AgencyScope>) -> String { scopes.map(\.rawValue).sorted().joined(separator: ",") }

    static func agency(_ r: Row) throws -> Agency {
        guard let kind = Agency.Kind(rawValue: r.kind) else { throw StoredDataError(description: "agency \(r.id) has unknown kind \(r.kind)") }
        return Agency(id: r.id, name: r.name, kind: kind, scopes: try scopes(r.scopes, of: "agency \(r.id)"), requestsPerMinute: r.requests_per_minute)
    }

    /// Scopes as stored (comma-separated); `owner` names the row in the error.
    static func scopes(_ text: String, of owner: String) throws -> Set<AgencyScope> {
        var scopes: Set<AgencyScope> = []
        for part in text.split(separator: ",") {
            guard let scope = AgencyScope(rawValue: String(part)) else { throw StoredDataError(description: "\(owner) has unknown scope \(part)") }
            scopes.insert(scope)
        }
        return scopes
    }
}
