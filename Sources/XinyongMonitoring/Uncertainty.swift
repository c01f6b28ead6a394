import XinyongModel
import Foundation

/// What the Monte Carlo varies: every indicator's weight, the normalisation and the aggregation.
public struct UncertaintySettings: Sendable, Codable {
    public var runs: Int
    /// Each weight is multiplied by a uniform draw from [1 − spread, 1 + spread].
    public var weightSpread: Double
    /// Normalisation choices drawn uniformly per run; nil = each leaf's own method from the edition.
    public var methods: [Normalization.Method?]
    /// Aggregation choices drawn uniformly per run; nil = the edition's per-level choice.
    public var aggregations: [Aggregation?]
    public var seed: UInt64

    public init(runs: Int = 1_000, weightSpread: Double = 0.25,
                methods: [Normalization.Method?] = [nil, nil, .minMax, .zScore, .rank],
                aggregations: [Aggregation?] = [nil, nil, .arithmetic, .geometric], seed: UInt64 = 2020) {
        self.runs = runs
        self.weightSpread = weightSpread
        self.methods = methods
        self.aggregations = aggregations
        self.seed = seed
    }
}

/// A city's rank across the Monte Carlo runs.
public struct RankInterval: Codable, Sendable {
    public let city: String
    public let rank: Int
    /// 5th, 50th and 95th percentile of the rank (linear interpolation, as numpy's default).
    public let low: Double
    public let median: Double
    public let high: Double
    public let scoreLow: Double
    public let scoreHigh: Double
}

extension MonitoringEngine {
    /// Monte Carlo over weights and method choices: every run rescores and reranks every city. Runs are
    /// spread over the cores; each run draws from its own stream, so the result does not depend on
    /// how many cores there are.
    public func rankIntervals(_ scores: MonthScores, settings: UncertaintySettings = .init()) -> [RankInterval] {
        guard scores.cities.count == cities.count else { return scoped(to: scores).rankIntervals(scores, settings: settings) }
        guard !cities.isEmpty else { return [] }
        let runs = max(settings.runs, 1)
        let methodShares = settings.methods.map { m in m == nil ? scores.leafShares : normalizedShares(scores.rawValues, methodOverride: m) }
        let eventPoints = scores.results.map(\.eventPoints)
        let caps = scores.eventEffects.map { vetoes($0).cap }
        let n = cities.count
        let groupKeys = cities.map(\.group.rawValue)
        let rankBuffer = UnsafeMutableBufferPointer<Int32>.allocate(capacity: runs * n)
        let scoreBuffer = UnsafeMutableBufferPointer<Double>.allocate(capacity: runs * n)
        defer { rankBuffer.deallocate(); scoreBuffer.deallocate() }
        nonisolated(unsafe) let ranksOut = rankBuffer, scoresOut = scoreBuffer
        let chunks = min(runs, ProcessInfo.processInfo.activeProcessorCount * 4)
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            for run in stride(from: chunk, to: runs, by: chunks) {
                var g = SeededRandom.stream(settings.seed, UInt64(run))
                let weights = tree.basePoints.map { $0 * (1 + settings.weightSpread * (2 * g.unit() - 1)) }
                let shares = methodShares[Int(g.unit() * Double(methodShares.count))]
                let aggregation = settings.aggregations[Int(g.unit() * Double(settings.aggregations.count))]
                    .map { [Aggregation](repeating: $0, count: tree.aggregationByLevel.count) } ?? tree.aggregationByLevel
                var runScores = [Double](repeating: 0, count: n)
                var s = [Double](repeating: 0, count: tree.nodes.count)
                for c in 0..<n {
                    for (l, node) in tree.leafNodes.enumerated() { s[node] = shares[l][c] }
                    var total = min(max(tree.totalPoints * tree.evaluate(&s, weights: weights, aggregation: aggregation) + eventPoints[c], 0), tree.totalPoints)
                    if let cap = caps[c] { total = min(total, cap) }
                    runScores[c] = total
                }
                let ranks = Ranking.ranks(runScores, groups: groupKeys)
                for c in 0..<n {
                    ranksOut[run * n + c] = Int32(ranks[c].rank)
                    scoresOut[run * n + c] = runScores[c]
                }
            }
        }
        return (0..<n).map { c in
            let ranks = (0..<runs).map { Double(rankBuffer[$0 * n + c]) }.sorted()
            let values = (0..<runs).map { scoreBuffer[$0 * n + c] }.sorted()
            return RankInterval(city: cities[c].code, rank: scores.results[c].rank,
                                low: Statistics.percentile(ranks, 5), median: Statistics.percentile(ranks, 50),
                                high: Statistics.percentile(ranks, 95),
                                scoreLow: Statistics.percentile(values, 5), scoreHigh: Statistics.percentile(values, 95))
        }
    }
}

public enum Statistics {
    /// The p-th percentile of sorted values, linear between closest ranks (numpy's default method).
    public static func percentile(_ sorted: [Double], _ p: Double) -> Double {
        guard !sorted.isEmpty else { return .nan }
        let position = p / 100 * Double(sorted.count - 1)
        let lower = Int(position.rounded(.down)), upper = min(lower + 1, sorted.count - 1)
        return sorted[lower] + (sorted[upper] - sorted[lower]) * (position - Double(lower))
    }

    public static func mean(_ values: [Double]) -> Double { values.isEmpty ? .nan : values.reduce(0, +) / Double(values.count) }

    /// Population variance (numpy's `var` with ddof = 0).
    public static func variance(_ values: [Double]) -> Double {
        let m = mean(values)
        return values.reduce(0) { $0 + ($1 - m) * ($1 - m) } / Double(values.count)
    }
}
