import Crypto
import Foundation

/// A dispute of a record's content, period or a repair result (异议), or a statement against a notice
/// before listing (陈述申辩). While it is open the record is shown with an "under objection" flag.
public struct Objection: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable, CaseIterable {
        case submitted
        case underReview = "under_review"
        case upheld
        case rejected
        case unverifiable

        /// Submitted or under review: the record carries the flag.
        public var isOpen: Bool { self == .submitted || self == .underReview }

        public var label: String {
            switch self {
            case .submitted: "已提交"
            case .underReview: "核实中"
            case .upheld: "异议成立"
            case .rejected: "异议不成立"
            case .unverifiable: "无法核实"
            }
        }
    }

    public enum Kind: String, Sendable, Codable, CaseIterable {
        /// The record's facts are wrong.
        case content
        /// Its publicity period is wrong.
        case period
        /// A repair application's result.
        case repairResult = "repair_result"
        /// A statement within a notice's grace period, before a listing starts.
        case statement

        public var label: String {
            switch self {
            case .content: "信息内容有误"
            case .period: "公示期限有误"
            case .repairResult: "对信用修复结果有异议"
            case .statement: "陈述申辩"
            }
        }
    }

    /// The receipt number, e.g. YY20261130-7K3M9Q2PXA.
    public var id: String
    public var subjectID: String
    public var recordID: String
    public var kind: Kind
    /// The filer's statement of what is wrong.
    public var ground: String
    public var status: Status
    public var filedOn: CivilDate
    /// The catalogue's objection deadline counted from filing.
    public var dueOn: CivilDate

    public init(id: String, subjectID: String, recordID: String, kind: Kind = .content, ground: String,
                status: Status = .submitted, filedOn: CivilDate, deadlineDays: Int) {
        self.id = id
        self.subjectID = subjectID
        self.recordID = recordID
        self.kind = kind
        self.ground = ground
        self.status = status
        self.filedOn = filedOn
        self.dueOn = filedOn.adding(days: deadlineDays)
    }
}

/// Who filed an objection or a repair application: an organisation by name and code, a natural person
/// by the masked id the public site shows. The contact is how the office reaches them.
public struct Filer: Sendable, Codable, Equatable {
    public var name: String
    /// The unified code, or the masked resident id number of a natural person.
    public var identifier: String
    public var contact: String

    public init(name: String, identifier: String, contact: String) {
        self.name = name
        self.identifier = identifier
        self.contact = contact
    }
}

/// An application to end a negative record's publicity early (信用修复), per record.
public struct RepairApplication: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable, CaseIterable {
        /// Received by the platform, not yet forwarded.
        case submitted
        /// Checked by the office and forwarded to the deciding department.
        case forwarded
        case repaired
        case refused

        public var isOpen: Bool { self == .submitted || self == .forwarded }

        public var label: String {
            switch self {
            case .submitted: "已受理"
            case .forwarded: "已转部门核实"
            case .repaired: "已修复"
            case .refused: "不予修复"
            }
        }
    }

    public var id: String
    public var subjectID: String
    public var recordID: String
    public var departmentID: String
    /// What the subject did to correct its conduct.
    public var conduct: String
    public var filer: Filer
    /// Who accepted the credit commitment, when, and the SHA-256 of the text they accepted.
    public var commitmentSigner: String
    public var commitmentHash: String
    public var status: Status
    public var filedOn: CivilDate
    /// The platform's answer is due in so many working days from filing.
    public var answerDue: CivilDate

    public init(id: String, subjectID: String, recordID: String, departmentID: String, conduct: String, filer: Filer,
                commitmentSigner: String, commitmentHash: String, status: Status = .submitted, filedOn: CivilDate,
                answerDue: CivilDate) {
        self.id = id
        self.subjectID = subjectID
        self.recordID = recordID
        self.departmentID = departmentID
        self.conduct = conduct
        self.filer = filer
        self.commitmentSigner = commitmentSigner
        self.commitmentHash = commitmentHash
        self.status = status
        self.filedOn = filedOn
        self.answerDue = answerDue
    }
}

/// The standard credit commitment a repair applicant accepts (信用修复承诺书). Its hash is kept with the
/// application, so that the text a subject accepted can be shown later even if the shipped text changes.
public enum CreditCommitment {
    public static let text: String = String(decoding: ShippedData.data("credit-commitment", ext: "txt"), as: UTF8.self)
    public static var hash: String { SHA256.hash(data: Data(text.utf8)).hexEncoded }
}

/// Why a record cannot take an objection or a repair application. Each says why in Chinese for the page
/// and carries a stable code for the API.
public enum DueProcessRefusal: Error, Equatable, Sendable {
    case recordNotFound
    case notPublic
    case notNegative
    /// Judgment defaulters are repaired by the court that listed them.
    case courtRepairsThis
    case tooEarly(CivilDate)
    case alreadyOpen(String)
    case alreadyRepaired

    public var code: String {
        switch self {
        case .recordNotFound: "record-not-found"
        case .notPublic: "record-not-public"
        case .notNegative: "record-not-negative"
        case .courtRepairsThis: "repaired-by-court"
        case .tooEarly: "repair-too-early"
        case .alreadyOpen: "already-open"
        case .alreadyRepaired: "already-repaired"
        }
    }

    public var description: String {
        switch self {
        case .recordNotFound: "no such record"
        case .notPublic: "the record is not public, so it takes no objection or repair application here"
        case .notNegative: "only negative records take objections and repair applications"
        case .courtRepairsThis: "judgment defaulters are removed by the court that listed them, not by this platform"
        case .tooEarly(let date): "a repair may be applied for from \(date)"
        case .alreadyOpen(let number): "an application for this record by the same filer is still open: \(number)"
        case .alreadyRepaired: "the record has already been repaired"
        }
    }

    public var chinese: String {
        switch self {
        case .recordNotFound: "未找到该条信用信息。"
        case .notPublic: "该条信息目前未在本平台公示，不能在此提出异议或申请信用修复；如有疑问，请联系作出决定的部门。"
        case .notNegative: "只有失信类（负面）信息可以提出异议或申请信用修复。"
        case .courtRepairsThis: "失信被执行人信息由人民法院依法纳入和移出，本平台不受理信用修复申请。请向作出决定的人民法院申请。"
        case .tooEarly(let date): "最短公示期未满，\(date.description) 起方可申请信用修复。"
        case .alreadyOpen(let number): "您对该条信息的申请仍在办理中，编号 \(number)，请勿重复提交。"
        case .alreadyRepaired: "该条信息已完成信用修复。"
        }
    }
}

/// The rules for who may object to what, and when a repair may be applied for. Pure: the caller gives the
/// record, its type and the day.
public enum DueProcessRules {
    /// Objections of content or period concern a negative record the public sees; a statement concerns a
    /// record held back by a pending notice; a repair result concerns a decided repair (checked by the caller).
    public static func mayObject(_ kind: Objection.Kind, to record: CreditRecord, type: RecordType?, on date: CivilDate)
        throws(DueProcessRefusal) {
        guard let type else { throw .recordNotFound }
        guard type.polarity == .negative else { throw .notNegative }
        switch kind {
        case .content, .period: guard record.isPublic(on: date) else { throw .notPublic }
        case .statement: guard record.status == .pendingNotice else { throw .notPublic }
        case .repairResult: break
        }
    }

    /// A repair needs a public negative record whose minimum period has passed, and is not for the court's list.
    public static func mayApplyForRepair(_ record: CreditRecord, type: RecordType?, on date: CivilDate) throws(DueProcessRefusal) {
        guard let type else { throw .recordNotFound }
        guard type.polarity == .negative else { throw .notNegative }
        if record.recordType == Self.courtListType { throw .courtRepairsThis }
        if record.status == .repaired { throw .alreadyRepaired }
        guard record.isPublic(on: date) else { throw .notPublic }
        if let from = record.schedule.repairEligibleFrom, date < from { throw .tooEarly(from) }
    }

    /// The court's own list: the platform shows it but never repairs it.
    public static let courtListType = "judgment_defaulter"
}

/// One uploaded evidence file, checked from its content: PDF, JPEG or PNG, at most 10 MB.
public struct EvidenceFile: Sendable, Equatable {
    public static let maximumBytes = 10 << 20
    public static let maximumCount = 5

    public enum MediaType: String, Sendable {
        case pdf = "application/pdf"
        case jpeg = "image/jpeg"
        case png = "image/png"
    }

    public enum Problem: Error, Equatable, Sendable {
        case tooMany(Int)
        case tooLarge(name: String, bytes: Int)
        case empty(name: String)
        case unsupported(name: String)

        public var description: String {
            switch self {
            case .tooMany(let n): "at most \(EvidenceFile.maximumCount) evidence files, got \(n)"
            case let .tooLarge(name, bytes): "\(name) is \(bytes) bytes; a file may be at most \(EvidenceFile.maximumBytes) bytes (10 MB)"
            case .empty(let name): "\(name) is empty"
            case .unsupported(let name): "\(name) is not a PDF, JPEG or PNG file (judged by its content, not its name)"
            }
        }

        public var chinese: String {
            switch self {
            case .tooMany(let n): "证明材料最多 \(EvidenceFile.maximumCount) 个，您上传了 \(n) 个。"
            case let .tooLarge(name, bytes): "文件“\(name)”大小为 \(String(format: "%.1f", Double(bytes) / 1_048_576)) MB，超过单个文件 10 MB 的上限。"
            case .empty(let name): "文件“\(name)”是空文件。"
            case .unsupported(let name): "文件“\(name)”不是 PDF、JPEG 或 PNG 格式（按文件内容判断，与扩展名无关）。"
            }
        }
    }

    public var name: String
    public var mediaType: MediaType
    public var content: Data
    public var sha256: String { SHA256.hash(data: content).hexEncoded }

    /// Checks one file; the type comes from the first bytes, whatever the name or the browser claim.
    public init(name: String, content: Data) throws(Problem) {
        let shownName = String(name.prefix(100))
        guard !content.isEmpty else { throw .empty(name: shownName) }
        guard content.count <= Self.maximumBytes else { throw .tooLarge(name: shownName, bytes: content.count) }
        guard let type = Self.sniff(content) else { throw .unsupported(name: shownName) }
        self.name = shownName
        self.mediaType = type
        self.content = content
    }

    static func sniff(_ data: Data) -> MediaType? {
        let head = Array(data.prefix(8))
        if head.starts(with: Array("%PDF-".utf8)) { return .pdf }
        if head.starts(with: [0xFF, 0xD8, 0xFF]) { return .jpeg }
        if head.starts(with: [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        return nil
    }

    /// Checks a set of uploads: the count, then each file.
    public static func validate(_ uploads: [(name: String, content: Data)]) throws(Problem) -> [EvidenceFile] {
        guard uploads.count <= maximumCount else { throw .tooMany(uploads.count) }
        var files: [EvidenceFile] = []
        for upload in uploads { files.append(try EvidenceFile(name: upload.name, content: upload.content)) }
        return files
    }
}

/// Receipt numbers for reports, objections and repair applications: a prefix, the day and 50 random bits
/// in Crockford base-32 (e.g. YY20261130-7K3M9Q2PXA); and the follow-up codes filers use to see details.
public enum ReceiptNumber {
    static let alphabet = Array("0123456789ABCDEFGHJKMNPQRSTVWXYZ")

    public static func make(_ prefix: String, on date: CivilDate) -> String {
        var generator = SystemRandomNumberGenerator()
        return make(prefix, on: date, using: &generator)
    }

    /// The same from a given generator (the demo's seeded one, so that its data repeats).
    public static func make(_ prefix: String, on date: CivilDate, using generator: inout some RandomNumberGenerator) -> String {
        prefix + date.description.replacingOccurrences(of: "-", with: "") + "-" + randomText(10, using: &generator)
    }

    /// A follow-up code of 12 characters (60 bits): shown once, stored as its SHA-256.
    public static func followUpCode() -> String {
        var generator = SystemRandomNumberGenerator()
        return randomText(12, using: &generator)
    }

    public static func hash(followUpCode code: String) -> String {
        SHA256.hash(data: Data(code.uppercased().utf8)).hexEncoded
    }

    private static func randomText(_ count: Int, using generator: inout some RandomNumberGenerator) -> String {
        String((0..<count).map { _ in alphabet[Int(generator.next() & 31)] })
    }
}
