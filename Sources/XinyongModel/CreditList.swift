/// The lists of joint rewards and punishments: 红名单 (red), 黑名单 (black: serious dishonesty and
/// judgment defaulters) and 重点关注名单 (watch). A membership is never typed in: it is the span during
/// which a basis record of the list's types is active and public.
public enum CreditList: String, Sendable, Codable, CaseIterable, Comparable {
    case red
    case black
    case watch

    public var name: String {
        switch self {
        case .red: "红名单"
        case .black: "黑名单"
        case .watch: "重点关注名单"
        }
    }

    public var nameEn: String {
        switch self {
        case .red: "Red list"
        case .black: "Black list"
        case .watch: "Watch list"
        }
    }

    /// The record types whose records put a subject on this list.
    public var recordTypes: [String] {
        switch self {
        case .red: ["honour", "tax_grade_a"]
        case .black: ["judgment_defaulter", "serious_dishonesty"]
        case .watch: ["abnormal_operation"]
        }
    }

    /// The list a record of this type puts its subject on, if any.
    public init?(recordType: String) {
        guard let list = CreditList.allCases.first(where: { $0.recordTypes.contains(recordType) }) else { return nil }
        self = list
    }

    public static func < (a: CreditList, b: CreditList) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// One subject's place on one list because of one record: the basis, and the span [start, end).
public struct ListMembership: Sendable, Codable, Equatable {
    public var list: CreditList
    public var subjectID: String
    /// The basis record.
    public var recordID: String
    public var recordType: String
    public var departmentID: String
    public var documentNumber: String
    public var legalBasis: String
    public var start: CivilDate
    /// First day off the list (the record's publicity end).
    public var end: CivilDate

    public init(list: CreditList, subjectID: String, recordID: String, recordType: String, departmentID: String,
                documentNumber: String, legalBasis: String, start: CivilDate, end: CivilDate) {
        self.list = list
        self.subjectID = subjectID
        self.recordID = recordID
        self.recordType = recordType
        self.departmentID = departmentID
        self.documentNumber = documentNumber
        self.legalBasis = legalBasis
        self.start = start
        self.end = end
    }

    /// Whether the membership is in force on `date`.
    public func isActive(on date: CivilDate) -> Bool { start <= date && date < end }

    /// Why a membership is over.
    public enum EndReason: String, Sendable, Codable {
        /// Its span ran out: the record's publicity ended.
        case expired
        /// Its record no longer founds it: withdrawn, corrected away, or left without a publicity window.
        case withdrawn
        /// Its subject's credit was repaired (信用修复).
        case repaired
    }

    /// How a membership ended: why, and its first day off the list.
    public struct Ending: Sendable, Equatable {
        public var reason: EndReason
        public var on: CivilDate

        public init(reason: EndReason, on: CivilDate) {
            self.reason = reason
            self.on = on
        }
    }
}

extension CreditRecord {
    /// The list membership this record founds, if its type belongs to a list and it is still in force
    /// (active, i.e. neither repaired nor withdrawn) with a publicity window. Whether it is current on a
    /// given day is `ListMembership.isActive(on:)`.
    public var listMembership: ListMembership? {
        guard status == .active, let list = CreditList(recordType: recordType),
            let start = schedule.start, let end = schedule.end
        else { return nil }
        return ListMembership(
            list: list, subjectID: subjectID, recordID: id, recordType: recordType, departmentID: departmentID,
            documentNumber: documentNumber, legalBasis: legalBasis, start: start, end: end)
    }

    /// Whether the membership this record (of a list's type) founds or founded is over on `today`, and why.
    /// Nil while it stands, including before it starts. A membership whose end has come expired on its
    /// end day; one the record no longer founds ended `today`, when the store learns of it: repaired after
    /// a credit repair, withdrawn for any other cause.
    public func membershipEnding(on today: CivilDate) -> ListMembership.Ending? {
        guard let membership = listMembership else { return .init(reason: status == .repaired ? .repaired : .withdrawn, on: today) }
        return membership.end <= today ? .init(reason: .expired, on: membership.end) : nil
    }
}
