import ArgumentParser
import Foundation
import XinyongMonitoring

/// `xinyong bench monitor`: one month's full computation for every ranked city (about 700) with the
/// Monte Carlo rank intervals, timed. Target: under 10 s on 2 cores in a release build.
struct BenchMonitorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor",
        abstract: "Time one month of the city credit monitoring for ~700 cities with 1,000 Monte Carlo runs.")

    @Option(help: "Monte Carlo runs.") var runs: Int = 1_000
    @Option(help: "Month scored; demo data is generated from 2018-12 up to it.") var month: String = "2019-11"
    @Option(help: "Sobol sample size N for one city's sensitivity (0 = skip).") var sobolSamples: Int = 512
    @Option(help: "Seed of the synthetic data.") var seed: UInt64 = 431_000
    @Flag(help: "Print JSON.") var json = false

    struct Figures: Encodable {
        let cities, leaves, months, values, runs, cores: Int
        let generateSeconds, scoreSeconds, monteCarloSeconds, sobolSeconds: Double
        let sobolSamples: Int
        /// Score plus Monte Carlo: the figure the 10 s target is about.
        let monthSeconds: Double
        let targetSeconds: Double
        let metTarget: Bool
    }

    func run() async throws {
        guard let last = Month(month), last >= Month("2018-12")! else { throw ValidationError("--month must be YYYY-MM from 2018-12") }
        guard runs > 0 else { throw ValidationError("--runs must be at least 1") }
        let clock = ContinuousClock()
        var t = clock.now
        let demo = MonitoringDemo(options: .init(seed: seed, through: last, includeCounties: true))
        let data = demo.generate().data
        let generate = t.duration(to: clock.now).seconds
        let engine = MonitoringEngine(edition: .edition2020, cities: demo.cities)

        t = clock.now
        let scores = engine.score(last, data: data)
        let score = t.duration(to: clock.now).seconds
        t = clock.now
        let intervals = engine.rankIntervals(scores, settings: UncertaintySettings(runs: runs))
        let monteCarlo = t.duration(to: clock.now).seconds
        t = clock.now
        if sobolSamples > 0 {
            _ = engine.sensitivity(city: MonitoringDemo.chenzhou, in: scores, settings: SensitivitySettings(samples: sobolSamples))
        }
        let sobol = t.duration(to: clock.now).seconds
        precondition(intervals.count == demo.cities.count)

        let figures = Figures(
            cities: demo.cities.count, leaves: engine.edition.leaves.count, months: (Month("2018-12")!...last).months.count,
            values: data.valueCount, runs: runs, cores: ProcessInfo.processInfo.activeProcessorCount,
            generateSeconds: generate, scoreSeconds: score, monteCarloSeconds: monteCarlo, sobolSeconds: sobol,
            sobolSamples: sobolSamples, monthSeconds: score + monteCarlo, targetSeconds: 10, metTarget: score + monteCarlo < 10)
        if json {
            let encoder = JSONEncoder()
            encoder.keyEncodingStrategy = .convertToSnakeCase
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            print(String(decoding: try encoder.encode(figures), as: UTF8.self))
            return
        }
        let s = { (v: Double) in String(format: "%.2f s", v) }
        print("""
            bench monitor: \(figures.cities) cities, \(figures.leaves) leaf indicators, \(figures.months) months of synthetic data (\(figures.values) values), \(figures.cores) cores
              generate data (not timed by the target): \(s(generate))
              score \(last) (window, imputation, normalisation, aggregation, events, ranks): \(s(score))
              Monte Carlo rank intervals, \(runs) runs: \(s(monteCarlo))
              one month total: \(s(score + monteCarlo)) (target < 10 s: \(figures.metTarget ? "met" : "NOT met"))
              Sobol sensitivity of one city (N = \(sobolSamples), \(engine.sensitivityFactors.count) factors, 200 bootstrap resamples): \(s(sobol))
            """)
    }
}
