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

/// Overrides are read and written through the checks they correct.
extension CheckRepository {
    private struct OverrideRow: Decodable {
        let id, department_id, name_key, subject_id, reason, decided_by, decided_at: String

        var override: NameOverride {
            NameOverride(id: id, departmentID: department_id, nameKey: name_key, subjectID: subject_id, reason: reason,
                         decidedBy: decided_by, decidedAt: decided_at)
        }
    }

    public func addOverride(_ o: NameOverride, by actor: Actor) async throws {
        try await db.insert(into: "name_overrides")
            .columns("id", "department_id", "name_key", "subject_id", "reason", "decided_by", "decided_at")
            .values(o.id, o.departmentID, o.nameKey, o.subjectID, o.reason, o.decidedBy, o.decidedAt).run()
        try await AuditLog(db: db).append(actor, action: "override", entity: "name_overrides", entityID: o.id,
                                          detail: ["department": o.departmentID, "name": o.nameKey, "subject": o.subjectID])
    }

    public func overrides(department: String, nameKey: String) async throws -> [NameOverride] {
        try await db.raw("""
            SELECT id, department_id, name_key, subject_id, reason, decided_by, decided_at FROM name_overrides
            WHERE department_id = \(bind: department) AND name_key = \(bind: nameKey)
            """).all(decoding: OverrideRow.self).map(\.override)
    }

    public func allOverrides() async throws -> [NameOverride] {
        try await db.raw("""
            SELECT id, department_id, name_key, subject_id, reason, decided_by, decided_at FROM name_overrides ORDER BY decided_at DESC
            """).all(decoding: OverrideRow.self).map(\.override)
    }
}
