import Foundation

/// The public credit information catalogue (公共信用信息目录): which kinds of records exist, their
/// fields, legal basis, publicity and periods. Versioned: a record names the version it was judged by.
public struct Catalog: Sendable, Codable, Equatable {
    public var version: Int
    public var effectiveFrom: CivilDate
    public var note: String?
    public var tierPeriods: [Tier: TierPeriod]
    public var deadlines: Deadlines
    public var recordTypes: [RecordType]

    public init(
        version: Int, effectiveFrom: CivilDate, note: String? = nil, tierPeriods: [Tier: TierPeriod],
        deadlines: Deadlines, recordTypes: [RecordType]
    ) {
        self.version = version
        self.effectiveFrom = effectiveFrom
        self.note = note
        self.tierPeriods = tierPeriods
        self.deadlines = deadlines
        self.recordTypes = recordTypes
    }

    public func recordType(_ code: String) -> RecordType? { recordTypes.first { $0.code == code } }

    /// The catalogue shipped with the platform (`Resources/catalog.json`).
    public static let shipped: Catalog = {
        do {
            return try JSONDecoder().decode(Catalog.self, from: ShippedData.data("catalog", ext: "json"))
        } catch {
            preconditionFailure("catalog.json does not decode: \(error)")
        }
    }()

    /// Periods and service levels are data, so that a new version of the measures is a new catalogue
    /// version, not a code change.
    public struct Deadlines: Sendable, Codable, Equatable {
        public var submitWithinWorkingDays: Int
        public var repairAnswerWorkingDays: Int
        public var repairDecisionWorkingDays: Int
        public var objectionDays: Int
        /// Working days a subject has to make a statement after a notice before listing (告知); the listing
        /// waits for them. Versions stored before this existed read as the default, 5.
        public var noticeStatementWorkingDays: Int

        public static let defaultNoticeStatementWorkingDays = 5

        enum CodingKeys: String, CodingKey {
            case submitWithinWorkingDays, repairAnswerWorkingDays, repairDecisionWorkingDays, objectionDays, noticeStatementWorkingDays
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            submitWithinWorkingDays = try c.decode(Int.self, forKey: .submitWithinWorkingDays)
            repairAnswerWorkingDays = try c.decode(Int.self, forKey: .repairAnswerWorkingDays)
            repairDecisionWorkingDays = try c.decode(Int.self, forKey: .repairDecisionWorkingDays)
            objectionDays = try c.decode(Int.self, forKey: .objectionDays)
            noticeStatementWorkingDays = try c.decodeIfPresent(Int.self, forKey: .noticeStatementWorkingDays)
                ?? Self.defaultNoticeStatementWorkingDays
        }
    }

    enum CodingKeys: String, CodingKey { case version, effectiveFrom, note, tierPeriods, deadlines, recordTypes }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        version = try c.decode(Int.self, forKey: .version)
        effectiveFrom = try c.decode(CivilDate.self, forKey: .effectiveFrom)
        note = try c.decodeIfPresent(String.self, forKey: .note)
        let periods = try c.decode([String: TierPeriod].self, forKey: .tierPeriods)
        tierPeriods = try Dictionary(uniqueKeysWithValues: periods.map { key, value in
            guard let tier = Tier(rawValue: key) else {
                throw DecodingError.dataCorruptedError(forKey: .tierPeriods, in: c, debugDescription: "unknown tier '\(key)'")
            }
            return (tier, value)
        })
        deadlines = try c.decode(Deadlines.self, forKey: .deadlines)
        recordTypes = try c.decode([RecordType].self, forKey: .recordTypes)
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(version, forKey: .version)
        try c.encode(effectiveFrom, forKey: .effectiveFrom)
        try c.encodeIfPresent(note, forKey: .note)
        try c.encode(Dictionary(uniqueKeysWithValues: tierPeriods.map { ($0.rawValue, $1) }), forKey: .tierPeriods)
        try c.encode(deadlines, forKey: .deadlines)
        try c.encode(recordTypes, forKey: .recordTypes)
    }
}

/// Severity of a negative record under the credit repair measures.
public enum Tier: String, Sendable, Codable, CaseIterable, Comparable {
    case minor, general, serious

    public static func < (a: Self, b: Self) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }

    public var label: String {
        switch self {
        case .minor: "轻微"
        case .general: "一般"
        case .serious: "严重"
        }
    }
}

public struct TierPeriod: Sendable, Codable, Equatable {
    /// Whether records of this tier are published at all (minor ones generally are not).
    public var published: Bool
    /// Months after the decision before repair may be applied for.
    public var minimumMonths: Int?
    /// Months after the decision when publicity ends by itself.
    public var maximumMonths: Int
}

public enum Polarity: String, Sendable, Codable { case positive, negative, neutral }

/// The section of a subject's profile a record belongs in.
public enum ProfileSection: String, Sendable, Codable, CaseIterable {
    case licence, penalty, honour
    case seriousDishonesty = "serious_dishonesty"
    case abnormalOperation = "abnormal_operation"
    case commitment, evaluation, judgment
    /// What business associations say of their members: kept apart from government records.
    case association
    case other

    public var title: String {
        switch self {
        case .licence: "行政许可"
        case .penalty: "行政处罚"
        case .honour: "守信激励与良好信用"
        case .seriousDishonesty: "严重失信主体名单"
        case .abnormalOperation: "经营异常名录"
        case .commitment: "信用承诺及履约"
        case .evaluation: "信用评价"
        case .judgment: "司法判决与失信被执行人"
        case .association: "行业协会商会信息（行业自律，非政府部门认定）"
        case .other: "其他"
        }
    }
}

public struct RecordType: Sendable, Codable, Equatable {
    public var code: String
    public var version: Int
    public var name: String
    public var nameEn: String
    public var section: ProfileSection
    public var polarity: Polarity
    /// The law or policy under which this kind of record is collected and published.
    public var legalBasis: String
    public var publicity: Publicity
    /// Whether a natural person's records of this type are published (by masked name and id).
    public var publishesNaturalPersons: Bool
    /// Department categories that may submit this type; `*` for any.
    public var sources: [String]
    /// Whether each record carries a tier that sets its period.
    public var tiered: Bool?
    /// Tiers a record of this type may have (all when absent).
    public var allowedTiers: [Tier]?
    public var period: PeriodRule
    public var fields: [FieldSpec]
    /// A record of this type puts its subject on a list only after a notice and the subject's chance to make
    /// a statement (告知). Absent (older versions) means no notice: the court's own list, for one, is
    /// notified by the court.
    public var noticeBeforeListing: Bool?
    /// How to derive the tier when a department's file has no 失信程度 column (the national double-publicity
    /// format has none); absent means the tier must be sent.
    public var tierWhenAbsent: TierRule?
    /// Who speaks in records of this type; absent means a government department.
    public var sourceKind: SourceKind?

    public enum SourceKind: String, Sendable, Codable { case government, association }

    public enum Publicity: String, Sendable, Codable { case `public`, restricted }

    public var isTiered: Bool { tiered ?? false }
    /// A business association's record: shown as the association's, never counted as the government's.
    public var isFromAssociation: Bool { sourceKind == .association }
    public var needsNoticeBeforeListing: Bool { noticeBeforeListing ?? false }
    public var permittedTiers: [Tier] { allowedTiers ?? (isTiered ? Tier.allCases : []) }
    public func field(_ code: String) -> FieldSpec? { fields.first { $0.code == code } }

    /// Whether `department` may submit records of this type: its category is named, or the type is open to
    /// any source (`*`) and the department is a government one (an association never speaks for government).
    public func accepts(from department: Department) -> Bool {
        sources.contains(department.category) || (sources.contains("*") && !department.isAssociation)
    }
}

/// The tier of a penalty whose department did not say: the Administrative Penalty Law's simple-procedure
/// thresholds (art. 51: a warning, or a fine of at most 200 yuan for a citizen or 3,000 yuan for an
/// organisation) make it minor; anything else is `otherwise` (general). A department that means serious
/// sends the column. Catalogue data, so that a new law is a new catalogue version.
public struct TierRule: Sendable, Codable, Equatable {
    public var basis: String
    /// Penalty categories that are minor whatever the amount (警告).
    public var minorCategories: [String]
    /// The category whose amount decides (罚款), the field with the amount, and its unit in yuan (万元 = 10,000).
    public var fineCategory: String
    public var categoryField: String
    public var fineField: String
    public var fineUnitYuan: Double
    public var minorFineUpToYuanPerson: Double
    public var minorFineUpToYuanOrganisation: Double
    public var otherwise: Tier

    /// The tier for a row's fields; `person` when the subject is a natural person.
    public func tier(for fields: [String: String], person: Bool) -> Tier {
        let category = fields[categoryField] ?? ""
        if minorCategories.contains(category) { return .minor }
        if category == fineCategory, let amount = fields[fineField].flatMap(Double.init) {
            let limit = person ? minorFineUpToYuanPerson : minorFineUpToYuanOrganisation
            if amount * fineUnitYuan <= limit { return .minor }
        }
        return otherwise
    }
}

/// How a record's period of publicity is set.
public struct PeriodRule: Sendable, Codable, Equatable {
    public enum Basis: String, Sendable, Codable {
        /// From the catalogue's tier periods.
        case tier
        /// A fixed number of months from the decision.
        case fixed
        /// From dates on the record itself (a court's start and end; a licence's validity).
        case fields
    }

    public var basis: Basis
    public var months: Int?
    public var repairAfterMonths: Int?
    public var startField: String?
    public var endField: String?
    public var fallbackMonths: Int?
}

public struct FieldSpec: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable { case text, date, decimal, code }

    public var code: String
    /// The national double-publicity label departments' exports carry.
    public var label: String
    public var aliases: [String]?
    public var type: Kind
    public var required: Bool
    /// Allowed values, where the field is an enumeration.
    public var values: [String]?
    /// Personal data: masked wherever it is shown.
    public var personal: Bool?
}
