import SQLKit
import XinyongModel

extension Repositories {
    public var nameIndex: NameIndex { .init(db: db) }
}

/// The cores of organisations' names (current and former), for finding name-match candidates. Natural
/// persons are never indexed: a name alone does not identify a person.
public struct NameIndex: Sendable {
    let db: any SQLDatabase

    func add(_ subjects: [Subject], ignoringExisting: Bool = false) async throws {
        try await add(subjects.filter { $0.kind != .naturalPerson }.map { ($0.id, [$0.name] + $0.formerNames) }, ignoringExisting: ignoringExisting)
    }

    func add(_ entries: [(id: String, names: [String])], ignoringExisting: Bool = false) async throws {
        var rows: [[any Encodable & Sendable]] = []
        for (id, names) in entries {
            for key in Set(names.map { OrganisationName($0).indexKey }) where !key.isEmpty { rows.append([key, id]) }
        }
        try await db.insertRows(into: "subject_name_keys", columns: ["name_key", "subject_id"], rows: rows, ignoringConflicts: ignoringExisting)
    }

    private struct Row: Decodable { let id, name, former_names, region_code, kind: String; let code: String? }

    /// Organisations indexed under `key`, at most `limit`.
    public func candidates(key: String, limit: Int = 50) async throws -> [Subject] {
        try await db.raw("""
            SELECT s.id, s.name, s.former_names, s.region_code, s.kind, s.code FROM subject_name_keys k
            JOIN subjects s ON s.id = k.subject_id WHERE k.name_key = \(bind: key) ORDER BY s.id LIMIT \(bind: limit)
            """).all(decoding: Row.self).map { r in
            Subject(id: r.id, kind: SubjectKind(rawValue: r.kind) ?? .other, name: r.name,
                    formerNames: try decodeJSON([String].self, r.former_names, column: "former_names"),
                    code: r.code.flatMap { SocialCreditCode.verify($0).code }, regionCode: r.region_code)
        }
    }
}

// MARK: - Overrides

/// An administrator's ruling that a subject the name index offers is not the one a department's name means:
/// that department's checks by this name never match it automatically.
public struct NameOverride: Sendable, Codable, Equatable {
    public let id, department_id, name_key, subject_id, reason, decided_by, decided_at: String

    public init(id: String, department_id: String, name_key: String, subject_id: String, reason: String, decided_by: String, decided_at: String) {
        self.id = id
        self.department_id = department_id
        self.name_key = name_key
        self.subject_id = subject_id
        self.reason = reason
        self.decided_by = decided_by
        self.decided_at = decided_at
    }
}

/// Overrides are read and written through the checks they correct.
extension CheckRepository {
    public func addOverride(_ o: NameOverride, by actor: Actor) async throws {
        try await db.insert(into: "name_overrides")
            .columns("id", "department_id", "name_key", "subject_id", "reason", "decided_by", "decided_at")
            .values(o.id, o.department_id, o.name_key, o.subject_id, o.reason, o.decided_by, o.decided_at).run()
        try await AuditLog(db: db).append(actor, action: "override", entity: "name_overrides", entityID: o.id,
                                          detail: ["department": o.department_id, "name": o.name_key, "subject": o.subject_id])
    }

    public func overrides(department: String, nameKey: String) async throws -> [NameOverride] {
        try await db.raw("""
            SELECT id, department_id, name_key, subject_id, reason, decided_by, decided_at FROM name_overrides
            WHERE department_id = \(bind: department) AND name_key = \(bind: nameKey)
            """).all(decoding: NameOverride.self)
    }

    public func allOverrides() async throws -> [NameOverride] {
        try await db.raw("""
            SELECT id, department_id, name_key, subject_id, reason, decided_by, decided_at FROM name_overrides ORDER BY decided_at DESC
            """).all(decoding: NameOverride.self)
    }
}
