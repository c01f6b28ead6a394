import Foundation
import Testing
import XinyongModel
@testable import XinyongMonitoring

/// A small edition to test rules by hand: two level-1 indicators, three leaves.
func tinyEdition(aggregation: [Aggregation] = [.arithmetic], threshold: Double = 0.5,
                 imputation: MissingDataRule.Imputation = .groupMean, vetoRules: [VetoRule] = []) -> Edition {
    Edition(
        id: "t", name: "tiny", issuedOn: "2020-01-01", effectiveFrom: "2018-12", totalPoints: 100, windowMonths: 3,
        aggregation: aggregation, missingData: .init(threshold: threshold, imputation: imputation), vetoRules: vetoRules,
        indicators: [
            Indicator(code: "A", name: "A", points: 60, eventCap: 5, children: [
                Indicator(code: "A.1", name: "a1", points: 30, normalization: .init(.goalposts, low: 0, high: 100)),
                Indicator(code: "A.2", name: "a2", points: 30, direction: .lowerIsBetter, normalization: .init(.goalposts, low: 0, high: 10)),
            ]),
            Indicator(code: "B", name: "B", points: 40, normalization: .init(.minMax)),
        ])
}

/// Demo data from 2018-12 to 2019-03, generated once for every test that needs it: generation
/// calibrates Chenzhou month by month, which is the costliest thing these tests do, and the suite shares
/// two cores with the other test targets' live servers. Later months never change an earlier month's score.
enum DemoFixture {
    static let demo = MonitoringDemo(options: .init(through: Month("2019-03")!))
    static let output = demo.generate()
    static let data = output.data
}

let m1 = Month("2019-01")!, m2 = Month("2019-02")!, m3 = Month("2019-03")!

func city(_ code: String, _ group: CityGroup = .prefecture, province: String = "430000") -> MonitoredCity {
    MonitoredCity(code: code, name: code, province: province, group: group)
}

func values(_ rows: [(String, Month, String, Double)]) -> [IndicatorValue] {
    rows.map { IndicatorValue(city: $0.0, month: $0.1, indicator: $0.2, value: $0.3) }
}

/// Every monitoring suite runs one test at a time: they are CPU-bound, and Swift Testing runs tests on
/// the cooperative pool (one thread per core) that the other targets' live-server tests need too.
@Suite(.serialized) struct MonitoringSerialized {}

extension MonitoringSerialized {
    @Suite struct EditionTests {
        @Test func shipped2020HasTheFourLevelsAndPublishedPoints() throws {
            let e = Edition.edition2020
            #expect(e.countsPerLevel == [4, 15, 25, 40])
            #expect(e.totalPoints == 100)
            #expect(e.indicators.map(\.points) == [20, 21, 43, 16])
            let level2 = e.indicators.flatMap(\.children).map(\.points)
            #expect(level2 == [5, 7, 6, 2, 13, 2, 3, 3, 8, 4, 31, 4, 4, 4, 4])
            #expect(e.problems().isEmpty)
        }

        @Test func shipped2019HasFiveTopLevelIndicatorsOn140Points() {
            let e = Edition.shipped.first { $0.id == "2019" }!
            #expect(e.countsPerLevel == [5])
            #expect(e.totalPoints == 140)
        }

        @Test func anEditionFileRoundTrips() throws {
            let e = Edition.edition2020
            #expect(try Edition.decode(e.encoded()) == e)
        }

        @Test func aBadEditionFileIsRefusedWithEveryDefect() throws {
            var e = tinyEdition()
            e.indicators[0].children[0].points = 20
            e.indicators[1].normalization = .init(.goalposts, low: 5, high: 5)
            let error = #expect(throws: Edition.Invalid.self) { try Edition.decode(e.encoded()) }
            let problems = error?.problems ?? []
            #expect(problems.contains { $0.contains("children of A add up to 50") })
            #expect(problems.contains { $0.contains("leaf B: goalposts need low < high") })
        }

        @Test func groupsFileHasTheThreeGroups() {
            let groups = Dictionary(grouping: MonitoredCity.shipped, by: \.group).mapValues(\.count)
            #expect(groups[.major] == 36)
            #expect(groups[.prefecture] == 261)
            #expect(groups[.county] == 397)
            #expect(MonitoredCity.shipped.first { $0.code == "431000" }?.group == .prefecture)
        }
    }

    @Suite struct NormalizeTests {
        @Test func minMaxAndDirection() {
            #expect(Normalize.minMax([1, 2, 3], lowerIsBetter: false) == [0, 0.5, 1])
            #expect(Normalize.minMax([1, 2, 3], lowerIsBetter: true) == [1, 0.5, 0])
            #expect(Normalize.minMax([4, 4], lowerIsBetter: false) == [1, 1])
        }

        @Test func rankAveragesTies() {
            #expect(Normalize.averageRanks([10, 20, 20, 5]) == [2, 3.5, 3.5, 1])
            let expected: [Double] = [1.0 / 3, 2.5 / 3, 2.5 / 3, 0]
            #expect(Normalize.rank([10, 20, 20, 5], lowerIsBetter: false) == expected)
        }

        @Test func zScoreIsTheNormalShareBeaten() {
            let s = Normalize.zScore([1, 2, 3], lowerIsBetter: false)
            #expect(abs(s[1] - 0.5) < 1e-15)
            #expect(abs(s[0] + s[2] - 1) < 1e-12)
        }

        @Test func goalpostsClampAndDistanceToTargetCaps() {
            #expect(Normalize.goalposts([-5, 50, 150], low: 0, high: 100, lowerIsBetter: false) == [0, 0.5, 1])
            #expect(Normalize.distanceToTarget([50, 120], target: 100, lowerIsBetter: false) == [0.5, 1])
            #expect(Normalize.distanceToTarget([4, 10], target: 5, lowerIsBetter: true) == [1, 0.5])
        }

        @Test func geometricAggregationPunishesAWeakPart() {
            let arithmetic = Aggregate.arithmetic([1, 0.2], weights: [1, 1])
            let geometric = Aggregate.geometric([1, 0.2], weights: [1, 1])
            #expect(abs(arithmetic - 0.6) < 1e-15)
            #expect(abs(geometric - 0.2.squareRoot()) < 1e-15)
        }
    }

    @Suite struct ScoringTests {
        let cities = [city("A1"), city("A2"), city("A3")]

        func fullData(extra: [IndicatorValue] = [], events: [MonitoringEvent] = []) -> MonitoringData {
            var rows: [(String, Month, String, Double)] = []
            for m in [m1, m2, m3] {
                rows += [("A1", m, "A.1", 90), ("A1", m, "A.2", 1), ("A1", m, "B", 30)]
                rows += [("A2", m, "A.1", 50), ("A2", m, "A.2", 5), ("A2", m, "B", 20)]
                rows += [("A3", m, "A.1", 10), ("A3", m, "A.2", 9), ("A3", m, "B", 10)]
            }
            return MonitoringData(values: values(rows) + extra, events: events)
        }

        @Test func scoresAreTheWeightedSharesAndRanksFollow() throws {
            let engine = MonitoringEngine(edition: tinyEdition(), cities: cities)
            let s = engine.score(m3, data: fullData())
            // A1: A.1 0.9·30 + A.2 0.9·30 + B 1·40 = 94
            #expect(abs(s.results[0].score - 94) < 1e-9)
            #expect(abs(s.results[1].score - 50) < 1e-9)
            #expect(abs(s.results[2].score - 6) < 1e-9)
            #expect(s.results.map(\.rank) == [1, 2, 3])
            #expect(s.results.map(\.provinceRank) == [1, 2, 3])
        }

        @Test func theWindowIsRollingMeanOfAvailableMonths() {
            let engine = MonitoringEngine(edition: tinyEdition(), cities: cities)
            let data = fullData(extra: values([("A1", m1.adding(-1), "A.1", 0)]))
            let s = engine.score(m3, data: data)
            // Month 2018-12 is outside a 3-month window ending 2019-03: A1 still averages 90.
            #expect(s.rawValues[0][0] == 90)
            let earlier = engine.score(m2, data: data)
            #expect(earlier.rawValues[0][0] == 60)
        }

        @Test func tooFewMonthsIsImputedByGroupMeanOrLastValue() {
            var data = MonitoringData()
            for v in values([("A1", m1, "A.1", 80), ("A2", m1, "A.1", 40), ("A2", m2, "A.1", 40), ("A2", m3, "A.1", 40),
                             ("A3", m1, "A.1", 20), ("A3", m2, "A.1", 20), ("A3", m3, "A.1", 20)]) { data.set(v) }
            // A1 reported 1 of 3 collected months: below the 0.5 threshold.
            let byMean = MonitoringEngine(edition: tinyEdition(threshold: 0.5), cities: cities).score(m3, data: data)
            #expect(byMean.origins[0][0] == .groupMean)
            #expect(byMean.rawValues[0][0] == 30)
            #expect(abs(byMean.availability[0][0] - 1.0 / 3) < 1e-12)
            let byLast = MonitoringEngine(edition: tinyEdition(threshold: 0.5, imputation: .lastValue), cities: cities).score(m3, data: data)
            #expect(byLast.origins[0][0] == .lastValue)
            #expect(byLast.rawValues[0][0] == 80)
        }

        @Test func eventsDeductWithinTheCapAndExpire() {
            let events = (0..<10).map { i in
                MonitoringEvent(id: "e\(i)", city: "A1", kind: .dishonesty, occurredOn: CivilDate("2019-03-0\(1 + i % 9)")!,
                                expiresOn: nil, source: .creditWebsite, severity: "major", indicator: "A", title: "")
            }
            let engine = MonitoringEngine(edition: tinyEdition(), cities: cities)
            let s = engine.score(m3, data: fullData(events: events))
            // Ten major events of 1 point each, capped at A's event cap of 5.
            #expect(abs(s.results[0].eventPoints + 5) < 1e-9)
            #expect(abs(s.results[0].score - 89) < 1e-9)
            #expect(abs(s.eventEffects[0].map(\.points).reduce(0, +) + 5) < 1e-9)
            // A year later the events have expired (default 12 months) and left the window.
            let later = engine.score(Month("2020-04")!, data: fullData(extra: values([("A1", Month("2020-04")!, "B", 1)]), events: events))
            #expect(later.results[0].eventPoints == 0)
        }

        @Test func aVetoCapsTheScore() {
            let veto = VetoRule(id: "v", description: "", severity: "major", sources: [.investigation], scoreCap: 60)
            let event = MonitoringEvent(id: "e", city: "A1", kind: .dishonesty, occurredOn: CivilDate("2019-03-05")!, expiresOn: nil,
                                        source: .investigation, severity: "major", indicator: "A", title: "")
            let s = MonitoringEngine(edition: tinyEdition(vetoRules: [veto]), cities: cities).score(m3, data: fullData(events: [event]))
            #expect(s.results[0].score == 60)
            #expect(s.results[0].vetoes == ["v"])
        }

        @Test func groupsAreRankedSeparatelyAndMonthOnMonthIsLinked() {
            let mixed = [city("A1"), city("A2", .major), city("A3")]
            let engine = MonitoringEngine(edition: tinyEdition(), cities: mixed)
            let series = engine.series([m2, m3], data: fullData())
            let last = series[1]
            #expect(last.results[1].rank == 1 && last.results[1].groupSize == 1)
            #expect(last.results[2].rank == 2 && last.results[2].groupSize == 2)
            #expect(last.results[0].previousRank == 1)
            #expect(last.results[0].rankChange == 0)
        }

        @Test func tiesShareARank() {
            let r = Ranking.ranks([90, 80, 80, 70], groups: ["g", "g", "g", "g"])
            #expect(r.map(\.rank) == [1, 2, 2, 4])
        }

        @Test func whatIfRescoresTheMonth() throws {
            let engine = MonitoringEngine(edition: tinyEdition(), cities: cities)
            let answer = try engine.whatIf(city: "A3", indicator: "A.1", value: 100, month: m3, data: fullData())
            #expect(answer.before == 10)
            #expect(abs(answer.scoreAfter - answer.scoreBefore - 27) < 1e-9)
            #expect(throws: MonitoringEngine.UnknownLeaf.self) { try engine.whatIf(city: "A3", indicator: "A", value: 1, month: m3, data: fullData()) }
        }

        @Test func explanationAddsUpToTheScore() throws {
            let engine = MonitoringEngine(edition: tinyEdition(), cities: cities)
            let s = engine.score(m3, data: fullData())
            let e = try #require(engine.explain(city: "A2", in: s))
            let level1 = e.lines.filter { $0.level == 1 }.reduce(0) { $0 + $1.earned }
            #expect(abs(level1 + e.score.eventPoints - e.score.score) < 1e-9)
            #expect(e.lines.first { $0.code == "A.1" }?.value == 50)
        }

        @Test func monteCarloIntervalsHoldTheRankAndAreReproducible() {
            let engine = MonitoringEngine(edition: .edition2020, cities: DemoFixture.demo.cities)
            let scores = engine.score(Month("2019-01")!, data: DemoFixture.data)
            let settings = UncertaintySettings(runs: 60)
            let a = engine.rankIntervals(scores, settings: settings)
            let b = engine.rankIntervals(scores, settings: settings)
            #expect(a.map(\.low) == b.map(\.low) && a.map(\.high) == b.map(\.high))
            for interval in a { #expect(interval.low <= interval.high) }
            let inside = a.filter { Double($0.rank) >= $0.low - 0.5 && Double($0.rank) <= $0.high + 0.5 }.count
            #expect(Double(inside) / Double(a.count) > 0.8)
        }
    }

    @Suite struct InputFileTests {
        let file = InputFile(edition: .edition2020)

        @Test func goodRowsAreTaken() {
            let parsed = file.values(csv: "\u{FEFF}city,month,indicator,value\r\n431000,2019-03,1.1.1,7\r\n430100,2019-03,\"4.1.1\",12.5\r\n")
            #expect(parsed.issues.isEmpty)
            #expect(parsed.rows.count == 2)
            #expect(parsed.rows[1].value == 12.5)
        }

        @Test func everyDefectIsNamedWithRowAndField() {
            let csv = """
                city,month,indicator,value
                999999,2019-3,1.1.1,x
                431000,2019-03,1.1,5
                431000,2019-03,1.2.1.1,120
                431000,2019-03,1.1.1,7
                431000,2019-03,1.1.1,8
                """
            let issues = file.values(csv: csv).issues
            #expect(issues.contains(RowIssue(row: 2, field: "city", value: "999999", reason: "is not a city the monitoring ranks (monitoring_groups.csv)")))
            #expect(issues.contains { $0.row == 2 && $0.field == "month" })
            #expect(issues.contains { $0.row == 2 && $0.field == "value" && $0.reason == "is not a number" })
            #expect(issues.contains { $0.row == 3 && $0.field == "indicator" && $0.reason.contains("not a leaf") })
            #expect(issues.contains { $0.row == 4 && $0.reason == "is a percentage above 100" })
            #expect(issues.contains { $0.row == 6 && $0.reason == "repeats row 5 (same city, month and indicator)" })
        }

        @Test func aMissingColumnIsNamed() {
            let issues = file.values(csv: "city,month,value\n431000,2019-03,1\n").issues
            #expect(issues == [RowIssue(row: 1, field: nil, value: nil, reason: "the header lacks indicator")])
        }

        @Test func eventsAreChecked() {
            let csv = """
                id,city,kind,occurred_on,expires_on,source,severity,indicator,title
                e1,431000,dishonesty,2019-03-02,2020-03-02,credit_website,serious,3.3.2,"拖欠工资, 通报"
                e2,431000,fraud,2019-03-02,2019-01-01,tv,huge,9.9,x
                """
            let parsed = file.events(csv: csv)
            #expect(parsed.rows.count == 1)
            #expect(parsed.rows[0].title == "拖欠工资, 通报")
            #expect(Set(parsed.issues.compactMap(\.field)) == ["kind", "source", "severity", "indicator", "expires_on"])
        }
    }

    @Suite struct DemoTests {
        @Test func chenzhouStandsWhereItReported() {
            let demo = DemoFixture.demo
            let engine = MonitoringEngine(edition: .edition2020, cities: demo.cities)
            let december = engine.score(Month("2018-12")!, data: DemoFixture.data).result(for: "431000")!
            let march = engine.score(Month("2019-03")!, data: DemoFixture.data).result(for: "431000")!
            // The seed article: 84.32 points and 47th in December 2018, 24th in March 2019.
            #expect(String(format: "%.2f", december.score) == "84.32", "December 2018: \(december.score)")
            #expect(december.rank == 47, "December 2018: \(december.rank)")
            #expect(march.rank == 24, "March 2019: \(march.rank)")
            #expect(december.groupSize == 261)
            #expect(demo.cities.count == 297)
        }

        @Test func theSameSeedGivesTheSameData() {
            let options = MonitoringDemo.Options(seed: 5, through: Month("2018-12")!)
            let a = MonitoringDemo(options: options).generate(), b = MonitoringDemo(options: options).generate()
            #expect(a.values == b.values)
            #expect(a.events == b.events)
        }
    }
}
