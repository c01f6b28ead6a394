import Foundation

/// The memoranda and measures of joint rewards and punishments (联合奖惩备忘录与措施清单), as data: a
/// version groups memoranda, a memorandum groups measures, and each measure names the list it applies
/// to, the departments that implement it, the business scenarios, its legal basis, whether it is
/// mandatory and when it is valid. Versioned like the record catalogue; a new set is a new version.
public struct MeasureCatalog: Sendable, Codable, Equatable {
    public var version: Int
    public var effectiveFrom: CivilDate
    public var note: String?
    public var scenarios: [Scenario]
    public var memoranda: [Memorandum]

    public init(version: Int, effectiveFrom: CivilDate, note: String? = nil, scenarios: [Scenario], memoranda: [Memorandum]) {
        self.version = version
        self.effectiveFrom = effectiveFrom
        self.note = note
        self.scenarios = scenarios
        self.memoranda = memoranda
    }

    /// The set shipped with the platform (`Resources/measures.json`).
    public static let shipped: MeasureCatalog = {
        do {
            let catalog = try JSONDecoder().decode(MeasureCatalog.self, from: ShippedData.data("measures", ext: "json"))
            let problems = catalog.problems()
            precondition(problems.isEmpty, "measures.json: \(problems.joined(separator: "; "))")
            return catalog
        } catch {
            preconditionFailure("measures.json does not decode: \(error)")
        }
    }()

    public func scenario(_ code: String) -> Scenario? { scenarios.first { $0.code == code } }

    public var measures: [Measure] { memoranda.flatMap(\.measures) }

    public func memorandum(_ id: String) -> Memorandum? { memoranda.first { $0.id == id } }

    public func measure(_ id: String) -> (Measure, Memorandum)? {
        for memo in memoranda { if let m = memo.measures.first(where: { $0.id == id }) { return (m, memo) } }
        return nil
    }

    /// Defects that make a version unusable: unknown scenarios, duplicate ids, a punishment on the red list.
    public func problems() -> [String] {
        var out: [String] = []
        let known = Set(scenarios.map(\.code))
        var seen = Set<String>()
        for memo in memoranda {
            if !seen.insert(memo.id).inserted { out.append("memorandum id \(memo.id) repeats") }
            for m in memo.measures {
                if !seen.insert(m.id).inserted { out.append("measure id \(m.id) repeats") }
                for s in m.scenarios where s != "*" && !known.contains(s) { out.append("measure \(m.id): unknown scenario \(s)") }
                if m.kind == .punishment && memo.list == .red { out.append("measure \(m.id): a punishment on the red list") }
                if m.kind == .incentive && memo.list != .red { out.append("measure \(m.id): an incentive on the \(memo.list.rawValue) list") }
                if m.departments.isEmpty { out.append("measure \(m.id): no implementing department") }
                if let to = m.validTo, to < m.validFrom { out.append("measure \(m.id): valid_to before valid_from") }
            }
        }
        return out
    }

    /// What a department must or may do in a scenario for a subject with these memberships on `date`: each
    /// measure in force whose memorandum covers one of the memberships, which the department's kind
    /// implements, in this scenario. Pure: the same inputs give the same answer.
    public func applicable(
        to memberships: [ListMembership], departmentCategory: String, scenario: String, on date: CivilDate,
        sourceCategory: (ListMembership) -> String?
    ) -> [ApplicableMeasure] {
        let active = memberships.filter { $0.isActive(on: date) }
        guard !active.isEmpty else { return [] }
        var out: [ApplicableMeasure] = []
        for memo in memoranda where memo.isInForce(on: date) {
            let basis = active.filter { memo.covers($0, sourceCategory: sourceCategory($0)) }
            guard !basis.isEmpty else { continue }
            for m in memo.measures where m.isValid(on: date) && m.implemented(by: departmentCategory) && m.applies(in: scenario) {
                out.append(ApplicableMeasure(measure: m, memorandum: memo, basisRecordIDs: basis.map(\.recordID)))
            }
        }
        // Mandatory first, then the memorandum order of the shipped file.
        return out.enumerated().sorted { a, b in
            a.element.measure.mandatory != b.element.measure.mandatory ? a.element.measure.mandatory : a.offset < b.offset
        }.map(\.element)
    }
}

/// A business matter in which a department checks a subject (政府采购, 招标投标, …).
public struct Scenario: Sendable, Codable, Equatable {
    public var code: String
    public var name: String
    public var nameEn: String
}

/// A national or local memorandum (合作备忘录) or measures list: which list it acts on, for which basis records.
public struct Memorandum: Sendable, Codable, Equatable {
    public var id: String
    public var title: String
    /// The document number, e.g. 发改财金〔2016〕141号.
    public var documentNumber: String
    public var issuedBy: String
    public var issuedOn: CivilDate
    public var list: CreditList
    /// Record types whose memberships this memorandum covers; all of the list's types when absent.
    public var recordTypes: [String]?
    /// Kinds of source department whose records it covers (e.g. only tax's serious dishonesty); any when absent.
    public var sourceCategories: [String]?
    public var validFrom: CivilDate
    public var validTo: CivilDate?
    public var measures: [Measure]

    public func isInForce(on date: CivilDate) -> Bool { validFrom <= date && validTo.map { date < $0 } ?? true }

    public func covers(_ membership: ListMembership, sourceCategory: String?) -> Bool {
        guard membership.list == list else { return false }
        if let types = recordTypes, !types.contains(membership.recordType) { return false }
        if let sources = sourceCategories {
            guard let source = sourceCategory, sources.contains(source) else { return false }
        }
        return true
    }
}

public struct Measure: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable { case punishment, incentive }

    public var id: String
    public var kind: Kind
    public var title: String
    /// Kinds of implementing department (`*` = every department that handles the scenario, e.g. every purchaser).
    public var departments: [String]
    /// Scenario codes (`*` = every scenario).
    public var scenarios: [String]
    public var legalBasis: String
    /// Must be applied (约束性) rather than may be applied (倡导性).
    public var mandatory: Bool
    /// The 信易+ programme an incentive belongs to (信易贷, 信易批, …), if any.
    public var programme: String?
    public var validFrom: CivilDate
    public var validTo: CivilDate?

    public func isValid(on date: CivilDate) -> Bool { validFrom <= date && validTo.map { date < $0 } ?? true }
    public func implemented(by category: String) -> Bool { departments.contains("*") || departments.contains(category) }
    public func applies(in scenario: String) -> Bool { scenarios.contains("*") || scenarios.contains(scenario) }
}

/// One measure a check returns, with the memberships (basis records) that trigger it.
public struct ApplicableMeasure: Sendable, Equatable {
    public let measure: Measure
    public let memorandum: Memorandum
    public let basisRecordIDs: [String]
}
