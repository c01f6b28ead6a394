import Foundation

/// Normalisation of one leaf's values over one group of cities into shares in [0, 1], 1 the best.
/// Pure functions on arrays so that a reference implementation can check them number for number.
public enum Normalize {
    public static func shares(_ values: [Double], _ spec: Normalization, direction: Direction) -> [Double] {
        let lowerIsBetter = direction == .lowerIsBetter
        switch spec.method {
        case .minMax: return minMax(values, lowerIsBetter: lowerIsBetter)
        case .zScore: return zScore(values, lowerIsBetter: lowerIsBetter)
        case .rank: return rank(values, lowerIsBetter: lowerIsBetter)
        case .goalposts: return goalposts(values, low: spec.low ?? 0, high: spec.high ?? 1, lowerIsBetter: lowerIsBetter)
        case .distanceToTarget: return distanceToTarget(values, target: spec.target ?? 1, lowerIsBetter: lowerIsBetter)
        }
    }

    /// (x − min) / (max − min). When every city has the same value nobody is behind anybody: all get 1.
    public static func minMax(_ values: [Double], lowerIsBetter: Bool) -> [Double] {
        guard let lo = values.min(), let hi = values.max() else { return [] }
        guard hi > lo else { return values.map { _ in 1 } }
        return values.map { x in
            let share = (x - lo) / (hi - lo)
            return lowerIsBetter ? 1 - share : share
        }
    }

    /// Φ(z) with z = (x − mean) / sd, population sd. Φ keeps the share in [0, 1] (a raw z-score is
    /// unbounded and cannot be points). All equal → z = 0 → 0.5 for everyone.
    public static func zScore(_ values: [Double], lowerIsBetter: Bool) -> [Double] {
        guard !values.isEmpty else { return [] }
        let mean = values.reduce(0, +) / Double(values.count)
        let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(values.count)
        let sd = variance.squareRoot()
        return values.map { x in
            var z = sd > 0 ? (x - mean) / sd : 0
            if lowerIsBetter { z = -z }
            return 0.5 * (1 + erf(z / 2.0.squareRoot()))
        }
    }

    /// (r − 1) / (n − 1) where r is the 1-based rank from the worst, ties sharing their average rank
    /// (as `scipy.stats.rankdata(method="average")`). A lone city gets 1.
    public static func rank(_ values: [Double], lowerIsBetter: Bool) -> [Double] {
        let n = values.count
        guard n > 1 else { return values.map { _ in 1 } }
        let keyed = lowerIsBetter ? values.map { -$0 } : values
        let ranks = averageRanks(keyed)
        return ranks.map { ($0 - 1) / Double(n - 1) }
    }

    /// 1-based ascending ranks, ties averaged.
    public static func averageRanks(_ values: [Double]) -> [Double] {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var i = 0
        while i < order.count {
            var j = i
            while j + 1 < order.count && values[order[j + 1]] == values[order[i]] { j += 1 }
            let average = Double(i + j) / 2 + 1
            for k in i...j { ranks[order[k]] = average }
            i = j + 1
        }
        return ranks
    }

    /// (x − low) / (high − low) against the edition's fixed goalposts, clamped to [0, 1].
    public static func goalposts(_ values: [Double], low: Double, high: Double, lowerIsBetter: Bool) -> [Double] {
        values.map { x in
            let share = min(max((x - low) / (high - low), 0), 1)
            return lowerIsBetter ? 1 - share : share
        }
    }

    /// x / target capped at 1 (lower is better: target / x, and 1 at or below the target).
    public static func distanceToTarget(_ values: [Double], target: Double, lowerIsBetter: Bool) -> [Double] {
        values.map { x in
            if lowerIsBetter { return x <= target ? 1 : target / x }
            return min(max(x / target, 0), 1)
        }
    }
}

/// Combining children's shares into their parent's share.
public enum Aggregate {
    /// Shares below this floor count as the floor in a geometric mean: one zero would otherwise wipe out
    /// every other child's points, which no edition intends.
    public static let geometricFloor = 0.01

    public static func combine(_ shares: [Double], weights: [Double], _ method: Aggregation) -> Double {
        switch method {
        case .arithmetic: return arithmetic(shares, weights: weights)
        case .geometric: return geometric(shares, weights: weights)
        }
    }

    public static func arithmetic(_ shares: [Double], weights: [Double]) -> Double {
        var sum = 0.0, total = 0.0
        for i in shares.indices {
            sum += weights[i] * shares[i]
            total += weights[i]
        }
        return total > 0 ? sum / total : 0
    }

    public static func geometric(_ shares: [Double], weights: [Double]) -> Double {
        var logSum = 0.0, total = 0.0
        for i in shares.indices {
            logSum += weights[i] * log(max(shares[i], geometricFloor))
            total += weights[i]
        }
        return total > 0 ? exp(logSum / total) : 0
    }
}
