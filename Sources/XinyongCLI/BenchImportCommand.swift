import ArgumentParser
import Foundation
import XinyongDemo
import XinyongExchange
import XinyongModel
import XinyongStore

/// `xinyong bench import`: validated import beside the database's own bulk loader, on the same file.
struct BenchImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Time a validated CSV import against sqlite3 .import (and psql \\copy when DATABASE_URL is PostgreSQL), into tables with the same indexes.")

    @OptionGroup var options: CommonOptions

    @Option(help: "Rows in the generated penalty file.")
    var rows: Int = 1_000_000

    @Option(help: "Directory for the file and the scratch databases (default: a new temporary directory).")
    var workDir: String?

    @Flag(help: "Only write the penalty file into --work-dir (for scripts/bench-load), without timing any import.")
    var fileOnly = false

    func validate() throws {
        guard rows > 0 else { throw ValidationError("--rows must be at least 1") }
        if fileOnly, workDir == nil { throw ValidationError("--file-only needs --work-dir, where the file is kept") }
    }

    func run() async throws {
        let settings = try options.settings()
        let directory = workDir ?? FileManager.default.temporaryDirectory.appendingPathComponent("xinyong-bench-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let csv = directory + "/penalties.csv"
        let clock = ContinuousClock()
        var t = clock.now
        let bytes = try PenaltyFileWriter.write(rows: rows, to: csv)
        print("generated \(csv): \(rows) rows, \(bytes / 1_048_576) MiB in \(format((clock.now - t).seconds)) s")
        if fileOnly { return }

        let sqlitePath = directory + "/validated.sqlite"
        let (summary, ours) = try await validatedImport(csv, database: .sqlite(path: sqlitePath), settings: settings)
        print(line("xinyong import → SQLite", rows: rows, seconds: ours, note: "\(summary.created) created, \(summary.rejected) rejected; peak RSS \(peakMemoryMiB()) MiB"))

        // The same file into a table with credit_records' keys and indexes, and the store's settings (WAL,
        // synchronous=NORMAL, 64 MiB of cache).
        t = clock.now
        try Shell.run("sqlite3", [directory + "/bulk.sqlite", "PRAGMA journal_mode=WAL;", "PRAGMA synchronous=NORMAL;",
                                   "PRAGMA cache_size=-65536;"] + BulkTable.statements("penalties").map { $0 + ";" }
                                  + [".import --csv --skip 1 \(csv) penalties"])
        let bulk = (clock.now - t).seconds
        print(line("sqlite3 .import (same indexes)", rows: rows, seconds: bulk, note: "ratio \(format(bulk / ours)) (target ≥ 0.5)"))

        if case .postgres(let url) = settings.database {
            try await postgres(csv, url: url, settings: settings)
        }
        if workDir == nil { try? FileManager.default.removeItem(atPath: directory) }
    }

    /// The PostgreSQL lines: the validated import into a new scratch database (so that every run creates its
    /// records rather than finding them unchanged), then `psql \copy` of the same file into a table with
    /// credit_records' keys and indexes in that database.
    private func postgres(_ csv: String, url: String, settings: Settings) async throws {
        let scratch = "xinyong_bench_\(UUID().uuidString.prefix(8).lowercased())"
        guard var components = URLComponents(string: url) else { throw Failure("DATABASE_URL '\(url)' is not a URL") }
        try Shell.run("psql", [url, "-q", "-c", "CREATE DATABASE \(scratch)"])
        components.path = "/" + scratch
        let scratchURL = components.string!
        defer { try? Shell.run("psql", [url, "-q", "-c", "DROP DATABASE \(scratch)"]) }
        var scratchSettings = settings
        scratchSettings.migrationDatabase = nil
        let (pg, ours) = try await validatedImport(csv, database: .postgres(url: scratchURL), settings: scratchSettings)
        print(line("xinyong import → PostgreSQL", rows: rows, seconds: ours, note: "\(pg.created) created, \(pg.rejected) rejected; peak RSS \(peakMemoryMiB()) MiB"))
        for statement in BulkTable.statements("bench_copy") { try Shell.run("psql", [scratchURL, "-q", "-c", statement]) }
        let clock = ContinuousClock()
        let t = clock.now
        try Shell.run("psql", [scratchURL, "-q", "-c", "\\copy bench_copy FROM '\(csv)' WITH (FORMAT csv, HEADER true)"])
        let copy = (clock.now - t).seconds
        print(line("psql \\copy (same indexes)", rows: rows, seconds: copy, note: "ratio \(format(copy / ours)) (target ≥ 0.5)"))
    }

    /// The import's summary and its time. Only the import is timed, as for the loaders: not opening and migrating
    /// the fresh database (seconds on PostgreSQL, where it creates every table and loads the region list).
    private func validatedImport(_ csv: String, database: DatabaseURL, settings: Settings) async throws -> (BatchSummary, seconds: Double) {
        var settings = settings
        settings.database = database
        let store = try await openStore(settings)
        do {
            try await store.bootstrap()
            if try await store.repositories.departments.find(PenaltyFileWriter.department.id) == nil {
                try await store.transaction { try await $0.departments.insert([PenaltyFileWriter.department], by: .cli("bench")) }
            }
            let clock = ContinuousClock()
            let start = clock.now
            let summary = try await ImportCommand.importFile(csv, store: store, settings: settings, request: BatchRequest(
                departmentID: PenaltyFileWriter.department.id, recordType: "admin_penalty", mode: .acceptValid, source: "bench",
                submittedBy: "bench"), ndjson: false)
            let seconds = (clock.now - start).seconds
            await store.close()
            return (summary, seconds)
        } catch {
            await store.close()
            throw error
        }
    }

    private func line(_ what: String, rows: Int, seconds: Double, note: String) -> String {
        "\(what.padding(toLength: 34, withPad: " ", startingAt: 0)) \(format(seconds).leftPad(8)) s  \(String(Int(Double(rows) / seconds)).leftPad(9)) rows/s  \(note)"
    }

    private func format(_ x: Double) -> String { String(format: "%.2f", x) }
}

/// The bulk loaders' table: the penalty file's columns as text (c0 … c13), with the keys and indexes of
/// credit_records mapped onto them, so that the loaders maintain as many index entries a row as the import.
enum BulkTable {
    static func statements(_ table: String) -> [String] {
        let columns = PenaltyFileWriter.columns.indices.map { "c\($0) TEXT" }.joined(separator: ", ")
        // c1 code ~ subject_id, c3 document number ~ id and document_no, c7 category ~ record_type,
        // c10 decision date, c12 authority ~ region, c13 authority code ~ department_id.
        return [
            "CREATE TABLE \(table) (\(columns), PRIMARY KEY (c1, c3))",
            "CREATE UNIQUE INDEX \(table)_id ON \(table) (c3)",
            "CREATE UNIQUE INDEX \(table)_natural_key ON \(table) (c13, c7, c3)",
            "CREATE INDEX \(table)_type_date ON \(table) (c7, c10)",
            "CREATE INDEX \(table)_date ON \(table) (c10)",
            "CREATE INDEX \(table)_department ON \(table) (c13, c7, c10)",
            "CREATE INDEX \(table)_region_type_date ON \(table) (c7, c12, c10)",
        ]
    }
}

/// A realistic penalty file in the national double-publicity layout, streamed to disk.
enum PenaltyFileWriter {
    static let department = Department(id: "431000-market_regulation", name: "郴州市市场监督管理局", category: "market_regulation",
                                       regionCode: "431000", level: .city)
    static let columns = ["行政相对人名称", "行政相对人代码_1（统一社会信用代码）", "法定代表人", "行政处罚决定书文号", "违法行为类型", "违法事实",
                          "处罚依据", "处罚类别", "处罚内容", "罚款金额（万元）", "处罚决定日期", "失信程度", "处罚机关", "处罚机关统一社会信用代码"]

    static func write(rows: Int, to path: String) throws -> Int {
        FileManager.default.createFile(atPath: path, contents: nil)
        guard let handle = FileHandle(forWritingAtPath: path) else { throw Failure("cannot write \(path)") }
        defer { try? handle.close() }
        var random = SeededRandom(seed: 2_026)
        var buffer = columns.joined(separator: ",") + "\r\n"
        var written = 0
        let authorityCode = SocialCreditCode.completing("11431000MB1C2D3E")!.value
        let subjects = max(rows / 3, 1)
        let start = CivilDate("2023-12-01")!.dayNumber, span = 700
        for n in 0..<rows {
            let s = n % subjects
            let code = SocialCreditCode.completing("91431002MA" + base31(s, width: 6))!.value
            let date = CivilDate(dayNumber: start + random.int(0...span))
            let fine = random.int(5...500) * 100
            let tier = random.weighted([("一般", 80.0), ("严重", 10), ("轻微", 10)])
            buffer += "郴州市\(s)号商贸有限公司,\(code),李\(s % 97)强,郴市监罚〔\(date.year)〕\(n + 1)号,食品安全,\"经查，当事人销售超过保质期的食品，货值\(fine)元。\",《中华人民共和国食品安全法》第一百二十四条,罚款,罚款人民币\(fine)元,\(String(format: "%.4f", Double(fine) / 10_000)),\(date),\(tier),郴州市市场监督管理局,\(authorityCode)\r\n"
            if buffer.utf8.count > 1 << 20 {
                written += buffer.utf8.count
                handle.write(Data(buffer.utf8))
                buffer = ""
            }
        }
        written += buffer.utf8.count
        handle.write(Data(buffer.utf8))
        return written
    }

    static func base31(_ n: Int, width: Int) -> String {
        var n = n, out: [Character] = []
        for _ in 0..<width {
            out.append(SocialCreditCode.alphabet[n % 31])
            n /= 31
        }
        return String(out.reversed())
    }
}

enum Shell {
    static func run(_ tool: String, _ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [tool] + arguments
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let message = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure("\(tool) failed (\(process.terminationStatus)): \(String(decoding: message, as: UTF8.self))")
        }
    }
}

extension String {
    func leftPad(_ width: Int) -> String { count >= width ? self : String(repeating: " ", count: width - count) + self }
}
