import Foundation

/// Why a city scored what it scored in one month, down to each indicator's value and each event.
public struct Explanation: Codable, Sendable {
    public struct Line: Codable, Sendable {
        public let code: String
        public let name: String
        public let level: Int
        public let points: Double
        /// Points earned: share × points. Under a geometric level a parent's points are not the sum of
        /// its children's; each line is still exact for its own indicator.
        public let earned: Double
        public let share: Double
        /// The mean share of the city's group, for comparison.
        public let groupShare: Double
        public let isLeaf: Bool
        public let unit: String?
        public let direction: Direction
        public let route: DataRoute
        public let method: Normalization.Method?
        /// Leaves only: the rolling value used, where it came from, and the months reported / collected.
        public let value: Double?
        public let origin: ValueOrigin?
        public let availability: Double?
        public let groupMeanValue: Double?
    }

    public let city: MonitoredCity
    public let month: Month
    public let window: String
    public let editionID: String
    public let score: CityScore
    public let lines: [Line]
    /// Leaves the city does best and worst in against its group (share minus the group's share, weighted by points).
    public let strengths: [Line]
    public let weaknesses: [Line]
    public let events: [EventEffect]
    public let vetoes: [VetoRule]
}

extension MonitoringEngine {
    public func explain(city code: String, in scores: MonthScores, top: Int = 5) -> Explanation? {
        guard scores.cities.count == cities.count else { return scoped(to: scores).explain(city: code, in: scores, top: top) }
        guard let c = scores.index(of: code) else { return nil }
        let group = members[cities[c].group] ?? [c]
        let lines = tree.nodes.indices.map { line(node: $0, city: c, group: group, scores: scores) }
        let leaves = lines.filter(\.isLeaf)
        let gap = { (l: Explanation.Line) in (l.share - l.groupShare) * l.points }
        let ordered = leaves.sorted { gap($0) > gap($1) }
        let result = scores.results[c]
        return Explanation(
            city: cities[c], month: scores.month, window: "\(scores.window.lowerBound)–\(scores.window.upperBound)",
            editionID: edition.id, score: result, lines: lines,
            strengths: Array(ordered.prefix(top).filter { gap($0) > 0 }),
            weaknesses: Array(ordered.reversed().prefix(top).filter { gap($0) < 0 }),
            events: scores.eventEffects[c].sorted { $0.points < $1.points },
            vetoes: edition.vetoRules.filter { result.vetoes.contains($0.id) })
    }

    private func line(node: Int, city c: Int, group: [Int], scores: MonthScores) -> Explanation.Line {
        let n = tree.nodes[node]
        let share = scores.nodeShares[c][node]
        let groupShare = group.reduce(0) { $0 + scores.nodeShares[$1][node] } / Double(group.count)
        let leaf = n.leaf
        return Explanation.Line(
            code: n.indicator.code, name: n.indicator.name, level: n.level, points: n.indicator.points,
            earned: share * n.indicator.points, share: share, groupShare: groupShare, isLeaf: leaf != nil,
            unit: n.indicator.unit, direction: n.indicator.direction, route: n.indicator.route,
            method: leaf.map { _ in (n.indicator.normalization ?? Normalization(.minMax)).method },
            value: leaf.map { scores.rawValues[$0][c] }, origin: leaf.map { scores.origins[$0][c] },
            availability: leaf.map { scores.availability[$0][c] },
            groupMeanValue: leaf.map { l in group.reduce(0) { $0 + scores.rawValues[l][$1] } / Double(group.count) })
    }

    public struct WhatIf: Codable, Sendable {
        public let city: String
        public let month: Month
        public let indicator: String
        public let before: Double
        public let after: Double
        public let scoreBefore: Double
        public let scoreAfter: Double
        public let rankBefore: Int
        public let rankAfter: Int
        public let groupSize: Int
    }

    public struct UnknownLeaf: Error, CustomStringConvertible {
        public let code: String
        public var description: String { "indicator \(code) is not a leaf indicator of this edition" }
    }

    /// A city that is not scored in the month: not ranked by this engine, or without data in the window.
    public struct UnscoredCity: Error, CustomStringConvertible {
        public let code: String
        public let month: Month
        public var description: String { "\(code) is not scored in \(month): not a ranked city, or no data in the window" }
    }

    /// "What if this indicator's rolling value were `value`": the month rescored on the spot, the
    /// whole group renormalised (min-max and ranks depend on the other cities too).
    public func whatIf(city: String, indicator: String, value: Double, month: Month, data: MonitoringData, current: MonthScores? = nil) throws -> WhatIf {
        guard let leaf = leafCodes.firstIndex(of: indicator) else { throw UnknownLeaf(code: indicator) }
        let before = current ?? score(month, data: data)
        guard let c = before.index(of: city) else { throw UnscoredCity(code: city, month: month) }
        let after = score(month, data: data, overrides: [indicator: [city: value]])
        return WhatIf(city: city, month: month, indicator: indicator, before: before.rawValues[leaf][c], after: value,
                      scoreBefore: before.results[c].score, scoreAfter: after.results[c].score,
                      rankBefore: before.results[c].rank, rankAfter: after.results[c].rank, groupSize: before.results[c].groupSize)
    }
}
