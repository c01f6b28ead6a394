import Foundation
import Testing
import XinyongModel
@testable import XinyongMonitoring

extension MonitoringSerialized {
    /// A city that reported nothing in the window is "no data": not scored, not ranked, not counted.
    @Suite struct NoDataTests {
        let cities = [
            city("P1"), city("P2"), city("P3"), city("P4", province: "440000"), city("P5", province: "440000"),
            city("M1", .major), city("M2", .major), city("C1", .county),
        ]

        /// P1, P2, P4 and M1 report every month; P3 reported only long before the window; P5, M2, C1 never.
        func data() -> MonitoringData {
            var rows: [(String, Month, String, Double)] = []
            for m in [m1, m2, m3] {
                for (code, a1) in [("P1", 90.0), ("P2", 50), ("P4", 70), ("M1", 60)] {
                    rows += [(code, m, "A.1", a1), (code, m, "A.2", 5), (code, m, "B", 20)]
                }
            }
            rows.append(("P3", m1.adding(-6), "A.1", 100))
            return MonitoringData(values: values(rows), events: [])
        }

        @Test func everyRankAndCountIsAmongTheCitiesWithData() throws {
            let engine = MonitoringEngine(edition: tinyEdition(), cities: cities)
            let s = engine.score(m3, data: data())
            #expect(s.results.map(\.city.code) == ["P1", "P2", "P4", "M1"])
            #expect(s.noData.map(\.code) == ["P3", "P5", "M2", "C1"])
            let byCode = Dictionary(uniqueKeysWithValues: s.results.map { ($0.city.code, $0) })
            #expect(byCode["P1"]!.rank == 1 && byCode["P4"]!.rank == 2 && byCode["P2"]!.rank == 3)
            for code in ["P1", "P2", "P4"] { #expect(byCode[code]!.groupSize == 3) }
            #expect(byCode["M1"]!.rank == 1 && byCode["M1"]!.groupSize == 1)
            #expect(byCode["P1"]!.provinceRank == 1 && byCode["P1"]!.provinceSize == 2)
            #expect(byCode["P2"]!.provinceRank == 2 && byCode["P2"]!.provinceSize == 2)
            #expect(byCode["P4"]!.provinceRank == 1 && byCode["P4"]!.provinceSize == 1)
            // The cities without data do not pull the group's min-max or means: B is 20 for everyone with data.
            let b = try #require(engine.tree.leafNodes.firstIndex { engine.tree.nodes[$0].indicator.code == "B" })
            #expect(s.rawValues[b] == [20, 20, 20, 20])
            #expect(s.origins.allSatisfy { $0.allSatisfy { $0 == .reported } })
            for code in ["P3", "P5", "M2", "C1"] {
                #expect(s.result(for: code) == nil)
                #expect(s.hasNoData(code))
                #expect(engine.explain(city: code, in: s) == nil)
                #expect(engine.sensitivity(city: code, in: s, settings: .init(samples: 16, resamples: 10)).isEmpty)
                #expect(throws: MonitoringEngine.UnscoredCity.self) { try engine.whatIf(city: code, indicator: "A.1", value: 50, month: m3, data: data()) }
            }
            let intervals = engine.rankIntervals(s, settings: .init(runs: 50))
            #expect(intervals.map(\.city) == ["P1", "P2", "P4", "M1"])
            for i in intervals { #expect(i.high <= Double(byCode[i.city]!.groupSize) && i.low >= 1) }
            let explained = try #require(engine.explain(city: "P2", in: s))
            #expect(explained.score.groupSize == 3)
            #expect(!engine.sensitivity(city: "P1", in: s, settings: .init(samples: 16, resamples: 10)).isEmpty)
            let whatIf = try engine.whatIf(city: "P2", indicator: "A.1", value: 100, month: m3, data: data(), current: s)
            #expect(whatIf.rankAfter == 1 && whatIf.groupSize == 3)
        }

        @Test func aMonthWhereNobodyReportedScoresNobody() {
            let s = MonitoringEngine(edition: tinyEdition(), cities: cities).score(Month("2021-01")!, data: data())
            #expect(s.results.isEmpty)
            #expect(s.noData.count == cities.count)
            #expect(MonitoringEngine(edition: tinyEdition(), cities: cities).rankIntervals(s, settings: .init(runs: 5)).isEmpty)
        }

        /// The faster sensitivity (levels above the factors only, group mean folded) agrees with the
        /// plain definition: every city of the group evaluated in full.
        @Test func sensitivityMatchesTheFullEvaluation() throws {
            let demo = DemoFixture.demo
            let majors = demo.cities.filter { $0.group == .major }
            let engine = MonitoringEngine(edition: .edition2020, cities: majors)
            let scores = engine.score(Month("2018-12")!, data: DemoFixture.data)
            let settings = SensitivitySettings(samples: 64, resamples: 20, seed: 9)
            let fast = engine.sensitivity(city: majors[2].code, in: scores, settings: settings)
            let tree = engine.tree, factors = engine.sensitivityFactors, base = tree.basePoints
            let model = { (x: [Double]) -> Double in
                var weights = base
                for (k, node) in factors.enumerated() { scale(node, by: 1 + settings.weightSpread * (2 * x[k] - 1), &weights, tree) }
                var mean = 0.0, own = 0.0
                for c in majors.indices {
                    var s = scores.nodeShares[c]
                    let v = tree.evaluate(&s, weights: weights, aggregation: tree.aggregationByLevel)
                    mean += v
                    if c == 2 { own = v }
                }
                return tree.totalPoints * (own - mean / Double(majors.count))
            }
            let outputs = Sobol.evaluate(dimension: factors.count, samples: settings.samples, seed: settings.seed, model: model)
            let slow = Sobol.analyze(outputs, factors: factors.map { tree.nodes[$0].indicator.code }, resamples: settings.resamples, seed: settings.seed)
            for (a, b) in zip(fast, slow) {
                #expect(abs(a.first - b.first) < 1e-6 && abs(a.total - b.total) < 1e-6, "\(a.factor): \(a.first)/\(b.first) \(a.total)/\(b.total)")
            }
        }
    }
}

private func scale(_ node: Int, by factor: Double, _ weights: inout [Double], _ tree: IndicatorTree) {
    weights[node] *= factor
    for child in tree.nodes[node].children { scale(child, by: factor, &weights, tree) }
}
