import Foundation
import SQLKit
import XinyongModel

let jsonEncoder: JSONEncoder = {
    let e = JSONEncoder()
    e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    return e
}()

func jsonText<T: Encodable>(_ value: T) -> String { String(decoding: try! jsonEncoder.encode(value), as: UTF8.self) }

/// A record's fields as a JSON object with sorted keys: the same text JSONEncoder writes, written by hand
/// because every imported row needs one and the generic encoder dominated the import's profile.
func jsonText(_ fields: [String: String]) -> String {
    var out = "{"
    for (i, key) in fields.keys.sorted().enumerated() {
        if i > 0 { out += "," }
        appendJSONString(key, to: &out)
        out += ":"
        appendJSONString(fields[key]!, to: &out)
    }
    return out + "}"
}

/// Appends `text` as a JSON string literal (quoted, escaped).
public func appendJSONString(_ text: String, to out: inout String) {
    out += "\""
    if !text.utf8.contains(where: { $0 < 0x20 || $0 == 0x22 || $0 == 0x5C }) {
        out += text  // nearly every value: nothing to escape
        return out += "\""
    }
    for scalar in text.unicodeScalars {
        switch scalar {
        case "\"": out += "\\\""
        case "\\": out += "\\\\"
        case "\n": out += "\\n"
        case "\r": out += "\\r"
        case "\t": out += "\\t"
        case _ where scalar.value < 0x20:
            let hex = Array(String(scalar.value, radix: 16))
            out += "\\u" + String(repeating: "0", count: 4 - hex.count) + String(hex)
        default: out.unicodeScalars.append(scalar)
        }
    }
    out += "\""
}

func decodeJSON<T: Decodable>(_ type: T.Type, _ text: String, column: String) throws -> T {
    do {
        return try JSONDecoder().decode(type, from: Data(text.utf8))
    } catch {
        throw StoredDataError(description: "column \(column) holds JSON that does not decode as \(type): \(error)")
    }
}

/// A row in the database that our own code cannot read back: a bug or a hand edit, never user input.
public struct StoredDataError: Error, CustomStringConvertible {
    public let description: String
}

private struct CountRow: Decodable { let n: Int }

extension SQLDatabase {
    func count(_ query: SQLQueryString) async throws -> Int {
        try await raw(query).first(decoding: CountRow.self)?.n ?? 0
    }
}

// MARK: - Regions

public struct RegionRepository: Sendable {
    let db: any SQLDatabase

    /// Loads the region list once; later calls find it there and do nothing.
    public func seedIfEmpty(_ directory: RegionDirectory, by actor: Actor) async throws {
        guard try await count() == 0 else { return }
        try await db.insertRows(
            into: "regions", columns: ["code", "name", "level", "parent", "longitude", "latitude"],
            rows: directory.all.map { [$0.code, $0.name, $0.level.rawValue, $0.parent, $0.longitude, $0.latitude] })
        try await AuditLog(db: db).append(actor, action: "seed", entity: "regions", detail: ["rows": "\(directory.all.count)"])
    }

    public func count() async throws -> Int { try await db.count("SELECT COUNT(*) AS n FROM regions") }

    public func find(_ code: String) async throws -> Region? {
        try await db.raw("SELECT code, name, level, parent, longitude, latitude FROM regions WHERE code = \(bind: code)")
            .first(decoding: Region.self)
    }
}

// MARK: - Departments

public struct DepartmentRepository: Sendable {
    let db: any SQLDatabase

    private struct Row: Codable {
        let id, name, category, region_code, level: String
        let code: String?
    }

    public func insert(_ departments: [Department], by actor: Actor) async throws {
        let now = Timestamp.now()
        try await db.insertRows(
            into: "departments", columns: ["id", "name", "category", "region_code", "level", "code", "created_at"],
            rows: departments.map { [$0.id, $0.name, $0.category, $0.regionCode, $0.level.rawValue, $0.code?.value, now] })
        try await AuditLog(db: db).append(actor, action: "create", entity: "departments",
                                          detail: ["rows": "\(departments.count)"])
    }

    public func find(_ id: String) async throws -> Department? {
        try await db.raw("SELECT id, name, category, region_code, level, code FROM departments WHERE id = \(bind: id)")
            .first(decoding: Row.self).map(Self.department)
    }

    public func all() async throws -> [Department] {
        try await db.raw("SELECT id, name, category, region_code, level, code FROM departments ORDER BY region_code, id")
            .all(decoding: Row.self).map(Self.department)
    }

    public func count() async throws -> Int { try await db.count("SELECT COUNT(*) AS n FROM departments") }

    private struct NameRow: Decodable { let id, name: String }

    /// Names of the given departments, by id.
    public func names(_ ids: [String]) async throws -> [String: String] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await db.select().columns("id", "name").from("departments").where("id", .in, ids)
            .all(decoding: NameRow.self)
        return Dictionary(uniqueKeysWithValues: rows.map { ($0.id, $0.name) })
    }

    private static func department(_ r: Row) throws -> Department {
        guard let level = Department.Level(rawValue: r.level) else {
            throw StoredDataError(description: "department \(r.id) has unknown level \(r.level)")
        }
        return Department(id: r.id, name: r.name, category: r.category, regionCode: r.region_code, level: level,
                          code: r.code.flatMap { SocialCreditCode.verify($0).code })
    }
}

// MARK: - Subjects

public struct SubjectRepository: Sendable {
    let db: any SQLDatabase

    static let columns = [
        "id", "kind", "name", "former_names", "code", "code_check_failed", "legacy_reg_no", "person_id_hash",
        "person_id_masked", "region_code", "status", "registered_on", "legal_representative",
    ]
    static let select = SQLQueryString("SELECT \(unsafeRaw: columns.joined(separator: ", ")) FROM subjects")

    struct Row: Codable {
        let id, kind, name, former_names: String
        let code: String?
        let code_check_failed: Bool
        let legacy_reg_no, person_id_hash, person_id_masked: String?
        let region_code, status: String
        let registered_on, legal_representative: String?
    }

    /// Inserts subjects in bulk, with one audit entry for the call. `ignoringExisting` skips subjects another
    /// transaction created meanwhile (ON CONFLICT DO NOTHING, which on PostgreSQL waits for that transaction
    /// instead of failing), so that concurrent batches naming the same new subjects all land.
    public func insert(_ subjects: [Subject], by actor: Actor, ignoringExisting: Bool = false) async throws {
        let now = Timestamp.now()
        try await db.bulkInsert(BulkRows(into: "subjects", columns: Self.columns + ["created_at", "updated_at"], rows: subjects.map { s -> [BulkValue] in
            [.text(s.id), .text(s.kind.rawValue), .text(s.name), .text(jsonText(s.formerNames)), .nullable(s.code?.value),
             .bool(s.codeCheckFailed), .nullable(s.legacyRegistrationNumber?.value), .nullable(s.person?.idHash), .nullable(s.person?.maskedID),
             .text(s.regionCode), .text(s.status.rawValue), .nullable(s.registeredOn?.description), .nullable(s.legalRepresentative),
             .text(now), .text(now)]
        }, skippingExisting: ignoringExisting ? ["id"] : nil))
        try await indexForSearch(subjects, ignoringExisting: ignoringExisting)
        try await NameIndex(db: db).add(subjects, ignoringExisting: ignoringExisting)
        try await AuditLog(db: db).append(actor, action: "create", entity: "subjects",
                                          entityID: subjects.count == 1 ? subjects[0].id : nil,
                                          detail: ["rows": "\(subjects.count)"])
    }

    public func find(id: String) async throws -> Subject? {
        try await db.raw("\(Self.select) WHERE id = \(bind: id)").first(decoding: Row.self).map(Self.subject)
    }

    public func find(code: SocialCreditCode) async throws -> Subject? {
        try await db.raw("\(Self.select) WHERE code = \(bind: code.value)").first(decoding: Row.self).map(Self.subject)
    }

    public func find(legacy number: LegacyRegistrationNumber) async throws -> Subject? {
        try await db.raw("\(Self.select) WHERE legacy_reg_no = \(bind: number.value)").first(decoding: Row.self).map(Self.subject)
    }

    public func count() async throws -> Int { try await db.count("SELECT COUNT(*) AS n FROM subjects") }

    /// Operating organisations whose name contains `word` (any, when empty) and that are registered in
    /// `region` (anywhere, when nil), in id order, at most `limit`.
    public func organisations(nameContaining word: String, region: String? = nil, limit: Int) async throws -> [Subject] {
        try await db.raw("""
            \(Self.select) WHERE kind <> 'natural_person' AND status = 'operating' AND name LIKE \(bind: "%\(word)%")
            AND region_code LIKE \(bind: (region ?? "") + "%") ORDER BY id LIMIT \(bind: limit)
            """).all(decoding: Row.self).map(Self.subject)
    }

    private struct KnownRow: Decodable { let id: String; let registered_on: String? }

    /// Which of `ids` exist, with their registration dates where known.
    public func known(ids: [String]) async throws -> [String: CivilDate?] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await db.select().columns("id", "registered_on").from("subjects").where("id", .in, ids)
            .all(decoding: KnownRow.self)
        return Dictionary(uniqueKeysWithValues: rows.map { ($0.id, $0.registered_on.flatMap { CivilDate($0) }) })
    }

    static func subject(_ r: Row) throws -> Subject {
        guard let kind = SubjectKind(rawValue: r.kind), let status = SubjectStatus(rawValue: r.status) else {
            throw StoredDataError(description: "subject \(r.id) has unknown kind \(r.kind) or status \(r.status)")
        }
        let person = r.person_id_hash.flatMap { hash in r.person_id_masked.map { PersonIdentity(idHash: hash, maskedID: $0) } }
        return Subject(
            id: r.id, kind: kind, name: r.name, formerNames: try decodeJSON([String].self, r.former_names, column: "former_names"),
            code: r.code.flatMap { SocialCreditCode.verify($0).code }, codeCheckFailed: r.code_check_failed,
            legacyRegistrationNumber: r.legacy_reg_no.flatMap { LegacyRegistrationNumber($0) }, person: person,
            regionCode: r.region_code, status: status, registeredOn: r.registered_on.flatMap { CivilDate($0) },
            legalRepresentative: r.legal_representative)
    }
}

// MARK: - Catalogue

public struct CatalogRepository: Sendable {
    let db: any SQLDatabase

    private struct VersionRow: Codable {
        let version: Int
        let effective_from: String
        let note: String?
        let tier_periods, deadlines: String
    }

    private struct TypeRow: Codable { let definition: String }

    /// Stores a catalogue version unless that version is already there (versions are never rewritten).
    @discardableResult
    public func installIfMissing(_ catalog: Catalog, by actor: Actor) async throws -> Bool {
        let existing = try await db.count("SELECT COUNT(*) AS n FROM catalog_versions WHERE version = \(bind: catalog.version)")
        guard existing == 0 else { return false }
        try await db.insert(into: "catalog_versions")
            .columns("version", "effective_from", "note", "tier_periods", "deadlines", "loaded_at")
            .values(catalog.version, catalog.effectiveFrom.description, catalog.note,
                    jsonText(Dictionary(uniqueKeysWithValues: catalog.tierPeriods.map { ($0.rawValue, $1) })),
                    jsonText(catalog.deadlines), Timestamp.now())
            .run()
        try await db.insertRows(
            into: "record_types",
            columns: ["code", "version", "name", "section", "polarity", "legal_basis", "publishes_natural_persons", "definition"],
            rows: catalog.recordTypes.map { t in
                [t.code, catalog.version, t.name, t.section.rawValue, t.polarity.rawValue, t.legalBasis,
                 t.publishesNaturalPersons, jsonText(t)]
            })
        try await AuditLog(db: db).append(actor, action: "install", entity: "catalog_versions",
                                          entityID: "\(catalog.version)",
                                          detail: ["record_types": "\(catalog.recordTypes.count)"])
        return true
    }

    /// The newest version whose effective date has come, or nil when none is installed.
    public func current(on date: CivilDate = .today()) async throws -> Catalog? {
        guard let row = try await db.raw("""
            SELECT version, effective_from, note, tier_periods, deadlines FROM catalog_versions
            WHERE effective_from <= \(bind: date.description) ORDER BY version DESC LIMIT 1
            """).first(decoding: VersionRow.self)
        else { return nil }
        return try await catalog(row)
    }

    public func version(_ version: Int) async throws -> Catalog? {
        guard let row = try await db.raw("""
            SELECT version, effective_from, note, tier_periods, deadlines FROM catalog_versions WHERE version = \(bind: version)
            """).first(decoding: VersionRow.self)
        else { return nil }
        return try await catalog(row)
    }

    private func catalog(_ row: VersionRow) async throws -> Catalog {
        let types = try await db.raw("SELECT definition FROM record_types WHERE version = \(bind: row.version) ORDER BY code")
            .all(decoding: TypeRow.self)
            .map { try decodeJSON(RecordType.self, $0.definition, column: "record_types.definition") }
        let periods = try decodeJSON([String: TierPeriod].self, row.tier_periods, column: "tier_periods")
        guard let effective = CivilDate(row.effective_from) else {
            throw StoredDataError(description: "catalog version \(row.version) has effective date \(row.effective_from)")
        }
        return Catalog(
            version: row.version, effectiveFrom: effective, note: row.note,
            tierPeriods: Dictionary(uniqueKeysWithValues: periods.compactMap { k, v in Tier(rawValue: k).map { ($0, v) } }),
            deadlines: try decodeJSON(Catalog.Deadlines.self, row.deadlines, column: "deadlines"), recordTypes: types)
    }
}
