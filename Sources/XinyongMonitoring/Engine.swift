import Foundation

/// How a leaf's rolling value for a city was obtained.
public enum ValueOrigin: String, Codable, Sendable {
    /// The mean of the city's own values in the window.
    case reported
    /// Too few months reported: the group's mean rolling value.
    case groupMean = "group_mean"
    /// Too few months reported: the city's latest value before the window ended.
    case lastValue = "last_value"
    /// Set by a what-if question, not by data.
    case whatIf = "what_if"
}

/// One event's effect on one month's score, after the indicator's cap.
public struct EventEffect: Codable, Sendable {
    public let event: MonitoringEvent
    /// Points before the cap: severity points × source factor, negative for dishonesty.
    public let nominalPoints: Double
    /// Points that counted: scaled down in proportion when the indicator's cap was reached.
    public let points: Double
    public let expiresOn: CivilDateText
}

public typealias CivilDateText = String

/// One city's result for one month.
public struct CityScore: Codable, Sendable {
    public let city: MonitoredCity
    /// The published score: indicators plus events, capped by veto rules, within [0, total points].
    public let score: Double
    /// Points from the indicators alone.
    public let indicatorPoints: Double
    /// Net points from events (negative: deductions outweigh bonuses).
    public let eventPoints: Double
    /// Veto rules that capped the score.
    public let vetoes: [String]
    public let rank: Int
    public let groupSize: Int
    public let provinceRank: Int
    public let provinceSize: Int
    /// Last month's score and rank, when last month was scored.
    public var previousScore: Double?
    public var previousRank: Int?

    public var scoreChange: Double? { previousScore.map { score - $0 } }
    /// Positive when the city moved up.
    public var rankChange: Int? { previousRank.map { $0 - rank } }
}

/// One month's computation, with every intermediate value kept so that each score can be explained.
public struct MonthScores: Sendable {
    public let edition: Edition
    public let month: Month
    public let window: ClosedRange<Month>
    public let cities: [MonitoredCity]
    public internal(set) var results: [CityScore]
    /// [leaf][city]: the rolling value used (after imputation or what-if).
    public let rawValues: [[Double]]
    public let origins: [[ValueOrigin]]
    /// [leaf][city]: months reported / months collected in the window.
    public let availability: [[Double]]
    /// [leaf][city]: the normalised share in [0, 1].
    public let leafShares: [[Double]]
    /// [city][node]: every node's share in [0, 1] (nodes as in ``IndicatorTree``).
    public let nodeShares: [[Double]]
    public let eventEffects: [[EventEffect]]
    /// Cities of the engine that reported nothing in the window: no data, so no score, no rank, and
    /// not counted in their group. `cities` and `results` hold only the cities with data.
    public internal(set) var noData: [MonitoredCity] = []

    public func hasNoData(_ city: String) -> Bool { noData.contains { $0.code == city } }
    public func index(of city: String) -> Int? { cities.firstIndex { $0.code == city } }
    public func result(for city: String) -> CityScore? { index(of: city).map { results[$0] } }
}

/// The scoring engine for one edition and one set of ranked cities. Pure: no I/O.
public struct MonitoringEngine: Sendable {
    public let edition: Edition
    public let tree: IndicatorTree
    public let cities: [MonitoredCity]
    /// City indices by group, in the order of `cities`.
    public let members: [CityGroup: [Int]]
    let leafCodes: [String]

    public init(edition: Edition, cities: [MonitoredCity]) {
        self.edition = edition
        let tree = IndicatorTree(edition)
        self.tree = tree
        self.cities = cities
        self.members = Dictionary(grouping: cities.indices, by: { cities[$0].group })
        self.leafCodes = tree.leafNodes.map { tree.nodes[$0].indicator.code }
    }

    /// The engine over exactly the cities a month scored (those with data), so that city indices agree.
    public func scoped(to scores: MonthScores) -> MonitoringEngine {
        scores.cities.count == cities.count ? self : MonitoringEngine(edition: edition, cities: scores.cities)
    }

    /// What-if: the rolling value to use for (leaf code, city code) instead of the data's.
    public typealias Overrides = [String: [String: Double]]

    /// Scores every city for `month`: rolling values, imputation, normalisation within each group,
    /// aggregation up the tree, events with caps, veto rules, ranks.
    /// A city with no value at all in the window is left out: it is not scored, not ranked, and does not
    /// count in its group's size, its means or its normalisation.
    public func score(_ month: Month, data: MonitoringData, overrides: Overrides = [:]) -> MonthScores {
        let window = month.window(edition.windowMonths)
        let withData = cities.filter { data.hasValues(city: $0.code, in: window) }
        if withData.count != cities.count {
            var scores = MonitoringEngine(edition: edition, cities: withData).score(month, data: data, overrides: overrides)
            scores.noData = cities.filter { !data.hasValues(city: $0.code, in: window) }
            return scores
        }
        var raw: [[Double]] = [], origins: [[ValueOrigin]] = [], availability: [[Double]] = []
        for code in leafCodes {
            let (values, origin, available) = rollingValues(code, window: window, data: data, overrides: overrides[code] ?? [:])
            raw.append(values)
            origins.append(origin)
            availability.append(available)
        }
        let shares = normalizedShares(raw, methodOverride: nil)
        var nodeShares: [[Double]] = []
        var indicatorPoints: [Double] = []
        let weights = tree.basePoints
        for c in cities.indices {
            var s = [Double](repeating: 0, count: tree.nodes.count)
            for (l, node) in tree.leafNodes.enumerated() { s[node] = shares[l][c] }
            indicatorPoints.append(tree.totalPoints * tree.evaluate(&s, weights: weights, aggregation: tree.aggregationByLevel))
            nodeShares.append(s)
        }
        let effects = cities.map { eventEffects(for: $0.code, window: window, data: data) }
        let results = rankedResults(indicatorPoints: indicatorPoints, effects: effects)
        return MonthScores(edition: edition, month: month, window: window, cities: cities, results: results, rawValues: raw,
                           origins: origins, availability: availability, leafShares: shares, nodeShares: nodeShares, eventEffects: effects)
    }

    /// Scores consecutive months and links each city's result to the month before.
    public func series(_ months: [Month], data: MonitoringData) -> [MonthScores] {
        var out: [MonthScores] = []
        for month in months.sorted() {
            var scores = score(month, data: data)
            if let last = out.last, last.month == month.adding(-1) { scores.link(previous: last) }
            out.append(scores)
        }
        return out
    }

    // MARK: Rolling values and missing data

    /// For one leaf: each city's rolling value, where it came from, and its data availability.
    func rollingValues(_ code: String, window: ClosedRange<Month>, data: MonitoringData, overrides: [String: Double])
        -> ([Double], [ValueOrigin], [Double])
    {
        var values = [Double](repeating: .nan, count: cities.count)
        var origins = [ValueOrigin](repeating: .reported, count: cities.count)
        var available = [Double](repeating: 0, count: cities.count)
        var missing: [Int] = []
        for (c, city) in cities.enumerated() {
            let (mean, reported, collected) = data.windowMean(code, city: city.code, window: window)
            available[c] = collected > 0 ? Double(reported) / Double(collected) : 0
            if let mean, available[c] >= edition.missingData.threshold {
                values[c] = mean
            } else {
                missing.append(c)
            }
        }
        let groupMeans = meanByGroup(values)
        for c in missing {
            let city = cities[c]
            if edition.missingData.imputation == .lastValue,
                let (_, last) = data.lastValue(code, city: city.code, atOrBefore: window.upperBound) {
                values[c] = last
                origins[c] = .lastValue
            } else {
                // A group where nobody reported gets 0: there is nothing to compare with.
                values[c] = groupMeans[city.group] ?? 0
                origins[c] = .groupMean
            }
        }
        for (city, value) in overrides {
            guard let c = cities.firstIndex(where: { $0.code == city }) else { continue }
            values[c] = value
            origins[c] = .whatIf
        }
        return (values, origins, available)
    }

    private func meanByGroup(_ values: [Double]) -> [CityGroup: Double] {
        var out: [CityGroup: Double] = [:]
        for (group, indices) in members {
            let known = indices.map { values[$0] }.filter { !$0.isNaN }
            if !known.isEmpty { out[group] = known.reduce(0, +) / Double(known.count) }
        }
        return out
    }

    // MARK: Normalisation

    /// [leaf][city] shares, each leaf normalised within each group; `methodOverride` replaces every
    /// leaf's own method (the Monte Carlo's method choice). Goalposts and targets need the edition's
    /// parameters, so a leaf without them falls back to min-max when overridden to those methods.
    func normalizedShares(_ raw: [[Double]], methodOverride: Normalization.Method?) -> [[Double]] {
        tree.leafNodes.enumerated().map { l, node in
            let indicator = tree.nodes[node].indicator
            var spec = indicator.normalization ?? Normalization(.minMax)
            if let m = methodOverride {
                spec = Normalization(m, low: spec.low, high: spec.high, target: spec.target)
                if (m == .goalposts && (spec.low == nil || spec.high == nil)) || (m == .distanceToTarget && spec.target == nil) {
                    spec.method = .minMax
                }
            }
            var shares = [Double](repeating: 0, count: cities.count)
            for indices in members.values {
                let normalized = Normalize.shares(indices.map { raw[l][$0] }, spec, direction: indicator.direction)
                for (k, c) in indices.enumerated() { shares[c] = normalized[k] }
            }
            return shares
        }
    }

    // MARK: Events and veto

    /// The events in force for the month, with the points they count for after each indicator's cap.
    func eventEffects(for city: String, window: ClosedRange<Month>, data: MonitoringData) -> [EventEffect] {
        let rules = edition.events
        let active = (data.eventsByCity[city] ?? []).filter { $0.counts(in: window, defaultExpiryMonths: rules.defaultExpiryMonths) }
        let nominal = active.map { event -> Double in
            let base = (event.kind == .dishonesty ? rules.deduction[event.severity] : rules.bonus[event.severity]) ?? 0
            let factor = rules.sourceFactor[event.source.rawValue] ?? event.source.defaultFactor
            return (event.kind == .dishonesty ? -1 : 1) * base * factor
        }
        // Deductions and bonuses are capped separately per indicator; each event keeps its share.
        var scale = [Int](active.indices).map { _ in 1.0 }
        let byIndicatorAndSign = Dictionary(grouping: active.indices, by: { "\(active[$0].indicator)|\(nominal[$0] < 0)" })
        for indices in byIndicatorAndSign.values {
            let indicator = active[indices[0]].indicator
            let cap = edition.indicator(indicator).map { $0.eventCap ?? $0.points } ?? 0
            let total = indices.reduce(0) { $0 + abs(nominal[$1]) }
            if total > cap { for i in indices { scale[i] = total > 0 ? cap / total : 0 } }
        }
        return active.indices.map { i in
            EventEffect(event: active[i], nominalPoints: nominal[i], points: nominal[i] * scale[i],
                        expiresOn: active[i].expiry(defaultMonths: rules.defaultExpiryMonths).description)
        }
    }

    /// The veto rules an event list triggers, and the lowest cap among them.
    func vetoes(_ effects: [EventEffect]) -> (ids: [String], cap: Double?) {
        let hit = edition.vetoRules.filter { rule in effects.contains { rule.applies(to: $0.event) } }
        return (hit.map(\.id), hit.map(\.scoreCap).min())
    }

    /// Final score = indicator points + event points, within [0, total], then veto caps; then ranks.
    func finalScore(indicatorPoints: Double, effects: [EventEffect]) -> (Double, Double, [String]) {
        let eventPoints = effects.reduce(0) { $0 + $1.points }
        var score = min(max(indicatorPoints + eventPoints, 0), tree.totalPoints)
        let veto = vetoes(effects)
        if let cap = veto.cap { score = min(score, cap) }
        return (score, eventPoints, veto.ids)
    }

    func rankedResults(indicatorPoints: [Double], effects: [[EventEffect]]) -> [CityScore] {
        let finals = cities.indices.map { finalScore(indicatorPoints: indicatorPoints[$0], effects: effects[$0]) }
        let scores = finals.map(\.0)
        let ranks = Ranking.ranks(scores, groups: cities.map(\.group.rawValue))
        let provinceRanks = Ranking.ranks(scores, groups: cities.map { "\($0.group.rawValue)|\($0.province)" })
        return cities.indices.map { c in
            CityScore(city: cities[c], score: scores[c], indicatorPoints: indicatorPoints[c], eventPoints: finals[c].1,
                      vetoes: finals[c].2, rank: ranks[c].rank, groupSize: ranks[c].size,
                      provinceRank: provinceRanks[c].rank, provinceSize: provinceRanks[c].size)
        }
    }
}

extension MonthScores {
    /// Records each city's previous score and rank, for the month-on-month change.
    public mutating func link(previous: MonthScores) {
        for i in results.indices {
            guard let p = previous.result(for: results[i].city.code) else { continue }
            results[i].previousScore = p.score
            results[i].previousRank = p.rank
        }
    }
}

/// Competition ranking ("1224") by score, highest first, within each group.
public enum Ranking {
    /// Scores closer than this tie: they differ only by floating-point noise.
    public static let tieTolerance = 1e-9

    public static func ranks(_ scores: [Double], groups: [String]) -> [(rank: Int, size: Int)] {
        var out = [(rank: Int, size: Int)](repeating: (0, 0), count: scores.count)
        for indices in Dictionary(grouping: scores.indices, by: { groups[$0] }).values {
            let sorted = indices.sorted { scores[$0] > scores[$1] || (scores[$0] == scores[$1] && $0 < $1) }
            var rank = 1
            for (position, c) in sorted.enumerated() {
                if position > 0 && scores[sorted[position - 1]] - scores[c] > tieTolerance { rank = position + 1 }
                out[c] = (rank, indices.count)
            }
        }
        return out
    }
}
