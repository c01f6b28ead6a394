import Foundation

/// The city's Xinyi+ incentives (信易+: 信易贷, 信易批, 信易租…) as data (`Resources/xinyi.json`), versioned
/// like the catalogue. Each names who qualifies as machine-readable criteria, so that the public page, the
/// profile and the check answer all read one rule.
public struct XinyiCatalog: Sendable, Codable, Equatable {
    public var version: Int
    public var effectiveFrom: CivilDate
    public var note: String?
    public var programmes: [XinyiProgramme]

    public static let shipped: XinyiCatalog = {
        do {
            let catalog = try JSONDecoder().decode(XinyiCatalog.self, from: ShippedData.data("xinyi", ext: "json"))
            let problems = catalog.problems(catalog: .shipped, scenarios: Set(MeasureCatalog.shipped.scenarios.map(\.code)))
            precondition(problems.isEmpty, "xinyi.json: \(problems.joined(separator: "; "))")
            return catalog
        } catch {
            preconditionFailure("xinyi.json does not decode: \(error)")
        }
    }()

    /// Defects that make a version unusable: repeated codes, unknown record types, scenarios or list names,
    /// a programme nobody can qualify for, dates in the wrong order.
    public func problems(catalog: Catalog, scenarios: Set<String>) -> [String] {
        var out: [String] = []
        var seen = Set<String>()
        for p in programmes {
            if !seen.insert(p.code).inserted { out.append("programme \(p.code) repeats") }
            if p.qualifies.isEmpty { out.append("programme \(p.code): no qualifying criterion") }
            for s in p.scenarios where !scenarios.contains(s) { out.append("programme \(p.code): unknown scenario \(s)") }
            for k in p.subjectKinds ?? [] where SubjectKind(rawValue: k) == nil { out.append("programme \(p.code): unknown subject kind \(k)") }
            for c in p.qualifies + p.excludes {
                switch c.kind {
                case .list where CreditList(rawValue: c.value) == nil: out.append("programme \(p.code): unknown list \(c.value)")
                case .gradeAtLeast where Grade(rawValue: c.value) == nil: out.append("programme \(p.code): unknown grade \(c.value)")
                case .recordType where catalog.recordType(c.value) == nil: out.append("programme \(p.code): unknown record type \(c.value)")
                default: break
                }
            }
            if let to = p.validTo, to < p.validFrom { out.append("programme \(p.code): validTo before validFrom") }
        }
        return out
    }

    public func inForce(on date: CivilDate) -> [XinyiProgramme] { programmes.filter { $0.isInForce(on: date) } }

    /// The programmes in force that this subject qualifies for on `date`, each with the grounds. Pure.
    public func qualifying(_ standing: XinyiStanding, on date: CivilDate) -> [XinyiQualification] {
        inForce(on: date).compactMap { $0.qualification(standing, on: date) }
    }
}

/// What the rule looks at: the subject's kind, its list memberships and its evaluation grade (nil when never
/// evaluated, or when the caller may not use it).
public struct XinyiStanding: Sendable {
    public var kind: SubjectKind
    public var memberships: [ListMembership]
    public var grade: Grade?

    public init(kind: SubjectKind, memberships: [ListMembership], grade: Grade?) {
        self.kind = kind
        self.memberships = memberships
        self.grade = grade
    }
}

public struct XinyiCriterion: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable {
        case list
        case gradeAtLeast = "grade_at_least"
        case recordType = "record_type"
    }

    public var kind: Kind
    public var value: String

    public init(kind: Kind, value: String) {
        self.kind = kind
        self.value = value
    }

    /// The records that meet the criterion (an empty list for the grade, which has no record), or nil.
    func met(by standing: XinyiStanding, on date: CivilDate) -> [String]? {
        let active = standing.memberships.filter { $0.isActive(on: date) }
        switch kind {
        case .list:
            let ids = active.filter { $0.list.rawValue == value }.map(\.recordID)
            return ids.isEmpty ? nil : ids
        case .recordType:
            let ids = active.filter { $0.recordType == value }.map(\.recordID)
            return ids.isEmpty ? nil : ids
        case .gradeAtLeast:
            guard let grade = standing.grade, let bar = Grade(rawValue: value), grade <= bar else { return nil }
            return []
        }
    }

    /// In Chinese, for the pages.
    public var label: String {
        switch kind {
        case .list: "列入\(CreditList(rawValue: value)?.name ?? value)"
        case .gradeAtLeast: value == "A" ? "公共信用综合评价 A 级" : "公共信用综合评价 \(value) 级及以上"
        case .recordType: Catalog.shipped.recordType(value)?.name ?? value
        }
    }
}

public struct XinyiProgramme: Sendable, Codable, Equatable {
    public var code: String
    public var name: String
    public var summary: String
    /// The implementing departments, by name, as the public reads them.
    public var department: String
    /// Kinds of department that grant it in a check (`*` = every kind).
    public var departmentCategories: [String]
    public var legalBasis: String
    public var howToUse: String
    /// Check scenarios in which the incentive is offered.
    public var scenarios: [String]
    /// Kinds of subject it is for; any when absent.
    public var subjectKinds: [String]?
    /// Any one qualifies…
    public var qualifies: [XinyiCriterion]
    /// …unless any one of these holds.
    public var excludes: [XinyiCriterion]
    public var validFrom: CivilDate
    public var validTo: CivilDate?

    public func isInForce(on date: CivilDate) -> Bool { validFrom <= date && validTo.map { date < $0 } ?? true }

    public func qualification(_ standing: XinyiStanding, on date: CivilDate) -> XinyiQualification? {
        if let kinds = subjectKinds, !kinds.contains(standing.kind.rawValue) { return nil }
        if excludes.contains(where: { $0.met(by: standing, on: date) != nil }) { return nil }
        let grounds = qualifies.compactMap { c in c.met(by: standing, on: date).map { XinyiQualification.Ground(criterion: c, recordIDs: $0) } }
        return grounds.isEmpty ? nil : XinyiQualification(programme: self, grounds: grounds)
    }

    public func granted(by departmentCategory: String, in scenario: String) -> Bool {
        scenarios.contains(scenario) && (departmentCategories.contains("*") || departmentCategories.contains(departmentCategory))
    }
}

/// A programme a subject qualifies for, and why (each criterion met, with its basis records).
public struct XinyiQualification: Sendable, Equatable {
    public struct Ground: Sendable, Equatable {
        public let criterion: XinyiCriterion
        public let recordIDs: [String]
    }

    public let programme: XinyiProgramme
    public let grounds: [Ground]
}
