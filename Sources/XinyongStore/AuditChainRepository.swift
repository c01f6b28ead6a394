import Crypto
import Foundation
import SQLKit

/// The audit trail's hash chain and its signed checkpoints as stored: the SQL only. What a hash is and
/// how the chain is walked belongs to the audit service (XinyongAudit).
public struct AuditChainRepository: Sendable {
    let db: any SQLDatabase

    /// One sealed audit row's place in the chain.
    public struct Link: Codable, Sendable, Equatable {
        public let id, position: Int
        public let content_hash, prev_hash, hash, sealed_at: String

        public init(id: Int, position: Int, contentHash: String, prevHash: String, hash: String, sealedAt: String) {
            self.id = id
            self.position = position
            self.content_hash = contentHash
            self.prev_hash = prevHash
            self.hash = hash
            self.sealed_at = sealedAt
        }
    }

    /// A signed statement of the chain's length and head at an instant.
    public struct Checkpoint: Codable, Sendable, Equatable {
        public let length, last_id: Int
        public let head, at, key_id, signature: String

        public init(length: Int, lastID: Int, head: String, at: String, keyID: String, signature: String) {
            self.length = length
            self.last_id = lastID
            self.head = head
            self.at = at
            self.key_id = keyID
            self.signature = signature
        }
    }

    private static let linkColumns = "id, position, content_hash, prev_hash, hash, sealed_at"
    private static let entryColumns = "id, at, actor, action, entity, entity_id, reason, detail, department_id, subject_id"

    /// The last link of the chain; nil while nothing is sealed.
    public func head() async throws -> Link? {
        try await db.raw("SELECT \(unsafeRaw: Self.linkColumns) FROM audit_chain ORDER BY position DESC LIMIT 1")
            .first(decoding: Link.self)
    }

    private struct MaxID: Decodable { let n: Int? }

    /// Whether audit rows newer than the chain's head exist, so that an idle sealer need not open a
    /// write transaction every second.
    public func hasUnsealed() async throws -> Bool {
        let newest = try await db.raw("SELECT MAX(id) AS n FROM audit_log").first(decoding: MaxID.self)?.n ?? 0
        return newest > (try await head()?.id ?? 0)
    }

    /// The highest audit id below which no transaction can still commit a row; nil when that cannot be
    /// known right now (PostgreSQL: a transaction that inserted audit rows is still open). Run it in its
    /// own transaction. On PostgreSQL every audit insert holds the shared advisory lock until it commits or
    /// rolls back; taking the lock exclusively without waiting proves none is open, and inserts arriving
    /// meanwhile wait only for this one statement. SQLite has one writer at a time, so every id not yet
    /// committed is above the highest committed one.
    public func sealableBound() async throws -> Int? {
        if db.dialect.name != "sqlite" {
            struct Locked: Decodable { let locked: Bool }
            let locked = try await db.raw("SELECT pg_try_advisory_xact_lock(\(unsafeRaw: String(M0009AuditChain.insertLock))) AS locked")
                .first(decoding: Locked.self)?.locked ?? false
            guard locked else { return nil }
        }
        return try await db.raw("SELECT MAX(id) AS n FROM audit_log").first(decoding: MaxID.self)?.n ?? 0
    }

    /// Audit rows with ids in `after+1 ... upTo`, oldest first.
    public func entries(after id: Int, upTo bound: Int = .max, limit: Int) async throws -> [AuditLog.Entry] {
        try await db.raw("""
            SELECT \(unsafeRaw: Self.entryColumns) FROM audit_log WHERE id > \(bind: id) AND id <= \(bind: bound)
            ORDER BY id LIMIT \(bind: limit)
            """).all(decoding: AuditLog.Entry.self)
    }

    /// Links with ids above `id`, by id.
    public func links(after id: Int, limit: Int) async throws -> [Link] {
        try await db.raw("""
            SELECT \(unsafeRaw: Self.linkColumns) FROM audit_chain WHERE id > \(bind: id) ORDER BY id LIMIT \(bind: limit)
            """).all(decoding: Link.self)
    }

    public func append(_ links: [Link]) async throws {
        try await db.insertRows(
            into: "audit_chain", columns: ["id", "position", "content_hash", "prev_hash", "hash", "sealed_at"],
            rows: links.map { [$0.id, $0.position, $0.content_hash, $0.prev_hash, $0.hash, $0.sealed_at] })
    }

    public func insert(_ checkpoint: Checkpoint) async throws {
        try await db.insert(into: "audit_checkpoints").columns("length", "last_id", "head", "at", "key_id", "signature")
            .values(checkpoint.length, checkpoint.last_id, checkpoint.head, checkpoint.at, checkpoint.key_id, checkpoint.signature)
            .run()
    }

    /// Every checkpoint, oldest first.
    public func checkpoints() async throws -> [Checkpoint] {
        try await db.raw("SELECT length, last_id, head, at, key_id, signature FROM audit_checkpoints ORDER BY id")
            .all(decoding: Checkpoint.self)
    }

    public func latestCheckpoint() async throws -> Checkpoint? {
        try await db.raw("SELECT length, last_id, head, at, key_id, signature FROM audit_checkpoints ORDER BY id DESC LIMIT 1")
            .first(decoding: Checkpoint.self)
    }
}

extension Repositories {
    public var auditChain: AuditChainRepository { .init(db: db) }
}

/// The platform's Ed25519 key for audit checkpoints, `audit-signing.key` in the data directory (mode 0600),
/// kept apart from the report key so that either can be rotated or withheld alone. Its public half is
/// published with the checkpoints.
public enum AuditKeyFile {
    public static let fileName = "audit-signing.key"

    /// Reads the key; creates it only when it is missing and `createIfMissing` (no checkpoint signed yet).
    public static func load(dataDirectory: String, createIfMissing: Bool) throws -> Curve25519.Signing.PrivateKey {
        let data = try SecretFile.load(
            fileName, in: dataDirectory, expected: "a 32-byte Ed25519 private key",
            isValid: { (try? Curve25519.Signing.PrivateKey(rawRepresentation: $0)) != nil }, createIfMissing: createIfMissing,
            orphans: "the signed audit checkpoints (outsiders' copies would no longer match the platform's key)",
            create: { Curve25519.Signing.PrivateKey().rawRepresentation })
        return try Curve25519.Signing.PrivateKey(rawRepresentation: data)
    }
}

extension Store {
    /// Whether any audit checkpoint has been signed (then the audit key must be restored, not made anew).
    public func holdsAuditCheckpoints() async throws -> Bool {
        try await repositories.auditChain.latestCheckpoint() != nil
    }
}
