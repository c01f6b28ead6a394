import SQLKit
import XinyongModel

extension Repositories {
    public var associations: AssociationRepository { .init(db: db) }
}

/// What business associations published about their members, read for the associations' public pages.
public struct AssociationRepository: Sendable {
    let db: any SQLDatabase

    /// One of an association's records in force, with its subject.
    public struct PublishedRecord: Codable, Sendable, Equatable {
        public let id, subject_id, record_type, document_no, decision_date, fields: String
        public let subject_name: String
        public let subject_code: String?
    }

    /// The association's records public on `day`, newest first.
    public func published(by associationID: String, on day: CivilDate) async throws -> [PublishedRecord] {
        try await db.raw("""
            SELECT r.id, r.subject_id, r.record_type, r.document_no, r.decision_date, r.fields, s.name AS subject_name, s.code AS subject_code
            FROM credit_records r JOIN subjects s ON s.id = r.subject_id
            WHERE r.department_id = \(bind: associationID) AND r.status = 'active'
            AND r.publicity_start <= \(bind: day.description) AND r.publicity_end > \(bind: day.description)
            ORDER BY r.decision_date DESC, r.id
            """).all(decoding: PublishedRecord.self)
    }
}
