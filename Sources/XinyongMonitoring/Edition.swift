import Foundation

/// One edition of the national city credit monitoring indicator system: a tree of indicators with
/// their points, and the rules that turn monthly values and events into a score. Editions change
/// yearly, so an edition is data (a JSON document), never code.
public struct Edition: Codable, Sendable, Equatable {
    public var id: String
    public var name: String
    public var issuedOn: String
    /// First month (`YYYY-MM`) scored with this edition.
    public var effectiveFrom: String
    /// Points of the whole index: 100 for the 2020 edition, 140 for the 2019 one.
    public var totalPoints: Double
    /// Months in the rolling window a month's score looks back over (the month itself included).
    public var windowMonths: Int
    /// How children are combined into their parent, by the parent's depth: index 0 combines the
    /// level-1 indicators into the total, index 1 combines level-2 indicators into a level-1 one, …
    /// A depth beyond the list uses the list's last entry.
    public var aggregation: [Aggregation]
    public var missingData: MissingDataRule
    public var events: EventRules
    public var vetoRules: [VetoRule]
    public var indicators: [Indicator]

    public init(id: String, name: String, issuedOn: String, effectiveFrom: String, totalPoints: Double,
                windowMonths: Int = 12, aggregation: [Aggregation] = [.arithmetic],
                missingData: MissingDataRule = .init(), events: EventRules = .init(), vetoRules: [VetoRule] = [],
                indicators: [Indicator]) {
        self.id = id
        self.name = name
        self.issuedOn = issuedOn
        self.effectiveFrom = effectiveFrom
        self.totalPoints = totalPoints
        self.windowMonths = windowMonths
        self.aggregation = aggregation
        self.missingData = missingData
        self.events = events
        self.vetoRules = vetoRules
        self.indicators = indicators
    }

    enum CodingKeys: String, CodingKey {
        case id, name, aggregation, events, indicators
        case issuedOn = "issued_on", effectiveFrom = "effective_from", totalPoints = "total_points"
        case windowMonths = "window_months", missingData = "missing_data", vetoRules = "veto_rules"
    }

    public func aggregation(atDepth depth: Int) -> Aggregation {
        aggregation.isEmpty ? .arithmetic : aggregation[min(depth, aggregation.count - 1)]
    }
}

/// An indicator at any level. A leaf carries values and a normalisation; an inner node combines its children.
public struct Indicator: Codable, Sendable, Equatable {
    public var code: String
    public var name: String
    public var nameEn: String?
    /// Points (the weight): the most this indicator contributes to its parent's points.
    public var points: Double
    public var direction: Direction
    public var unit: String?
    public var route: DataRoute
    /// How a leaf's rolling value becomes a share of its points; ignored for inner nodes.
    public var normalization: Normalization?
    /// The most points events may take off (or add to) this indicator in one month; nil = its own points.
    public var eventCap: Double?
    public var children: [Indicator]

    public init(code: String, name: String, nameEn: String? = nil, points: Double, direction: Direction = .higherIsBetter,
                unit: String? = nil, route: DataRoute = .citySupplied, normalization: Normalization? = nil,
                eventCap: Double? = nil, children: [Indicator] = []) {
        self.code = code
        self.name = name
        self.nameEn = nameEn
        self.points = points
        self.direction = direction
        self.unit = unit
        self.route = route
        self.normalization = normalization
        self.eventCap = eventCap
        self.children = children
    }

    public var isLeaf: Bool { children.isEmpty }

    enum CodingKeys: String, CodingKey {
        case code, name, points, direction, unit, route, normalization, children
        case nameEn = "name_en", eventCap = "event_cap"
    }

    /// Children are optional in a JSON document: a leaf needs no `"children": []`.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        code = try c.decode(String.self, forKey: .code)
        name = try c.decode(String.self, forKey: .name)
        nameEn = try c.decodeIfPresent(String.self, forKey: .nameEn)
        points = try c.decode(Double.self, forKey: .points)
        direction = try c.decodeIfPresent(Direction.self, forKey: .direction) ?? .higherIsBetter
        unit = try c.decodeIfPresent(String.self, forKey: .unit)
        route = try c.decodeIfPresent(DataRoute.self, forKey: .route) ?? .citySupplied
        normalization = try c.decodeIfPresent(Normalization.self, forKey: .normalization)
        eventCap = try c.decodeIfPresent(Double.self, forKey: .eventCap)
        children = try c.decodeIfPresent([Indicator].self, forKey: .children) ?? []
    }
}

public enum Direction: String, Codable, Sendable, CaseIterable {
    case higherIsBetter = "higher_is_better"
    case lowerIsBetter = "lower_is_better"
}

/// Where an indicator's values come from (the three routes the national centre names).
public enum DataRoute: String, Codable, Sendable, CaseIterable {
    case citySupplied = "city_supplied"
    case nationalCentre = "national_centre"
    case crawled

    public var label: String {
        switch self {
        case .citySupplied: "城市归集共享"
        case .nationalCentre: "国家中心提供"
        case .crawled: "大数据监测"
        }
    }
}

/// How a leaf's value becomes a share in [0, 1] of its points.
public struct Normalization: Codable, Sendable, Equatable {
    public enum Method: String, Codable, Sendable, CaseIterable {
        /// (x − min) / (max − min) over the city's group.
        case minMax = "min_max"
        /// Φ((x − mean) / sd) over the group, population sd: the share of a normal group the city beats.
        case zScore = "z_score"
        /// (average rank − 1) / (n − 1) over the group, ties sharing their average rank.
        case rank
        /// (x − low) / (high − low) against fixed goalposts, clamped to [0, 1].
        case goalposts
        /// x / target (or target / x when lower is better), capped at 1.
        case distanceToTarget = "distance_to_target"
    }

    public var method: Method
    public var low: Double?
    public var high: Double?
    public var target: Double?

    public init(_ method: Method, low: Double? = nil, high: Double? = nil, target: Double? = nil) {
        self.method = method
        self.low = low
        self.high = high
        self.target = target
    }
}

public enum Aggregation: String, Codable, Sendable, CaseIterable {
    /// Σ wᵢ·sᵢ / Σ wᵢ: strengths make up for weaknesses.
    case arithmetic
    /// Π sᵢ^(wᵢ/Σw): a weak part drags the whole down more (limited compensation).
    case geometric
}

/// What to do when a city reported too little of an indicator inside the window.
public struct MissingDataRule: Codable, Sendable, Equatable {
    public enum Imputation: String, Codable, Sendable, CaseIterable {
        /// The mean rolling value of the cities in the same group that reported enough.
        case groupMean = "group_mean"
        /// The city's own latest value before the month (any age); the group mean if it never reported.
        case lastValue = "last_value"
    }

    /// The share of the window's collected months a city must have reported for its own value to count.
    public var threshold: Double
    public var imputation: Imputation

    public init(threshold: Double = 0.5, imputation: Imputation = .groupMean) {
        self.threshold = threshold
        self.imputation = imputation
    }
}

/// The event rules on top of the indicator score: points per severity, a factor per source, and how
/// long an event counts when it names no expiry.
public struct EventRules: Codable, Sendable, Equatable {
    /// Points a serious dishonesty event takes off, by severity.
    public var deduction: [String: Double]
    /// Points an integrity case adds, by severity.
    public var bonus: [String: Double]
    /// Multiplier by source: a local media report weighs less than the credit website.
    public var sourceFactor: [String: Double]
    public var defaultExpiryMonths: Int

    public init(deduction: [String: Double] = ["general": 0.1, "serious": 0.3, "major": 1.0],
                bonus: [String: Double] = ["general": 0.05, "serious": 0.1, "major": 0.2],
                sourceFactor: [String: Double] = Dictionary(uniqueKeysWithValues: EventSource.allCases.map { ($0.rawValue, $0.defaultFactor) }),
                defaultExpiryMonths: Int = 12) {
        self.deduction = deduction
        self.bonus = bonus
        self.sourceFactor = sourceFactor
        self.defaultExpiryMonths = defaultExpiryMonths
    }

    public var severities: [String] { Array(Set(deduction.keys).union(bonus.keys)).sorted() }

    enum CodingKeys: String, CodingKey {
        case deduction, bonus
        case sourceFactor = "source_factor", defaultExpiryMonths = "default_expiry_months"
    }
}

/// A rule that caps a city's score whatever its indicators say, e.g. a major dishonesty event that an
/// investigation confirmed.
public struct VetoRule: Codable, Sendable, Equatable {
    public var id: String
    public var description: String
    public var kind: EventKind
    public var severity: String
    /// Sources the rule applies to; empty means every source.
    public var sources: [EventSource]
    public var scoreCap: Double

    public init(id: String, description: String, kind: EventKind = .dishonesty, severity: String, sources: [EventSource] = [], scoreCap: Double) {
        self.id = id
        self.description = description
        self.kind = kind
        self.severity = severity
        self.sources = sources
        self.scoreCap = scoreCap
    }

    enum CodingKeys: String, CodingKey {
        case id, description, kind, severity, sources
        case scoreCap = "score_cap"
    }

    public func applies(to event: MonitoringEvent) -> Bool {
        event.kind == kind && event.severity == severity && (sources.isEmpty || sources.contains(event.source))
    }
}

// MARK: - The tree

extension Edition {
    /// Leaves in document order: the indicators that take values.
    public var leaves: [Indicator] {
        var out: [Indicator] = []
        func walk(_ list: [Indicator]) {
            for indicator in list { indicator.isLeaf ? out.append(indicator) : walk(indicator.children) }
        }
        walk(indicators)
        return out
    }

    /// Every indicator with its depth (1 for level 1), in document order.
    public var allIndicators: [(indicator: Indicator, level: Int)] {
        var out: [(Indicator, Int)] = []
        func walk(_ list: [Indicator], _ level: Int) {
            for indicator in list {
                out.append((indicator, level))
                walk(indicator.children, level + 1)
            }
        }
        walk(indicators, 1)
        return out
    }

    public func indicator(_ code: String) -> Indicator? { allIndicators.first { $0.indicator.code == code }?.indicator }

    /// The chain from level 1 down to `code`.
    public func path(to code: String) -> [Indicator] {
        func search(_ list: [Indicator]) -> [Indicator]? {
            for indicator in list {
                if indicator.code == code { return [indicator] }
                if let rest = search(indicator.children) { return [indicator] + rest }
            }
            return nil
        }
        return search(indicators) ?? []
    }

    /// Counts of indicators per level: [4, 15, 25, 40] for the 2020 edition.
    public var countsPerLevel: [Int] {
        var counts: [Int] = []
        for (_, level) in allIndicators {
            while counts.count < level { counts.append(0) }
            counts[level - 1] += 1
        }
        return counts
    }
}

// MARK: - Checks and files

extension Edition {
    /// What is wrong with an edition document, so that a bad file is refused before it scores anything.
    public func problems() -> [String] {
        var out: [String] = []
        if windowMonths < 1 { out.append("window_months must be at least 1") }
        if Month(effectiveFrom) == nil { out.append("effective_from '\(effectiveFrom)' is not a month YYYY-MM") }
        if indicators.isEmpty { out.append("the edition has no indicators") }
        let top = indicators.reduce(0) { $0 + $1.points }
        if abs(top - totalPoints) > 1e-6 { out.append("level-1 points add up to \(top), not total_points \(totalPoints)") }
        if !(0...1).contains(missingData.threshold) { out.append("missing_data.threshold must be between 0 and 1") }
        var seen: Set<String> = []
        for (indicator, _) in allIndicators {
            if !seen.insert(indicator.code).inserted { out.append("indicator code \(indicator.code) appears twice") }
            if indicator.points <= 0 { out.append("indicator \(indicator.code) must have positive points") }
            if !indicator.isLeaf {
                let sum = indicator.children.reduce(0) { $0 + $1.points }
                if abs(sum - indicator.points) > 1e-6 {
                    out.append("children of \(indicator.code) add up to \(sum) points, not \(indicator.points)")
                }
            } else {
                out += leafProblems(indicator)
            }
        }
        return out
    }

    private func leafProblems(_ leaf: Indicator) -> [String] {
        let n = leaf.normalization ?? Normalization(.minMax)
        switch n.method {
        case .goalposts:
            guard let low = n.low, let high = n.high, high > low else {
                return ["leaf \(leaf.code): goalposts need low < high"]
            }
        case .distanceToTarget:
            guard let target = n.target, target > 0 else { return ["leaf \(leaf.code): distance to target needs a positive target"] }
        default: break
        }
        return []
    }

    public static let fileEncoder: JSONEncoder = {
        let e = JSONEncoder()
        e.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    public struct Invalid: Error, CustomStringConvertible {
        public let problems: [String]
        public var description: String { "edition is not valid: " + problems.joined(separator: "; ") }
    }

    /// Reads an edition file (JSON, snake_case keys) and refuses it unless it is consistent.
    public static func decode(_ data: Data) throws -> Edition {
        // Explicit snake_case coding keys rather than a key strategy: a strategy would also rewrite the
        // keys of the edition's dictionaries (sources such as `credit_website`).
        let edition: Edition
        do {
            edition = try JSONDecoder().decode(Edition.self, from: data)
        } catch let error as DecodingError {
            throw Invalid(problems: [Self.describe(error)])
        }
        let problems = edition.problems()
        guard problems.isEmpty else { throw Invalid(problems: problems) }
        return edition
    }

    public func encoded() -> Data { try! Self.fileEncoder.encode(self) }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
        }
        switch error {
        case .keyNotFound(let key, let context): return "missing \(key.stringValue) at \(path(context))"
        case .typeMismatch(_, let context), .valueNotFound(_, let context), .dataCorrupted(let context):
            return "\(context.debugDescription) at \(path(context))"
        @unknown default: return "\(error)"
        }
    }

    /// The editions shipped with the platform: 2019 (top level) and 2020 (four levels).
    public static let shipped: [Edition] = ["edition-2019", "edition-2020"].map { name in
        guard let url = Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Resources"),
            let data = try? Data(contentsOf: url)
        else { preconditionFailure("shipped edition \(name).json is missing from the bundle") }
        do { return try Edition.decode(data) } catch { preconditionFailure("shipped edition \(name).json: \(error)") }
    }

    public static var edition2020: Edition { shipped.first { $0.id == "2020" }! }
}
