import Crypto
import Foundation

/// The city's approval-on-commitment policy (告知承诺): which matters a subject may obtain on a signed
/// standard commitment, how long the department has to verify each (the commitment's term), and how far
/// back a commitment breach bars a subject. Shipped data (`Resources/commitments.json`), versioned.
public struct CommitmentPolicy: Sendable, Codable, Equatable {
    public struct Matter: Sendable, Codable, Equatable {
        public var code: String
        public var name: String
        /// The kind of department that accepts the commitment and verifies it (谁审批、谁核查).
        public var departmentCategory: String
        public var termMonths: Int
        public var legalBasis: String
    }

    public var version: Int
    public var effectiveFrom: CivilDate
    public var note: String?
    /// A commitment breach decided within so many years bars a subject from approval on commitment.
    public var breachLookbackYears: Int
    public var basis: String
    public var matters: [Matter]

    public static let shipped: CommitmentPolicy = {
        do {
            let policy = try JSONDecoder().decode(CommitmentPolicy.self, from: ShippedData.data("commitments", ext: "json"))
            let problems = policy.problems()
            precondition(problems.isEmpty, "commitments.json: \(problems.joined(separator: "; "))")
            return policy
        } catch {
            preconditionFailure("commitments.json does not decode: \(error)")
        }
    }()

    public func matter(_ code: String) -> Matter? { matters.first { $0.code == code } }

    /// The check scenario (measures.json) whose answer says whether a subject may use approval on commitment.
    public static let scenario = "commitment_approval"

    public func problems() -> [String] {
        var out: [String] = []
        if breachLookbackYears < 1 { out.append("breachLookbackYears must be at least 1") }
        var seen = Set<String>()
        for m in matters {
            if !seen.insert(m.code).inserted { out.append("matter \(m.code) repeats") }
            if m.termMonths < 1 { out.append("matter \(m.code): termMonths must be at least 1") }
        }
        return out
    }

    /// The standard commitment text for a matter, exactly as the subject reads and signs it.
    public func text(for matter: Matter) -> String {
        Self.template.replacingOccurrences(of: "{{matter}}", with: matter.name)
            .replacingOccurrences(of: "{{months}}", with: String(matter.termMonths))
    }

    static let template = String(decoding: ShippedData.data("approval-commitment", ext: "txt"), as: UTF8.self)

    /// The SHA-256 kept with a signature, so that the text signed can be proven later even if the template changes.
    public static func hash(_ text: String) -> String { SHA256.hash(data: Data(text.utf8)).hexEncoded }
}

/// A subject's signed credit commitment and its fulfilment (信用承诺及履约). The commitment is also
/// published as a `credit_commitment` record whose document number is the commitment's number; a breach
/// becomes a `commitment_breach` record whose `commitment_no` is that number.
public struct Commitment: Sendable, Codable, Equatable {
    /// What is stored. `expired` is not stored: it is an in-force commitment whose term has ended
    /// without the department entering fulfilment or a breach (期满待核查).
    public enum Stored: String, Sendable, Codable, CaseIterable {
        case inForce = "in_force"
        case fulfilled
        case breached
    }

    public enum State: String, Sendable, Codable, CaseIterable {
        case inForce = "in_force"
        case fulfilled
        case breached
        case expired

        public var label: String {
            switch self {
            case .inForce: "履约中"
            case .fulfilled: "已履约"
            case .breached: "未履约（违背承诺）"
            case .expired: "期满（未认定违诺）"
            }
        }

        /// The catalogue's 履约状态 value the published record carries.
        public var fulfilmentField: String {
            switch self {
            case .inForce, .expired: "履约中"
            case .fulfilled: "已履约"
            case .breached: "未履约"
            }
        }
    }

    /// The number, e.g. CN20261130-7K3M9Q2PXA; also the published record's document number.
    public var id: String
    public var subjectID: String
    /// The department that accepted the commitment and verifies it.
    public var departmentID: String
    /// The published `credit_commitment` record.
    public var recordID: String
    /// The catalogue's 承诺类型 (审批替代型 for approval on commitment).
    public var commitmentType: String
    public var matters: [String]
    public var termFrom: CivilDate
    public var termTo: CivilDate
    public var stored: Stored
    /// Who signed, when (an instant, UTC), and the SHA-256 of the exact text signed.
    public var signer: String
    public var signedAt: String
    public var textHash: String
    /// online (signed on the platform) or department (taken at the department's counter).
    public var channel: String
    public var breachRecordID: String?
    public var closedAt: String?

    public init(id: String, subjectID: String, departmentID: String, recordID: String, commitmentType: String, matters: [String],
                termFrom: CivilDate, termTo: CivilDate, stored: Stored = .inForce, signer: String, signedAt: String, textHash: String,
                channel: String, breachRecordID: String? = nil, closedAt: String? = nil) {
        self.id = id
        self.subjectID = subjectID
        self.departmentID = departmentID
        self.recordID = recordID
        self.commitmentType = commitmentType
        self.matters = matters
        self.termFrom = termFrom
        self.termTo = termTo
        self.stored = stored
        self.signer = signer
        self.signedAt = signedAt
        self.textHash = textHash
        self.channel = channel
        self.breachRecordID = breachRecordID
        self.closedAt = closedAt
    }

    /// The state on `date`: the stored one, or expired once the term is over with nothing entered.
    public func state(on date: CivilDate) -> State {
        switch stored {
        case .fulfilled: .fulfilled
        case .breached: .breached
        case .inForce: termTo < date ? .expired : .inForce
        }
    }

    /// Fulfilment and breach are entered once; a breach may still be found after the term (the check
    /// that finds it often comes later), but not after the department confirmed fulfilment.
    public var isOpen: Bool { stored == .inForce }
}

/// Whether a subject may use approval on commitment (告知承诺) on a day, and why not, naming the records.
public struct ApprovalEligibility: Sendable, Equatable {
    public struct Reason: Sendable, Equatable {
        /// black_list or commitment_breach.
        public let code: String
        public let recordID: String
        public let recordType: String
        public let documentNumber: String
        public let date: CivilDate
        public let detail: String
        public let chinese: String
    }

    /// A `commitment_breach` record as the rule needs it.
    public struct Breach: Sendable, Equatable {
        public let recordID: String
        public let documentNumber: String
        public let commitmentNumber: String
        public let decisionDate: CivilDate

        public init(recordID: String, documentNumber: String, commitmentNumber: String, decisionDate: CivilDate) {
            self.recordID = recordID
            self.documentNumber = documentNumber
            self.commitmentNumber = commitmentNumber
            self.decisionDate = decisionDate
        }
    }

    public let eligible: Bool
    public let lookbackYears: Int
    public let reasons: [Reason]

    /// Not on the black list on `date`, and no breach (in force, not repaired or withdrawn: the caller passes
    /// only those) decided within the last `lookbackYears` years.
    public static func decide(memberships: [ListMembership], breaches: [Breach], on date: CivilDate, lookbackYears: Int) -> ApprovalEligibility {
        var reasons: [Reason] = []
        for m in memberships where m.list == .black && m.isActive(on: date) {
            reasons.append(Reason(
                code: "black_list", recordID: m.recordID, recordType: m.recordType, documentNumber: m.documentNumber, date: m.start,
                detail: "on the black list since \(m.start) (\(m.recordType) \(m.documentNumber))",
                chinese: "列入黑名单（\(m.documentNumber)，自 \(m.start) 起）"))
        }
        let since = date.adding(months: -12 * lookbackYears)
        for b in breaches.sorted(by: { $0.decisionDate > $1.decisionDate }) where b.decisionDate > since && b.decisionDate <= date {
            reasons.append(Reason(
                code: "commitment_breach", recordID: b.recordID, recordType: "commitment_breach", documentNumber: b.documentNumber,
                date: b.decisionDate,
                detail: "breached commitment \(b.commitmentNumber) (decided \(b.decisionDate), \(b.documentNumber)) within \(lookbackYears) years",
                chinese: "\(lookbackYears) 年内有违背信用承诺记录（承诺书 \(b.commitmentNumber)，认定文书 \(b.documentNumber)，\(b.decisionDate)）"))
        }
        return ApprovalEligibility(eligible: reasons.isEmpty, lookbackYears: lookbackYears, reasons: reasons)
    }
}
