import Crypto
import Foundation
import XinyongModel
import XinyongStore

/// Commitments with a lifecycle, so that profiles and commitment pages show one of each state: every
/// approval-on-commitment (审批替代型) commitment record becomes a commitment whose state follows its
/// 履约状态 (in force ones whose term has ended show as expired), and every breach record gets the
/// commitment it breached: a commitment record of the same subject and department a few months earlier,
/// named by the breach's 承诺书编号, as the platform itself would have linked them. That record stays within
/// the demo's three years and after the subject was registered, like every demo record.
extension DemoGenerator {
    static let commitmentTermMonths = 6

    func makeCommitments(_ records: inout [CreditRecord], subjects: [Subject], random: inout SeededRandom) -> [Commitment] {
        let registered = Dictionary(subjects.map { ($0.id, $0.registeredOn) }, uniquingKeysWith: { a, _ in a })
        var commitments: [Commitment] = []
        var added: [CreditRecord] = []
        for index in records.indices {
            let record = records[index]
            switch record.recordType {
            case "credit_commitment" where record.fields["commitment_type"] == "审批替代型":
                let stored: Commitment.Stored = record.fields["fulfilment"] == "已履约" ? .fulfilled : .inForce
                // A 未履约 commitment without its breach record would contradict itself: shown as in force.
                records[index].fields["fulfilment"] = stored == .fulfilled ? "已履约" : "履约中"
                commitments.append(commitment(for: records[index], id: record.documentNumber, stored: stored, breach: nil))
            case "commitment_breach":
                let earliest = max(options.asOf.adding(months: -36), (registered[record.subjectID] ?? nil) ?? options.asOf.adding(months: -36))
                guard let (commitmentRecord, id) = breachedCommitmentRecord(for: record, earliest: earliest, random: &random) else { continue }
                records[index].fields["commitment_no"] = id
                added.append(commitmentRecord)
                commitments.append(commitment(for: commitmentRecord, id: id, stored: .breached, breach: record.id))
            default: continue
            }
        }
        records += added
        return commitments
    }

    private func commitment(for record: CreditRecord, id: String, stored: Commitment.Stored, breach: String?) -> Commitment {
        let signedAt = Timestamp.format(Date(timeIntervalSince1970: Double(record.decisionDate.dayNumber) * 86_400 + 2 * 3600))
        return Commitment(
            id: id, subjectID: record.subjectID, departmentID: record.departmentID, recordID: record.id,
            commitmentType: "审批替代型", matters: [record.fields["matter"] ?? ""], termFrom: record.decisionDate,
            termTo: record.decisionDate.adding(months: Self.commitmentTermMonths), stored: stored,
            signer: record.fields["legal_representative"] ?? "经办人", signedAt: signedAt,
            textHash: SHA256.hash(data: Data((record.fields["content"] ?? "").utf8)).hexEncoded, channel: "department",
            breachRecordID: breach, closedAt: stored == .inForce ? nil : signedAt)
    }

    /// The commitment record a breach breached: signed four months before the breach was decided, or on
    /// `earliest` if that is later (never after the breach, which is itself on or after `earliest`).
    private func breachedCommitmentRecord(for breach: CreditRecord, earliest: CivilDate, random: inout SeededRandom) -> (CreditRecord, String)? {
        guard let type = catalog.recordType("credit_commitment") else { return nil }
        let signed = min(breach.decisionDate, max(breach.decisionDate.adding(months: -4), earliest))
        let id = ReceiptNumber.make("CN", on: signed, using: &random)
        var fields = breach.fields.filter { ["subject_name", "subject_kind", "subject_code", "legal_representative", "authority", "authority_code"].contains($0.key) }
        fields.merge(["commitment_type": "审批替代型", "matter": "涉企经营许可事项告知承诺", "fulfilment": "未履约",
                      "content": "本单位承诺符合许可条件，并在 \(Self.commitmentTermMonths) 个月内补齐申请材料、接受核查。"]) { _, b in b }
        guard let schedule = try? catalog.schedule(for: type, tier: nil, decisionDate: signed, fields: fields, calendar: calendar) else { return nil }
        let record = CreditRecord(
            id: random.uuid(), subjectID: breach.subjectID, recordType: type.code, catalogVersion: catalog.version,
            departmentID: breach.departmentID, regionCode: breach.regionCode, documentNumber: id, tier: nil, decisionDate: signed,
            legalBasis: "《国家发展改革委办公厅关于开展信用承诺制度建设的通知》", schedule: schedule, codeCheckFailed: breach.codeCheckFailed,
            fields: fields)
        return (record, id)
    }
}
