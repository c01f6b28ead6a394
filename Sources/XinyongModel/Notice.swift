/// A notice before listing (失信惩戒告知书): before a record puts its subject on a list whose type needs it
/// (the catalogue's `noticeBeforeListing`), the platform issues a notice that the source department delivers,
/// with the facts, the basis, the list, the consequences and the subject's right to make a statement
/// (陈述申辩) within the catalogue's working days. The listing starts when that period ends without a
/// statement, or when a statement is decided and not upheld.
public struct Notice: Sendable, Codable, Equatable {
    public enum State: String, Sendable, Codable, CaseIterable {
        /// The statement period runs; the record waits.
        case pending
        /// The subject made a statement; the listing waits for its decision.
        case statementFiled = "statement_filed"
        /// The listing started (`listedOn`).
        case listed
        /// Closed without a listing: the record was withdrawn or corrected away, or the statement upheld.
        case withdrawn

        /// Pending or with a statement under review: the record is not listed yet.
        public var isOpen: Bool { self == .pending || self == .statementFiled }

        public var label: String {
            switch self {
            case .pending: "陈述申辩期内"
            case .statementFiled: "陈述申辩处理中"
            case .listed: "已列入名单"
            case .withdrawn: "已撤销，不予列入"
            }
        }
    }

    /// One line of the facts: a label of the catalogue and the record's value.
    public struct Fact: Sendable, Codable, Equatable {
        public var label: String
        public var value: String
        public init(label: String, value: String) {
            self.label = label
            self.value = value
        }
    }

    /// A punishment the listing brings: what, whether departments must (or may) apply it, under which document.
    public struct Consequence: Sendable, Codable, Equatable {
        public var title: String
        public var mandatory: Bool
        public var memorandum: String
        public init(title: String, mandatory: Bool, memorandum: String) {
            self.title = title
            self.mandatory = mandatory
            self.memorandum = memorandum
        }
    }

    /// The number of the notice (告知书编号), e.g. GZ20260112-7K3M9Q2PXA.
    public var id: String
    public var recordID: String
    public var subjectID: String
    public var departmentID: String
    public var recordType: String
    /// The region of the record, for county offices.
    public var regionCode: String
    public var list: CreditList
    public var issuedOn: CivilDate
    /// The last day on which a statement may be made.
    public var graceUntil: CivilDate
    public var state: State
    /// The objection (of the statement kind) the subject filed, once filed.
    public var statementID: String?
    public var listedOn: CivilDate?
    public var closedOn: CivilDate?
    /// Who the notice is addressed to, as the record names them.
    public var addressee: String
    public var facts: [Fact]
    public var basis: String
    public var consequences: [Consequence]
    /// The right to a statement, with the deadline and where to make it, as the notice words it.
    public var statementRight: String

    public init(
        id: String, recordID: String, subjectID: String, departmentID: String, recordType: String, regionCode: String,
        list: CreditList, issuedOn: CivilDate, graceUntil: CivilDate, state: State, statementID: String? = nil,
        listedOn: CivilDate? = nil, closedOn: CivilDate? = nil, addressee: String, facts: [Fact], basis: String,
        consequences: [Consequence], statementRight: String
    ) {
        self.id = id
        self.recordID = recordID
        self.subjectID = subjectID
        self.departmentID = departmentID
        self.recordType = recordType
        self.regionCode = regionCode
        self.list = list
        self.issuedOn = issuedOn
        self.graceUntil = graceUntil
        self.state = state
        self.statementID = statementID
        self.listedOn = listedOn
        self.closedOn = closedOn
        self.addressee = addressee
        self.facts = facts
        self.basis = basis
        self.consequences = consequences
        self.statementRight = statementRight
    }

    /// Whether the listing is due on `date`: the statement period is over and no statement was made.
    public func isDue(on date: CivilDate) -> Bool { state == .pending && graceUntil < date }

    public static func newNumber(on date: CivilDate) -> String { ReceiptNumber.make("GZ", on: date) }
}

extension Notice {
    /// What a notice is drawn from, besides the record.
    public struct Context: Sendable {
        public var type: RecordType
        public var subjectName: String
        public var department: Department
        /// The measures in force: the consequences are its punishments on the list for such a record.
        public var measures: MeasureCatalog?
        public var statementWorkingDays: Int
        public var calendar: WorkingDayCalendar

        public init(type: RecordType, subjectName: String, department: Department, measures: MeasureCatalog?,
                    statementWorkingDays: Int, calendar: WorkingDayCalendar) {
            self.type = type
            self.subjectName = subjectName
            self.department = department
            self.measures = measures
            self.statementWorkingDays = statementWorkingDays
            self.calendar = calendar
        }
    }

    /// The notice for `record` issued on `day`, or nil when the record needs none: its type lists without a
    /// notice, or the record would put nobody on a list today (it is not active, or its period already ended).
    public static func issue(id: String, for record: CreditRecord, context c: Context, on day: CivilDate) -> Notice? {
        guard c.type.needsNoticeBeforeListing, let membership = record.listMembership, day < membership.end else { return nil }
        let graceUntil = c.calendar.adding(workingDays: c.statementWorkingDays, to: day)
        let identifier = record.fields["subject_code"].map { "（\($0)）" } ?? ""
        return Notice(
            id: id, recordID: record.id, subjectID: record.subjectID, departmentID: record.departmentID, recordType: record.recordType,
            regionCode: record.regionCode, list: membership.list, issuedOn: day, graceUntil: graceUntil, state: .pending,
            addressee: c.subjectName + identifier, facts: facts(record, c), basis: basis(record, c.type),
            consequences: consequences(of: membership, c, on: day),
            statementRight: """
                如对上述事实、理由和依据有异议，可在\(c.statementWorkingDays)个工作日内（\(graceUntil.chineseText)前，含当日）\
                向\(c.department.name)提出陈述申辩，并提交书面意见和证据。期满未提出的，视为放弃陈述申辩，\
                自期满次日起列入\(membership.list.name)并依法实施上述惩戒措施；提出陈述申辩的，待处理决定作出后再定是否列入。
                """)
    }

    /// Fields that say who the subject is or where the data came from: not facts of the case.
    static let identityFields: Set<String> = [
        "subject_name", "subject_kind", "subject_code", "legal_representative", "document_no", "decision_date", "legal_basis",
        "tier", "source_department", "source_department_code", "remarks",
    ]

    static func facts(_ record: CreditRecord, _ c: Context) -> [Fact] {
        var out = [Fact(label: "信用主体", value: c.subjectName + (record.fields["subject_code"].map { "（\($0)）" } ?? ""))]
        out.append(Fact(label: c.type.field("document_no")?.label ?? "文书号", value: record.documentNumber))
        out.append(Fact(label: c.type.field("decision_date")?.label ?? "决定日期", value: record.decisionDate.chineseText))
        for spec in c.type.fields where !identityFields.contains(spec.code) && spec.type != .code && spec.personal != true {
            if let value = record.fields[spec.code], !value.isEmpty { out.append(Fact(label: spec.label, value: value)) }
        }
        if let tier = record.tier { out.append(Fact(label: "失信程度", value: tier.label)) }
        out.append(Fact(label: "报送部门", value: c.department.name))
        return out
    }

    static func basis(_ record: CreditRecord, _ type: RecordType) -> String {
        record.legalBasis == type.legalBasis ? record.legalBasis : "\(record.legalBasis)；\(type.legalBasis)"
    }

    /// The punishments of every memorandum in force that would cover the membership, once each, mandatory first.
    static func consequences(of membership: ListMembership, _ c: Context, on day: CivilDate) -> [Consequence] {
        guard let measures = c.measures else { return [] }
        var out: [Consequence] = [], seen: Set<String> = []
        for memo in measures.memoranda where memo.isInForce(on: day) && memo.covers(membership, sourceCategory: c.department.category) {
            for m in memo.measures where m.kind == .punishment && m.isValid(on: day) && seen.insert(m.title).inserted {
                out.append(Consequence(title: m.title, mandatory: m.mandatory, memorandum: "\(memo.title)（\(memo.documentNumber)）"))
            }
        }
        return out.enumerated().sorted { a, b in
            a.element.mandatory != b.element.mandatory ? a.element.mandatory : a.offset < b.offset
        }.map(\.element)
    }
}

extension CreditRecord {
    /// The record as stored while its notice runs: not active, so on no list, and not public yet.
    public var awaitingNotice: CreditRecord {
        var r = self
        r.status = .pendingNotice
        r.schedule.start = nil
        return r
    }

    /// The record once its listing starts on `day`: active, public and on the list from that day, never
    /// earlier; its publicity still ends when the catalogue's period from the decision ends.
    public func listed(on day: CivilDate) -> CreditRecord {
        var r = self
        r.status = .active
        r.schedule.start = max(day, decisionDate)
        return r
    }
}

extension CivilDate {
    /// The date as Chinese documents write it: 2026年1月16日.
    public var chineseText: String {
        let c = components
        return "\(c.year)年\(c.month)月\(c.day)日"
    }
}
