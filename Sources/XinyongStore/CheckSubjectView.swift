import SQLKit
import XinyongModel

/// A subject found for a check, with its memberships in force, which of them are disputed, its grade, whether it
/// has notices open and how fresh its data is: one query, where it was four reads (each a round trip on PostgreSQL).
/// The notices themselves are a second read, made only when one is open.
public struct CheckSubjectView: Sendable {
    public let subject: Subject
    public let memberships: [StoredMembership]
    /// Records of those memberships with an open objection.
    public let disputed: Set<String>
    /// The subject's current grade and reasons (no contributions), when it was ever evaluated.
    public let evaluation: StoredEvaluation?
    /// Whether a notice before listing is open for the subject (rare: only then are the notices read).
    public let hasOpenNotices: Bool
    /// Latest write to any of the subject's records.
    public let recordsUpdatedAt: String?
}

extension CheckRepository {
    /// One row of the read, taken column by column: a check reads one to a dozen of them, and the generic row
    /// decoder's keyed containers cost a check more than the columns themselves.
    private struct ViewRow {
        let id, kind, name, former_names: String
        let code: String?
        let code_check_failed: Bool
        let legacy_reg_no, person_id_masked: String?
        let region_code, status: String
        let registered_on: String?
        let records_updated_at: String?
        let e_model_version: Int?, e_as_of: String?, e_score: Double?, e_grade: String?, e_veto: String?, e_reasons: String?
        let e_evaluated_at: String?
        let open_notices: Bool
        let record_id, list, record_type, department_id, source_category, document_no, legal_basis, start_date, end_date: String?
        let under_objection: Bool

        init(_ row: any SQLRow) throws {
            func text(_ column: String) throws -> String { try row.decode(column: column, as: String.self) }
            func optionalText(_ column: String) throws -> String? { try row.decodeNil(column: column) ? nil : text(column) }
            func flag(_ column: String) throws -> Bool { try row.decode(column: column, as: Bool.self) }
            (id, kind, name, former_names) = (try text("id"), try text("kind"), try text("name"), try text("former_names"))
            (code, code_check_failed) = (try optionalText("code"), try flag("code_check_failed"))
            (legacy_reg_no, person_id_masked) = (try optionalText("legacy_reg_no"), try optionalText("person_id_masked"))
            (region_code, status, registered_on) = (try text("region_code"), try text("status"), try optionalText("registered_on"))
            records_updated_at = try optionalText("records_updated_at")
            e_model_version = try row.decodeNil(column: "e_model_version") ? nil : row.decode(column: "e_model_version", as: Int.self)
            e_score = try row.decodeNil(column: "e_score") ? nil : row.decode(column: "e_score", as: Double.self)
            (e_as_of, e_grade, e_veto) = (try optionalText("e_as_of"), try optionalText("e_grade"), try optionalText("e_veto"))
            (e_reasons, e_evaluated_at) = (try optionalText("e_reasons"), try optionalText("e_evaluated_at"))
            open_notices = try flag("open_notices")
            (record_id, list, record_type) = (try optionalText("record_id"), try optionalText("list"), try optionalText("record_type"))
            (department_id, source_category) = (try optionalText("department_id"), try optionalText("source_category"))
            (document_no, legal_basis) = (try optionalText("document_no"), try optionalText("legal_basis"))
            (start_date, end_date) = (try optionalText("start_date"), try optionalText("end_date"))
            under_objection = try flag("under_objection")
        }
    }

    /// The subject with this code (or id) and its memberships in force on `date`, with freshness. Every table is
    /// joined on the subject id, so that on a database distributed by subject (docs/scaling.md) the read stays on
    /// the subject's node.
    public func view(code: String? = nil, subjectID: String? = nil, on date: CivilDate) async throws -> CheckSubjectView? {
        let day = date.description
        let filter: SQLQueryString = if let code { "s.code = \(bind: code)" } else { "s.id = \(bind: subjectID ?? "")" }
        let rows = try await db.raw("""
            SELECT s.id, s.kind, s.name, s.former_names, s.code, s.code_check_failed, s.legacy_reg_no, s.person_id_masked,
            s.region_code, s.status, s.registered_on,
            (SELECT MAX(r.updated_at) FROM credit_records r WHERE r.subject_id = s.id) AS records_updated_at,
            e.model_version AS e_model_version, e.as_of AS e_as_of, e.score AS e_score, e.grade AS e_grade, e.veto AS e_veto,
            e.reasons AS e_reasons, e.evaluated_at AS e_evaluated_at,
            EXISTS (SELECT 1 FROM notices n WHERE n.subject_id = s.id AND n.state IN (\(binds: NoticeRepository.openStates))) AS open_notices,
            m.record_id, m.list, m.record_type, m.department_id, m.source_category, m.document_no, m.legal_basis,
            m.start_date, m.end_date,
            EXISTS (SELECT 1 FROM objections o WHERE o.subject_id = m.subject_id AND o.record_id = m.record_id
                    AND o.status IN (\(binds: ObjectionRepository.openStatuses))) AS under_objection
            FROM subjects s LEFT JOIN evaluation_results e ON e.subject_id = s.id
            LEFT JOIN list_memberships m ON m.subject_id = s.id AND m.state = 'listed'
            AND m.start_date <= \(bind: day) AND m.end_date > \(bind: day)
            WHERE \(filter) ORDER BY m.list, m.start_date
            """).all().map(ViewRow.init)
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
        var evaluation: StoredEvaluation?
        if let version = first.e_model_version, let asOf = first.e_as_of, let score = first.e_score, let grade = first.e_grade,
            let reasons = first.e_reasons, let evaluatedAt = first.e_evaluated_at {
            evaluation = try EvaluationRepository.stored(subjectID: first.id, modelVersion: version, asOf: asOf, score: score, grade: grade,
                                                         veto: first.e_veto, reasons: reasons, evaluatedAt: evaluatedAt)
        }
        return CheckSubjectView(subject: subject, memberships: memberships,
                                disputed: Set(rows.filter(\.under_objection).compactMap(\.record_id)),
                                evaluation: evaluation, hasOpenNotices: first.open_notices, recordsUpdatedAt: first.records_updated_at)
    }
}
