import Crypto
import Foundation
import Hummingbird
import NIOCore

/// How much of the server one department's uploads may take.
public struct BatchLimits: Sendable {
    /// `BATCH_MAX_BYTES`: the largest batch body accepted (200 MB: a million penalty rows).
    public var maxBytes: Int
    /// `BATCH_CONCURRENCY_PER_CALLER`: batches one key or user may have in flight at once.
    public var perCaller: Int
    /// `BATCH_IDLE_TIMEOUT`: seconds a batch upload may send nothing before it is cut off (408).
    public var idleTimeoutSeconds: Int

    public init(maxBytes: Int = 200 << 20, perCaller: Int = 2, idleTimeoutSeconds: Int = 30) {
        self.maxBytes = maxBytes
        self.perCaller = perCaller
        self.idleTimeoutSeconds = idleTimeoutSeconds
    }
}

/// A batch's body received whole onto a temporary file before its import opens a transaction: a slow or
/// stalled upload then holds only its own file, never the database's writer. Reads back in 1 MB chunks, so
/// memory stays flat; the file goes when the body does.
final class SpooledBody: @unchecked Sendable {
    let url: URL
    let bytes: Int
    /// SHA-256 of the body, for idempotent retries.
    let digest: String
    private var reader: FileHandle?

    struct TooLarge: Error { let limit: Int }
    struct Stalled: Error { let seconds: Int }

    private init(url: URL, bytes: Int, digest: String) {
        self.url = url
        self.bytes = bytes
        self.digest = digest
    }

    deinit {
        try? reader?.close()
        try? FileManager.default.removeItem(at: url)
    }

    /// Receives the body, refusing it as soon as it passes `limit` bytes or sends nothing for `idleSeconds`.
    static func receive(_ body: RequestBody, limit: Int, idleSeconds: Int) async throws -> SpooledBody {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("xinyong-batch-\(UUID().uuidString)")
        guard FileManager.default.createFile(atPath: url.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown)
        }
        let progress = Progress()
        do {
            return try await withThrowingTaskGroup(of: SpooledBody?.self) { group in
                group.addTask { try await write(body, to: url, limit: limit, progress: progress) }
                group.addTask {
                    // The watchdog: nil while the upload moves, Stalled once it has sent nothing for too long.
                    while try await progress.idle(longerThan: .seconds(idleSeconds)) == false {}
                    throw Stalled(seconds: idleSeconds)
                }
                defer { group.cancelAll() }
                while let result = try await group.next() {
                    if let spooled = result { return spooled }
                }
                throw CancellationError()
            }
        } catch {
            try? FileManager.default.removeItem(at: url)
            throw error
        }
    }

    private static func write(_ body: RequestBody, to url: URL, limit: Int, progress: Progress) async throws -> SpooledBody {
        let file = try FileHandle(forWritingTo: url)
        defer { try? file.close() }
        var hasher = SHA256(), bytes = 0
        for try await buffer in body {
            progress.moved()
            bytes += buffer.readableBytes
            guard bytes <= limit else { throw TooLarge(limit: limit) }
            buffer.withUnsafeReadableBytes { hasher.update(bufferPointer: $0) }
            try file.write(contentsOf: buffer.readableBytesView)
        }
        return SpooledBody(url: url, bytes: bytes, digest: hasher.finalize().hexEncoded)
    }

    /// When the upload last moved.
    final class Progress: @unchecked Sendable {
        private var last = ContinuousClock.now
        private let lock = NSLock()

        func moved() { lock.withLock { last = .now } }

        /// Waits a moment, then says whether nothing arrived for `limit`.
        func idle(longerThan limit: Duration) async throws -> Bool {
            try await Task.sleep(for: .milliseconds(250))
            return lock.withLock { ContinuousClock.now - last > limit }
        }
    }

    /// The next chunk of the body, or nil at its end.
    func next() throws -> [UInt8]? {
        if reader == nil { reader = try FileHandle(forReadingFrom: url) }
        guard let data = try reader?.read(upToCount: 1 << 20), !data.isEmpty else { return nil }
        return Array(data)
    }

    /// The whole body, for formats that need it at once (a JSON array).
    func whole() throws -> Data { try Data(contentsOf: url) }
}

/// Batches in flight per caller, so that one key cannot queue the server full of uploads.
final class BatchSlots: @unchecked Sendable {
    private var inFlight: [String: Int] = [:]
    private let lock = NSLock()

    /// Takes a slot for `caller`, or returns false when it already has `limit` batches in flight.
    func take(_ caller: String, limit: Int) -> Bool {
        lock.withLock {
            guard inFlight[caller, default: 0] < limit else { return false }
            inFlight[caller, default: 0] += 1
            return true
        }
    }

    func give(_ caller: String) {
        lock.withLock {
            inFlight[caller, default: 1] -= 1
            if inFlight[caller] == 0 { inFlight[caller] = nil }
        }
    }
}
