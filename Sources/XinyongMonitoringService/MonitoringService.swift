import Foundation
import XinyongModel
import XinyongMonitoring
import XinyongStore

/// The monitoring's use cases over the store: install and export editions, import values and events,
/// fill demo data, and answer for any month with scores, ranks, intervals, explanations and what-ifs.
/// Results are computed on demand and kept until the next import, since a month's computation reads
/// every value of its window.
public actor MonitoringService {
    public let store: Store
    nonisolated public let cities: [MonitoredCity]
    public let uncertainty: UncertaintySettings
    public let sensitivitySettings: SensitivitySettings
    private var editionCache: [String: Edition] = [:]
    private var dataCache: [String: MonitoringData] = [:]
    private var scoreCache: [String: MonthScores] = [:]
    private var intervalCache: [String: [RankInterval]] = [:]
    private var sensitivityCache: [String: [Sobol.Index]] = [:]

    public init(store: Store, cities: [MonitoredCity] = MonitoredCity.shipped,
                uncertainty: UncertaintySettings = .init(), sensitivity: SensitivitySettings = .init()) {
        self.store = store
        self.cities = cities
        self.uncertainty = uncertainty
        self.sensitivitySettings = sensitivity
    }

    public static let defaultEdition = "2020"

    public struct NotFound: Error, CustomStringConvertible {
        public let description: String
        public init(description: String) { self.description = description }
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
        try await saveValues(output.values, edition: id, source: "demo", by: actor)
        try await saveEvents(output.events, by: actor)
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
        dataCache = [:]
        scoreCache = [:]
        intervalCache = [:]
        sensitivityCache = [:]
    }

    // MARK: Results

    public func data(edition id: String) async throws -> MonitoringData {
        if let cached = dataCache[id] { return cached }
        let repo = store.repositories.monitoring
        let values = try await repo.values(edition: id).compactMap { row in
            Month(row.month).map { IndicatorValue(city: row.city_code, month: $0, indicator: row.indicator, value: row.value) }
        }
        let events = try await repo.events().compactMap(Self.event)
        let data = MonitoringData(values: values, events: events)
        dataCache[id] = data
        return data
    }

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
    public func months(edition id: String) async throws -> [Month] { try await data(edition: id).months }

    /// The month a bare request means: the latest one with data.
    public func latestMonth(edition id: String) async throws -> Month {
        guard let month = try await months(edition: id).last else {
            throw NotFound(description: "edition \(id) has no values yet: import some, or run `xinyong monitor demo`")
        }
        return month
    }

    /// Every city's score and ranks for a month, linked to the month before.
    public func scores(edition id: String, month: Month) async throws -> MonthScores {
        let key = "\(id)|\(month)"
        if let cached = scoreCache[key] { return cached }
        let engine = try await engine(edition: id)
        let data = try await data(edition: id)
        guard data.months.contains(where: { month.window(engine.edition.windowMonths).contains($0) }) else {
            throw NotFound(description: "edition \(id) has no values in the window ending \(month)")
        }
        var scores = try await Self.compute { engine.score(month, data: data) }
        if data.months.contains(month.adding(-1)) {
            let previous = try await self.scores(edition: id, month: month.adding(-1))
            scores.link(previous: previous)
        }
        scoreCache[key] = scores
        return scores
    }

    public struct TrendPoint: Sendable {
        public let month: Month
        public let score: CityScore
    }

    /// A city's score and ranks month by month.
    public func trend(edition id: String, city: String) async throws -> [TrendPoint] {
        var out: [TrendPoint] = []
        for month in try await months(edition: id) {
            if let result = try await scores(edition: id, month: month).result(for: city) { out.append(TrendPoint(month: month, score: result)) }
        }
        return out
    }

    public func intervals(edition id: String, month: Month) async throws -> [RankInterval] {
        let key = "\(id)|\(month)"
        if let cached = intervalCache[key] { return cached }
        let scores = try await scores(edition: id, month: month)
        let engine = try await engine(edition: id), settings = uncertainty
        let intervals = try await Self.compute { engine.rankIntervals(scores, settings: settings) }
        intervalCache[key] = intervals
        return intervals
    }

    public func sensitivity(edition id: String, month: Month, city: String) async throws -> [Sobol.Index] {
        let key = "\(id)|\(month)|\(city)"
        if let cached = sensitivityCache[key] { return cached }
        let scores = try await scores(edition: id, month: month)
        let engine = try await engine(edition: id), settings = sensitivitySettings
        let indices = try await Self.compute { engine.sensitivity(city: city, in: scores, settings: settings) }
        sensitivityCache[key] = indices
        return indices
    }

    public func explain(edition id: String, month: Month, city: String) async throws -> Explanation {
        let scores = try await scores(edition: id, month: month)
        guard let explanation = try await engine(edition: id).explain(city: city, in: scores) else {
            throw NotFound(description: "\(city) is not a city the monitoring ranks")
        }
        return explanation
    }

    public func whatIf(edition id: String, month: Month, city: String, indicator: String, value: Double) async throws -> MonitoringEngine.WhatIf {
        let scores = try await scores(edition: id, month: month)
        guard scores.index(of: city) != nil else { throw NotFound(description: "\(city) is not a city the monitoring ranks") }
        let engine = try await engine(edition: id), data = try await data(edition: id)
        return try await Self.compute { try engine.whatIf(city: city, indicator: indicator, value: value, month: month, data: data, current: scores) }
    }
}
