import ArgumentParser
import Foundation
import XinyongEvaluation
import XinyongModel
import XinyongStore

/// `xinyong evaluate [--model V] [--model-file F] [--as-of D]`: grades every subject, with a progress bar on
/// standard error, and ends with the grade distribution, one line per grade (`A 1234`).
struct EvaluateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "evaluate", abstract: "Evaluate every subject's public credit (grades A–D).",
        discussion: "Without --model the installed model in force on the cut-off date is used (the shipped one on a new database). --model-file checks a model file against the catalogue, lists every defect, and installs it only when it has none.")

    @OptionGroup var options: CommonOptions

    @Option(help: "An installed model version.")
    var model: Int?

    @Option(name: .customLong("model-file"), help: "A model file (JSON) to check, install and use.")
    var modelFile: String?

    @Option(name: .customLong("as-of"), help: "The data cut-off, YYYY-MM-DD (default: today, Beijing time).")
    var asOf: String?

    func run() async throws {
        let cutoff = try parseDate()
        let store = try await openStore(try options.settings())
        do {
            let evaluator = try await makeEvaluator(store: store, cutoff: cutoff)
            let bar = ProgressBar(label: "evaluate")
            let start = ContinuousClock.now
            let distribution = try await evaluator.evaluateAll(asOf: cutoff) { done, total in bar.update(done, of: total) }
            bar.finish()
            let seconds = (ContinuousClock.now - start).seconds
            FileHandle.standardError.write(Data("model \(evaluator.scoring.model.version), as of \(cutoff), \(String(format: "%.1f", seconds)) s\n".utf8))
            for grade in Grade.allCases { print("\(grade.rawValue) \(distribution[grade] ?? 0)") }
        } catch {
            await store.close()
            throw error
        }
        await store.close()
    }

    private func parseDate() throws -> CivilDate {
        guard let asOf else { return .today() }
        guard let date = CivilDate(asOf) else { throw ValidationError("--as-of: '\(asOf)' is not a date YYYY-MM-DD") }
        return date
    }

    private func makeEvaluator(store: Store, cutoff: CivilDate) async throws -> Evaluator {
        let catalog = try await store.repositories.catalog.current(on: cutoff) ?? .shipped
        if let modelFile {
            guard let data = FileManager.default.contents(atPath: modelFile) else { throw Failure("--model-file: cannot read \(modelFile)") }
            do {
                let model = try EvaluationModel.decode(data)
                let scoring = try model.compile(for: catalog)
                try await store.repositories.evaluations.install(model, by: .system("xinyong evaluate --model-file \(modelFile)"))
                return Evaluator(store: store, scoring: scoring, catalog: catalog)
            } catch let defects as EvaluationModelDefects {
                throw Failure("--model-file \(modelFile): \(defects)")
            }
        }
        if let model {
            guard let installed = try await store.repositories.evaluations.model(version: model) else {
                throw Failure("--model: no evaluation model version \(model) is installed")
            }
            return Evaluator(store: store, scoring: try installed.compile(for: catalog), catalog: catalog)
        }
        return try await Evaluator.current(store: store, on: cutoff)
    }
}

/// A progress bar on standard error: redrawn in place on a terminal, a line per tenth otherwise.
final class ProgressBar: @unchecked Sendable {
    private let label: String
    private let terminal = isatty(STDERR_FILENO) != 0
    private let lock = NSLock()
    private var lastTenth = -1

    init(label: String) { self.label = label }

    func update(_ done: Int, of total: Int) {
        lock.withLock {
            let fraction = total == 0 ? 1 : Double(done) / Double(total)
            let filled = Int(fraction * 30)
            let line = "\(label) [\(String(repeating: "#", count: filled))\(String(repeating: ".", count: 30 - filled))] \(done)/\(total)"
            if terminal {
                FileHandle.standardError.write(Data("\r\(line)\u{1B}[K".utf8))
            } else if Int(fraction * 10) != lastTenth {
                lastTenth = Int(fraction * 10)
                FileHandle.standardError.write(Data("\(line)\n".utf8))
            }
        }
    }

    func finish() {
        if terminal { FileHandle.standardError.write(Data("\n".utf8)) }
    }
}
