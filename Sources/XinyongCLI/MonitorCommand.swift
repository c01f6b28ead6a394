import ArgumentParser
import Foundation
import XinyongModel
import XinyongMonitoring
import XinyongMonitoringService
import XinyongStore

/// `xinyong monitor`: the city credit monitoring on the command line — ranks, a city's explanation and
/// what-if, imports and exports, demo data.
struct MonitorCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "monitor",
        abstract: "City credit monitoring: scores, ranks with intervals, explanations, what-if, imports.",
        subcommands: [Ranks.self, City.self, Demo.self, Import.self, ExportEdition.self],
        defaultSubcommand: Ranks.self)

    /// Flags every monitor subcommand shares.
    struct Scope: ParsableArguments {
        @Option(help: "Indicator edition id (default 2020).")
        var edition: String = MonitoringService.defaultEdition

        @Option(help: "Month YYYY-MM (default: the latest month with values).")
        var month: String?

        func resolvedMonth(_ service: MonitoringService) async throws -> Month {
            guard let text = month else { return try await service.latestMonth(edition: edition) }
            guard let m = Month(text) else { throw ValidationError("--month '\(text)' is not a month YYYY-MM") }
            return m
        }
    }

    /// Opens the store, runs `body` with the monitoring service, closes the store, and turns the
    /// service's errors into one-line failures.
    static func withService<T>(_ options: CommonOptions, runs: Int? = nil, _ body: (MonitoringService) async throws -> T) async throws -> T {
        let settings = try options.settings()
        let store = try await openStore(settings)
        do {
            try await store.bootstrap()
            let service = MonitoringService(store: store, uncertainty: UncertaintySettings(runs: runs ?? 1_000))
            let result = try await body(service)
            await store.close()
            return result
        } catch {
            await store.close()
            switch error {
            case let e as MonitoringService.NotFound: throw Failure(e.description)
            case let e as MonitoringService.Rejected:
                // Failure prints one line, so every defect goes on it, separated by semicolons.
                throw Failure("\(e.issues.count) problem(s), nothing imported: " + e.issues.map(\.description).joined(separator: "; "))
            case let e as Edition.Invalid: throw Failure(e.description)
            case let e as MonitoringRepository.EditionConflict: throw Failure(e.description)
            case let e as MonitoringEngine.UnknownLeaf: throw Failure(e.description)
            default: throw error
            }
        }
    }

    static func printJSON(_ value: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
        print(String(decoding: try encoder.encode(value), as: UTF8.self))
    }

    /// `xinyong monitor ranks`: the ranking table with intervals.
    struct Ranks: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "ranks", abstract: "Scores and ranks of a month, with rank intervals.")

        @OptionGroup var options: CommonOptions
        @OptionGroup var scope: Scope
        @Option(help: "major, prefecture or county (default: all).") var group: String?
        @Option(help: "Province code, e.g. 430000.") var province: String?
        @Option(help: "Rows per group.") var limit: Int = 20
        @Option(help: "Monte Carlo runs for the rank intervals (0 = none).") var runs: Int = 1_000
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            let groupFilter = try group.map { text in
                guard let g = CityGroup(rawValue: text) else { throw ValidationError("--group must be major, prefecture or county") }
                return g
            }
            try await MonitorCommand.withService(options, runs: max(runs, 1)) { service in
                let month = try await scope.resolvedMonth(service)
                let scores = try await service.scores(edition: scope.edition, month: month)
                let intervals = runs > 0 ? Dictionary(uniqueKeysWithValues: try await service.intervals(edition: scope.edition, month: month).map { ($0.city, $0) }) : [:]
                let rows = scores.results.filter { (groupFilter == nil || $0.city.group == groupFilter) && (province == nil || $0.city.province == province) }
                let shown = Dictionary(grouping: rows, by: \.city.group).flatMap { $0.value.sorted { $0.rank < $1.rank }.prefix(limit) }
                    .sorted { ($0.city.group.rawValue, $0.rank) < ($1.city.group.rawValue, $1.rank) }
                if json { return try MonitorCommand.printJSON(shown.map { Row(score: $0, interval: intervals[$0.city.code]) }) }
                print("city credit monitoring \(month), edition \(scope.edition), window \(scores.window.lowerBound)–\(scores.window.upperBound)")
                print(["group", "rank", "code", "city", "score", "change", "moved", "interval", "in province"].joined(separator: "\t"))
                for s in shown {
                    print([s.city.group.rawValue, String(s.rank), s.city.code, s.city.name, String(format: "%.2f", s.score),
                           s.scoreChange.map { String(format: "%+.2f", $0) } ?? "-", s.rankChange.map { String($0) } ?? "-",
                           intervals[s.city.code].map { "\(Int($0.low.rounded()))-\(Int($0.high.rounded()))" } ?? "-",
                           "\(s.provinceRank)/\(s.provinceSize)"].joined(separator: "\t"))
                }
            }
        }

        struct Row: Encodable {
            let score: CityScore
            let interval: RankInterval?
        }
    }

    /// `xinyong monitor city CODE`: why the city scored what it did, and what-if.
    struct City: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "city", abstract: "Explain a city's score; --what-if INDICATOR=VALUE recomputes.")

        @OptionGroup var options: CommonOptions
        @OptionGroup var scope: Scope
        @Argument(help: "City code, e.g. 431000 (Chenzhou).") var code: String
        @Option(name: .customLong("what-if"), help: "A leaf indicator and a rolling value, e.g. 4.1.1=3.") var whatIf: String?
        @Flag(help: "Print JSON.") var json = false

        func run() async throws {
            try await MonitorCommand.withService(options, runs: 200) { service in
                let month = try await scope.resolvedMonth(service)
                let e = try await service.explain(edition: scope.edition, month: month, city: code)
                if let whatIf {
                    let parts = whatIf.split(separator: "=", maxSplits: 1).map(String.init)
                    guard parts.count == 2, let value = Double(parts[1]) else { throw ValidationError("--what-if must be INDICATOR=VALUE, e.g. 4.1.1=3") }
                    let answer = try await service.whatIf(edition: scope.edition, month: month, city: code, indicator: parts[0], value: value)
                    if json { return try MonitorCommand.printJSON(answer) }
                    print("what if \(answer.indicator) were \(Self.number(answer.after)) (now \(Self.number(answer.before))): "
                          + String(format: "score %.2f → %.2f", answer.scoreBefore, answer.scoreAfter)
                          + ", rank \(answer.rankBefore) → \(answer.rankAfter) of \(answer.groupSize)")
                    return
                }
                if json { return try MonitorCommand.printJSON(e) }
                print(Self.text(e))
            }
        }

        static func number(_ v: Double) -> String { String(format: "%g", v) }

        static func text(_ e: Explanation) -> String {
            let s = e.score
            var lines = [
                "\(e.city.name) (\(e.city.code)), \(e.month), edition \(e.editionID), window \(e.window)",
                String(format: "score %.2f = indicators %.2f %+.2f events", s.score, s.indicatorPoints, s.eventPoints)
                    + (s.vetoes.isEmpty ? "" : ", capped by \(s.vetoes.joined(separator: ", "))"),
                "rank \(s.rank) of \(s.groupSize) (\(e.city.group.rawValue)), \(s.provinceRank) of \(s.provinceSize) in its province"
                    + (s.rankChange.map { ", \($0 >= 0 ? "up" : "down") \(abs($0)) on last month" } ?? ""),
                "", "level  code      points  earned  share  group  value",
            ]
            func f(_ v: Double, _ spec: String = "%6.2f") -> String { String(format: spec, v) }
            for l in e.lines where l.level <= 2 || l.isLeaf {
                let value = l.value.map { number($0) + (l.origin == .reported ? "" : " (\(l.origin!.rawValue))") } ?? ""
                lines.append("\(String(l.level).padding(toLength: 6, withPad: " ", startingAt: 0)) \(l.code.padding(toLength: 9, withPad: " ", startingAt: 0)) "
                             + "\(f(l.points))  \(f(l.earned))  \(f(l.share * 100, "%4.0f"))%  \(f(l.groupShare * 100, "%4.0f"))%  \(value)")
            }
            lines.append("")
            lines.append("weaknesses: " + e.weaknesses.map { "\($0.code) \($0.name)" }.joined(separator: "; "))
            lines.append("strengths:  " + e.strengths.map { "\($0.code) \($0.name)" }.joined(separator: "; "))
            for effect in e.events {
                let ev = effect.event
                lines.append("event \(ev.occurredOn) \(ev.kind.rawValue) \(ev.title) (\(ev.source.rawValue), \(ev.severity)) on \(ev.indicator): "
                             + "\(f(effect.points, "%+.2f")), expires \(effect.expiresOn)")
            }
            return lines.joined(separator: "\n")
        }
    }

    /// `xinyong monitor demo`: deterministic demo values and events.
    struct Demo: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "demo", abstract: "Fill demo monitoring data (once; an edition that has values is left alone).")

        @OptionGroup var options: CommonOptions
        @Option(help: "Seed.") var seed: UInt64 = 431_000
        @Option(help: "Last month, YYYY-MM.") var through: String = "2019-12"
        @Flag(help: "County-level cities too.") var counties = false

        func run() async throws {
            guard let last = Month(through), last >= Month("2018-12")! else { throw ValidationError("--through must be a month YYYY-MM from 2018-12") }
            try await MonitorCommand.withService(options) { service in
                let clock = ContinuousClock(), start = clock.now
                let (values, events) = try await service.loadDemoIfEmpty(.init(seed: seed, through: last, includeCounties: counties))
                if values == 0 { print("monitoring edition 2020 already has values; nothing written") } else {
                    print("monitoring demo: \(values) values and \(events) events, 2018-12 to \(last), in \(String(format: "%.1f", start.duration(to: clock.now).seconds)) s")
                }
            }
        }
    }

    /// `xinyong monitor import values|events|edition FILE`.
    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "import", abstract: "Import a CSV of values (city,month,indicator,value) or events, or an edition JSON file.",
            discussion: "A file with any bad row is refused whole; every bad row is listed with its field and reason.")

        enum Kind: String, ExpressibleByArgument, CaseIterable { case values, events, edition }

        @OptionGroup var options: CommonOptions
        @Option(help: "Indicator edition id the values or events belong to.") var edition: String = MonitoringService.defaultEdition
        @Argument(help: "values, events or edition.") var kind: Kind
        @Argument(help: "The file.") var file: String

        func run() async throws {
            let data: Data
            do { data = try Data(contentsOf: URL(fileURLWithPath: file)) } catch { throw Failure("cannot read \(file): \(error.localizedDescription)") }
            let text = String(decoding: data, as: UTF8.self)
            let actor = Actor("cli", reason: "xinyong monitor import \(kind.rawValue) \(file)")
            try await MonitorCommand.withService(options) { service in
                switch kind {
                case .values:
                    let s = try await service.importValues(csv: text, edition: edition, source: "csv:\((file as NSString).lastPathComponent)", by: actor)
                    print("imported \(s.rows) values into edition \(s.edition)")
                case .events:
                    let s = try await service.importEvents(csv: text, edition: edition, by: actor)
                    print("imported \(s.rows) events")
                case .edition:
                    let e = try await service.importEdition(data, by: actor)
                    print("installed edition \(e.id): \(e.name), \(e.countsPerLevel.map(String.init).joined(separator: "/")) indicators per level")
                }
            }
        }
    }

    /// `xinyong monitor export-edition ID`: the edition as a file.
    struct ExportEdition: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "export-edition", abstract: "Write an edition as a JSON file (to standard output or --output).")

        @OptionGroup var options: CommonOptions
        @Argument(help: "Edition id, e.g. 2020.") var id: String
        @Option(name: .shortAndLong, help: "File to write.") var output: String?

        func run() async throws {
            let data = try await MonitorCommand.withService(options) { service in try await service.edition(id).encoded() }
            if let output {
                do { try data.write(to: URL(fileURLWithPath: output)) } catch { throw Failure("cannot write \(output): \(error.localizedDescription)") }
            } else {
                print(String(decoding: data, as: UTF8.self))
            }
        }
    }
}
