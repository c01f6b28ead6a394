import ArgumentParser
import Foundation

/// Load driven from a process of its own, so that the figures are the server's and not those of a client
/// sharing its process: wrk when it is installed, else this binary's closed-loop client (`xinyong bench
/// client`) in a child process.
enum LoadDriver {
    case wrk(path: String)
    case child(executable: String)

    /// What the load asks for.
    enum Route {
        case get(String)
        /// `POST /api/v1/checks` by code, rotating over `codes` and six scenarios, with a department key.
        case checks(key: String, codes: [String])
    }

    static func find() -> LoadDriver {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for directory in path.split(separator: ":") where FileManager.default.isExecutableFile(atPath: "\(directory)/wrk") {
            return .wrk(path: "\(directory)/wrk")
        }
        return .child(executable: URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path)
    }

    var name: String {
        switch self {
        case .wrk: "wrk (a process of its own)"
        case .child: "xinyong bench client (a child process; install wrk for the reference figures)"
        }
    }

    func run(port: Int, route: Route, connections: Int, seconds: Double) throws -> LoadFigures {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("xinyong-load-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        var environment = ProcessInfo.processInfo.environment
        var arguments: [String]
        switch (self, route) {
        case (.wrk, .get(let path)):
            arguments = ["http://127.0.0.1:\(port)\(path)"]
        case (.wrk, .checks(let key, let codes)):
            let script = directory.appendingPathComponent("checks.lua"), list = directory.appendingPathComponent("codes.txt")
            try Data(Self.checksScript.utf8).write(to: script)
            try Data(codes.joined(separator: "\n").utf8).write(to: list)
            environment["KEY"] = key
            environment["CODES"] = list.path
            arguments = ["-s", script.path, "http://127.0.0.1:\(port)"]
        case (.child, .get(let path)):
            arguments = ["--path", path]
        case (.child, .checks(let key, let codes)):
            let list = directory.appendingPathComponent("codes.txt")
            try Data(codes.joined(separator: "\n").utf8).write(to: list)
            arguments = ["--key", key, "--codes", list.path]
        }
        let process = Process()
        switch self {
        case .wrk(let path):
            process.executableURL = URL(fileURLWithPath: path)
            process.arguments = ["-t2", "-c\(connections)", "-d\(Int(seconds.rounded(.up)))s", "--timeout", "20s", "--latency"] + arguments
        case .child(let executable):
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = ["bench", "client", "--port", "\(port)", "--connections", "\(connections)", "--seconds", "\(seconds)"] + arguments
        }
        process.environment = environment
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw Failure("load generator failed (\(process.terminationStatus)): \(text)") }
        switch self {
        case .wrk: return try LoadFigures(wrkOutput: text)
        case .child: return try JSONDecoder().decode(LoadFigures.self, from: Data(text.utf8))
        }
    }

    /// The scenarios checks rotate over.
    static let scenarios = ["government_procurement", "bidding", "subsidies_funds", "licences_approvals", "financing", "honours"]

    /// The wrk script for checks (`xinyong bench check --print-wrk-script` prints it for scripts/bench-load).
    static let checksScript = """
        -- POST /api/v1/checks by code, rotating over the codes in the file $CODES and six scenarios, with the
        -- department key in $KEY.
        local codes = {}
        for line in io.lines(os.getenv("CODES")) do
          if #line > 0 then codes[#codes + 1] = line end
        end
        local scenarios = { \(scenarios.map { "\"\($0)\"" }.joined(separator: ", ")) }
        local headers = { ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. os.getenv("KEY") }
        local i = math.random(#codes)

        request = function()
          i = i + 1
          local body = string.format('{"code":"%s","scenario":"%s","matter":"bench"}', codes[i % #codes + 1], scenarios[i % #scenarios + 1])
          return wrk.format("POST", "/api/v1/checks", headers, body)
        end

        """

    /// The request bodies of ``Route/checks(key:codes:)`` for the built-in client.
    static func checkRequests(key: String, codes: [String]) -> [[UInt8]] {
        codes.indices.map { i in
            let body = Array("{\"code\":\"\(codes[i])\",\"scenario\":\"\(scenarios[i % scenarios.count])\",\"matter\":\"bench\"}".utf8)
            return Array("POST /api/v1/checks HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(key)\r\nContent-Type: application/json\r\nContent-Length: \(body.count)\r\n\r\n".utf8) + body
        }
    }
}

/// One route's figures from a load run; latencies in milliseconds.
struct LoadFigures: Codable, Sendable {
    var requests: Int
    var failed: Int
    var ratePerSecond: Double
    var p50: Double
    var p90: Double
    var p99: Double

    var dictionary: [String: Any] {
        ["requests": requests, "failed": failed, "rate_per_s": ratePerSecond, "p50_ms": p50, "p90_ms": p90, "p99_ms": p99]
    }

    func line(_ what: String) -> String {
        String(format: "%@ %9.0f req/s   p50 %6.2f ms   p90 %6.2f ms   p99 %6.2f ms   %d requests, %d failed",
               what.padding(toLength: 32, withPad: " ", startingAt: 0), ratePerSecond, p50, p90, p99, requests, failed)
    }
}

extension LoadFigures {
    init(_ run: LoadRun) {
        self.init(requests: run.requests, failed: run.failed, ratePerSecond: run.rate, p50: run.percentile(0.5) * 1000,
                  p90: run.percentile(0.9) * 1000, p99: run.percentile(0.99) * 1000)
    }

    /// Reads wrk's report (run with `--latency`): requests, Requests/sec, the 50/90/99 % latencies, and as
    /// failures the non-2xx answers and socket errors (time-outs included).
    init(wrkOutput text: String) throws {
        func number(after label: String) -> Double? {
            guard let range = text.range(of: label) else { return nil }
            let rest = text[range.upperBound...].drop { $0 == " " }
            return Double(rest.prefix { $0.isNumber || $0 == "." })
        }
        func latency(_ percent: String) -> Double? {
            guard let line = text.split(separator: "\n").first(where: { $0.trimmingCharacters(in: .whitespaces).hasPrefix(percent + " ") }),
                let value = line.split(separator: " ").last else { return nil }
            let unit = value.drop { $0.isNumber || $0 == "." }
            guard let x = Double(value.prefix { $0.isNumber || $0 == "." }) else { return nil }
            return unit == "us" ? x / 1000 : unit == "s" ? x * 1000 : unit == "m" ? x * 60_000 : x
        }
        guard let rate = number(after: "Requests/sec:"), let p50 = latency("50%"), let p90 = latency("90%"), let p99 = latency("99%"),
            let requests = text.split(separator: "\n").first(where: { $0.contains(" requests in ") })?
                .split(separator: " ").first.flatMap({ Int($0) })
        else { throw Failure("cannot read wrk's report:\n\(text)") }
        var failed = Int(number(after: "Non-2xx or 3xx responses:") ?? 0)
        if let line = text.split(separator: "\n").first(where: { $0.contains("Socket errors:") }) {
            failed += line.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }.reduce(0, +)
        }
        self.init(requests: requests, failed: failed, ratePerSecond: rate, p50: p50, p90: p90, p99: p99)
    }
}

/// `xinyong bench client`: the closed-loop HTTP client of ``LoadRun`` in a process of its own, for `bench check`
/// on machines without wrk. Prints its figures as JSON.
struct BenchClientCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "client", abstract: "Load one route of a running server and print the figures as JSON (used by bench check).",
        shouldDisplay: false)

    @Option var port: Int
    @Option var connections: Int = 64
    @Option var seconds: Double = 10
    @Option(help: "GET this path.") var path: String?
    @Option(help: "POST checks with this department key…") var key: String?
    @Option(help: "…by the codes in this file, one a line.") var codes: String?

    func run() async throws {
        let requests: [[UInt8]]
        if let path {
            requests = [Array("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)]
        } else if let key, let codes {
            let list = try String(contentsOfFile: codes, encoding: .utf8).split(separator: "\n").map(String.init)
            requests = LoadDriver.checkRequests(key: key, codes: list)
        } else {
            throw ValidationError("give --path, or --key and --codes")
        }
        let run = try await LoadRun.run(port: port, requests: requests, connections: connections, seconds: seconds)
        print(String(decoding: try JSONEncoder().encode(LoadFigures(run)), as: UTF8.self))
    }
}
