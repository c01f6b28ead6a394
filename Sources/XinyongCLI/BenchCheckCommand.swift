import ArgumentParser
import Foundation
import Hummingbird
import XinyongAccess
import XinyongExchange
import XinyongModel
import XinyongStore
import XinyongWeb
#if canImport(Glibc)
import Glibc
#endif

/// `xinyong bench check`: the real server on the configured database, loaded over HTTP from another process
/// (``LoadDriver``) with checks by code and, beside them, a trivial route of the same server; prints requests
/// per second, latency percentiles and the ratio of the two rates.
struct BenchCheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Checks by code per second and their latency over HTTP, beside a trivial route of the same server.",
        discussion: "Runs on DATABASE_URL (fills an empty database with --subjects demo subjects first). The load comes from another process: wrk when it is installed, else xinyong's own client in a child process. Every check is stored and audited, so use a copy of a production database.")

    @OptionGroup var options: CommonOptions

    @Option(help: "Concurrent keep-alive connections.")
    var connections: Int = 64

    @Option(help: "Seconds measured per route (after the warm-up).")
    var seconds: Double = 10

    @Option(help: "Seconds of warm-up per route, not measured.")
    var warmup: Double = 3

    @Option(help: "Demo subjects to generate when the database is empty.")
    var subjects: Int = 20_000

    @Option(help: "Port for the in-process server (0 = any free port).")
    var port: Int = 0

    @Option(help: "Trivial route to compare with: /api/v1/ping (no work) or /health (one database read).")
    var trivial: String = "/api/v1/ping"

    @Flag(help: "Print the figures as JSON.")
    var json = false

    @Flag(help: "Print the wrk script for checks (for scripts/bench-load) and exit.")
    var printWrkScript = false

    func validate() throws {
        guard (1...512).contains(connections) else { throw ValidationError("--connections must be from 1 to 512") }
        guard seconds > 0, warmup >= 0 else { throw ValidationError("--seconds must be positive and --warmup not negative") }
    }

    func run() async throws {
        if printWrkScript { return print(LoadDriver.checksScript, terminator: "") }
        let settings = try options.settings()
        let store = try await openStore(settings)
        do {
            let clock = ContinuousClock()
            var t = clock.now
            try await store.bootstrap()
            log("database \(settings.database) migrated in \(format((clock.now - t).seconds)) s")
            if try await store.repositories.subjects.count() == 0 {
                log("empty database: generating \(subjects) demo subjects")
                _ = try await fillDemo(store: store, settings: settings, options: .init(subjects: subjects))
            }
            t = clock.now
            let subjectCount = try await store.repositories.subjects.count()
            let recordCount = try await store.repositories.records.count()
            let department = try await benchDepartment(store)
            let key = try await AccessKeys(store: store).issue(.department, department: department, name: "bench check \(UUID().uuidString.prefix(8))",
                                                               by: .cli("bench check"))
            let codes = try await sampleCodes(store)
            log("\(subjectCount) subjects, \(recordCount) records; \(codes.listed.count) listed and \(codes.other.count) other codes sampled in \(format((clock.now - t).seconds)) s")
            guard !codes.listed.isEmpty || !codes.other.isEmpty else { throw Failure("no subject with a code to check") }

            let platform = try await Platform.load(store: store, personKey: try await PlatformKeys.person(store: store, settings: settings),
                                                   reportKey: try await PlatformKeys.report(store: store, settings: settings))
            let chosenPort = port == 0 ? try freePort() : port
            let logger = LogSetup.logger("xinyong.bench")
            let server = BenchServer(buildApplication(platform: platform, host: "127.0.0.1", port: chosenPort, logger: logger), logger: logger)
            do {
                try await waitUntilServing(port: chosenPort)
            } catch {
                try? await server.stop()
                throw error
            }

            let driver = LoadDriver.find()
            let checks = LoadDriver.Route.checks(key: key.secret, codes: codes.listed + codes.other)
            log("load from \(driver.name): warming up \(format(warmup)) s per route, then \(format(seconds)) s each with \(connections) connections")
            let figures: (trivial: LoadFigures, check: LoadFigures)
            do {
                if warmup > 0 {
                    _ = try driver.run(port: chosenPort, route: .get(trivial), connections: connections, seconds: warmup)
                    _ = try driver.run(port: chosenPort, route: checks, connections: connections, seconds: warmup)
                }
                figures = (try driver.run(port: chosenPort, route: .get(trivial), connections: connections, seconds: seconds),
                           try driver.run(port: chosenPort, route: checks, connections: connections, seconds: seconds))
            } catch {
                try? await server.stop()
                throw error
            }
            try await server.stop()

            let ratio = figures.check.ratePerSecond / max(figures.trivial.ratePerSecond, 1)
            if json {
                let out: [String: Any] = [
                    "database": "\(settings.database)".replacingOccurrences(of: "\"", with: ""), "subjects": subjectCount, "records": recordCount,
                    "connections": connections, "seconds": seconds, "trivial_route": trivial, "load_generator": driver.name,
                    "trivial": figures.trivial.dictionary, "check": figures.check.dictionary, "ratio": ratio,
                ]
                print(String(decoding: try JSONSerialization.data(withJSONObject: out, options: [.sortedKeys]), as: UTF8.self))
            } else {
                print("bench check: \(subjectCount) subjects, \(recordCount) records, \(connections) connections, \(format(seconds)) s per route, load from \(driver.name)")
                print(figures.trivial.line("GET \(trivial)"))
                print(figures.check.line("POST /api/v1/checks (by code)"))
                print("ratio check/trivial: \(format(ratio)) (target ≥ 0.5); check p99 \(format(figures.check.p99)) ms (target < 10 ms)")
            }
        } catch {
            await store.close()
            throw error
        }
        await store.close()
    }

    private func log(_ line: String) {
        FileHandle.standardError.write(Data("bench check: \(line)\n".utf8))
    }

    /// The city's development and reform commission when the demo made it, else a department of that kind.
    private func benchDepartment(_ store: Store) async throws -> String {
        if try await store.repositories.departments.find("431000-development_reform") != nil { return "431000-development_reform" }
        let bench = Department(id: "bench-development_reform", name: "基准测试发展改革部门", category: "development_reform", regionCode: "431000", level: .city)
        if try await store.repositories.departments.find(bench.id) == nil {
            try await store.transaction { try await $0.departments.insert([bench], by: .cli("bench check department")) }
        }
        return bench.id
    }

    /// About 1,000 subjects on a list and 1,000 others, found through the primary keys from random points
    /// among the city's codes (portable, and fast on a million rows).
    private func sampleCodes(_ store: Store) async throws -> (listed: [String], other: [String]) {
        var random = SeededRandom(seed: 2_026)
        var listed = Set<String>(), other = Set<String>()
        let regions = ["431000"] + RegionDirectory.shipped.children(of: "431000").map(\.code)
        for _ in 0..<1_000 {
            let start = random.pick(["91", "91", "91", "92"]) + random.pick(regions)
                + String((0..<10).map { _ in SocialCreditCode.alphabet[random.int(0...30)] })
            let found = try await store.repositories.lists.codesAt(start)
            if let code = found.listed { listed.insert(code) }
            if let code = found.any { other.insert(code) }
        }
        return (listed.sorted(), other.sorted())
    }

    private func waitUntilServing(port: Int) async throws {
        for _ in 0..<200 {
            if let result = try? await LoadRun.run(port: port, requests: [Array("GET /api/v1/ping HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".utf8)], connections: 1, seconds: 0.01),
                result.ok > 0 { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw Failure("the in-process server did not start on port \(port)")
    }

    private func format(_ x: Double) -> String { String(format: "%.2f", x) }
}

/// A closed-loop HTTP/1.1 load: each connection sends a request, reads the whole response, and sends the
/// next, on blocking sockets in threads of their own (so the load is not scheduled on the server's loops).
struct LoadRun: Sendable {
    let requests: Int
    let ok: Int
    let failed: Int
    let elapsed: Double
    /// Sorted latencies in seconds.
    let latencies: [Double]

    var rate: Double { Double(requests) / max(elapsed, 1e-9) }
    func percentile(_ p: Double) -> Double { Latencies(sorted: latencies).percentile(p * 100) }

    static func run(port: Int, requests: [[UInt8]], connections: Int, seconds: Double) async throws -> LoadRun {
        try await withCheckedThrowingContinuation { continuation in
            let results = Results(count: connections)
            let group = DispatchGroup()
            let deadline = DispatchTime.now().uptimeNanoseconds + UInt64(seconds * 1e9)
            let start = DispatchTime.now().uptimeNanoseconds
            for c in 0..<connections {
                group.enter()
                let thread = Thread {
                    results.set(c, Self.connection(port: port, requests: requests, offset: c * 7919, deadline: deadline))
                    group.leave()
                }
                thread.stackSize = 1 << 20
                thread.start()
            }
            group.notify(queue: .global()) {
                let elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
                let all = results.all
                if let error = all.compactMap(\.error).first, all.allSatisfy({ $0.latencies.isEmpty }) {
                    return continuation.resume(throwing: Failure("load: \(error)"))
                }
                let latencies = all.flatMap(\.latencies).sorted()
                continuation.resume(returning: LoadRun(requests: latencies.count, ok: all.reduce(0) { $0 + $1.ok },
                                                       failed: all.reduce(0) { $0 + $1.failed }, elapsed: elapsed, latencies: latencies))
            }
        }
    }

    struct ConnectionResult: Sendable {
        var latencies: [Double] = []
        var ok = 0, failed = 0
        var error: String?
    }

    final class Results: @unchecked Sendable {
        private var values: [ConnectionResult]
        private let lock = NSLock()
        init(count: Int) { values = Array(repeating: ConnectionResult(), count: count) }
        func set(_ i: Int, _ r: ConnectionResult) { lock.withLock { values[i] = r } }
        var all: [ConnectionResult] { lock.withLock { values } }
    }

    static func connection(port: Int, requests: [[UInt8]], offset: Int, deadline: UInt64) -> ConnectionResult {
        var result = ConnectionResult()
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { result.error = "socket: errno \(errno)"; return result }
        defer { close(fd) }
        var one: Int32 = 1
        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &one, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard connected else { result.error = "connect: errno \(errno)"; return result }
        var buffer = [UInt8](repeating: 0, count: 1 << 16)
        var i = offset
        repeat {
            let request = requests[i % requests.count]
            i += 1
            let started = DispatchTime.now().uptimeNanoseconds
            guard request.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, 0) }) == request.count else {
                result.error = "send: errno \(errno)"
                return result
            }
            // Read the head, then Content-Length bytes of body.
            var received = 0, headEnd = -1, total = -1, status = 0
            while total < 0 || received < total {
                if received == buffer.count { buffer += [UInt8](repeating: 0, count: buffer.count) }
                let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress! + received, $0.count - received, 0) }
                guard n > 0 else { result.error = "recv: connection closed (errno \(errno))"; return result }
                received += n
                if headEnd < 0, let end = Self.headEnd(buffer, received) {
                    headEnd = end
                    // "HTTP/1.1 201 …": the status is bytes 9–11.
                    status = end > 12 ? Int(buffer[9] - 48) * 100 + Int(buffer[10] - 48) * 10 + Int(buffer[11] - 48) : 0
                    total = end + Self.contentLength(buffer, end)
                }
            }
            result.latencies.append(Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9)
            if (200..<300).contains(status) { result.ok += 1 } else { result.failed += 1 }
        } while DispatchTime.now().uptimeNanoseconds < deadline
        return result
    }

    /// The Content-Length header's value (0 when absent), read from the head's bytes without making strings.
    static func contentLength(_ b: [UInt8], _ end: Int) -> Int {
        let name = Array("content-length:".utf8)
        var i = 0
        while i + name.count < end {
            if b[i] == 10 {
                var j = 0
                while j < name.count, b[i + 1 + j] | 0x20 == name[j] | 0x20 { j += 1 }
                if j == name.count {
                    var k = i + 1 + j, value = 0
                    while k < end, b[k] == 32 { k += 1 }
                    while k < end, b[k] >= 48, b[k] <= 57 { value = value * 10 + Int(b[k] - 48); k += 1 }
                    return value
                }
            }
            i += 1
        }
        return 0
    }

    /// Index just past the blank line ending the response head, if it has arrived.
    static func headEnd(_ b: [UInt8], _ count: Int) -> Int? {
        guard count >= 4 else { return nil }
        for i in 0...(count - 4) where b[i] == 13 && b[i + 1] == 10 && b[i + 2] == 13 && b[i + 3] == 10 { return i + 4 }
        return nil
    }
}
