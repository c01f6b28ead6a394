/// SplitMix64: small, fast and the same on every platform, so a seed always gives the same data
/// (the demo city, the monitoring demo, Monte Carlo and Sobol draws).
public struct SeededRandom: RandomNumberGenerator, Sendable {
    private var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// An independent stream for one part of the data, so that adding a field to one part leaves the others alone.
    public func fork(_ salt: UInt64) -> SeededRandom {
        var copy = SeededRandom(seed: state ^ (salt &* 0xD6E8_FEB8_6659_FD93))
        _ = copy.next()
        return copy
    }

    /// An independent stream for item `salt` of a seeded run.
    public static func stream(_ seed: UInt64, _ salt: UInt64) -> SeededRandom { SeededRandom(seed: seed).fork(salt) }

    /// Uniform in [0, 1) with 53 random bits.
    public mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }

    /// A standard normal draw (Box–Muller).
    public mutating func normal() -> Double {
        let u = max(unit(), 1e-300), v = unit()
        return (-2 * log(u)).squareRoot() * cos(2 * .pi * v)
    }

    public mutating func int(_ range: ClosedRange<Int>) -> Int { Int.random(in: range, using: &self) }
    public mutating func chance(_ p: Double) -> Bool { Double.random(in: 0..<1, using: &self) < p }
    public mutating func pick<T>(_ items: [T]) -> T { items[Int.random(in: 0..<items.count, using: &self)] }

    /// Picks by weight: `[(value, weight)]`.
    public mutating func weighted<T>(_ items: [(T, Double)]) -> T {
        let total = items.reduce(0) { $0 + $1.1 }
        var x = Double.random(in: 0..<total, using: &self)
        for (value, weight) in items {
            if x < weight { return value }
            x -= weight
        }
        return items[items.count - 1].0
    }

    /// A count with mean `mean` (Poisson, by Knuth's method; means here are small).
    public mutating func poisson(_ mean: Double) -> Int {
        let limit = exp(-mean)
        var k = 0
        var p = 1.0
        repeat {
            k += 1
            p *= Double.random(in: 0..<1, using: &self)
        } while p > limit
        return k - 1
    }

    /// A version-4-shaped UUID string drawn from this stream.
    public mutating func uuid() -> String {
        let a = next(), b = next()
        let hex = String(a, radix: 16).leftPadded(16) + String(b, radix: 16).leftPadded(16)
        let c = Array(hex)
        return "\(String(c[0..<8]))-\(String(c[8..<12]))-4\(String(c[13..<16]))-a\(String(c[17..<20]))-\(String(c[20..<32]))"
    }
}

import Foundation

extension String {
    public func leftPadded(_ width: Int, with pad: Character = "0") -> String {
        count >= width ? self : String(repeating: pad, count: width - count) + self
    }
}
