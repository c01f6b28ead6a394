import Foundation
import XinyongModel

/// Synthetic monitoring data: monthly values for every ranked city and a trickle of events, from a
/// fixed seed, so that the same options always give the same data. Chenzhou (431000) is steered so that
/// it stands where it reported standing: 84.32 points and 47th of its group in December 2018, 24th in
/// March 2019. Only the data is steered; the engine scores it like any other.
public struct MonitoringDemo: Sendable {
    public struct Options: Sendable {
        public var seed: UInt64
        public var from: Month
        public var through: Month
        /// The 397 county-level cities too (the issue asks for prefecture-level and major cities; the
        /// benchmark wants all ~700).
        public var includeCounties: Bool

        public init(seed: UInt64 = 431_000, from: Month = Month(year: 2018, month: 12)!,
                    through: Month = Month(year: 2019, month: 12)!, includeCounties: Bool = false) {
            self.seed = seed
            self.from = from
            self.through = through
            self.includeCounties = includeCounties
        }
    }

    public static let chenzhou = "431000"
    /// Chenzhou's rank in its group, as the city reported it, for the months it reported.
    public static let chenzhouTargets: [Month: Int] = [
        Month(year: 2018, month: 12)!: 47, Month(year: 2019, month: 1)!: 40,
        Month(year: 2019, month: 2)!: 31, Month(year: 2019, month: 3)!: 24,
    ]
    /// Chenzhou's score as the city reported it (the seed article: 84.32 points in December 2018).
    public static let chenzhouScores: [Month: Double] = [Month(year: 2018, month: 12)!: 84.32]

    public let options: Options
    public let edition: Edition
    public let cities: [MonitoredCity]

    public init(options: Options = .init(), edition: Edition = .edition2020, cities: [MonitoredCity] = MonitoredCity.shipped) {
        self.options = options
        self.edition = edition
        self.cities = cities.filter { options.includeCounties || $0.group != .county }
    }

    public struct Output: Sendable {
        public let values: [IndicatorValue]
        public let events: [MonitoringEvent]
        public var data: MonitoringData { MonitoringData(values: values, events: events) }
    }

    public func generate() -> Output {
        let leaves = edition.leaves
        let events = cities.flatMap { generateEvents(for: $0) }
        var data = MonitoringData(values: [], events: events)
        var chenzhouQuality = quality(of: Self.chenzhou)
        // One engine for Chenzhou's group: calibration only needs the cities it is ranked against.
        let group = cities.first { $0.code == Self.chenzhou }?.group
        let calibration = group.map { g in MonitoringEngine(edition: edition, cities: cities.filter { $0.group == g }) }
        let lift = calibration.map { level(engine: $0, events: events, leaves: leaves) } ?? 0
        for month in (options.from...options.through).months {
            for city in cities where city.code != Self.chenzhou {
                for value in monthValues(city, month: month, quality: quality(of: city.code, in: month) + lift, leaves: leaves) { data.set(value) }
            }
            if let calibration {
                if let score = Self.chenzhouScores[month] {
                    chenzhouQuality = calibrate(month: month, score: score, engine: calibration, data: data, leaves: leaves)
                } else if let target = Self.chenzhouTargets[month] {
                    chenzhouQuality = calibrate(month: month, target: target, engine: calibration, data: data, leaves: leaves)
                } else {
                    var g = SeededRandom.stream(options.seed, UInt64(month.index) &* 31)
                    chenzhouQuality += 0.05 * g.normal()
                }
                for value in monthValues(chenzhouCity!, month: month, quality: chenzhouQuality, leaves: leaves) { data.set(value) }
            }
        }
        let values = leaves.flatMap { leaf in
            (data.values[leaf.code] ?? [:]).flatMap { city, series in
                series.map { IndicatorValue(city: city, month: $0.key, indicator: leaf.code, value: $0.value) }
            }
        }.sorted { ($0.month, $0.city, $0.indicator) < ($1.month, $1.city, $1.indicator) }
        return Output(values: values, events: events)
    }

    private var chenzhouCity: MonitoredCity? { cities.first { $0.code == Self.chenzhou } }

    /// The level of every other city's values (added to their standing) at which Chenzhou's reported score
    /// falls at its reported rank in the first month: the scores of the cities ranked just above and
    /// just below it straddle the reported score. Needed when the first month has a reported score.
    private func level(engine: MonitoringEngine, events: [MonitoringEvent], leaves: [Indicator]) -> Double {
        let month = options.from
        guard let score = Self.chenzhouScores[month], let target = Self.chenzhouTargets[month], let city = chenzhouCity,
            target >= 2, engine.cities.count > target
        else { return 0 }
        let members = Set(engine.cities.map(\.code))
        let groupEvents = events.filter { members.contains($0.city) }
        let others = engine.cities.filter { $0.code != Self.chenzhou }
        func trial(_ lift: Double) -> MonitoringData {
            var data = MonitoringData(values: [], events: groupEvents)
            for other in others {
                for value in monthValues(other, month: month, quality: quality(of: other.code, in: month) + lift, leaves: leaves) { data.set(value) }
            }
            return data
        }
        var chenzhouQuality = quality(of: Self.chenzhou), lift = 0.0
        for _ in 0..<3 {
            var low = -3.0, high = 3.0
            for _ in 0..<18 {
                let mid = (low + high) / 2
                var data = trial(mid)
                for value in monthValues(city, month: month, quality: chenzhouQuality, leaves: leaves) { data.set(value) }
                let scores = engine.score(month, data: data).results.filter { $0.city.code != Self.chenzhou }.map(\.score).sorted(by: >)
                let between = (scores[target - 2] + scores[target - 1]) / 2
                if between < score { low = mid } else { high = mid }
            }
            lift = (low + high) / 2
            let data = trial(lift)
            chenzhouQuality = calibrate(month: month, score: score, engine: engine, data: data, leaves: leaves)
            var check = data
            for value in monthValues(city, month: month, quality: chenzhouQuality, leaves: leaves) { check.set(value) }
            if let result = engine.score(month, data: check).result(for: Self.chenzhou), result.rank == target,
                abs(result.score - score) < 0.005 { break }
        }
        return lift
    }

    /// Finds the quality level at which Chenzhou scores `score` this month (bisection: a higher quality
    /// never lowers the score), given everyone else's values; the closest trial wins.
    private func calibrate(month: Month, score target: Double, engine: MonitoringEngine, data: MonitoringData, leaves: [Indicator]) -> Double {
        guard let city = chenzhouCity else { return 0 }
        var low = -4.0, high = 4.0, best = (quality: 0.0, gap: Double.infinity)
        for _ in 0..<30 {
            let mid = (low + high) / 2
            var trial = data
            for value in monthValues(city, month: month, quality: mid, leaves: leaves) { trial.set(value) }
            let score = engine.score(month, data: trial).result(for: city.code)?.score ?? 0
            if abs(score - target) < best.gap { best = (mid, abs(score - target)) }
            if score < target { low = mid } else { high = mid }
        }
        return best.quality
    }

    /// Finds the quality level that puts Chenzhou at `target` this month (bisection: a higher quality
    /// never lowers the rank), given everyone else's values.
    private func calibrate(month: Month, target: Int, engine: MonitoringEngine, data: MonitoringData, leaves: [Indicator]) -> Double {
        guard let city = chenzhouCity else { return 0 }
        var low = -4.0, high = 4.0
        for _ in 0..<20 {
            let mid = (low + high) / 2
            var trial = data
            for value in monthValues(city, month: month, quality: mid, leaves: leaves) { trial.set(value) }
            let rank = engine.score(month, data: trial).result(for: city.code)?.rank ?? Int.max
            if rank <= target { high = mid } else { low = mid }
        }
        return high
    }

    // MARK: Values

    /// A city's standing: a fixed level plus a slow drift of its own.
    private func quality(of city: String) -> Double {
        var g = SeededRandom.stream(options.seed, hash(city))
        return g.normal()
    }

    private func quality(of city: String, in month: Month) -> Double {
        var g = SeededRandom.stream(options.seed, hash(city) ^ 0xA5A5)
        let drift = 0.04 * g.normal()
        var n = SeededRandom.stream(options.seed, hash(city) &+ UInt64(month.index))
        return quality(of: city) + drift * Double(month.index - options.from.index) + 0.15 * n.normal()
    }

    /// One city's values for one month. Each (city, leaf) has its own offset, so cities are good at
    /// different things; about 3 % of values are missing, and a few cities never report some indicators.
    private func monthValues(_ city: MonitoredCity, month: Month, quality: Double, leaves: [Indicator]) -> [IndicatorValue] {
        leaves.enumerated().compactMap { l, leaf in
            var pair = SeededRandom.stream(options.seed, hash(city.code) &* 131 &+ UInt64(l))
            let offset = 0.7 * pair.normal()
            if pair.unit() < 0.01 { return nil }
            var cell = SeededRandom.stream(options.seed, hash(city.code) &* 7919 &+ UInt64(l) &* 104_729 &+ UInt64(month.index))
            if cell.unit() < 0.03 { return nil }
            let latent = quality + offset + 0.3 * cell.normal()
            return IndicatorValue(city: city.code, month: month, indicator: leaf.code, value: value(of: leaf, latent: latent))
        }
    }

    /// Maps a latent standing onto the indicator's own scale, rounded as a city would report it.
    private func value(of leaf: Indicator, latent: Double) -> Double {
        let u = 1 / (1 + exp(-(1.6 + 0.9 * latent)))
        let better = leaf.direction == .higherIsBetter ? u : 1 - u
        let spec = leaf.normalization ?? Normalization(.minMax)
        let raw: Double
        switch spec.method {
        case .goalposts:
            raw = (spec.low ?? 0) + better * ((spec.high ?? 1) - (spec.low ?? 0))
        case .distanceToTarget:
            let target = spec.target ?? 100
            raw = leaf.direction == .higherIsBetter ? target * (0.6 + 0.4 * u) : target / (0.35 + 0.65 * u)
        case .minMax, .zScore, .rank:
            raw = 100 * exp((leaf.direction == .higherIsBetter ? 1 : -1) * 0.8 * latent)
        }
        return (raw * 100).rounded() / 100
    }

    // MARK: Events

    private static let severities: [(String, Double)] = [("general", 0.7), ("serious", 0.25), ("major", 0.05)]
    private static let sources: [(EventSource, Double)] = [
        (.creditWebsite, 0.3), (.officialWebsite, 0.15), (.mainstreamMedia, 0.2), (.localMedia, 0.15),
        (.sesameCredit, 0.1), (.investigation, 0.1),
    ]
    private static let dishonestyIndicators = ["3.3.2", "3.3.2", "3.3.2", "2.2", "2.3"]
    private static let dishonestyTitles = ["企业拖欠农民工工资被通报", "食品安全严重违法案件", "政府机构拖欠账款被起诉", "电信网络诈骗案件", "非法集资案件", "环境污染严重违法案件"]
    private static let integrityTitles = ["诚信经营典型案例", "守信激励典型做法", "信用修复典型案例", "信易贷典型案例"]

    /// Events at about one dishonesty event and half an integrity case per city per year.
    private func generateEvents(for city: MonitoredCity) -> [MonitoringEvent] {
        var g = SeededRandom.stream(options.seed ^ 0xE7E7, hash(city.code))
        var out: [MonitoringEvent] = []
        for month in (options.from...options.through).months {
            for kind in EventKind.allCases where g.unit() < (kind == .dishonesty ? 0.08 : 0.04) {
                var severity = pick(Self.severities, &g)
                let source = pick(Self.sources, &g)
                // Chenzhou's reported standing had no veto: keep its demo events below the veto rule.
                if city.code == Self.chenzhou && severity == "major" { severity = "serious" }
                let day = 1 + Int(g.unit() * 28)
                let occurred = CivilDate(year: month.year, month: month.month, day: day)!
                let indicator = kind == .dishonesty ? Self.dishonestyIndicators[Int(g.unit() * 5)] : "2.4.1"
                let titles = kind == .dishonesty ? Self.dishonestyTitles : Self.integrityTitles
                out.append(MonitoringEvent(
                    id: "demo-\(city.code)-\(month)-\(kind.rawValue)", city: city.code, kind: kind, occurredOn: occurred,
                    expiresOn: g.unit() < 0.5 ? nil : occurred.adding(months: 6), source: source, severity: severity,
                    indicator: indicator, title: titles[Int(g.unit() * Double(titles.count))]))
            }
        }
        return out
    }

    private func pick<T>(_ items: [(T, Double)], _ g: inout SeededRandom) -> T {
        var x = g.unit()
        for (item, weight) in items {
            if x < weight { return item }
            x -= weight
        }
        return items[items.count - 1].0
    }

    /// FNV-1a of the code: a stable number per city for its random streams.
    private func hash(_ text: String) -> UInt64 {
        text.utf8.reduce(0xCBF2_9CE4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01B3 }
    }
}
