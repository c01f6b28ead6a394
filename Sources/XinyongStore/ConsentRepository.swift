import Foundation
import SQLKit
import XinyongModel

extension Repositories {
    public var consents: ConsentRepository { .init(db: db) }
}

public struct ConsentRepository: Sendable {
    let db: any SQLDatabase

    struct Row: Codable {
        let id, agency_id, subject_id, scopes, purpose, signer, granted_at, expires_on: String
        let revoked_at: String?
        let follow_up_hash: String
    }

    public func insert(_ c: Consent, by actor: Actor) async throws {
        try await db.insert(into: "consents")
            .model(Row(id: c.id, agency_id: c.agencyID, subject_id: c.subjectID, scopes: AgencyRepository.text(c.scopes), purpose: c.purpose,
                       signer: c.signer, granted_at: c.grantedAt, expires_on: c.expiresOn.description, revoked_at: c.revokedAt,
                       follow_up_hash: c.followUpHash))
            .run()
        try await AuditLog(db: db).append(actor, action: "grant", entity: "consents", entityID: c.id, subjectID: c.subjectID,
                                          detail: ["agency": c.agencyID, "scopes": AgencyRepository.text(c.scopes), "expires_on": c.expiresOn.description])
    }

    public func find(_ id: String) async throws -> Consent? {
        try await db.select().column("*").from("consents").where("id", .equal, id).first(decoding: Row.self).map(Self.consent)
    }

    /// Ends a consent now; false when it was already revoked.
    public func revoke(_ id: String, at instant: String = Timestamp.now(), by actor: Actor) async throws -> Bool {
        let changed = try await db.raw("""
            UPDATE consents SET revoked_at = \(bind: instant) WHERE id = \(bind: id) AND revoked_at IS NULL RETURNING id
            """).all().count
        guard changed == 1 else { return false }
        try await AuditLog(db: db).append(actor, action: "revoke", entity: "consents", entityID: id)
        return true
    }

    public func log(_ a: AgencyAccess) async throws {
        try await db.insert(into: "agency_access_log")
            .columns("id", "agency_id", "key_id", "subject_id", "consent_id", "route", "outcome", "detail", "records", "at")
            .values(UUID().uuidString, a.agencyID, a.keyID, a.subjectID, a.consentID, a.route, a.outcome.rawValue, a.detail, a.records, a.at)
            .run()
    }

    private struct AccessRow: Decodable {
        let agency_id, key_id, subject_id: String
        let consent_id: String?
        let route, outcome, detail: String
        let records: Int
        let at: String
    }

    /// What `agency` asked about `subjectID`, newest first: what the subject sees beside its consent.
    public func accesses(subjectID: String, agencyID: String, limit: Int = 500) async throws -> [AgencyAccess] {
        try await db.raw("""
            SELECT agency_id, key_id, subject_id, consent_id, route, outcome, detail, records, at FROM agency_access_log
            WHERE subject_id = \(bind: subjectID) AND agency_id = \(bind: agencyID) ORDER BY at DESC, id LIMIT \(bind: limit)
            """).all(decoding: AccessRow.self).map { r in
            AgencyAccess(agencyID: r.agency_id, keyID: r.key_id, subjectID: r.subject_id, consentID: r.consent_id, route: r.route,
                         outcome: AgencyAccess.Outcome(rawValue: r.outcome) ?? .refused, detail: r.detail, records: r.records, at: r.at)
        }
    }

    static func consent(_ r: Row) throws -> Consent {
        guard let expires = CivilDate(r.expires_on) else { throw StoredDataError(description: "consent \(r.id) has expiry \(r.expires_on)") }
        return Consent(id: r.id, agencyID: r.agency_id, subjectID: r.subject_id, scopes: try AgencyRepository.scopes(r.scopes, of: "consent \(r.id)"), purpose: r.purpose, signer: r.signer,
                       grantedAt: r.granted_at, expiresOn: expires, revokedAt: r.revoked_at, followUpHash: r.follow_up_hash)
    }
}

extension RecordRepository {
    /// Records public on `date`, in id order after `after` (keyset paging on the unique id index), at most
    /// `limit`: active, inside their window, of a public type, and of a natural person only where the type
    /// publishes natural persons. The caller still applies ``PublicProfile/publicView`` (masking).
    public func publicPage(after: String, limit: Int, publicTypes: [String], naturalPersonTypes: [String],
                           on date: CivilDate) async throws -> [CreditRecord] {
        guard !publicTypes.isEmpty else { return [] }
        let day = date.description
        let persons: SQLQueryString = naturalPersonTypes.isEmpty ? "" : " OR r.record_type IN (\(binds: naturalPersonTypes))"
        var sql = SQLQueryString("SELECT \(unsafeRaw: Self.columns.map { "r.\($0)" }.joined(separator: ", ")) FROM credit_records r")
        sql += " JOIN subjects s ON s.id = r.subject_id"
        sql += """
             WHERE r.id > \(bind: after) AND r.status = 'active' AND r.record_type IN (\(binds: publicTypes))
             AND r.publicity_start <= \(bind: day) AND r.publicity_end > \(bind: day)
             AND (s.kind <> 'natural_person'
            """
        sql += persons
        sql += ") ORDER BY r.id LIMIT \(bind: limit)"
        return try await db.raw(sql).all(decoding: Row.self).map(Self.record)
    }
}
