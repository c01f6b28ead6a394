import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import Testing
import XinyongModel
import XinyongStore
import XinyongTestSupport
@testable import XinyongWeb

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What one department's uploads may take of the server: a stalled upload holds no database writer and is
/// cut off when idle, a caller has a bounded number of batches in flight, and a body has a size limit.
@Suite(.serialized) struct BatchUploadTests {
    static let limits = BatchLimits(maxBytes: 64 << 10, perCaller: 1, idleTimeoutSeconds: 2)

    func auth(_ secret: String) -> HTTPFields { [.authorization: "Bearer \(secret)", .contentType: "text/csv", .accept: "application/json"] }

    /// A platform of its own: the batches here create subjects, which the shared fixture's other suites count.
    static func withPlatform(_ body: (Platform, Callers) async throws -> Void) async throws {
        try await Backend.sqlite.withStore { store in
            var platform = try await WebBackend.platform(store)
            platform.batchLimits = limits
            try await body(platform, try await Callers.make(platform))
        }
    }

    @Test func aStalledUploadHoldsNothingAndIsCutOffWhenIdle() async throws {
        try await Self.withPlatform { platform, callers in
            let serial = Int.random(in: 1000...9000)
            let app = buildApplication(platform: platform, host: "127.0.0.1", port: 0)
            try await app.test(.live) { client in
                let port = try #require(client.port)
                // Department A starts a batch and stops sending halfway through its declared length.
                let stalled = try RawConnection(port: port)
                let head = ExchangeWebTests.penaltyHeader + "\n"
                try stalled.send("POST /api/v1/batches?type=admin_penalty HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer \(callers.departmentA)\r\n"
                    + "Content-Type: text/csv\r\nContent-Length: \(head.utf8.count + 4096)\r\n\r\n" + head)
                try await Task.sleep(for: .milliseconds(300))

                // Meanwhile another batch of the same key is refused for now, with when to come back ...
                let other = ByteBuffer(string: head + ExchangeWebTests.penaltyRow(serial) + "\n")
                try await client.execute(uri: "/api/v1/batches?type=admin_penalty", method: .post, headers: auth(callers.departmentA), body: other) { response in
                    #expect(response.status == .tooManyRequests)
                    #expect(response.headers[.retryAfter] == "10")
                    #expect(String(buffer: response.body).contains("too-many-batches"))
                }
                // ... while another department's batch lands at once: the stalled upload holds no writer.
                let started = ContinuousClock.now
                try await client.execute(uri: "/api/v1/batches?type=admin_penalty", method: .post, headers: auth(callers.departmentB), body: other) { response in
                    #expect(response.status == .created, "\(String(buffer: response.body))")
                }
                #expect(ContinuousClock.now - started < .seconds(2), "the batch waited behind the stalled upload")

                // The server answers the stalled upload 408 once it has sent nothing for the limit, and A may send again.
                let answer = stalled.answer(seconds: 10)
                #expect(answer.hasPrefix("HTTP/1.1 408"), "the stalled upload got \(answer.prefix(80))")
                #expect(answer.contains("upload-stalled"))
                // (Its slot is given back when the cut-off request's handler has unwound, a moment after the close.)
                let retry = ByteBuffer(string: head + ExchangeWebTests.penaltyRow(serial + 1) + "\n")
                var status = HTTPResponse.Status.tooManyRequests
                for _ in 0..<20 where status == .tooManyRequests {
                    status = try await client.execute(uri: "/api/v1/batches?type=admin_penalty", method: .post, headers: auth(callers.departmentA),
                                                      body: retry) { $0.status }
                    if status == .tooManyRequests { try await Task.sleep(for: .milliseconds(200)) }
                }
                #expect(status == .created)
            }
        }
    }

    @Test func aBodyOverTheLimitIsRefusedAndWritesNothing() async throws {
        try await Self.withPlatform { platform, callers in
            let before = try await platform.store.repositories.records.count()
            let rows = (0..<400).map { ExchangeWebTests.penaltyRow(5000 + $0) }.joined(separator: "\n")
            let body = ByteBuffer(string: ExchangeWebTests.penaltyHeader + "\n" + rows + "\n")
            #expect(body.readableBytes > Self.limits.maxBytes)
            let app = buildApplication(platform: platform, host: "127.0.0.1", port: 0)
            try await app.test(.live) { client in
                try await client.execute(uri: "/api/v1/batches?type=admin_penalty", method: .post, headers: auth(callers.departmentB), body: body) { response in
                    #expect(response.status == .contentTooLarge)
                    #expect(String(buffer: response.body).contains("\(Self.limits.maxBytes) bytes"))
                }
            }
            #expect(try await platform.store.repositories.records.count() == before)
        }
    }
}

/// A plain TCP connection, for a client that stops sending in the middle of a request.
final class RawConnection {
    let socket: Int32

    init(port: Int) throws {
        #if canImport(Glibc)
        socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        #else
        socket = Darwin.socket(AF_INET, SOCK_STREAM, 0)
        #endif
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
    }

    deinit { close(socket) }

    func send(_ text: String) throws {
        let bytes = Array(text.utf8)
        guard write(socket, bytes, bytes.count) == bytes.count else { throw POSIXError(.EPIPE) }
    }

    /// What the server sends within `seconds`, until it has sent a whole answer or closes.
    func answer(seconds: Int) -> String {
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(socket, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var received: [UInt8] = [], buffer = [UInt8](repeating: 0, count: 4096)
        let deadline = ContinuousClock.now + .seconds(seconds)
        while ContinuousClock.now < deadline {
            let n = read(socket, &buffer, buffer.count)
            if n > 0 { received += buffer[0..<n] }
            if n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) { break }
            if String(decoding: received, as: UTF8.self).contains("}") { break }
        }
        return String(decoding: received, as: UTF8.self)
    }
}
