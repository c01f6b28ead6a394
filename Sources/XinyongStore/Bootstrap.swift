import Crypto
import Foundation
import SQLKit
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import XinyongModel

extension Store {
    /// Everything a fresh database needs before it can take records: the schema, the region list and
    /// the shipped catalogue. Idempotent, so `serve` and `migrate` run it on every start.
    public func bootstrap() async throws {
        try await migrate()
        let actor = Actor.system("bootstrap: shipped reference data")
        try await transaction { repos in
            try await repos.regions.seedIfEmpty(.shipped, by: actor)
            try await repos.catalog.installIfMissing(.shipped, by: actor)
            try await repos.measures.installIfMissing(.shipped, by: actor)
        }
    }
}

/// The platform's secret for keyed hashes of personal id numbers, kept as a file in the data directory
/// (readable by the owner only). Losing it means the same person can no longer be matched to their
/// earlier records, so it belongs in the backup with the database.
public enum PersonKeyFile {
    public static let fileName = "person-id.key"

    /// Reads the key; creates it only when it is missing and `createIfMissing` (a database that holds no
    /// data yet). A missing key beside data, or a key file open to group or others, stops with one line.
    public static func load(dataDirectory: String, createIfMissing: Bool) throws -> SymmetricKey {
        SymmetricKey(data: try SecretFile.load(
            fileName, in: dataDirectory, expected: "32 bytes", isValid: { $0.count == 32 },
            createIfMissing: createIfMissing, orphans: "every stored person hash (no one could be matched to their records again)",
            create: { SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) } }))
    }
}

/// A secret kept as a file in the data directory: read if present, else (when allowed) created with mode
/// 0600 from its first byte. A file that group or others may read or write is refused, not repaired.
enum SecretFile {
    static func load(
        _ name: String, in dataDirectory: String, expected: String, isValid: (Data) -> Bool, createIfMissing: Bool,
        orphans: String, create: () -> Data
    ) throws -> Data {
        let path = URL(fileURLWithPath: dataDirectory).appendingPathComponent(name).path
        if let data = try read(path, expected: expected, isValid: isValid) { return data }
        guard createIfMissing else {
            throw Store.Unavailable(description: """
                DATA_DIR: the key \(path) is missing but the database already holds data; a new key would orphan \(orphans). \
                Restore \(name) from the backup into \(dataDirectory) (mode 600), then start again
                """)
        }
        let data = create()
        do {
            try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true,
                                                    attributes: [.posixPermissions: 0o700])
        } catch {
            throw Store.Unavailable(description: "DATA_DIR: cannot create \(dataDirectory) for \(name): \(error.localizedDescription)")
        }
        switch writeNew(path, data) {
        case .written: return data
        case .exists:
            // Another process created it between our read and our create: use theirs.
            if let data = try read(path, expected: expected, isValid: isValid) { return data }
            throw Store.Unavailable(description: "DATA_DIR: \(path) appeared and vanished while it was being created")
        case .failed(let reason):
            throw Store.Unavailable(description: "DATA_DIR: cannot create \(path): \(reason)")
        }
    }

    /// The file's contents, nil if there is no file; refuses a file group or others may read or write.
    private static func read(_ path: String, expected: String, isValid: (Data) -> Bool) throws -> Data? {
        var info = stat()
        guard stat(path, &info) == 0 else {
            if errno == ENOENT { return nil }
            throw Store.Unavailable(description: "DATA_DIR: cannot read \(path): \(String(cString: strerror(errno)))")
        }
        let mode = UInt32(info.st_mode) & 0o777
        guard mode & 0o077 == 0 else {
            let octal = String(mode, radix: 8)
            throw Store.Unavailable(description: """
                DATA_DIR: the key \(path) has mode \(String(repeating: "0", count: max(0, 4 - octal.count)) + octal), \
                so group or others may read or change it; it must be readable by its owner only: run chmod 600 \(path)
                """)
        }
        let data: Data
        do {
            data = try Data(contentsOf: URL(fileURLWithPath: path))
        } catch {
            throw Store.Unavailable(description: "DATA_DIR: cannot read \(path): \(error.localizedDescription)")
        }
        guard isValid(data) else {
            throw Store.Unavailable(description: "DATA_DIR: \(path) must hold \(expected), it holds \(data.count) bytes")
        }
        return data
    }

    private enum Written { case written, exists, failed(String) }

    /// Creates the file with mode 0600 in the same call that creates it (never written, then narrowed).
    private static func writeNew(_ path: String, _ data: Data) -> Written {
        let fd = open(path, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            return errno == EEXIST ? .exists : .failed(String(cString: strerror(errno)))
        }
        var failure: String?
        data.withUnsafeBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n < 0 {
                    if errno == EINTR { continue }
                    failure = String(cString: strerror(errno))
                    return
                }
                offset += n
            }
        }
        if failure == nil, fsync(fd) != 0 { failure = String(cString: strerror(errno)) }
        if close(fd) != 0, failure == nil { failure = String(cString: strerror(errno)) }
        if let failure {
            unlink(path)
            return .failed(failure)
        }
        return .written
    }
}

/// What the database already holds that the platform's keys are bound to: a key missing beside it must be
/// restored, not made anew.
public struct HeldData: Sendable, Equatable {
    /// Any subject or record (a natural person's id is stored only as a hash made with the person key).
    public var subjectsOrRecords: Bool
    /// Any issued credit report (each is signed with the report key).
    public var issuedReports: Bool

    public init(subjectsOrRecords: Bool, issuedReports: Bool) {
        self.subjectsOrRecords = subjectsOrRecords
        self.issuedReports = issuedReports
    }

    public var any: Bool { subjectsOrRecords || issuedReports }
}

extension Store {
    /// Whether the (migrated) database holds any subject, record or issued report.
    public func holdsData() async throws -> HeldData {
        struct One: Decodable { let one: Int }
        func nonEmpty(_ table: String) async throws -> Bool {
            try await sql.raw("SELECT 1 AS one FROM \(ident: table) LIMIT 1").first(decoding: One.self) != nil
        }
        let subjects = try await nonEmpty("subjects")
        let records = try await nonEmpty("credit_records")
        return HeldData(subjectsOrRecords: subjects || records, issuedReports: try await nonEmpty("credit_reports"))
    }
}
