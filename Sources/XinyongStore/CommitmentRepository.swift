import SQLKit
import XinyongModel

extension Repositories {
    public var commitments: CommitmentRepository { .init(db: db) }
}

public struct CommitmentRepository: Sendable {
    let db: any SQLDatabase

    struct Row: Codable {
        let subject_id, id, department_id, record_id, commitment_type, matters, term_from, term_to, state: String
        let signer, signed_at, text_hash, channel: String
        let breach_record_id, closed_at: String?
        let created_at: String
    }

    /// Stores commitments as signed (the demo's also as they stand); one audit entry, naming the commitment
    /// and the hash of its text when there is one.
    public func insert(_ commitments: [Commitment], by actor: Actor) async throws {
        guard let first = commitments.first else { return }
        let now = Timestamp.now()
        try await db.insertRows(
            into: "commitments",
            columns: ["subject_id", "id", "department_id", "record_id", "commitment_type", "matters", "term_from", "term_to", "state",
                      "signer", "signed_at", "text_hash", "channel", "breach_record_id", "closed_at", "created_at"],
            rows: commitments.map { c in
                [c.subjectID, c.id, c.departmentID, c.recordID, c.commitmentType, jsonText(c.matters), c.termFrom.description,
                 c.termTo.description, c.stored.rawValue, c.signer, c.signedAt, c.textHash, c.channel, c.breachRecordID, c.closedAt, now]
            })
        let detail = commitments.count == 1
            ? ["record": first.recordID, "text_sha256": first.textHash, "channel": first.channel] : ["rows": "\(commitments.count)"]
        try await audit.append(actor, action: "sign", entity: "commitments", entityID: commitments.count == 1 ? first.id : nil,
                               subjectID: commitments.count == 1 ? first.subjectID : nil, detail: detail)
    }

    public func find(id: String) async throws -> Commitment? {
        try await db.raw("SELECT * FROM commitments WHERE id = \(bind: id)").first(decoding: Row.self).map(Self.commitment)
    }

    /// The subject's commitments, newest first.
    public func list(subjectID: String) async throws -> [Commitment] {
        try await db.raw("SELECT * FROM commitments WHERE subject_id = \(bind: subjectID) ORDER BY signed_at DESC, id")
            .all(decoding: Row.self).map(Self.commitment)
    }

    /// Closes an open commitment as fulfilled or breached. Only an open one changes: a second close is refused
    /// by the caller, and two racing closes cannot both win (the row must still be open).
    public func close(_ id: String, as state: Commitment.Stored, breachRecordID: String?, by actor: Actor) async throws -> Bool {
        let now = Timestamp.now()
        let before = try await db.count("SELECT COUNT(*) AS n FROM commitments WHERE id = \(bind: id) AND state = 'in_force'")
        guard before == 1 else { return false }
        try await db.raw("""
            UPDATE commitments SET state = \(bind: state.rawValue), breach_record_id = \(bind: breachRecordID), closed_at = \(bind: now)
            WHERE id = \(bind: id) AND state = 'in_force'
            """).run()
        try await audit.append(actor, action: state.rawValue, entity: "commitments", entityID: id,
                               detail: breachRecordID.map { ["breach_record": $0] } ?? [:])
        return true
    }

    private struct BreachRow: Decodable { let id, document_no, decision_date, fields: String }

    /// The subject's commitment breaches that still count: in force, neither repaired nor withdrawn.
    public func breaches(subjectID: String) async throws -> [ApprovalEligibility.Breach] {
        try await db.raw("""
            SELECT id, document_no, decision_date, fields FROM credit_records
            WHERE subject_id = \(bind: subjectID) AND record_type = 'commitment_breach' AND status = 'active'
            ORDER BY decision_date DESC
            """).all(decoding: BreachRow.self).map { r in
            let fields = try decodeJSON([String: String].self, r.fields, column: "fields")
            guard let date = CivilDate(r.decision_date) else {
                throw StoredDataError(description: "record \(r.id) has decision date '\(r.decision_date)'")
            }
            return .init(recordID: r.id, documentNumber: r.document_no, commitmentNumber: fields["commitment_no"] ?? "", decisionDate: date)
        }
    }

    private var audit: AuditLog { AuditLog(db: db) }

    static func commitment(_ r: Row) throws -> Commitment {
        guard let from = CivilDate(r.term_from), let to = CivilDate(r.term_to), let stored = Commitment.Stored(rawValue: r.state) else {
            throw StoredDataError(description: "commitment \(r.id) has an unreadable term or state")
        }
        return Commitment(
            id: r.id, subjectID: r.subject_id, departmentID: r.department_id, recordID: r.record_id, commitmentType: r.commitment_type,
            matters: try decodeJSON([String].self, r.matters, column: "matters"), termFrom: from, termTo: to, stored: stored,
            signer: r.signer, signedAt: r.signed_at, textHash: r.text_hash, channel: r.channel, breachRecordID: r.breach_record_id,
            closedAt: r.closed_at)
    }
}
