import Foundation

/// A record as the evaluation sees it: one that counts on the cut-off date (active, and public then).
public struct EvaluatedRecord: Sendable, Equatable {
    public var recordID: String
    public var recordType: String
    public var tier: Tier?
    public var departmentID: String
    public var decisionDate: CivilDate
    /// The first day it no longer counts: its publicity end.
    public var expiry: CivilDate

    public init(recordID: String, recordType: String, tier: Tier?, departmentID: String, decisionDate: CivilDate, expiry: CivilDate) {
        self.recordID = recordID
        self.recordType = recordType
        self.tier = tier
        self.departmentID = departmentID
        self.decisionDate = decisionDate
        self.expiry = expiry
    }
}

/// What one record added to or took from a score, and under which rule.
public struct Contribution: Sendable, Codable, Equatable {
    public var ruleID: String
    public var recordID: String
    public var recordType: String
    public var departmentID: String
    public var date: CivilDate
    public var expiry: CivilDate
    /// Points × section weight × decay, before the rule's cap.
    public var rawPoints: Double
    /// What counted after the cap.
    public var points: Double

    public init(ruleID: String, recordID: String, recordType: String, departmentID: String, date: CivilDate, expiry: CivilDate,
                rawPoints: Double, points: Double) {
        self.ruleID = ruleID
        self.recordID = recordID
        self.recordType = recordType
        self.departmentID = departmentID
        self.date = date
        self.expiry = expiry
        self.rawPoints = rawPoints
        self.points = points
    }
}

/// A veto that held the grade down, and the record that triggered it.
public struct AppliedVeto: Sendable, Codable, Equatable {
    public var vetoID: String
    public var name: String
    public var recordID: String
    public var atMost: Grade
}

/// A reason code (理由码): one of the largest negative contributions, or a veto, with its record.
public struct EvaluationReason: Sendable, Codable, Equatable {
    public var code: String
    public var text: String
    public var recordID: String
    public var recordType: String
    public var points: Double
}

public struct EvaluationResult: Sendable, Equatable {
    public var modelVersion: Int
    public var asOf: CivilDate
    public var score: Double
    /// The grade the score alone gives, before vetoes.
    public var scoreGrade: Grade
    public var grade: Grade
    public var vetoes: [AppliedVeto]
    public var contributions: [Contribution]
    public var reasons: [EvaluationReason]
}

/// A model checked against a catalogue, with its rules indexed: the only way to score.
public struct ScoringModel: Sendable {
    public let model: EvaluationModel
    private let rulesByKey: [String: EvaluationModel.Rule]
    private let weightByType: [String: Double]
    private let polarityByType: [String: Polarity]
    /// Highest minimum first.
    private let thresholds: [EvaluationModel.Threshold]

    /// At most this many negative contributions become reason codes.
    public static let maximumReasons = 4

    fileprivate init(model: EvaluationModel, catalog: Catalog, weights: [String: Double]) {
        self.model = model
        var rules: [String: EvaluationModel.Rule] = [:]
        for rule in model.rules { rules[Self.key(rule.recordType, rule.tier, rule.polarity)] = rule }
        rulesByKey = rules
        var byType: [String: Double] = [:]
        var polarity: [String: Polarity] = [:]
        for type in catalog.recordTypes {
            byType[type.code] = weights[type.section.rawValue] ?? 1
            // An association's records count only where a rule names their type: a rule by polarity
            // speaks of government records.
            if !type.isFromAssociation { polarity[type.code] = type.polarity }
        }
        weightByType = byType
        polarityByType = polarity
        thresholds = model.thresholds.sorted { $0.minimum > $1.minimum }
    }

    private static func key(_ type: String?, _ tier: Tier?, _ polarity: Polarity?) -> String {
        "\(type ?? "*")|\(tier?.rawValue ?? "*")|\(type == nil ? polarity?.rawValue ?? "*" : "*")"
    }

    /// The most specific rule for a record: type and tier, then type, then the type's polarity.
    public func rule(for type: String, tier: Tier?) -> EvaluationModel.Rule? {
        if let tier, let rule = rulesByKey[Self.key(type, tier, nil)] { return rule }
        if let rule = rulesByKey[Self.key(type, nil, nil)] { return rule }
        guard let polarity = polarityByType[type] else { return nil }
        return rulesByKey[Self.key(nil, nil, polarity)]
    }

    /// How much of a rule's points a record still carries after `ageDays` days.
    static func decayFactor(_ decay: EvaluationModel.Decay, ageDays: Int) -> Double {
        let months = Double(max(0, ageDays)) / 30.4375
        switch decay.kind {
        case .none: return 1
        case .linear: return max(0, 1 - months / (decay.months ?? 1))
        case .halfLife: return pow(0.5, months / (decay.months ?? 1))
        }
    }

    /// Scores one subject's counted records on the cut-off date.
    public func evaluate(_ records: [EvaluatedRecord], asOf: CivilDate) -> EvaluationResult {
        var byRule: [String: [Contribution]] = [:]
        for record in records {
            guard let rule = rule(for: record.recordType, tier: record.tier) else { continue }
            let weight = weightByType[record.recordType] ?? 1
            let raw = rule.points * weight * Self.decayFactor(rule.decay, ageDays: asOf.dayNumber - record.decisionDate.dayNumber)
            byRule[rule.id, default: []].append(Contribution(
                ruleID: rule.id, recordID: record.recordID, recordType: record.recordType, departmentID: record.departmentID,
                date: record.decisionDate, expiry: record.expiry, rawPoints: raw, points: raw))
        }
        let contributions = model.rules.flatMap { rule in Self.capped(byRule[rule.id] ?? [], cap: rule.cap) }
        let total = contributions.reduce(model.baseScore) { $0 + $1.points }
        let score = (min(100, max(0, total)) * 100).rounded() / 100
        let scoreGrade = thresholds.first { score >= $0.minimum }?.grade ?? .d
        let vetoes = applicableVetoes(records)
        let grade = vetoes.reduce(scoreGrade) { max($0, $1.atMost) }
        return EvaluationResult(
            modelVersion: model.version, asOf: asOf, score: score, scoreGrade: scoreGrade, grade: grade, vetoes: vetoes,
            contributions: contributions, reasons: reasons(vetoes: vetoes, contributions: contributions))
    }

    /// The largest contributions count in full until the cap is used up; ties go by record id so that the
    /// same records always give the same result.
    static func capped(_ contributions: [Contribution], cap: Double) -> [Contribution] {
        var used = 0.0
        return contributions.sorted { (abs($0.rawPoints), $1.recordID) > (abs($1.rawPoints), $0.recordID) }.map { c in
            var c = c
            let magnitude = min(abs(c.rawPoints), max(0, cap - used))
            used += magnitude
            c.points = c.rawPoints < 0 ? -magnitude : magnitude
            return c
        }
    }

    private func applicableVetoes(_ records: [EvaluatedRecord]) -> [AppliedVeto] {
        model.vetoes.compactMap { veto in
            let hit = records.filter { record in
                if let type = veto.recordType { return record.recordType == type }
                return veto.list.map { CreditList(recordType: record.recordType) == $0 } ?? false
            }.min { $0.recordID < $1.recordID }
            return hit.map { AppliedVeto(vetoID: veto.id, name: veto.name, recordID: $0.recordID, atMost: veto.atMost) }
        }
    }

    /// Vetoes first (they decide the grade), then the largest negative contributions, at most four in all.
    private func reasons(vetoes: [AppliedVeto], contributions: [Contribution]) -> [EvaluationReason] {
        let types = Dictionary(contributions.map { ($0.recordID, $0.recordType) }, uniquingKeysWith: { a, _ in a })
        let names = Dictionary(model.rules.map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
        let fromVetoes = vetoes.map {
            EvaluationReason(code: $0.vetoID, text: $0.name, recordID: $0.recordID, recordType: types[$0.recordID] ?? "", points: 0)
        }
        let negative = contributions.filter { $0.points < 0 }.sorted { ($0.points, $0.recordID) < ($1.points, $1.recordID) }
            .map { EvaluationReason(code: $0.ruleID, text: names[$0.ruleID] ?? $0.ruleID, recordID: $0.recordID, recordType: $0.recordType, points: $0.points) }
        return Array((fromVetoes + negative).prefix(Self.maximumReasons))
    }

    /// "If this record were repaired": the result without it.
    public func whatIf(_ records: [EvaluatedRecord], asOf: CivilDate, without recordID: String) -> EvaluationResult {
        evaluate(records.filter { $0.recordID != recordID }, asOf: asOf)
    }
}

extension EvaluationModel {
    /// Checks the model against the catalogue and indexes it; every defect is listed, nothing is half-loaded.
    public func compile(for catalog: Catalog) throws(EvaluationModelDefects) -> ScoringModel {
        var defects: [String] = []
        if !(0...100).contains(baseScore) { defects.append("baseScore \(baseScore) is outside 0–100") }
        let weights = sectionWeights(&defects)
        checkRules(catalog, weights: weights, &defects)
        checkThresholds(&defects)
        checkVetoes(catalog, &defects)
        guard defects.isEmpty else { throw EvaluationModelDefects(defects) }
        return ScoringModel(model: self, catalog: catalog, weights: weights)
    }

    /// Effective weight per section: own weight times every parent's. A cycle or unknown parent is a defect.
    private func sectionWeights(_ defects: inout [String]) -> [String: Double] {
        var byCode: [String: Section] = [:]
        for section in sections {
            if byCode[section.code] != nil { defects.append("section \(section.code) is defined twice") }
            if section.weight < 0 { defects.append("section \(section.code) has a negative weight \(section.weight)") }
            byCode[section.code] = section
        }
        var weights: [String: Double] = [:]
        for section in sections {
            var weight = 1.0
            var seen: [String] = []
            var current: Section? = section
            while let node = current {
                if seen.contains(node.code) {
                    defects.append("sections form a cycle: \((seen + [node.code]).joined(separator: " → "))")
                    break
                }
                seen.append(node.code)
                weight *= node.weight
                guard let parent = node.parent else { break }
                current = byCode[parent]
                if current == nil { defects.append("section \(node.code) names an unknown parent \(parent)") }
            }
            weights[section.code] = weight
        }
        return weights
    }

    private func checkRules(_ catalog: Catalog, weights: [String: Double], _ defects: inout [String]) {
        var ids = Set<String>()
        var keys: [String: String] = [:]
        for rule in rules {
            if !ids.insert(rule.id).inserted { defects.append("rule id \(rule.id) is used twice") }
            if rule.cap <= 0 { defects.append("rule \(rule.id): cap must be above 0") }
            if rule.decay.kind != .none, (rule.decay.months ?? 0) <= 0 { defects.append("rule \(rule.id): \(rule.decay.kind.rawValue) decay needs months above 0") }
            var polarity = rule.polarity
            if let code = rule.recordType {
                guard let type = catalog.recordType(code) else {
                    defects.append("rule \(rule.id): unknown record type \(code) (catalogue version \(catalog.version))")
                    continue
                }
                polarity = type.polarity
                if let tier = rule.tier, !type.permittedTiers.contains(tier) { defects.append("rule \(rule.id): \(code) has no tier \(tier.rawValue)") }
                if weights[type.section.rawValue] == nil { defects.append("rule \(rule.id): section \(type.section.rawValue) of \(code) has no weight") }
                if rule.polarity != nil { defects.append("rule \(rule.id): give a record type or a polarity, not both") }
            } else if rule.polarity == nil {
                defects.append("rule \(rule.id): names neither a record type nor a polarity")
            } else if rule.tier != nil {
                defects.append("rule \(rule.id): a tier needs a record type")
            }
            if polarity == .negative, rule.points >= 0 { defects.append("rule \(rule.id): points must be below 0 for negative records") }
            if polarity == .positive, rule.points <= 0 { defects.append("rule \(rule.id): points must be above 0 for positive records") }
            let key = "\(rule.recordType ?? "*")|\(rule.tier?.rawValue ?? "*")|\(rule.recordType == nil ? rule.polarity?.rawValue ?? "*" : "*")"
            if let other = keys[key] { defects.append("rules \(other) and \(rule.id) match the same records") }
            keys[key] = rule.id
        }
    }

    /// Each grade exactly once, A above B above C above D, and D reaching down to 0.
    private func checkThresholds(_ defects: inout [String]) {
        for grade in Grade.allCases {
            let count = thresholds.filter { $0.grade == grade }.count
            if count == 0 { defects.append("no threshold for grade \(grade.rawValue)") }
            if count > 1 { defects.append("grade \(grade.rawValue) has \(count) thresholds") }
        }
        let ordered = Grade.allCases.compactMap { grade in thresholds.first { $0.grade == grade } }
        for (better, worse) in zip(ordered, ordered.dropFirst()) where better.minimum <= worse.minimum {
            defects.append("grades \(better.grade.rawValue) (from \(better.minimum)) and \(worse.grade.rawValue) (from \(worse.minimum)) overlap")
        }
        if let lowest = thresholds.first(where: { $0.grade == .d }), lowest.minimum > 0 {
            defects.append("scores below \(lowest.minimum) have no grade: D must start at 0")
        }
    }

    private func checkVetoes(_ catalog: Catalog, _ defects: inout [String]) {
        var ids = Set<String>()
        for veto in vetoes {
            if !ids.insert(veto.id).inserted { defects.append("veto id \(veto.id) is used twice") }
            switch (veto.list, veto.recordType) {
            case (nil, nil), (.some, .some): defects.append("veto \(veto.id): give exactly one of list or recordType")
            case (nil, let code?) where catalog.recordType(code) == nil:
                defects.append("veto \(veto.id): unknown record type \(code) (catalogue version \(catalog.version))")
            default: break
            }
        }
    }
}
