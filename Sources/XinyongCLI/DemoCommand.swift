import ArgumentParser
import Foundation
import XinyongDemo
import XinyongModel
import XinyongStore

/// `xinyong demo`: fills an empty database with a synthetic Chenzhou.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Fill an empty database with synthetic Chenzhou departments, subjects and three years of records.")

    @OptionGroup var options: CommonOptions

    @Option(help: "Number of subjects (up to 1,000,000 and beyond).")
    var subjects: Int = 20_000

    @Option(help: "Seed; the same seed, subject count and as-of date give the same data.")
    var seed: UInt64 = 431_000

    @Option(name: .customLong("as-of"), help: "Last day records may be dated, YYYY-MM-DD (default: today in Asia/Shanghai).")
    var asOf: String?

    @Option(name: .customLong("record-scale"), help: "Multiplies records per subject (1 gives about 2.5).")
    var recordScale: Double = 1

    func validate() throws {
        guard subjects > 0 else { throw ValidationError("--subjects must be at least 1") }
        guard recordScale >= 0, recordScale <= 100 else { throw ValidationError("--record-scale must be between 0 and 100") }
        if let asOf, CivilDate(asOf) == nil { throw ValidationError("--as-of '\(asOf)' is not a date YYYY-MM-DD") }
    }

    func run() async throws {
        let settings = try options.settings()
        let demoOptions = DemoGenerator.Options(
            subjects: subjects, seed: seed, asOf: asOf.flatMap { CivilDate($0) } ?? .today(), recordScale: recordScale)
        let store = try await openStore(settings)
        do {
            try await store.bootstrap()
            let summary = try await fillDemo(store: store, settings: settings, options: demoOptions)
            await store.close()
            print(DemoReport(summary: summary, settings: settings).text)
        } catch {
            await store.close()
            if let notEmpty = error as? DemoGenerator.NotEmpty { throw Failure(notEmpty.description) }
            throw error
        }
    }
}

/// Runs the generator with progress on standard error: a self-updating line on a terminal, a line per
/// tenth of the work otherwise.
func fillDemo(store: Store, settings: Settings, options: DemoGenerator.Options) async throws -> (DemoGenerator.Summary, Duration) {
    let key = try await PlatformKeys.person(store: store, settings: settings)
    let generator = DemoGenerator(options: options, personKey: key)
    let clock = ContinuousClock()
    let start = clock.now
    let terminal = isatty(STDERR_FILENO) != 0
    let summary = try await generator.run(into: store) { p in
        let elapsed = start.duration(to: clock.now)
        let rate = Double(p.subjectsDone) / max(elapsed.seconds, 0.001)
        let line = "demo: \(p.subjectsDone)/\(p.subjectsTotal) subjects, \(p.records) records, \(Int(rate)) subjects/s"
        if terminal {
            FileHandle.standardError.write(Data("\r\(line)\u{1B}[K".utf8))
            if p.subjectsDone == p.subjectsTotal { FileHandle.standardError.write(Data("\n".utf8)) }
        } else if p.subjectsDone == p.subjectsTotal || (p.subjectsDone * 10 / p.subjectsTotal) != ((p.subjectsDone - DemoGenerator.chunkSize) * 10 / p.subjectsTotal) {
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
    }
    return (summary, start.duration(to: clock.now))
}

struct DemoReport {
    let summary: (DemoGenerator.Summary, Duration)
    let settings: Settings

    var text: String {
        let (s, elapsed) = summary
        var lines = [
            "demo data written to \(settings.database) in \(String(format: "%.1f", elapsed.seconds)) s",
            "  departments: \(s.departments)", "  subjects:    \(s.subjects) (\(s.checkFailedCodes) with a failing check character, kept and flagged)",
            "  records:     \(s.records)",
            "  grades:      " + Grade.allCases.map { "\($0.rawValue) \(s.grades[$0] ?? 0)" }.joined(separator: ", "),
        ]
        if case .sqlite(let path) = settings.database {
            let bytes = ["", "-wal", "-shm"].compactMap {
                (try? FileManager.default.attributesOfItem(atPath: path + $0))?[.size] as? Int
            }.reduce(0, +)
            lines.append("  size:        \(bytes / 1_048_576) MiB (\(path) with its WAL)")
        }
        return lines.joined(separator: "\n")
    }
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) / 1e18 }
}
