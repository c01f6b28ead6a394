import Foundation
import SQLKit
import XinyongModel

extension Repositories {
    public var objections: ObjectionRepository { .init(db: db) }
    public var repairs: RepairRepository { .init(db: db) }
    public var evidence: EvidenceRepository { .init(db: db) }
}

/// An objection as the office handles it: the filing, where it stands, and who decided what.
public struct ObjectionCase: Sendable, Equatable {
    public var objection: Objection
    public var filer: Filer?
    public var departmentID: String?
    public var regionCode: String?
    /// The record's version when it was filed: an upheld objection answered by a correction needs a newer one.
    public var recordVersion: Int?
    /// For an objection to a repair result, the application it concerns.
    public var repairID: String?
    public var filedAt: String
    public var acceptedAt, acceptedBy, decidedAt, decidedBy, reasons: String?
    /// What an upheld objection did to the record: `withdrawn` or `corrected`.
    public var outcome: String?
    public var followUpHash: String?

    public init(objection: Objection, filer: Filer?, departmentID: String?, regionCode: String?, recordVersion: Int?,
                repairID: String? = nil, filedAt: String, acceptedAt: String? = nil, acceptedBy: String? = nil,
                decidedAt: String? = nil, decidedBy: String? = nil, reasons: String? = nil, outcome: String? = nil,
                followUpHash: String?) {
        self.objection = objection
        self.filer = filer
        self.departmentID = departmentID
        self.regionCode = regionCode
        self.recordVersion = recordVersion
        self.repairID = repairID
        self.filedAt = filedAt
        self.acceptedAt = acceptedAt
        self.acceptedBy = acceptedBy
        self.decidedAt = decidedAt
        self.decidedBy = decidedBy
        self.reasons = reasons
        self.outcome = outcome
        self.followUpHash = followUpHash
    }
}

public struct ObjectionRepository: Sendable {
    let db: any SQLDatabase

    /// The statuses of an objection still under way.
    static let openStatuses = Objection.Status.allCases.filter(\.isOpen).map(\.rawValue)

    private struct Row: Decodable {
        let subject_id, id, record_id, ground, status, filed_at, due_on, kind: String
        let decided_at, outcome, department_id, region_code, filer_name, filer_identifier, filer_contact: String?
        let follow_up_hash, repair_id, accepted_at, accepted_by, decided_by, reasons: String?
        let record_version: Int?
    }

    /// Files objections (the due-process service one at a time, the demo in bulk), with one audit entry.
    public func insert(_ cases: [ObjectionCase], by actor: Actor) async throws {
        try await db.insertRows(
            into: "objections",
            columns: ["subject_id", "id", "record_id", "ground", "status", "filed_at", "due_on", "kind", "department_id",
                      "region_code", "record_version", "filer_name", "filer_identifier", "filer_contact", "follow_up_hash",
                      "repair_id", "accepted_at", "accepted_by", "decided_at", "decided_by", "reasons", "outcome"],
            rows: cases.map { c in
                let o = c.objection
                return [o.subjectID, o.id, o.recordID, o.ground, o.status.rawValue, c.filedAt, o.dueOn.description,
                        o.kind.rawValue, c.departmentID, c.regionCode, c.recordVersion, c.filer?.name, c.filer?.identifier,
                        c.filer?.contact, c.followUpHash, c.repairID, c.acceptedAt, c.acceptedBy, c.decidedAt, c.decidedBy,
                        c.reasons, c.outcome]
            })
        try await AuditLog(db: db).append(actor, action: "create", entity: "objections",
                                          entityID: cases.count == 1 ? cases[0].objection.id : nil,
                                          subjectID: cases.count == 1 ? cases[0].objection.subjectID : nil,
                                          detail: ["rows": "\(cases.count)"])
    }

    private static let select: SQLQueryString = """
        SELECT subject_id, id, record_id, ground, status, filed_at, due_on, kind, decided_at, outcome, department_id,
        region_code, filer_name, filer_identifier, filer_contact, follow_up_hash, repair_id, accepted_at, accepted_by,
        decided_by, reasons, record_version FROM objections
        """

    public func find(number: String) async throws -> ObjectionCase? {
        try await db.raw("\(Self.select) WHERE id = \(bind: number)").first(decoding: Row.self).map(Self.objectionCase)
    }

    /// The open objection this filer already has on this record, if any.
    public func openNumber(recordID: String, filerIdentifier: String) async throws -> String? {
        try await db.raw("""
            \(Self.select) WHERE record_id = \(bind: recordID) AND filer_identifier = \(bind: filerIdentifier)
            AND status IN (\(binds: Self.openStatuses))
            """).first(decoding: Row.self)?.id
    }

    /// Objections by status (nil: all), region and below, and department, newest first.
    public func list(statuses: [Objection.Status]? = nil, regionPrefix: String? = nil, departmentID: String? = nil,
                     subjectID: String? = nil, limit: Int = 200) async throws -> [ObjectionCase] {
        let filter = caseFilter(statuses: statuses?.map(\.rawValue), regionPrefix: regionPrefix, departmentID: departmentID,
                                subjectID: subjectID)
        return try await db.raw("\(Self.select) \(filter) ORDER BY filed_at DESC, id LIMIT \(bind: limit)")
            .all(decoding: Row.self).map(Self.objectionCase)
    }

    /// Objections filed since `instant`, for the figures (filings per month, time to decision).
    public func filed(since instant: String) async throws -> [ObjectionCase] {
        try await db.raw("\(Self.select) WHERE filed_at >= \(bind: instant) ORDER BY filed_at")
            .all(decoding: Row.self).map(Self.objectionCase)
    }

    /// A reviewer accepts an objection and forwards it to the source department.
    public func accept(_ number: String, by actor: Actor) async throws {
        try await db.update("objections").set("status", to: Objection.Status.underReview.rawValue)
            .set("accepted_at", to: Timestamp.now()).set("accepted_by", to: actor.name)
            .where("id", .equal, number).run()
        try await AuditLog(db: db).append(actor, action: "accept", entity: "objections", entityID: number)
    }

    /// Records the decision; `outcome` says what an upheld objection did to the record.
    public func decide(_ number: String, subjectID: String, status: Objection.Status, reasons: String, outcome: String?,
                       by actor: Actor) async throws {
        try await db.update("objections").set("status", to: status.rawValue).set("reasons", to: reasons)
            .set("outcome", to: outcome).set("decided_at", to: Timestamp.now()).set("decided_by", to: actor.name)
            .where("id", .equal, number).run()
        try await AuditLog(db: db).append(actor, action: "decide", entity: "objections", entityID: number, subjectID: subjectID,
                                          detail: ["status": status.rawValue, "outcome": outcome ?? ""])
    }

    private struct RecordIDRow: Decodable { let record_id: String }

    /// Which of `recordIDs` have an open objection.
    public func open(recordIDs: [String]) async throws -> Set<String> {
        guard !recordIDs.isEmpty else { return [] }
        let rows = try await db.raw("""
            SELECT record_id FROM objections WHERE record_id IN (\(binds: recordIDs)) AND status IN (\(binds: Self.openStatuses))
            """).all(decoding: RecordIDRow.self)
        return Set(rows.map(\.record_id))
    }

    private static func objectionCase(_ r: Row) throws -> ObjectionCase {
        guard let status = Objection.Status(rawValue: r.status), let kind = Objection.Kind(rawValue: r.kind),
            let filed = CivilDate(String(r.filed_at.prefix(10))), let due = CivilDate(r.due_on)
        else { throw StoredDataError(description: "objection \(r.id) has unknown status \(r.status) or kind \(r.kind)") }
        var objection = Objection(id: r.id, subjectID: r.subject_id, recordID: r.record_id, kind: kind, ground: r.ground,
                                  status: status, filedOn: filed, deadlineDays: 0)
        objection.dueOn = due
        let filer = r.filer_name.map { Filer(name: $0, identifier: r.filer_identifier ?? "", contact: r.filer_contact ?? "") }
        return ObjectionCase(
            objection: objection, filer: filer, departmentID: r.department_id, regionCode: r.region_code,
            recordVersion: r.record_version, repairID: r.repair_id, filedAt: r.filed_at, acceptedAt: r.accepted_at,
            acceptedBy: r.accepted_by, decidedAt: r.decided_at, decidedBy: r.decided_by, reasons: r.reasons,
            outcome: r.outcome, followUpHash: r.follow_up_hash)
    }
}

/// The WHERE clause of an office queue or a department's list of cases (both tables have these columns).
func caseFilter(statuses: [String]?, regionPrefix: String?, departmentID: String?, subjectID: String?) -> SQLQueryString {
    var conditions: [SQLQueryString] = []
    if let subjectID { conditions.append("subject_id = \(bind: subjectID)") }
    if let statuses { conditions.append("status IN (\(binds: statuses))") }
    if let regionPrefix, !regionPrefix.isEmpty { conditions.append("region_code LIKE \(bind: regionPrefix + "%")") }
    if let departmentID { conditions.append("department_id = \(bind: departmentID)") }
    return conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
}

/// A repair application as the office handles it.
public struct RepairCase: Sendable, Equatable {
    public var application: RepairApplication
    public var regionCode: String
    public var followUpHash: String
    public var filedAt: String
    public var forwardedAt, forwardedBy: String?
    /// The department decides within so many working days of receiving the application.
    public var decisionDue: CivilDate?
    public var decidedAt, decidedBy, reasons: String?

    public init(application: RepairApplication, regionCode: String, followUpHash: String, filedAt: String,
                forwardedAt: String? = nil, forwardedBy: String? = nil, decisionDue: CivilDate? = nil,
                decidedAt: String? = nil, decidedBy: String? = nil, reasons: String? = nil) {
        self.application = application
        self.regionCode = regionCode
        self.followUpHash = followUpHash
        self.filedAt = filedAt
        self.forwardedAt = forwardedAt
        self.forwardedBy = forwardedBy
        self.decisionDue = decisionDue
        self.decidedAt = decidedAt
        self.decidedBy = decidedBy
        self.reasons = reasons
    }
}

public struct RepairRepository: Sendable {
    let db: any SQLDatabase

    private struct Row: Decodable {
        let subject_id, id, record_id, department_id, region_code, conduct, filer_name, filer_identifier: String
        let filer_contact, commitment_signer, commitment_hash, follow_up_hash, status, filed_at, filed_on, answer_due: String
        let forwarded_at, forwarded_by, decision_due, decided_at, decided_by, reasons: String?
    }

    private static let columns = [
        "subject_id", "id", "record_id", "department_id", "region_code", "conduct", "filer_name", "filer_identifier",
        "filer_contact", "commitment_signer", "commitment_hash", "follow_up_hash", "status", "filed_at", "filed_on",
        "answer_due", "forwarded_at", "forwarded_by", "decision_due", "decided_at", "decided_by", "reasons",
    ]
    private static let select = SQLQueryString("SELECT \(unsafeRaw: columns.joined(separator: ", ")) FROM repair_applications")

    public func insert(_ cases: [RepairCase], by actor: Actor) async throws {
        try await db.insertRows(into: "repair_applications", columns: Self.columns, rows: cases.map { c in
            let a = c.application
            return [a.subjectID, a.id, a.recordID, a.departmentID, c.regionCode, a.conduct, a.filer.name, a.filer.identifier,
                    a.filer.contact, a.commitmentSigner, a.commitmentHash, c.followUpHash, a.status.rawValue, c.filedAt,
                    a.filedOn.description, a.answerDue.description, c.forwardedAt, c.forwardedBy, c.decisionDue?.description,
                    c.decidedAt, c.decidedBy, c.reasons]
        })
        try await AuditLog(db: db).append(actor, action: "create", entity: "repair_applications",
                                          entityID: cases.count == 1 ? cases[0].application.id : nil,
                                          subjectID: cases.count == 1 ? cases[0].application.subjectID : nil,
                                          detail: ["rows": "\(cases.count)"])
    }

    public func find(number: String) async throws -> RepairCase? {
        try await db.raw("\(Self.select) WHERE id = \(bind: number)").first(decoding: Row.self).map(Self.repairCase)
    }

    public func openNumber(recordID: String) async throws -> String? {
        try await db.raw("""
            \(Self.select) WHERE record_id = \(bind: recordID) AND status IN (\(binds: Self.openStatuses))
            """).first(decoding: Row.self)?.id
    }

    private static let openStatuses = RepairApplication.Status.allCases.filter(\.isOpen).map(\.rawValue)

    /// Open applications on any of `recordIDs`, by record: what a profile shows next to each record.
    public func open(recordIDs: [String]) async throws -> [String: RepairCase] {
        guard !recordIDs.isEmpty else { return [:] }
        let rows = try await db.raw("""
            \(Self.select) WHERE record_id IN (\(binds: recordIDs)) AND status IN (\(binds: Self.openStatuses))
            """).all(decoding: Row.self)
        return Dictionary(try rows.map { ($0.record_id, try Self.repairCase($0)) }, uniquingKeysWith: { a, _ in a })
    }

    public func list(statuses: [RepairApplication.Status]? = nil, regionPrefix: String? = nil, departmentID: String? = nil,
                     subjectID: String? = nil, limit: Int = 200) async throws -> [RepairCase] {
        let filter = caseFilter(statuses: statuses?.map(\.rawValue), regionPrefix: regionPrefix, departmentID: departmentID,
                                subjectID: subjectID)
        return try await db.raw("\(Self.select) \(filter) ORDER BY filed_at DESC, id LIMIT \(bind: limit)")
            .all(decoding: Row.self).map(Self.repairCase)
    }

    public func filed(since instant: String) async throws -> [RepairCase] {
        try await db.raw("\(Self.select) WHERE filed_at >= \(bind: instant) ORDER BY filed_at")
            .all(decoding: Row.self).map(Self.repairCase)
    }

    public func forward(_ number: String, decisionDue: CivilDate, by actor: Actor) async throws {
        try await db.update("repair_applications").set("status", to: RepairApplication.Status.forwarded.rawValue)
            .set("forwarded_at", to: Timestamp.now()).set("forwarded_by", to: actor.name)
            .set("decision_due", to: decisionDue.description).where("id", .equal, number).run()
        try await AuditLog(db: db).append(actor, action: "forward", entity: "repair_applications", entityID: number)
    }

    public func decide(_ number: String, subjectID: String, status: RepairApplication.Status, reasons: String,
                       by actor: Actor) async throws {
        try await db.update("repair_applications").set("status", to: status.rawValue).set("reasons", to: reasons)
            .set("decided_at", to: Timestamp.now()).set("decided_by", to: actor.name).where("id", .equal, number).run()
        try await AuditLog(db: db).append(actor, action: "decide", entity: "repair_applications", entityID: number,
                                          subjectID: subjectID, detail: ["status": status.rawValue])
    }

    private static func repairCase(_ r: Row) throws -> RepairCase {
        guard let status = RepairApplication.Status(rawValue: r.status), let filed = CivilDate(r.filed_on),
            let due = CivilDate(r.answer_due)
        else { throw StoredDataError(description: "repair application \(r.id) has unknown status \(r.status) or bad dates") }
        let application = RepairApplication(
            id: r.id, subjectID: r.subject_id, recordID: r.record_id, departmentID: r.department_id, conduct: r.conduct,
            filer: Filer(name: r.filer_name, identifier: r.filer_identifier, contact: r.filer_contact),
            commitmentSigner: r.commitment_signer, commitmentHash: r.commitment_hash, status: status, filedOn: filed,
            answerDue: due)
        return RepairCase(application: application, regionCode: r.region_code, followUpHash: r.follow_up_hash,
                          filedAt: r.filed_at, forwardedAt: r.forwarded_at, forwardedBy: r.forwarded_by,
                          decisionDue: r.decision_due.flatMap { CivilDate($0) }, decidedAt: r.decided_at,
                          decidedBy: r.decided_by, reasons: r.reasons)
    }
}

/// Evidence files of objections and repair applications. Served only as downloads to the office.
public struct EvidenceRepository: Sendable {
    let db: any SQLDatabase

    public struct Stored: Sendable, Codable, Equatable {
        public let owner_id: String
        public let seq: Int
        public let file_name, media_type, sha256: String
        public let size: Int
    }

    public func insert(_ files: [EvidenceFile], subjectID: String, owner: String) async throws {
        let now = Timestamp.now()
        try await db.insertRows(
            into: "evidence_files",
            columns: ["subject_id", "owner_id", "seq", "file_name", "media_type", "size", "sha256", "content", "uploaded_at"],
            rows: files.enumerated().map { i, f in
                [subjectID, owner, i + 1, f.name, f.mediaType.rawValue, f.content.count, f.sha256, f.content, now]
            })
    }

    public func list(owner: String) async throws -> [Stored] {
        try await list(owners: [owner])[owner] ?? []
    }

    /// The files of many cases in one query, by case number (an office queue shows up to 200).
    public func list(owners: [String]) async throws -> [String: [Stored]] {
        guard !owners.isEmpty else { return [:] }
        let rows = try await db.raw("""
            SELECT owner_id, seq, file_name, media_type, sha256, size FROM evidence_files WHERE owner_id IN (\(binds: owners))
            ORDER BY owner_id, seq
            """).all(decoding: Stored.self)
        return Dictionary(grouping: rows, by: \.owner_id)
    }

    private struct ContentRow: Decodable { let file_name: String; let content: Data }

    public func content(owner: String, seq: Int) async throws -> (name: String, content: Data)? {
        try await db.raw("""
            SELECT file_name, content FROM evidence_files WHERE owner_id = \(bind: owner) AND seq = \(bind: seq)
            """).first(decoding: ContentRow.self).map { ($0.file_name, $0.content) }
    }
}
