/// Honesty demonstration parks (诚信示范园区): a named, dated group of subjects with a managing body, the
/// targets the office set it and its yearly reviews. Membership comes from a list of codes the office
/// imported, from region codes (every organisation registered there), or from both. Pure.
public struct Park: Sendable, Codable, Equatable {
    public var id: String
    public var name: String
    /// Who runs the park (园区管理委员会 or similar).
    public var managingBody: String
    public var establishedOn: CivilDate
    /// GB/T 2260 codes whose organisations are all members.
    public var regionCodes: [String]
    public var targets: [Target]

    public init(id: String, name: String, managingBody: String, establishedOn: CivilDate, regionCodes: [String], targets: [Target]) {
        self.id = id
        self.name = name
        self.managingBody = managingBody
        self.establishedOn = establishedOn
        self.regionCodes = regionCodes
        self.targets = targets
    }

    /// A figure the park must keep at most or at least at a value, for the yearly review.
    public struct Target: Sendable, Codable, Equatable {
        public var metric: ParkMetric
        public var atMost: Double?
        public var atLeast: Double?

        public init(metric: ParkMetric, atMost: Double? = nil, atLeast: Double? = nil) {
            self.metric = metric
            self.atMost = atMost
            self.atLeast = atLeast
        }

        /// Whether `value` meets the target.
        public func isMet(by value: Double) -> Bool {
            (atMost.map { value <= $0 } ?? true) && (atLeast.map { value >= $0 } ?? true)
        }

        public var label: String {
            let bound = atMost.map { "≤ \(ParkMetric.format($0))" } ?? atLeast.map { "≥ \(ParkMetric.format($0))" } ?? ""
            return "\(metric.label) \(bound)"
        }
    }

    /// The problems with a park the office named, each a sentence naming its field; empty when it is whole.
    public func defects(regions: RegionDirectory) -> [String] {
        var defects: [String] = []
        if !id.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) || !(2...40).contains(id.count) {
            defects.append("id: 2 to 40 letters, digits or '-'")
        }
        if name.trimmingCharacters(in: .whitespaces).isEmpty { defects.append("name: give the park's name") }
        if managingBody.trimmingCharacters(in: .whitespaces).isEmpty { defects.append("managing_body: name who runs the park") }
        for code in regionCodes where regions[code] == nil { defects.append("region_codes: '\(code)' is not a GB/T 2260 code") }
        for target in targets {
            switch (target.atMost, target.atLeast) {
            case (nil, nil): defects.append("targets: \(target.metric.rawValue) needs at_most or at_least")
            case (.some, .some): defects.append("targets: \(target.metric.rawValue) takes at_most or at_least, not both")
            default: break
            }
        }
        if Set(targets.map(\.metric)).count != targets.count { defects.append("targets: a metric appears twice") }
        return defects
    }
}

/// The figures a park is compared and reviewed by.
public enum ParkMetric: String, Sendable, Codable, CaseIterable {
    /// Government negative records of members in the last twelve months, per 1,000 members per month.
    case negativePerThousandPerMonth = "negative_per_thousand_per_month"
    /// Share of graded members with grade A or B.
    case gradeABShare = "grade_ab_share"
    /// Members on the black list, per 1,000 members.
    case blackListedPerThousand = "black_listed_per_thousand"
    /// Commitments members signed in the last twelve months, per 1,000 members.
    case commitmentsPerThousand = "commitments_per_thousand"

    public var label: String {
        switch self {
        case .negativePerThousandPerMonth: "每千户每月负面记录"
        case .gradeABShare: "A、B级主体占比"
        case .blackListedPerThousand: "每千户失信惩戒对象"
        case .commitmentsPerThousand: "每千户信用承诺"
        }
    }

    /// Whether a lower value is the better one.
    public var lowerIsBetter: Bool { self == .negativePerThousandPerMonth || self == .blackListedPerThousand }

    public static func format(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e9 ? String(Int(value)) : String(format: "%.2f", value)
    }
}

/// A yearly review of a park: the office's conclusion and the figures it was drawn from.
public struct ParkReview: Sendable, Codable, Equatable {
    public enum Outcome: String, Sendable, Codable, CaseIterable {
        case passed, rectify, revoked

        public var label: String {
            switch self {
            case .passed: "通过复核"
            case .rectify: "限期整改"
            case .revoked: "撤销称号"
            }
        }
    }

    public var parkID: String
    public var year: Int
    public var outcome: Outcome
    public var note: String
    /// The figures as they stood when the review was entered, by metric.
    public var figures: [String: Double]
    public var reviewedBy: String
    public var reviewedAt: String

    public init(parkID: String, year: Int, outcome: Outcome, note: String, figures: [String: Double], reviewedBy: String, reviewedAt: String) {
        self.parkID = parkID
        self.year = year
        self.outcome = outcome
        self.note = note
        self.figures = figures
        self.reviewedBy = reviewedBy
        self.reviewedAt = reviewedAt
    }
}
