import SQLKit
import XinyongModel

/// A subject found for a check, with its memberships in force and how fresh its data is: one query.
public struct CheckSubjectView: Sendable {
    public let subject: Subject
    public let memberships: [StoredMembership]
    /// Latest write to any of the subject's records.
    public let recordsUpdatedAt: String?
}

extension CheckRepository {
    private struct ViewRow: Decodable {
        let id, kind, name, former_names: String
        let code: String?
        let code_check_failed: Bool
        let legacy_reg_no, person_id_masked: String?
        let region_code, status: String
        let registered_on: String?
        let records_updated_at: String?
        let record_id, list, record_type, department_id, source_category, document_no, legal_basis, start_date, end_date: String?
    }

    /// The subject with this code (or id) and its memberships in force on `date`, with freshness.
    public func view(code: String? = nil, subjectID: String? = nil, on date: CivilDate) async throws -> CheckSubjectView? {
        let day = date.description
        let filter: SQLQueryString = if let code { "s.code = \(bind: code)" } else { "s.id = \(bind: subjectID ?? "")" }
        let rows = try await db.raw("""
            SELECT s.id, s.kind, s.name, s.former_names, s.code, s.code_check_failed, s.legacy_reg_no, s.person_id_masked,
            s.region_code, s.status, s.registered_on,
            (SELECT MAX(r.updated_at) FROM credit_records r WHERE r.subject_id = s.id) AS records_updated_at,
            m.record_id, m.list, m.record_type, m.department_id, m.source_category, m.document_no, m.legal_basis,
            m.start_date, m.end_date
            FROM subjects s LEFT JOIN list_memberships m ON m.subject_id = s.id AND m.state = 'listed'
            AND m.start_date <= \(bind: day) AND m.end_date > \(bind: day)
            WHERE \(filter) ORDER BY m.list, m.start_date
            """).all(decoding: ViewRow.self)
        guard let first = rows.first else { return nil }
        guard let kind = SubjectKind(rawValue: first.kind), let status = SubjectStatus(rawValue: first.status) else {
            throw StoredDataError(description: "subject \(first.id) has unknown kind or status")
        }
        let subject = Subject(
            id: first.id, kind: kind, name: first.name,
            formerNames: try decodeJSON([String].self, first.former_names, column: "former_names"),
            code: first.code.flatMap { SocialCreditCode.verify($0).code }, codeCheckFailed: first.code_check_failed,
            legacyRegistrationNumber: first.legacy_reg_no.flatMap { LegacyRegistrationNumber($0) },
            person: first.person_id_masked.map { PersonIdentity(idHash: "", maskedID: $0) },
            regionCode: first.region_code, status: status, registeredOn: first.registered_on.flatMap { CivilDate($0) })
        let memberships = try rows.compactMap { r -> StoredMembership? in
            guard let recordID = r.record_id, let list = r.list, let type = r.record_type, let department = r.department_id,
                let start = r.start_date, let end = r.end_date
            else { return nil }
            return try ListRepository.stored(.init(
                subject_id: r.id, record_id: recordID, list: list, record_type: type, department_id: department,
                source_category: r.source_category ?? "", document_no: r.document_no ?? "", legal_basis: r.legal_basis ?? "",
                start_date: start, end_date: end, state: "listed", ended_on: nil, ended_reason: nil))
        }
        return CheckSubjectView(subject: subject, memberships: memberships, recordsUpdatedAt: first.records_updated_at)
    }
}
