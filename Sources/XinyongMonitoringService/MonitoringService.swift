import Foundation
import XinyongModel
import XinyongMonitoring
import XinyongStore

/// The monitoring's use cases over the store: install and export editions, import values and events,
/// fill demo data, and answer for any month with scores, ranks, intervals, explanations and what-ifs.
///
/// Every month's results (scores, ranks and the Monte Carlo rank intervals) are computed when data is
/// imported and at start (``prepare(edition:)``), kept in the database with the fingerprint of the
/// inputs they come from, and read back at the next start instead of being computed again. Pages and
/// the API answer from memory once the edition is prepared.
public actor MonitoringService {
    public let store: Store
    nonisolated public let cities: [MonitoredCity]
    public let uncertainty: UncertaintySettings
    public let sensitivitySettings: SensitivitySettings
    private var editionCache: [String: Edition] = [:]
    private var prepared: [String: (generation: Int, task: Task<Prepared, any Error>)] = [:]
    /// Bumped by every import: a preparation begun before it is not kept.
    private var generation = 0
    private var sensitivityCache: [String: [Sobol.Index]] = [:]

    public init(store: Store, cities: [MonitoredCity] = MonitoredCity.shipped,
                uncertainty: UncertaintySettings = .init(), sensitivity: SensitivitySettings = .init()) {
        self.store = store
        self.cities = cities
        self.uncertainty = uncertainty
        self.sensitivitySettings = sensitivity
    }

    public static let defaultEdition = "2020"

    /// Something asked for that is not there: an edition, a month without data, a city the monitoring
    /// does not rank, or a ranked city with no data in the month's window.
    public struct NotFound: Error, CustomStringConvertible {
        public enum Kind: String, Sendable { case edition, month, city, noData = "no_data" }
        public let kind: Kind
        public let description: String
        /// The same for a person reading a page, in Chinese.
        public let page: String

        public init(description: String) {
            self.init(.edition, description: description, page: "未找到所请求的监测内容。")
        }

        public init(_ kind: Kind, description: String, page: String) {
            self.kind = kind
            self.description = description
            self.page = page
        }
    }

    public struct Rejected: Error, CustomStringConvertible {
        public let issues: [RowIssue]
        public var description: String {
            "\(issues.count) problem(s), nothing imported: " + issues.prefix(5).map(\.description).joined(separator: "; ")
                + (issues.count > 5 ? "; …" : "")
        }
    }

    // MARK: Editions

    /// Installs the shipped editions (idempotent); `serve` and `migrate` call it on every start.
    public func installShippedEditions() async throws {
        for edition in Edition.shipped { _ = try await install(edition, by: .system("monitoring: shipped edition")) }
    }

    @discardableResult
    public func install(_ edition: Edition, by actor: Actor) async throws -> Bool {
        let row = MonitoringRepository.EditionRow(
            id: edition.id, name: edition.name, issuedOn: edition.issuedOn, effectiveFrom: edition.effectiveFrom,
            totalPoints: edition.totalPoints, document: String(decoding: edition.encoded(), as: UTF8.self))
        let installed = try await store.repositories.monitoring.install(row, by: actor)
        editionCache[edition.id] = edition
        return installed
    }

    /// Reads an edition file and installs it; refuses an inconsistent document with every defect named.
    public func importEdition(_ data: Data, by actor: Actor) async throws -> Edition {
        let edition = try Edition.decode(data)
        try await install(edition, by: actor)
        return edition
    }

    public func editions() async throws -> [Edition] {
        try await installShippedEditions()
        return try await store.repositories.monitoring.editions().map { try decode($0) }
    }

    public func edition(_ id: String) async throws -> Edition {
        if let cached = editionCache[id] { return cached }
        guard let row = try await store.repositories.monitoring.edition(id) else {
            // The shipped editions install themselves on first use, so no start-up step is needed.
            if let shipped = Edition.shipped.first(where: { $0.id == id }) {
                try await install(shipped, by: .system("monitoring: shipped edition"))
                return shipped
            }
            throw NotFound(description: "no monitoring edition \(id) is installed")
        }
        let edition = try decode(row)
        editionCache[id] = edition
        return edition
    }

    private func decode(_ row: MonitoringRepository.EditionRow) throws -> Edition {
        do { return try Edition.decode(Data(row.document.utf8)) } catch {
            throw NotFound(description: "the stored edition \(row.id) does not decode (a hand edit?): \(error)")
        }
    }

    // MARK: Inputs

    public struct ImportSummary: Sendable, Codable {
        public let edition: String
        public let rows: Int
    }

    /// Imports monthly values from CSV: every row is checked, and one bad row refuses the whole file
    /// (a month scored on half a file would mislead), with every defect listed.
    public func importValues(csv: String, edition id: String, source: String, by actor: Actor) async throws -> ImportSummary {
        let edition = try await edition(id)
        return try await save(InputFile(edition: edition, cities: cities).values(csv: csv), edition: id, source: source, by: actor)
    }

    public func importValues(rows: [(row: Int, fields: [String: String])], edition id: String, source: String, by actor: Actor) async throws -> ImportSummary {
        let edition = try await edition(id)
        return try await save(InputFile(edition: edition, cities: cities).values(rows: rows), edition: id, source: source, by: actor)
    }

    private func save(_ parsed: InputFile.Parsed<IndicatorValue>, edition id: String, source: String, by actor: Actor) async throws -> ImportSummary {
        guard parsed.issues.isEmpty else { throw Rejected(issues: parsed.issues) }
        try await saveValues(parsed.rows, edition: id, source: source, by: actor)
        return ImportSummary(edition: id, rows: parsed.rows.count)
    }

    private func saveValues(_ values: [IndicatorValue], edition id: String, source: String, by actor: Actor) async throws {
        let rows = values.map {
            MonitoringRepository.ValueRow(city: $0.city, edition: id, month: $0.month.description, indicator: $0.indicator, value: $0.value, source: source)
        }
        try await store.transaction { repos in try await repos.monitoring.upsert(rows, by: actor, reason: source) }
        invalidate()
        try await prepare(edition: id)
    }

    public func importEvents(csv: String, edition id: String, by actor: Actor) async throws -> ImportSummary {
        let edition = try await edition(id)
        return try await save(InputFile(edition: edition, cities: cities).events(csv: csv), edition: id, by: actor)
    }

    public func importEvents(rows: [(row: Int, fields: [String: String])], edition id: String, by actor: Actor) async throws -> ImportSummary {
        let edition = try await edition(id)
        return try await save(InputFile(edition: edition, cities: cities).events(rows: rows), edition: id, by: actor)
    }

    private func save(_ parsed: InputFile.Parsed<MonitoringEvent>, edition id: String, by actor: Actor) async throws -> ImportSummary {
        guard parsed.issues.isEmpty else { throw Rejected(issues: parsed.issues) }
        try await saveEvents(parsed.rows, by: actor)
        try await prepare(edition: id)
        return ImportSummary(edition: id, rows: parsed.rows.count)
    }

    private func saveEvents(_ events: [MonitoringEvent], by actor: Actor) async throws {
        let rows = events.map {
            MonitoringRepository.EventRow(city: $0.city, id: $0.id, kind: $0.kind.rawValue, occurredOn: $0.occurredOn.description,
                                          expiresOn: $0.expiresOn?.description, source: $0.source.rawValue, severity: $0.severity,
                                          indicator: $0.indicator, title: $0.title)
        }
        try await store.transaction { repos in try await repos.monitoring.upsert(rows, by: actor, reason: "events") }
        invalidate()
    }

    /// Fills the demo data when the edition has no values yet. Returns (values, events) written.
    @discardableResult
    public func loadDemoIfEmpty(_ options: MonitoringDemo.Options = .init(), edition id: String = defaultEdition) async throws -> (Int, Int) {
        guard try await store.repositories.monitoring.valueCount(edition: id) == 0 else { return (0, 0) }
        let edition = try await edition(id)
        let cities = self.cities
        let output = try await Self.compute { MonitoringDemo(options: options, edition: edition, cities: cities).generate() }
        let actor = Actor.system("monitoring demo data, seed \(options.seed)")
        let rows = output.values.map {
            MonitoringRepository.ValueRow(city: $0.city, edition: id, month: $0.month.description, indicator: $0.indicator, value: $0.value, source: "demo")
        }
        try await store.transaction { repos in try await repos.monitoring.upsert(rows, by: actor, reason: "demo") }
        try await saveEvents(output.events, by: actor)
        try await prepare(edition: id)
        return (output.values.count, output.events.count)
    }

    /// Runs a computation on a Dispatch thread rather than on the actor's cooperative thread: a month's
    /// Monte Carlo takes seconds, and the cooperative pool has one thread per core, which the HTTP
    /// server needs too.
    static func compute<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global(qos: .userInitiated).async { continuation.resume(with: Result { try body() }) }
        }
    }

    private func invalidate() {
        generation += 1
        prepared = [:]
        sensitivityCache = [:]
    }

    // MARK: Prepared months

    /// Everything the pages and the API read for one edition: the inputs, every month's scores (linked
    /// to the month before) and rank intervals.
    public struct Prepared: Sendable {
        public let edition: Edition
        public let data: MonitoringData
        /// The fingerprint of the inputs and settings the results come from.
        public let inputs: String
        /// The months with data, oldest first: only these are published.
        public let months: [Month]
        public let scores: [Month: MonthScores]
        public let intervals: [Month: [String: RankInterval]]
        /// When each month's stored results were computed (UTC, as stored).
        public let computedAt: [Month: String]
        /// Months read back from the database / computed now.
        public let reused: Int
        public let computed: Int
    }

    /// Computes every month of the edition, or reads the stored results back when they were computed from
    /// the same inputs and settings, and keeps them. `serve` calls it at start; imports call it before
    /// they return. Concurrent callers share one preparation.
    @discardableResult
    public func prepare(edition id: String = defaultEdition) async throws -> Prepared {
        if let existing = prepared[id] { return try await existing.task.value }
        let current = generation
        let task = Task { try await self.build(edition: id) }
        prepared[id] = (current, task)
        do {
            return try await task.value
        } catch {
            if prepared[id]?.generation == current { prepared[id] = nil }
            throw error
        }
    }

    /// The format of the stored document and the engine's rules: bump it when either changes.
    static let resultsFormat = "monitoring-results-1"

    private func build(edition id: String) async throws -> Prepared {
        let edition = try await edition(id)
        let data = try await loadData(edition: id)
        let engine = MonitoringEngine(edition: edition, cities: cities)
        let settings = uncertainty
        let months = data.months
        let (scores, inputs) = try await Self.compute { () -> ([MonthScores], String) in
            let settingsText = "runs=\(settings.runs);spread=\(settings.weightSpread);seed=\(settings.seed);methods=\(settings.methods.map { $0?.rawValue ?? "own" });aggregations=\(settings.aggregations.map { $0?.rawValue ?? "own" })"
            return (engine.series(months, data: data), "\(Self.resultsFormat)|\(data.fingerprint)|\(settingsText)|cities=\(engine.cities.count)")
        }
        let repo = store.repositories.monitoring
        let stored = Dictionary(try await repo.results(edition: id).map { ($0.month, $0) }, uniquingKeysWith: { a, _ in a })
        var intervals: [Month: [String: RankInterval]] = [:], computedAt: [Month: String] = [:]
        var fresh: [MonitoringRepository.ResultRow] = []
        var reused = 0
        for month in scores {
            if let row = stored[month.month.description], row.inputs == inputs,
                let document = try? JSONDecoder().decode(StoredMonth.self, from: Data(row.document.utf8)) {
                intervals[month.month] = Dictionary(document.cities.compactMap { c in c.interval.map { (c.code, $0) } }, uniquingKeysWith: { a, _ in a })
                computedAt[month.month] = row.computed_at
                reused += 1
                continue
            }
            let found = try await Self.compute { engine.rankIntervals(month, settings: settings) }
            let byCity = Dictionary(found.map { ($0.city, $0) }, uniquingKeysWith: { a, _ in a })
            intervals[month.month] = byCity
            let document = StoredMonth(month, edition: id, intervals: byCity)
            let row = MonitoringRepository.ResultRow(edition: id, month: month.month.description, inputs: inputs,
                                                     document: String(decoding: try JSONEncoder().encode(document), as: UTF8.self))
            computedAt[month.month] = row.computed_at
            fresh.append(row)
        }
        let rows = fresh
        if !rows.isEmpty { try await store.transaction { repos in try await repos.monitoring.saveResults(rows) } }
        try await repo.deleteResults(edition: id, except: months.map(\.description))
        return Prepared(edition: edition, data: data, inputs: inputs, months: months,
                        scores: Dictionary(scores.map { ($0.month, $0) }, uniquingKeysWith: { a, _ in a }),
                        intervals: intervals, computedAt: computedAt, reused: reused, computed: fresh.count)
    }

    private func loadData(edition id: String) async throws -> MonitoringData {
        let repo = store.repositories.monitoring
        let values = try await repo.values(edition: id).compactMap { row in
            Month(row.month).map { IndicatorValue(city: row.city_code, month: $0, indicator: row.indicator, value: row.value) }
        }
        let events = try await repo.events().compactMap(Self.event)
        return try await Self.compute { MonitoringData(values: values, events: events) }
    }

    // MARK: Results

    public func data(edition id: String) async throws -> MonitoringData { try await prepare(edition: id).data }

    private static func event(_ r: MonitoringRepository.EventRow) -> MonitoringEvent? {
        guard let kind = EventKind(rawValue: r.kind), let occurred = CivilDate(r.occurred_on), let source = EventSource(rawValue: r.source)
        else { return nil }
        return MonitoringEvent(id: r.id, city: r.city_code, kind: kind, occurredOn: occurred, expiresOn: r.expires_on.flatMap { CivilDate($0) },
                               source: source, severity: r.severity, indicator: r.indicator, title: r.title)
    }

    public func engine(edition id: String) async throws -> MonitoringEngine {
        MonitoringEngine(edition: try await edition(id), cities: cities)
    }

    /// The months with values, oldest first.
    public func months(edition id: String) async throws -> [Month] { try await prepare(edition: id).months }

    /// The month a bare request means: the latest one with data.
    public func latestMonth(edition id: String) async throws -> Month {
        guard let month = try await months(edition: id).last else {
            throw NotFound(.month, description: "edition \(id) has no values yet: import some, or run `xinyong monitor demo`",
                           page: "监测指标体系 \(id) 版尚无任何监测数据。")
        }
        return month
    }

    /// The prepared edition with the month checked: only a month in which data was collected is published.
    private func publishable(edition id: String, month: Month) async throws -> Prepared {
        let p = try await prepare(edition: id)
        guard p.scores[month] != nil else {
            let range = p.months.first.map { "\($0) to \(p.months.last!)" } ?? "none"
            let rangeText = p.months.first.map { "现有数据的月份为 \($0) 至 \(p.months.last!)。" } ?? "尚无任何监测数据。"
            throw NotFound(.month, description: "edition \(id) has no data for \(month) (months with data: \(range))",
                           page: "\(month) 暂无监测数据，不发布得分和排名。\(rangeText)")
        }
        return p
    }

    /// Every scored city's score and ranks for a month, linked to the month before. Cities without data
    /// in the window are in `noData`, unscored.
    public func scores(edition id: String, month: Month) async throws -> MonthScores {
        try await publishable(edition: id, month: month).scores[month]!
    }

    /// When the month's stored results were computed (UTC).
    public func computedAt(edition id: String, month: Month) async throws -> String? {
        try await publishable(edition: id, month: month).computedAt[month]
    }

    /// Refuses a code the monitoring does not rank, and a ranked city with no data in the month's window.
    public func requireScored(_ city: String, in scores: MonthScores) throws {
        guard cities.contains(where: { $0.code == city }) else {
            throw NotFound(.city, description: "\(city) is not a city the monitoring ranks", page: "没有代码为 \(city.prefix(12)) 的监测城市。")
        }
        guard scores.index(of: city) != nil else {
            throw NotFound(.noData, description: "\(city) has no monitoring data in the window ending \(scores.month): it is not scored or ranked",
                           page: "暂无数据：\(scores.month) 的滚动窗口内没有该市的监测数据，不评分、不排名。")
        }
    }

    public struct TrendPoint: Sendable {
        public let month: Month
        public let score: CityScore
    }

    /// A city's score and ranks month by month, for the months in which it was scored.
    public func trend(edition id: String, city: String) async throws -> [TrendPoint] {
        let p = try await prepare(edition: id)
        return p.months.compactMap { month in p.scores[month]?.result(for: city).map { TrendPoint(month: month, score: $0) } }
    }

    public func intervals(edition id: String, month: Month) async throws -> [RankInterval] {
        Array(try await publishable(edition: id, month: month).intervals[month, default: [:]].values)
    }

    public func intervalsByCity(edition id: String, month: Month) async throws -> [String: RankInterval] {
        try await publishable(edition: id, month: month).intervals[month, default: [:]]
    }

    public func sensitivity(edition id: String, month: Month, city: String) async throws -> [Sobol.Index] {
        let key = "\(id)|\(month)|\(city)"
        if let cached = sensitivityCache[key] { return cached }
        let scores = try await scores(edition: id, month: month)
        try requireScored(city, in: scores)
        let engine = try await engine(edition: id), settings = sensitivitySettings
        let indices = try await Self.compute { engine.sensitivity(city: city, in: scores, settings: settings) }
        sensitivityCache[key] = indices
        return indices
    }

    public func explain(edition id: String, month: Month, city: String) async throws -> Explanation {
        let scores = try await scores(edition: id, month: month)
        try requireScored(city, in: scores)
        guard let explanation = try await engine(edition: id).explain(city: city, in: scores) else {
            throw NotFound(.city, description: "\(city) is not a city the monitoring ranks", page: "没有代码为 \(city.prefix(12)) 的监测城市。")
        }
        return explanation
    }

    public func whatIf(edition id: String, month: Month, city: String, indicator: String, value: Double) async throws -> MonitoringEngine.WhatIf {
        let scores = try await scores(edition: id, month: month)
        try requireScored(city, in: scores)
        let engine = try await engine(edition: id), data = try await data(edition: id)
        return try await Self.compute { try engine.whatIf(city: city, indicator: indicator, value: value, month: month, data: data, current: scores) }
    }
}

/// One month's results as stored: every scored city's score, ranks and rank interval, and the cities
/// without data. Also what the month's bulletin lists.
public struct StoredMonth: Codable, Sendable {
    public struct City: Codable, Sendable {
        public let code, name, province, group: String
        public let score, indicatorPoints, eventPoints: Double
        public let rank, groupSize, provinceRank, provinceSize: Int
        public let previousScore: Double?
        public let previousRank: Int?
        public let vetoes: [String]
        public let interval: RankInterval?
    }

    public let edition, month, window: String
    public let cities: [City]
    public let noData: [String]

    public init(_ scores: MonthScores, edition: String, intervals: [String: RankInterval]) {
        self.edition = edition
        month = scores.month.description
        window = "\(scores.window.lowerBound)–\(scores.window.upperBound)"
        cities = scores.results.map { s in
            City(code: s.city.code, name: s.city.name, province: s.city.province, group: s.city.group.rawValue, score: s.score,
                 indicatorPoints: s.indicatorPoints, eventPoints: s.eventPoints, rank: s.rank, groupSize: s.groupSize,
                 provinceRank: s.provinceRank, provinceSize: s.provinceSize, previousScore: s.previousScore, previousRank: s.previousRank,
                 vetoes: s.vetoes, interval: intervals[s.city.code])
        }
        noData = scores.noData.map(\.code)
    }
}
