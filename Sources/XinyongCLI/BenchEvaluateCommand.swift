import ArgumentParser
import Foundation
import XinyongEvaluation
import XinyongModel
import XinyongStore

/// `xinyong bench evaluate`: evaluates every subject of the database in DATABASE_URL (fill it first with
/// `xinyong demo`) and prints the time, the rate and the peak memory. The delay from a record change to the
/// new grade is measured from outside a running server by `scripts/bench-evaluation`.
struct BenchEvaluateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate", abstract: "Time a full evaluation of every subject and report its peak memory.")

    @OptionGroup var options: CommonOptions

    @Option(name: .customLong("as-of"), help: "The data cut-off, YYYY-MM-DD (default: today).")
    var asOf: String?

    func validate() throws {
        if let asOf, CivilDate(asOf) == nil { throw ValidationError("--as-of '\(asOf)' is not a date YYYY-MM-DD") }
    }

    func run() async throws {
        let cutoff = asOf.flatMap { CivilDate($0) } ?? .today()
        let store = try await openStore(try options.settings())
        do {
            try await store.bootstrap()
            let subjects = try await store.repositories.subjects.count()
            guard subjects > 0 else { throw Failure("the database has no subjects; fill it with `xinyong demo` first") }
            let records = try await store.repositories.records.count()
            let evaluator = try await Evaluator.current(store: store, on: cutoff)
            let start = ContinuousClock.now
            let grades = try await evaluator.evaluateAll(asOf: cutoff)
            let seconds = (ContinuousClock.now - start).seconds
            print("evaluate: \(subjects) subjects, \(records) records, as of \(cutoff), model \(evaluator.scoring.model.version)")
            print(String(format: "  time %.1f s, %.0f subjects/s, peak memory %d MiB", seconds, Double(subjects) / seconds, peakMemoryMiB()))
            print("  " + Grade.allCases.map { "\($0.rawValue) \(grades[$0] ?? 0)" }.joined(separator: ", "))
        } catch {
            await store.close()
            throw error
        }
        await store.close()
    }
}

/// The process's peak resident memory so far, in MiB.
func peakMemoryMiB() -> Int {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    return usage.ru_maxrss / 1024
}
