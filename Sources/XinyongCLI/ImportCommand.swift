import ArgumentParser
import Foundation
import XinyongExchange
import XinyongModel
import XinyongStore

/// `xinyong import FILE --department ID --type TYPE`: the same batch as the API, from the command line.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import", abstract: "Import a department's CSV (or NDJSON) file of credit records as one batch.")

    @OptionGroup var options: CommonOptions

    @Argument(help: "The file: CSV in UTF-8 (with or without BOM) or GB18030/GBK, or NDJSON with --ndjson.")
    var file: String

    @Option(help: "The submitting department's id.")
    var department: String

    @Option(help: "The record type (e.g. admin_penalty, admin_licence).")
    var type: String

    @Option(help: "all_or_nothing (default) or accept_valid.")
    var mode: String = BatchRequest.Mode.allOrNothing.rawValue

    @Flag(help: "The file is NDJSON (one JSON object per line) instead of CSV.")
    var ndjson = false

    func validate() throws {
        guard BatchRequest.Mode(rawValue: mode) != nil else { throw ValidationError("--mode '\(mode)' must be all_or_nothing or accept_valid") }
        guard FileManager.default.isReadableFile(atPath: file) else { throw ValidationError("cannot read \(file)") }
    }

    func run() async throws {
        let settings = try options.settings()
        let store = try await openStore(settings)
        do {
            try await store.bootstrap()
            let summary = try await Self.importFile(file, store: store, settings: settings, request: BatchRequest(
                departmentID: department, recordType: type, mode: BatchRequest.Mode(rawValue: mode)!, source: "cli",
                submittedBy: Actor.cli("").name), ndjson: ndjson)
            let issues = try await store.repositories.batches.issues(batch: summary.id)
            await store.close()
            print(BatchText(summary: summary, issues: issues).text)
            if summary.status == "rejected" { throw ExitCode(1) }
        } catch {
            await store.close()
            if let refused = error as? BatchRefused { throw Failure(refused.description) }
            throw error
        }
    }

    /// Streams the file through the importer with a progress line on standard error.
    static func importFile(_ path: String, store: Store, settings: Settings, request: BatchRequest, ndjson: Bool) async throws -> BatchSummary {
        guard let catalog = try await store.repositories.catalog.current() else { throw Failure("the database has no catalogue; run xinyong migrate") }
        let importer = BatchImporter(store: store, catalog: catalog, personKey: try await PlatformKeys.person(store: store, settings: settings))
        let validator = try await importer.validator(for: request)
        let source = try ByteStreamSource.file(path, type: validator.type, format: ndjson ? .ndjson : .csv)
        let progress = ProgressLine(label: "import")
        let summary = try await importer.run(request, source: source) { rows, rejected in
            progress.update(rows: rows, rejected: rejected)
        }
        progress.finish()
        return summary
    }
}

/// A batch report as text: counts, then every issue with row, field, value and reason.
struct BatchText {
    let summary: BatchSummary
    let issues: [BatchIssue]

    var text: String {
        var lines = [
            "batch \(summary.id): \(summary.status) (\(summary.mode)\(summary.encoding.map { ", \($0)" } ?? ""))",
            "  rows \(summary.rows_total): created \(summary.created), corrected \(summary.corrected), unchanged \(summary.unchanged), rejected \(summary.rejected), with warnings \(summary.warned)" + (summary.notices > 0 ? ", notices before listing issued \(summary.notices) (listed when their statement period ends)" : ""),
        ]
        for issue in issues.prefix(200) {
            let place = issue.row_number == 0 ? "file" : "row \(issue.row_number)"
            lines.append("  \(issue.severity.rawValue) \(place)\(issue.field.map { " \($0)" } ?? "")\(issue.value.map { " '\($0)'" } ?? ""): \(issue.reason)")
        }
        if issues.count > 200 { lines.append("  … \(issues.count - 200) more; GET /api/v1/batches/\(summary.id)?format=csv lists them all") }
        return lines.joined(separator: "\n")
    }
}

/// Rows, rows per second and rejections so far: redrawn in place on a terminal, a line every 100,000
/// rows otherwise (logs, CI).
final class ProgressLine: @unchecked Sendable {
    private let label: String
    private let terminal = isatty(STDERR_FILENO) != 0
    private let start = ContinuousClock.now
    private let lock = NSLock()
    private var lastPrinted = 0
    private var last = ""

    init(label: String) { self.label = label }

    func update(rows: Int, rejected: Int) {
        lock.withLock {
            let seconds = max((ContinuousClock.now - start).seconds, 0.001)
            last = "\(label): \(rows) rows, \(Int(Double(rows) / seconds)) rows/s, \(rejected) rejected"
            if terminal {
                FileHandle.standardError.write(Data("\r\(last)\u{1B}[K".utf8))
            } else if rows - lastPrinted >= 100_000 {
                lastPrinted = rows
                FileHandle.standardError.write(Data("\(last)\n".utf8))
            }
        }
    }

    func finish() {
        lock.withLock {
            guard !last.isEmpty else { return }
            FileHandle.standardError.write(Data((terminal ? "\r\(last)\u{1B}[K\n" : "\(last)\n").utf8))
        }
    }
}
