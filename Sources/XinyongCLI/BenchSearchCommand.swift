import ArgumentParser
import Foundation
import Hummingbird
import XinyongModel
import XinyongStore
import XinyongWeb
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `xinyong bench search`: search and profile latencies over real HTTP against the database in
/// DATABASE_URL (fill it first with `xinyong demo`), one request at a time, after a warm-up pass.
struct BenchSearchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "search",
        abstract: "Time searches and profile pages over HTTP on an existing (demo) database and print percentiles.")

    @OptionGroup var options: CommonOptions

    @Option(help: "Subjects sampled; each gives a name fragment, a two-word query, a code prefix and a profile page.")
    var samples: Int = 200

    @Option(help: "Seed for the sample.")
    var seed: UInt64 = 4_310

    func validate() throws {
        guard (1...10_000).contains(samples) else { throw ValidationError("--samples must be between 1 and 10000") }
    }

    func run() async throws {
        let settings = try options.settings()
        let store = try await openStore(settings)
        do {
            try await store.bootstrap()
            let subjects = try await sample(store)
            guard !subjects.isEmpty else { throw Failure("the database has no organisations; fill it with `xinyong demo` first") }
            let platform = try await Platform.load(store: store, personKey: try await PlatformKeys.person(store: store, settings: settings),
                                                   reportKey: try await PlatformKeys.report(store: store, settings: settings))
            let port = try freePort()
            let logger = LogSetup.logger("xinyong.bench")
            let server = BenchServer(buildApplication(platform: platform, host: "127.0.0.1", port: port, logger: logger), logger: logger)
            do {
                try await waitUntilUp(port: port)
                try await measure(Workload(subjects: subjects), port: port, subjectCount: try await store.repositories.subjects.count(),
                                  recordCount: try await store.repositories.records.count())
            } catch {
                try? await server.stop()
                throw error
            }
            try await server.stop()
        } catch {
            await store.close()
            throw error
        }
        await store.close()
    }

    private func sample(_ store: Store) async throws -> [Subject] {
        var random = SeededRandom(seed: seed)
        return try await store.repositories.subjects.sampleOrganisations(samples, using: &random)
    }

    /// The requests, by kind: what people type, and the profile page they open.
    struct Workload {
        var requests: [(kind: String, path: String)] = []

        init(subjects: [Subject]) {
            for s in subjects {
                let name = Array(s.name)
                let start = min(3, max(0, name.count - 4))
                requests.append(("name fragment", "/search?q=" + escape(String(name[start..<min(name.count, start + 4)]))))
                if name.count >= 6 {
                    requests.append(("two words", "/search?q=" + escape(String(name[0..<2]) + " " + String(name[3..<5]))))
                }
                if let code = s.code?.value {
                    requests.append(("code prefix", "/search?q=" + String(code.prefix(12))))
                    requests.append(("profile page", "/subjects/" + code))
                    requests.append(("search API", "/api/v1/search?q=" + escape(String(name[start..<min(name.count, start + 4)]))))
                }
            }
            // Fragments shared by a large part of the city: the capped, worst case.
            for broad in ["建设", "郴州 有限公司", "商贸", "科技"] { requests.append(("broad fragment", "/search?q=" + escape(broad))) }
        }

        private func escape(_ text: String) -> String {
            text.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(CharacterSet(charactersIn: "&+="))) ?? text
        }
    }

    private func measure(_ workload: Workload, port: Int, subjectCount: Int, recordCount: Int) async throws {
        print("bench search: \(subjectCount) subjects, \(recordCount) records, \(workload.requests.count) requests per pass, one at a time")
        let session = URLSession(configuration: .ephemeral)
        for (_, path) in workload.requests { _ = try await get(session, port: port, path: path) }  // warm-up
        var timings: [String: [Double]] = [:]
        let clock = ContinuousClock()
        for (kind, path) in workload.requests {
            let start = clock.now
            let status = try await get(session, port: port, path: path)
            let ms = (clock.now - start).seconds * 1000
            guard status == 200 else { throw Failure("GET \(path) answered \(status)") }
            timings[kind, default: []].append(ms)
        }
        print("kind              n      p50 ms   p95 ms   p99 ms   max ms")
        for kind in ["name fragment", "two words", "code prefix", "search API", "broad fragment", "profile page"] {
            guard let values = timings[kind] else { continue }
            print(Latencies(values).line(kind))
        }
        let searches = timings.filter { $0.key != "profile page" }.flatMap(\.value)
        print(Latencies(searches).line("all searches") + "   (target p95 < 50 ms)")
        if let profiles = timings["profile page"] { print(Latencies(profiles).line("profile pages") + "   (target p95 < 20 ms)") }
    }

    private func get(_ session: URLSession, port: Int, path: String) async throws -> Int {
        guard let url = URL(string: "http://127.0.0.1:\(port)\(path)") else { throw Failure("bad path \(path)") }
        let (_, response) = try await session.data(from: url)
        return (response as? HTTPURLResponse)?.statusCode ?? 0
    }

    private func waitUntilUp(port: Int) async throws {
        let session = URLSession(configuration: .ephemeral)
        for _ in 0..<100 {
            if (try? await get(session, port: port, path: "/health")) == 200 { return }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw Failure("the server did not come up on port \(port)")
    }
}

/// Percentiles of a set of latencies in milliseconds.
struct Latencies {
    let sorted: [Double]

    init(_ values: [Double]) { sorted = values.sorted() }
    init(sorted: [Double]) { self.sorted = sorted }

    /// Nearest-rank percentile.
    func percentile(_ p: Double) -> Double {
        guard !sorted.isEmpty else { return 0 }
        let rank = Int((p / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(sorted.count - 1, max(0, rank - 1))]
    }

    func line(_ label: String) -> String {
        func f(_ x: Double) -> String { String(format: "%8.2f", x) }
        return label.padding(toLength: 16, withPad: " ", startingAt: 0) + String(format: "%5d", sorted.count)
            + " " + f(percentile(50)) + " " + f(percentile(95)) + " " + f(percentile(99)) + " " + f(sorted.last ?? 0)
    }
}

/// A TCP port nobody listens on now.
func freePort() throws -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw Failure("cannot open a socket") }
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else { throw Failure("cannot find a free port") }
    return Int(UInt16(bigEndian: address.sin_port))
}
