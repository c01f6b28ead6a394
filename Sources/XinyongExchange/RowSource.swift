import Foundation
import XinyongModel
import XinyongStore

/// Where a batch's rows come from. Pull-based: the importer asks for the next rows only when it has
/// written the previous ones, so a large file is never held in memory.
public protocol RowSource: Sendable {
    /// The next rows, or nil at the end.
    func next() async throws -> [InputRow]?
    /// The encoding detected, for text files.
    var encoding: TextEncoding? { get }
    /// Problems with the input as a whole, known once it has been read.
    var fileIssues: [BatchIssue] { get }
}

/// Rows already in memory (a JSON array, a form).
public final class ListSource: RowSource {
    private let lock = NSLock()
    nonisolated(unsafe) private var rows: [InputRow]?

    public init(_ rows: [InputRow]) { self.rows = rows }

    public func next() async throws -> [InputRow]? {
        lock.withLock {
            defer { rows = nil }
            return rows
        }
    }

    public var encoding: TextEncoding? { nil }
    public var fileIssues: [BatchIssue] { [] }
}

/// CSV or NDJSON read from a stream of byte chunks (a file, an HTTP body).
public final class ByteStreamSource: RowSource {
    public enum Format: Sendable { case csv, ndjson }

    private let lock = NSLock()
    private let nextBytes: @Sendable () async throws -> [UInt8]?
    private let format: Format
    private let map: FieldMap
    nonisolated(unsafe) private var csv: CSVRowReader
    nonisolated(unsafe) private var line: [UInt8] = []
    nonisolated(unsafe) private var lineNumber = 0
    nonisolated(unsafe) private var finished = false
    nonisolated(unsafe) private var bytesRead = 0

    /// Longest NDJSON line accepted: one record never needs more.
    static let maxLineBytes = 1 << 20

    public init(type: RecordType, format: Format, nextBytes: @escaping @Sendable () async throws -> [UInt8]?) {
        self.format = format
        self.nextBytes = nextBytes
        csv = CSVRowReader(type: type)
        map = FieldMap(type)
    }

    /// Reads a file in 1 MiB chunks.
    public static func file(_ path: String, type: RecordType, format: Format = .csv) throws -> ByteStreamSource {
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw BatchRefused(kind: .unreadable, description: "cannot open \(path)")
        }
        return ByteStreamSource(type: type, format: format) {
            let data = try handle.read(upToCount: 1 << 20) ?? Data()
            return data.isEmpty ? nil : [UInt8](data)
        }
    }

    public var bytes: Int { lock.withLock { bytesRead } }

    public func next() async throws -> [InputRow]? {
        while true {
            if lock.withLock({ finished }) { return nil }
            let chunk = try await nextBytes()
            // Parsing is a batch's own CPU work, done at low priority like its validation.
            let rows: [InputRow] = try await BackgroundThreads.run { [self] in
                lock.withLock {
                    guard let chunk else {
                        finished = true
                        return format == .csv ? csv.finish() : endLine()
                    }
                    bytesRead += chunk.count
                    return format == .csv ? csv.feed(chunk) : ndjsonLines(chunk)
                }
            }
            if !rows.isEmpty { return rows }
        }
    }

    public var encoding: TextEncoding? { lock.withLock { format == .csv ? csv.encoding : .utf8 } }

    public var fileIssues: [BatchIssue] {
        lock.withLock {
            guard format == .csv else { return [] }
            return csv.fileIssues + (csv.fatal.map { [BatchIssue(row: 0, severity: .error, field: nil, value: nil, reason: $0)] } ?? [])
        }
    }

    private func ndjsonLines(_ chunk: [UInt8]) -> [InputRow] {
        var rows: [InputRow] = []
        for byte in chunk {
            if byte == 0x0A {
                rows += endLine()
            } else if line.count < Self.maxLineBytes {
                line.append(byte)
            }
        }
        return rows
    }

    private func endLine() -> [InputRow] {
        defer { line.removeAll(keepingCapacity: true) }
        guard line.contains(where: { $0 > 0x20 }) else { return [] }
        lineNumber += 1
        if line.count >= Self.maxLineBytes {
            return [InputRow(number: lineNumber, values: [:], readErrors: [.error(nil, nil, "line \(lineNumber) is longer than \(Self.maxLineBytes) bytes")])]
        }
        return [JSONRows.line(line, number: lineNumber, type: map)]
    }
}
