import Foundation
import XinyongModel
import XinyongStore

/// The remedies the law gives a subject named in a record: objections (异议) and credit repair (信用修复).
/// Filing is public; the office accepts and forwards; the source department decides. Every step is one
/// transaction with its audit entry, so that an acknowledged filing survives a crash whole.
public struct DueProcess: Sendable {
    public let store: Store
    public let catalog: Catalog
    public let calendar: WorkingDayCalendar

    public init(store: Store, catalog: Catalog, calendar: WorkingDayCalendar = .china) {
        self.store = store
        self.catalog = catalog
        self.calendar = calendar
    }

    /// What a filer takes away: the number to follow the case by and a code, shown once, to see its details.
    public struct Receipt: Sendable, Equatable {
        public let number: String
        public let followUpCode: String
        public let dueOn: CivilDate
    }

    /// A problem with a filing or a decision, in words for the API and for the page.
    public struct Refusal: Error, Sendable, Equatable {
        public let code: String
        public let field: String?
        public let detail: String
        public let chinese: String

        init(_ refusal: DueProcessRefusal) {
            self.init(code: refusal.code, field: "record", detail: refusal.description, chinese: refusal.chinese)
        }

        init(_ problem: EvidenceFile.Problem) {
            self.init(code: "invalid-evidence", field: "evidence", detail: problem.description, chinese: problem.chinese)
        }

        public init(code: String, field: String?, detail: String, chinese: String) {
            self.code = code
            self.field = field
            self.detail = detail
            self.chinese = chinese
        }
    }

    // MARK: Filing

    public struct ObjectionFiling: Sendable {
        public var recordID: String
        public var kind: Objection.Kind
        public var statement: String
        public var filer: Filer
        /// For an objection to a repair result: the application's number.
        public var repairNumber: String?
        public var evidence: [EvidenceFile]

        public init(recordID: String, kind: Objection.Kind, statement: String, filer: Filer, repairNumber: String? = nil,
                    evidence: [EvidenceFile] = []) {
            self.recordID = recordID
            self.kind = kind
            self.statement = statement
            self.filer = filer
            self.repairNumber = repairNumber
            self.evidence = evidence
        }
    }

    public func fileObjection(_ filing: ObjectionFiling, today: CivilDate = .today()) async throws -> Receipt {
        try Self.requireText(filing.statement, field: "statement", chinese: "异议理由")
        try Self.require(filing.filer)
        let code = ReceiptNumber.followUpCode()
        let number = ReceiptNumber.make("YY", on: today)
        let catalog = self.catalog
        return try await store.transaction { repos in
            guard let record = try await repos.records.find(id: filing.recordID) else { throw Refusal(.recordNotFound) }
            do {
                try DueProcessRules.mayObject(filing.kind, to: record, type: catalog.recordType(record.recordType), on: today)
            } catch let refusal as DueProcessRefusal { throw Refusal(refusal) }
            if filing.kind == .repairResult {
                guard let repair = try await filing.repairNumber.asyncMap({ try await repos.repairs.find(number: $0) }) ?? nil,
                    repair.application.recordID == record.id, !repair.application.status.isOpen
                else {
                    throw Refusal(code: "repair-not-decided", field: "repair",
                                  detail: "an objection to a repair result names a decided repair application of this record",
                                  chinese: "对修复结果提出异议，须填写本条信息已办结的信用修复申请编号。")
                }
            }
            if let open = try await repos.objections.openNumber(recordID: record.id, filerIdentifier: filing.filer.identifier) {
                throw Refusal(.alreadyOpen(open))
            }
            let objection = Objection(id: number, subjectID: record.subjectID, recordID: record.id, kind: filing.kind,
                                      ground: filing.statement, filedOn: today, deadlineDays: catalog.deadlines.objectionDays)
            let filed = ObjectionCase(
                objection: objection, filer: filing.filer, departmentID: record.departmentID, regionCode: record.regionCode,
                recordVersion: record.version, repairID: filing.repairNumber, filedAt: Timestamp.now(),
                followUpHash: ReceiptNumber.hash(followUpCode: code))
            let actor = Actor("public", reason: "objection filed by \(filing.filer.name)")
            try await repos.objections.insert([filed], by: actor)
            try await repos.evidence.insert(filing.evidence, subjectID: record.subjectID, owner: number)
            // A statement holds the listing until it is decided; after the statement period it is too late.
            if filing.kind == .statement,
                try await repos.notices.statementFiled(recordID: record.id, objectionID: number, by: actor, today: today) == nil {
                throw Refusal(code: "statement-period-over", field: "kind",
                              detail: "the statement period of this record's notice has ended, or its notice is already settled",
                              chinese: "该条信息的陈述申辩期已过或告知已办结，不能再提出陈述申辩。")
            }
            return Receipt(number: number, followUpCode: code, dueOn: objection.dueOn)
        }
    }

    public struct RepairFiling: Sendable {
        public var recordID: String
        public var conduct: String
        public var filer: Filer
        /// The name of whoever accepted the credit commitment; empty means it was not accepted.
        public var commitmentSigner: String
        public var evidence: [EvidenceFile]

        public init(recordID: String, conduct: String, filer: Filer, commitmentSigner: String, evidence: [EvidenceFile] = []) {
            self.recordID = recordID
            self.conduct = conduct
            self.filer = filer
            self.commitmentSigner = commitmentSigner
            self.evidence = evidence
        }
    }

    /// Checks a record can be repaired on `today`, for the form before anyone fills it in.
    public func repairEligibility(recordID: String, today: CivilDate = .today()) async throws -> CreditRecord {
        guard let record = try await store.repositories.records.find(id: recordID) else { throw Refusal(.recordNotFound) }
        do {
            try DueProcessRules.mayApplyForRepair(record, type: catalog.recordType(record.recordType), on: today)
        } catch let refusal as DueProcessRefusal { throw Refusal(refusal) }
        return record
    }

    public func applyForRepair(_ filing: RepairFiling, today: CivilDate = .today()) async throws -> Receipt {
        try Self.requireText(filing.conduct, field: "conduct", chinese: "失信行为纠正情况")
        try Self.require(filing.filer)
        guard !filing.commitmentSigner.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw Refusal(code: "commitment-required", field: "commitment",
                          detail: "the credit commitment must be accepted, with the signer's name",
                          chinese: "请阅读信用修复承诺书，并填写签署人姓名表示同意。")
        }
        let code = ReceiptNumber.followUpCode()
        let number = ReceiptNumber.make("XF", on: today)
        let catalog = self.catalog, calendar = self.calendar
        return try await store.transaction { repos in
            guard let record = try await repos.records.find(id: filing.recordID) else { throw Refusal(.recordNotFound) }
            do {
                try DueProcessRules.mayApplyForRepair(record, type: catalog.recordType(record.recordType), on: today)
            } catch let refusal as DueProcessRefusal { throw Refusal(refusal) }
            if let open = try await repos.repairs.openNumber(recordID: record.id) { throw Refusal(.alreadyOpen(open)) }
            let due = calendar.adding(workingDays: catalog.deadlines.repairAnswerWorkingDays, to: today)
            let application = RepairApplication(
                id: number, subjectID: record.subjectID, recordID: record.id, departmentID: record.departmentID,
                conduct: filing.conduct, filer: filing.filer, commitmentSigner: filing.commitmentSigner,
                commitmentHash: CreditCommitment.hash, filedOn: today, answerDue: due)
            try await repos.repairs.insert(
                [RepairCase(application: application, regionCode: record.regionCode,
                            followUpHash: ReceiptNumber.hash(followUpCode: code), filedAt: Timestamp.now())],
                by: Actor("public", reason: "repair applied for by \(filing.filer.name)"))
            try await repos.evidence.insert(filing.evidence, subjectID: record.subjectID, owner: number)
            return Receipt(number: number, followUpCode: code, dueOn: due)
        }
    }

    // MARK: Following a case

    /// The objection behind a number; with a follow-up code, checked against the stored hash.
    public func objection(number: String, followUpCode: String? = nil) async throws -> ObjectionCase {
        guard let found = try await store.repositories.objections.find(number: number.uppercased()) else {
            throw Refusal(code: "not-found", field: "number", detail: "no objection has the number \(number)",
                          chinese: "未找到编号为 \(number) 的异议申请。")
        }
        if let followUpCode { try Self.check(followUpCode, against: found.followUpHash) }
        return found
    }

    public func repair(number: String, followUpCode: String? = nil) async throws -> RepairCase {
        guard let found = try await store.repositories.repairs.find(number: number.uppercased()) else {
            throw Refusal(code: "not-found", field: "number", detail: "no repair application has the number \(number)",
                          chinese: "未找到编号为 \(number) 的信用修复申请。")
        }
        if let followUpCode { try Self.check(followUpCode, against: found.followUpHash) }
        return found
    }

    static func check(_ code: String, against hash: String?) throws {
        let given = ReceiptNumber.hash(followUpCode: code.trimmingCharacters(in: .whitespaces))
        guard let hash, Data(given.utf8) == Data(hash.utf8) else {
            throw Refusal(code: "wrong-follow-up-code", field: "code", detail: "the follow-up code does not belong to this number",
                          chinese: "查询码与编号不符。查询码在提交时显示一次，请核对后重新输入。")
        }
    }

    // MARK: Input checks

    static func requireText(_ text: String, field: String, chinese: String) throws {
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else {
            throw Refusal(code: "missing-field", field: field, detail: "\(field) is required", chinese: "请填写\(chinese)。")
        }
        guard trimmed.count <= 5_000 else {
            throw Refusal(code: "field-too-long", field: field, detail: "\(field) is longer than 5,000 characters",
                          chinese: "\(chinese)不能超过 5000 字。")
        }
    }

    static func require(_ filer: Filer) throws {
        try requireText(filer.name, field: "filer_name", chinese: "申请人名称")
        try requireText(filer.identifier, field: "filer_identifier", chinese: "统一社会信用代码或身份证号（脱敏）")
        try requireText(filer.contact, field: "contact", chinese: "联系方式")
    }
}

extension Optional {
    func asyncMap<T>(_ transform: (Wrapped) async throws -> T) async rethrows -> T? {
        guard let self else { return nil }
        return try await transform(self)
    }
}
