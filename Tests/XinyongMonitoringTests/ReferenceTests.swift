import XinyongModel
import Foundation
import Testing
@testable import XinyongMonitoring

/// Runs `scripts/monitoring-reference` (numpy and SALib, installed from PyPI when missing) on a JSON
/// problem and returns its answers.
enum Reference {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    static func run(_ problem: [String: Any]) throws -> [String: Any] {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["bash", root.appendingPathComponent("scripts/monitoring-reference").path]
        let input = Pipe(), output = Pipe(), errors = Pipe()
        process.standardInput = input
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let payload = try JSONSerialization.data(withJSONObject: problem)
        // Written on its own thread: a large problem would otherwise fill the pipe and deadlock.
        let writer = Thread {
            input.fileHandleForWriting.write(payload)
            try? input.fileHandleForWriting.close()
        }
        writer.start()
        let answer = output.fileHandleForReading.readDataToEndOfFile()
        let diagnostics = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failed(description: "reference exited \(process.terminationStatus): \(String(decoding: diagnostics.suffix(2000), as: UTF8.self))")
        }
        return try JSONSerialization.jsonObject(with: answer) as! [String: Any]
    }

    struct Failed: Error, CustomStringConvertible { let description: String }

    /// The tree as the reference reads it: nodes with children, points, level and each leaf's normalisation.
    static func tree(_ engine: MonitoringEngine) -> [String: Any] {
        let t = engine.tree
        return [
            "nodes": t.nodes.map { n -> [String: Any] in
                var d: [String: Any] = ["children": n.children, "points": n.indicator.points, "level": n.level,
                                        "direction": n.indicator.direction.rawValue]
                if let leaf = n.leaf {
                    let spec = n.indicator.normalization ?? Normalization(.minMax)
                    d["leaf"] = leaf
                    d["method"] = spec.method.rawValue
                    if let v = spec.low { d["low"] = v }
                    if let v = spec.high { d["high"] = v }
                    if let v = spec.target { d["target"] = v }
                }
                return d
            },
            "roots": t.roots, "aggregation_by_level": t.aggregationByLevel.map(\.rawValue), "total_points": t.totalPoints,
        ]
    }
}

extension MonitoringSerialized {
    @Suite(.serialized) struct ReferenceTests {
        /// Varied inputs: ties, negative values, values outside the goalposts, a constant vector.
        static let vectors: [[Double]] = {
            var g = SeededRandom(seed: 42)
            var out = (0..<6).map { _ in (0..<37).map { _ in (g.normal() * 20 + 50) } }
            out.append([3, 3, 1, 7, 7, 7, -2, 0, 12.5, 3])
            out.append([5, 5, 5, 5])
            out.append((0..<200).map { _ in (g.unit() * 130 - 15).rounded() })
            return out
        }()

        @Test func normalisationAndAggregationAgreeTo1e9() throws {
            var cases: [[String: Any]] = [], expected: [[Double]] = []
            for values in Self.vectors {
                for method in Normalization.Method.allCases {
                    for direction in Direction.allCases {
                        let spec = Normalization(method, low: 10, high: 90, target: 60)
                        cases.append(["values": values, "method": method.rawValue, "direction": direction.rawValue,
                                      "low": 10.0, "high": 90.0, "target": 60.0])
                        expected.append(Normalize.shares(values, spec, direction: direction))
                    }
                }
            }
            var g = SeededRandom(seed: 9)
            var aggregates: [[String: Any]] = [], aggregated: [Double] = []
            for k in 0..<50 {
                let n = 2 + k % 9
                let shares = (0..<n).map { _ in g.unit() < 0.1 ? 0 : g.unit() }
                let weights = (0..<n).map { _ in 0.5 + g.unit() * 10 }
                for method in Aggregation.allCases {
                    aggregates.append(["shares": shares, "weights": weights, "method": method.rawValue])
                    aggregated.append(Aggregate.combine(shares, weights: weights, method))
                }
            }
            let answer = try Reference.run(["normalize": cases, "aggregate": aggregates])
            let normalized = try #require(answer["normalize"] as? [[Double]])
            #expect(normalized.count == expected.count)
            var worst = 0.0
            for (a, b) in zip(normalized, expected) {
                #expect(a.count == b.count)
                for (x, y) in zip(a, b) { worst = max(worst, abs(x - y)) }
            }
            for (x, y) in zip(try #require(answer["aggregate"] as? [Double]), aggregated) { worst = max(worst, abs(x - y)) }
            print("reference: normalisation (\(expected.count) vectors) and aggregation (\(aggregated.count) cases), largest difference \(worst)")
            #expect(worst <= 1e-9)
        }

        /// The whole deterministic path on the shipped 2020 edition and demo data: rolling values in,
        /// indicator points per city out, normalised within each group and aggregated level by level.
        @Test func scoringTheDemoMonthAgreesTo1e9() throws {
            let demo = DemoFixture.demo
            let engine = MonitoringEngine(edition: .edition2020, cities: demo.cities)
            let scores = engine.score(Month("2019-02")!, data: DemoFixture.data)
            let answer = try Reference.run(["tree_scores": [
                "tree": Reference.tree(engine), "raw": scores.rawValues, "groups": demo.cities.map(\.group.rawValue),
            ]])
            let reference = try #require(answer["tree_scores"] as? [Double])
            let ours = scores.results.map(\.indicatorPoints)
            let worst = zip(reference, ours).map { abs($0 - $1) }.max() ?? .infinity
            print("reference: \(ours.count) cities' indicator points on the 2020 edition, largest difference \(worst)")
            #expect(reference.count == ours.count)
            #expect(worst <= 1e-9)
        }

        /// SALib samples and estimates on its own (Sobol sequence); ours uses pseudo-random Saltelli
        /// matrices. Each estimate must fall inside the other's 95 % bootstrap interval.
        @Test func sobolOnIshigamiAgreesWithSALib() throws {
            let outputs = Sobol.evaluate(dimension: 3, samples: 8_192, seed: 11) { u in
                let x = u.map { -Double.pi + 2 * Double.pi * $0 }
                return sin(x[0]) + 7 * pow(sin(x[1]), 2) + 0.1 * pow(x[2], 4) * sin(x[0])
            }
            let ours = Sobol.analyze(outputs, factors: ["x1", "x2", "x3"], resamples: 300)
            let answer = try Reference.run(["sobol": [["model": "ishigami", "samples": 4_096, "seed": 3, "resamples": 300]]])
            let salib = try #require((answer["sobol"] as? [[String: [Double]]])?.first)
            compare(ours, salib, label: "Ishigami")
            // And the analytic values (Ishigami a = 7, b = 0.1): S1 = 0.3139, 0.4424, 0; ST = 0.5576, 0.4424, 0.2437.
            for (index, analytic) in zip(ours, [0.3139, 0.4424, 0.0]) { #expect(index.firstLow - 0.02 <= analytic && analytic <= index.firstHigh + 0.02) }
        }

        @Test func sobolOfACitysStandingAgreesWithSALib() throws {
            let demo = DemoFixture.demo
            // A group small enough for the reference's plain-Python tree walk to stay quick.
            let cities = Array(demo.cities.filter { $0.group == .major })
            let engine = MonitoringEngine(edition: .edition2020, cities: cities)
            let scores = engine.score(Month("2018-12")!, data: DemoFixture.data)
            let city = 3
            let settings = SensitivitySettings(samples: 1_024, weightSpread: 0.25, resamples: 300, seed: 5)
            let ours = engine.sensitivity(city: cities[city].code, in: scores, settings: settings)
            let leafShares = cities.indices.map { c in engine.tree.leafNodes.map { scores.nodeShares[c][$0] } }
            let answer = try Reference.run(["sobol": [[
                "model": "tree", "tree": Reference.tree(engine), "factors": engine.sensitivityFactors, "leaf_shares": leafShares,
                "city": city, "spread": 0.25, "samples": 512, "seed": 3, "resamples": 300,
            ] as [String: Any]]])
            let salib = try #require((answer["sobol"] as? [[String: [Double]]])?.first)
            compare(ours, salib, label: "city \(cities[city].code)")
        }

        private func compare(_ ours: [Sobol.Index], _ salib: [String: [Double]], label: String) {
            let s1 = salib["S1"]!, s1c = salib["S1_conf"]!, st = salib["ST"]!, stc = salib["ST_conf"]!
            for (i, index) in ours.enumerated() {
                print(String(format: "reference: Sobol %@ %@ S1 %.4f [%.4f, %.4f] SALib %.4f ± %.4f; ST %.4f [%.4f, %.4f] SALib %.4f ± %.4f",
                             label, index.factor, index.first, index.firstLow, index.firstHigh, s1[i], s1c[i],
                             index.total, index.totalLow, index.totalHigh, st[i], stc[i]))
                // Either estimate inside the other's interval: two independent samplings of the same quantity.
                let firstAgrees = (index.firstLow...index.firstHigh).contains(s1[i]) || abs(index.first - s1[i]) <= s1c[i]
                let totalAgrees = (index.totalLow...index.totalHigh).contains(st[i]) || abs(index.total - st[i]) <= stc[i]
                #expect(firstAgrees, "\(label) \(index.factor) S1 \(index.first) vs SALib \(s1[i]) ± \(s1c[i])")
                #expect(totalAgrees, "\(label) \(index.factor) ST \(index.total) vs SALib \(st[i]) ± \(stc[i])")
            }
        }
    }
}
