import XinyongModel
import XinyongStore

/// The check answer's parts for approval on commitment (告知承诺) and Xinyi+ (信易+): both optional in the
/// stored JSON, so that answers stored before them still decode.
extension CheckAnswer {
    /// Whether the subject may use approval on commitment, and the records that bar it.
    public struct CommitmentBody: Sendable, Codable {
        public struct Reason: Sendable, Codable {
            /// black_list or commitment_breach.
            public let code, recordId, recordType, documentNumber, date, detail: String
        }

        public let eligible: Bool
        public let lookbackYears: Int
        public let policyVersion: Int
        public let reasons: [Reason]
    }

    /// A Xinyi+ incentive the subject qualifies for that the asking department grants in this scenario.
    public struct XinyiBody: Sendable, Codable {
        public struct Ground: Sendable, Codable {
            /// list, grade_at_least or record_type, with its value (red, A, tax_grade_a…).
            public let criterion, value, label: String
            public let recordIds: [String]
        }

        public let code, name, department, legalBasis, howToUse: String
        public let catalogVersion: Int
        public let grounds: [Ground]
    }
}

extension JointService {
    /// The approval-on-commitment part of an answer: from the memberships in force the check already read and
    /// the subject's breach records.
    func approvalOnCommitment(subjectID: String, memberships: [ListMembership], on date: CivilDate,
                              policy: CommitmentPolicy = .shipped) async throws -> CheckAnswer.CommitmentBody {
        let breaches = try await store.lookups.commitments.breaches(subjectID: subjectID)
        let e = ApprovalEligibility.decide(memberships: memberships, breaches: breaches, on: date, lookbackYears: policy.breachLookbackYears)
        return .init(eligible: e.eligible, lookbackYears: e.lookbackYears, policyVersion: policy.version, reasons: e.reasons.map {
            .init(code: $0.code, recordId: $0.recordID, recordType: $0.recordType, documentNumber: $0.documentNumber,
                  date: $0.date.description, detail: $0.detail)
        })
    }

    /// The Xinyi+ incentives the subject qualifies for that this department grants in this scenario (the grade is
    /// the one the answer carries).
    func xinyi(subject: Subject, memberships: [ListMembership], grade: Grade?, department: String, scenario: String, on date: CivilDate,
               catalog: XinyiCatalog = .shipped) -> [CheckAnswer.XinyiBody] {
        catalog.qualifying(XinyiStanding(kind: subject.kind, memberships: memberships, grade: grade), on: date)
            .filter { $0.programme.granted(by: department, in: scenario) }
            .map { q in
                .init(code: q.programme.code, name: q.programme.name, department: q.programme.department, legalBasis: q.programme.legalBasis,
                      howToUse: q.programme.howToUse, catalogVersion: catalog.version, grounds: q.grounds.map {
                    .init(criterion: $0.criterion.kind.rawValue, value: $0.criterion.value, label: $0.criterion.label, recordIds: $0.recordIDs)
                })
            }
    }
}

extension CheckAnswer {
    static func write(_ w: inout JSONWriter, commitment c: CommitmentBody) {
        w.object("commitment") { w in
            w.bool("eligible", c.eligible)
            w.number("lookback_years", c.lookbackYears)
            w.number("policy_version", c.policyVersion)
            w.array("reasons", c.reasons) { w, r in
                w.object { w in
                    w.string("code", r.code)
                    w.string("record_id", r.recordId)
                    w.string("record_type", r.recordType)
                    w.string("document_number", r.documentNumber)
                    w.string("date", r.date)
                    w.string("detail", r.detail)
                }
            }
        }
    }

    static func write(_ w: inout JSONWriter, xinyi: [XinyiBody]) {
        w.array("xinyi", xinyi) { w, x in
            w.object { w in
                w.string("code", x.code)
                w.string("name", x.name)
                w.string("department", x.department)
                w.string("legal_basis", x.legalBasis)
                w.string("how_to_use", x.howToUse)
                w.number("catalog_version", x.catalogVersion)
                w.array("grounds", x.grounds) { w, g in
                    w.object { w in
                        w.string("criterion", g.criterion)
                        w.string("value", g.value)
                        w.string("label", g.label)
                        w.array("record_ids", g.recordIds) { w, id in w.element(id) }
                    }
                }
            }
        }
    }
}
