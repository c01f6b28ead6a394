import Foundation
import XinyongExchange
import XinyongModel
import XinyongStore

/// Credit commitments (信用承诺): a subject signs the standard approval-on-commitment text online, the
/// platform keeps the signer's name, the time and the SHA-256 of the text, and publishes the commitment as
/// a `credit_commitment` record; the accepting department later enters fulfilment or a breach, and a breach
/// becomes a `commitment_breach` record naming the commitment. Records go through the exchange (the path of
/// every department submission), so validation, the change feed, lists, notices and the audit trail apply.
public struct CommitmentService: Sendable {
    public let store: Store
    public let importer: BatchImporter
    public let policy: CommitmentPolicy

    public init(store: Store, importer: BatchImporter, policy: CommitmentPolicy = .shipped) {
        self.store = store
        self.importer = importer
        self.policy = policy
    }

    /// A request refused: which field, why, in English for the API and Chinese for the page.
    public struct Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        public let code: String
        public let field: String?
        public let detail: String
        public let chinese: String
        /// The records that bar the subject, for `not-eligible`.
        public var reasons: [ApprovalEligibility.Reason] = []

        public init(code: String, field: String?, detail: String, chinese: String) {
            (self.code, self.field, self.detail, self.chinese) = (code, field, detail, chinese)
        }

        public var description: String { "\(code): \(detail)" }
    }

    static let approvalType = "审批替代型"

    // MARK: Signing online

    public struct Signing: Sendable {
        public var matter: String
        public var subjectCode: String
        public var subjectName: String
        public var signer: String
        public var accepted: Bool
        /// The hash of the text the signer was shown, so that a text changed since is not signed unseen.
        public var textHash: String

        public init(matter: String, subjectCode: String, subjectName: String, signer: String, accepted: Bool, textHash: String) {
            (self.matter, self.subjectCode, self.subjectName, self.signer, self.accepted, self.textHash) =
                (matter, subjectCode, subjectName, signer, accepted, textHash)
        }
    }

    public func sign(_ s: Signing, today: CivilDate = .today()) async throws -> Commitment {
        guard let matter = policy.matter(s.matter) else {
            throw Refusal(code: "unknown-matter", field: "matter", detail: "'\(s.matter.prefix(60))' is not an approval-on-commitment matter; known: \(policy.matters.map(\.code).joined(separator: ", "))",
                          chinese: "请选择承诺事项。")
        }
        let code: SocialCreditCode
        switch SocialCreditCode.verify(s.subjectCode) {
        case .invalid(let reason):
            throw Refusal(code: "invalid-code", field: "subject_code", detail: reason.description, chinese: "统一社会信用代码格式不正确：\(reason.description)")
        case .valid(let c), .checkFailed(let c, _): code = c
        }
        guard let subject = try await store.repositories.subjects.find(code: code) else {
            throw Refusal(code: "unknown-subject", field: "subject_code", detail: "no subject with the code \(code.value) is known to the platform",
                          chinese: "平台中没有统一社会信用代码为 \(code.value) 的主体，请核对。")
        }
        let name = s.subjectName.trimmingCharacters(in: .whitespacesAndNewlines)
        guard name == subject.name || subject.formerNames.contains(name) else {
            throw Refusal(code: "name-mismatch", field: "subject_name", detail: "the name does not match the subject registered under \(code.value)",
                          chinese: "单位名称与该统一社会信用代码登记的名称不一致。")
        }
        let signer = s.signer.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (2...50).contains(signer.count) else {
            throw Refusal(code: "invalid-signer", field: "signer", detail: "the signer's name is required (2 to 50 characters)",
                          chinese: "请填写签署人姓名（2 至 50 个字）。")
        }
        guard s.accepted else {
            throw Refusal(code: "not-accepted", field: "agree", detail: "the commitment must be accepted", chinese: "请阅读承诺书并勾选同意。")
        }
        let text = policy.text(for: matter)
        let hash = CommitmentPolicy.hash(text)
        guard s.textHash == hash else {
            throw Refusal(code: "text-changed", field: "text_hash", detail: "the commitment text changed since it was shown; read it again",
                          chinese: "承诺书内容已更新，请重新阅读后签署。")
        }
        let eligibility = try await eligibility(subjectID: subject.id, on: today)
        guard eligibility.eligible else {
            var refusal = Refusal(code: "not-eligible", field: "subject_code",
                                  detail: "the subject may not use approval on commitment: " + eligibility.reasons.map(\.detail).joined(separator: "; "),
                                  chinese: "该主体不适用告知承诺：" + eligibility.reasons.map(\.chinese).joined(separator: "；"))
            refusal.reasons = eligibility.reasons
            throw refusal
        }
        let department = try await acceptingDepartment(matter, regionCode: subject.regionCode)
        let number = ReceiptNumber.make("CN", on: today)
        let signedAt = Timestamp.now()
        let termTo = today.adding(months: matter.termMonths)
        let values: [String: String] = [
            "subject_name": subject.name, "subject_code": code.value, "document_no": number, "commitment_type": Self.approvalType,
            "content": "按告知承诺办理，承诺符合条件、标准和要求，并在 \(matter.termMonths) 个月内（至 \(termTo)）接受核查；承诺书全文 SHA-256 \(hash)",
            "matter": matter.name, "legal_basis": matter.legalBasis, "decision_date": today.description,
            "fulfilment": Commitment.State.inForce.fulfilmentField, "authority": department.name,
            "authority_code": department.code?.value ?? "", "remarks": "在信用郴州平台在线签署",
        ]
        let commitment = Commitment(
            id: number, subjectID: subject.id, departmentID: department.id, recordID: "", commitmentType: Self.approvalType,
            matters: [matter.name], termFrom: today, termTo: termTo, signer: signer, signedAt: signedAt, textHash: hash, channel: "online")
        let actor = Actor("public", reason: "commitment \(number) signed online by \(signer) for \(subject.id)")
        let stored = Locked<Commitment?>(nil)
        try await submit(type: "credit_commitment", department: department.id, values: values, by: "public:commitment", today: today) { repos, written in
            var c = commitment
            c.recordID = written.first?.id ?? ""
            try await repos.commitments.insert([c], by: actor)
            stored.set(c)
        }
        return stored.value!
    }

    /// The department of the matter's kind in the subject's county, else the city's.
    func acceptingDepartment(_ matter: CommitmentPolicy.Matter, regionCode: String) async throws -> Department {
        let candidates = try await store.repositories.departments.all().filter { $0.category == matter.departmentCategory && $0.code != nil }
        guard let department = candidates.first(where: { $0.regionCode == regionCode }) ?? candidates.first(where: { $0.level == .city })
        else {
            throw Refusal(code: "no-department", field: "matter", detail: "no department of kind \(matter.departmentCategory) with a unified code accepts this matter",
                          chinese: "暂无受理该事项的部门，请联系市信用办。")
        }
        return department
    }

    // MARK: Reading

    public func commitment(_ id: String) async throws -> Commitment {
        guard let c = try await store.repositories.commitments.find(id: id.trimmingCharacters(in: .whitespaces).uppercased()) else {
            throw Refusal(code: "not-found", field: "id", detail: "no commitment has the number \(id.prefix(60))",
                          chinese: "未找到编号为 \(id.prefix(60)) 的信用承诺。")
        }
        return c
    }

    /// Approval on commitment (告知承诺) for a subject on a day: off the black list and no breach within the
    /// policy's years.
    public func eligibility(subjectID: String, on date: CivilDate) async throws -> ApprovalEligibility {
        let repos = store.repositories
        let memberships = try await repos.lists.forSubject(subjectID).filter { $0.state == .listed }.map(\.membership)
        let breaches = try await repos.commitments.breaches(subjectID: subjectID)
        return ApprovalEligibility.decide(memberships: memberships, breaches: breaches, on: date, lookbackYears: policy.breachLookbackYears)
    }

    // MARK: The department's entries

    /// The department that accepted the commitment confirms it was kept (核查属实).
    public func fulfil(_ id: String, department: String, by actorName: String, today: CivilDate = .today()) async throws -> Commitment {
        let c = try await open(id, department: department)
        let actor = Actor(actorName, reason: "commitment \(c.id) fulfilled", department: department)
        try await store.transaction { repos in
            guard try await repos.commitments.close(c.id, as: .fulfilled, breachRecordID: nil, by: actor) else { throw Self.alreadyClosed(c.id) }
        }
        try await republish(c, as: .fulfilled, by: actorName, today: today)
        return try await commitment(c.id)
    }

    public struct BreachEntry: Sendable {
        /// The department's decision document (认定文书号).
        public var documentNumber: String
        /// What the subject failed to do (违诺情形).
        public var breach: String
        public var legalBasis: String
        public var decisionDate: String
        /// general or serious.
        public var tier: String
        public var remarks: String?

        public init(documentNumber: String, breach: String, legalBasis: String, decisionDate: String, tier: String, remarks: String? = nil) {
            (self.documentNumber, self.breach, self.legalBasis, self.decisionDate, self.tier, self.remarks) =
                (documentNumber, breach, legalBasis, decisionDate, tier, remarks)
        }
    }

    /// The accepting department finds the commitment breached: a `commitment_breach` record naming the
    /// commitment, and the commitment closed as breached, in one transaction. The published commitment's
    /// 履约状态 is then corrected to 未履约.
    public func breach(_ id: String, _ entry: BreachEntry, department: String, by actorName: String,
                       today: CivilDate = .today()) async throws -> (commitment: Commitment, breachRecordID: String) {
        let c = try await open(id, department: department)
        if let decided = CivilDate(entry.decisionDate.trimmingCharacters(in: .whitespaces)), decided < c.termFrom {
            throw Refusal(code: "before-commitment", field: "decision_date",
                          detail: "the breach is decided on \(decided), before the commitment was signed (\(c.termFrom))",
                          chinese: "认定日期早于承诺签署日期（\(c.termFrom)）。")
        }
        guard let record = try await store.repositories.records.find(id: c.recordID),
            let subject = try await store.repositories.subjects.find(id: c.subjectID),
            let dept = try await store.repositories.departments.find(department)
        else { throw Refusal(code: "not-found", field: "id", detail: "the commitment's record or subject is gone", chinese: "该承诺的信用信息已不存在。") }
        var values: [String: String] = [
            "subject_name": subject.name, "subject_code": record.fields["subject_code"] ?? "", "document_no": entry.documentNumber,
            "commitment_no": c.id, "breach": entry.breach, "legal_basis": entry.legalBasis, "decision_date": entry.decisionDate,
            "tier": entry.tier, "authority": dept.name, "authority_code": dept.code?.value ?? "", "region_code": record.regionCode,
        ]
        values["remarks"] = entry.remarks
        let actor = Actor(actorName, reason: "commitment \(c.id) breached", department: department)
        let breachID = Locked<String?>(nil)
        try await submit(type: "commitment_breach", department: department, values: values, by: actorName, today: today) { repos, written in
            guard let id = written.first?.id else { throw Self.alreadyClosed(c.id) }
            guard try await repos.commitments.close(c.id, as: .breached, breachRecordID: id, by: actor) else { throw Self.alreadyClosed(c.id) }
            breachID.set(id)
        }
        try await republish(c, as: .breached, by: actorName, today: today)
        return (try await commitment(c.id), breachID.value!)
    }

    /// An open commitment of this department.
    func open(_ id: String, department: String) async throws -> Commitment {
        let c = try await commitment(id)
        guard c.departmentID == department else {
            throw Refusal(code: "other-department", field: "id", detail: "commitment \(c.id) was accepted by \(c.departmentID); only that department enters its fulfilment or breach",
                          chinese: "该承诺由其他部门受理，只有受理部门可以认定履约情况。")
        }
        guard c.isOpen else { throw Self.alreadyClosed(c.id) }
        return c
    }

    static func alreadyClosed(_ id: String) -> Refusal {
        Refusal(code: "already-closed", field: "id", detail: "commitment \(id) is already fulfilled or breached",
                chinese: "该承诺的履约情况已经认定，不能重复认定。")
    }

    /// The published commitment's 履约状态 follows the commitment: a correction of the record, by the
    /// department that published it, through the exchange like any correction.
    func republish(_ c: Commitment, as state: Commitment.State, by actorName: String, today: CivilDate) async throws {
        guard let record = try await store.repositories.records.find(id: c.recordID) else { return }
        var values = record.fields
        values["fulfilment"] = state.fulfilmentField
        values["document_no"] = record.documentNumber
        values["decision_date"] = record.decisionDate.description
        values["legal_basis"] = record.legalBasis
        values["region_code"] = record.regionCode
        try await submit(type: "credit_commitment", department: record.departmentID, values: values, by: actorName, today: today, alongside: nil)
    }

    /// One row through the exchange; a rejected row is refused naming each field and reason.
    func submit(type: String, department: String, values: [String: String], by submitter: String, today: CivilDate,
                alongside: (@Sendable (Repositories, [CreditRecord]) async throws -> Void)?) async throws {
        let request = BatchRequest(departmentID: department, recordType: type, source: "commitment", submittedBy: submitter)
        let summary: BatchSummary
        do {
            summary = try await importer.run(request, source: ListSource([InputRow(number: 1, values: values)]), today: today,
                                             alongside: alongside)
        } catch let refused as BatchRefused {
            throw Refusal(code: "refused", field: nil, detail: refused.description, chinese: "该部门无权报送此类信用信息，请联系市信用办。")
        }
        guard summary.status != "rejected" else {
            let issues = try await store.repositories.batches.issues(batch: summary.id).filter { $0.severity == .error }
            let first = issues.first
            throw Refusal(code: "invalid-record", field: first?.field,
                          detail: issues.map { "\($0.field ?? "row"): \($0.reason)" }.joined(separator: "; "),
                          chinese: "信息未通过校验：" + issues.map { "\($0.field ?? "")：\($0.reason)" }.joined(separator: "；"))
        }
    }
}

/// A value set inside a transaction's closure and read after it.
final class Locked<Value>: @unchecked Sendable {
    private var stored: Value
    private let lock = NSLock()
    init(_ value: Value) { stored = value }
    var value: Value { lock.withLock { stored } }
    func set(_ value: Value) { lock.withLock { stored = value } }
}
