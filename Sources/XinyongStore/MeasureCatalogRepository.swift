import SQLKit
import XinyongModel

extension Repositories {
    public var measures: MeasureCatalogRepository { .init(db: db) }
}

public struct MeasureCatalogRepository: Sendable {
    let db: any SQLDatabase

    private struct Row: Decodable { let definition: String }

    /// Stores a version unless it is there already (versions are never rewritten).
    @discardableResult
    public func installIfMissing(_ catalog: MeasureCatalog, by actor: Actor) async throws -> Bool {
        guard try await db.count("SELECT COUNT(*) AS n FROM measure_catalog_versions WHERE version = \(bind: catalog.version)") == 0
        else { return false }
        try await db.insert(into: "measure_catalog_versions")
            .columns("version", "effective_from", "note", "definition", "loaded_at")
            .values(catalog.version, catalog.effectiveFrom.description, catalog.note, jsonText(catalog), Timestamp.now()).run()
        try await AuditLog(db: db).append(actor, action: "install", entity: "measure_catalog_versions", entityID: "\(catalog.version)",
                                          detail: ["memoranda": "\(catalog.memoranda.count)", "measures": "\(catalog.measures.count)"])
        return true
    }

    /// The newest version in effect on `date`.
    public func current(on date: CivilDate = .today()) async throws -> MeasureCatalog? {
        try await db.raw("""
            SELECT definition FROM measure_catalog_versions WHERE effective_from <= \(bind: date.description)
            ORDER BY version DESC LIMIT 1
            """).first(decoding: Row.self).map { try decodeJSON(MeasureCatalog.self, $0.definition, column: "measure_catalog_versions.definition") }
    }
}
