import XinyongModel
import Foundation

/// Variance-based (Sobol) sensitivity indices by the Saltelli scheme: matrices A and B of N uniform
/// draws and, for each factor i, A with column i taken from B. First order by Saltelli (2010), total
/// order by Jansen (1999) — the estimators SALib uses — with bootstrap confidence intervals.
public enum Sobol {
    public struct Index: Codable, Sendable {
        public let factor: String
        public let first: Double
        public let firstLow: Double
        public let firstHigh: Double
        public let total: Double
        public let totalLow: Double
        public let totalHigh: Double
    }

    /// Model outputs on the Saltelli design: f(A), f(B) and f(AB_i) for each factor.
    public struct Outputs: Sendable {
        public let a: [Double]
        public let b: [Double]
        public let ab: [[Double]]
    }

    /// Samples the design in [0, 1)^d and evaluates `model` on each point.
    public static func evaluate(dimension d: Int, samples n: Int, seed: UInt64, model: ([Double]) -> Double) -> Outputs {
        var g = SeededRandom(seed: seed)
        let a = (0..<n).map { _ in (0..<d).map { _ in g.unit() } }
        let b = (0..<n).map { _ in (0..<d).map { _ in g.unit() } }
        let ab = (0..<d).map { i in
            (0..<n).map { j -> Double in
                var x = a[j]
                x[i] = b[j][i]
                return model(x)
            }
        }
        return Outputs(a: a.map(model), b: b.map(model), ab: ab)
    }

    /// The outputs less their overall mean: the Saltelli first-order estimator's error grows with the
    /// output's mean (a city's gap is far from 0 next to its spread), so, as SALib does, the outputs
    /// are centred once before estimating and bootstrapping. Indices do not change under a shift.
    static func centred(_ o: Outputs) -> Outputs {
        let all = o.a + o.b + o.ab.flatMap { $0 }
        let mean = Statistics.mean(all)
        return Outputs(a: o.a.map { $0 - mean }, b: o.b.map { $0 - mean }, ab: o.ab.map { $0.map { $0 - mean } })
    }

    /// First and total indices of every factor on the rows `rows` of the design.
    public static func estimate(_ o: Outputs, rows: [Int]? = nil) -> (first: [Double], total: [Double]) {
        let rows = rows ?? Array(o.a.indices)
        let fa = rows.map { o.a[$0] }, fb = rows.map { o.b[$0] }
        let v = Statistics.variance(fa + fb)
        guard v > 0 else { return (o.ab.map { _ in 0 }, o.ab.map { _ in 0 }) }
        var first: [Double] = [], total: [Double] = []
        for column in o.ab {
            let fab = rows.map { column[$0] }
            var s1 = 0.0, st = 0.0
            for k in rows.indices {
                s1 += fb[k] * (fab[k] - fa[k])
                st += (fa[k] - fab[k]) * (fa[k] - fab[k])
            }
            first.append(s1 / Double(rows.count) / v)
            total.append(0.5 * st / Double(rows.count) / v)
        }
        return (first, total)
    }

    /// Indices with 95 % bootstrap intervals (percentiles of `resamples` resamplings of the rows).
    public static func analyze(_ outputs: Outputs, factors: [String], resamples: Int = 200, seed: UInt64 = 7) -> [Index] {
        let o = centred(outputs)
        let point = estimate(o)
        var g = SeededRandom(seed: seed)
        let n = o.a.count
        var firsts = [[Double]](repeating: [], count: factors.count), totals = firsts
        for _ in 0..<resamples {
            let rows = (0..<n).map { _ in Int(g.unit() * Double(n)) }
            let e = estimate(o, rows: rows)
            for i in factors.indices {
                firsts[i].append(e.first[i])
                totals[i].append(e.total[i])
            }
        }
        return factors.indices.map { i in
            let f = firsts[i].sorted(), t = totals[i].sorted()
            return Index(factor: factors[i], first: point.first[i],
                         firstLow: Statistics.percentile(f, 2.5), firstHigh: Statistics.percentile(f, 97.5),
                         total: point.total[i], totalLow: Statistics.percentile(t, 2.5), totalHigh: Statistics.percentile(t, 97.5))
        }
    }
}

/// Which level-2 indicators' weights a city's standing is most sensitive to.
public struct SensitivitySettings: Sendable, Codable {
    /// Sample size N of the Saltelli design (N·(d + 2) evaluations).
    public var samples: Int
    /// Each factor scales its indicator's weight within [1 − spread, 1 + spread].
    public var weightSpread: Double
    public var resamples: Int
    public var seed: UInt64

    public init(samples: Int = 512, weightSpread: Double = 0.25, resamples: Int = 200, seed: UInt64 = 2020) {
        self.samples = samples
        self.weightSpread = weightSpread
        self.resamples = resamples
        self.seed = seed
    }
}

extension MonitoringEngine {
    /// The indicators whose weights are the factors: the level-2 indicators (level 1 when the edition
    /// has only one level).
    public var sensitivityFactors: [Int] {
        let level2 = tree.nodes.indices.filter { tree.nodes[$0].level == 2 }
        return level2.isEmpty ? tree.roots : level2
    }

    /// Sobol indices of a city's gap to its group's mean indicator score, with the weights of the
    /// level-2 indicators as the uncertain factors. The gap, not the score, because the gap is what
    /// decides the rank.
    public func sensitivity(city code: String, in scores: MonthScores, settings: SensitivitySettings = .init()) -> [Sobol.Index] {
        guard scores.cities.count == cities.count else { return scoped(to: scores).sensitivity(city: code, in: scores, settings: settings) }
        guard let city = scores.index(of: code) else { return [] }
        let factors = sensitivityFactors
        let group = members[cities[city].group] ?? [city]
        let base = tree.basePoints
        // Scaling a factor's whole subtree leaves every share inside it unchanged (a node's share is a
        // mean of its children's weighted by their weights, arithmetic or geometric), so each sample
        // re-evaluates only the levels above the factors. Where those levels are all arithmetic, the
        // evaluation is linear in the factors' shares, and the group's mean of the evaluations is the
        // evaluation of the group's mean shares: two evaluations per sample instead of one per city.
        let level = factors.map { tree.nodes[$0].level }.max() ?? 1
        let aggregation = tree.aggregationByLevel
        let linear = (0..<level).allSatisfy { aggregation[min($0, aggregation.count - 1)] == .arithmetic }
        var meanShares = [Double](repeating: 0, count: tree.nodes.count)
        for c in group { for n in meanShares.indices { meanShares[n] += scores.nodeShares[c][n] / Double(group.count) } }
        let own = scores.nodeShares[city], groupMean = meanShares
        let model = { (x: [Double]) -> Double in
            var weights = base
            for (k, node) in factors.enumerated() { scaleSubtree(node, by: 1 + settings.weightSpread * (2 * x[k] - 1), &weights) }
            var s = own
            let value = self.tree.evaluate(&s, weights: weights, aggregation: aggregation, above: level)
            var mean = 0.0
            if linear {
                var m = groupMean
                mean = self.tree.evaluate(&m, weights: weights, aggregation: aggregation, above: level)
            } else {
                for c in group {
                    var t = scores.nodeShares[c]
                    mean += self.tree.evaluate(&t, weights: weights, aggregation: aggregation, above: level)
                }
                mean /= Double(group.count)
            }
            return self.tree.totalPoints * (value - mean)
        }
        let outputs = Sobol.evaluate(dimension: factors.count, samples: settings.samples, seed: settings.seed, model: model)
        return Sobol.analyze(outputs, factors: factors.map { tree.nodes[$0].indicator.code }, resamples: settings.resamples, seed: settings.seed)
    }

    /// Scaling an indicator's weight scales its whole subtree, so that its children keep their shares.
    private func scaleSubtree(_ node: Int, by factor: Double, _ weights: inout [Double]) {
        weights[node] *= factor
        for child in tree.nodes[node].children { scaleSubtree(child, by: factor, &weights) }
    }
}
