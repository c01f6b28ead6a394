import Crypto
import Logging
import XinyongStore

/// The sealer and notary of the audit trail: links rows into the hash chain in id order shortly after they
/// commit (every second while the server runs), and signs a checkpoint of the chain every ten minutes.
/// `finish()` does both once more at shutdown; `xinyong audit seal` does it on demand.
public actor AuditTrail {
    let store: Store
    let key: Curve25519.Signing.PrivateKey
    public nonisolated var publicKey: Curve25519.Signing.PublicKey { key.publicKey }

    static let sealInterval = Duration.seconds(1)
    static let checkpointInterval = Duration.seconds(600)
    /// Links written per transaction: a few milliseconds of the writer at most.
    static let batch = 500

    public init(store: Store, key: Curve25519.Signing.PrivateKey) {
        self.store = store
        self.key = key
    }

    /// Links every row that can no longer be preceded by a late commit; returns how many it linked. Zero
    /// when an audited transaction is still open (PostgreSQL): the next round catches up.
    ///
    /// The rows are read and hashed outside any transaction, and each ``batch`` of links is written in a short
    /// one: on SQLite a transaction holds the one writer, and checks waiting for it meanwhile go to the journal.
    @discardableResult
    public func seal() async throws -> Int {
        guard try await store.repositories.auditChain.hasUnsealed(),
            let bound = try await store.transaction({ try await $0.auditChain.sealableBound() }) else { return 0 }
        var total = 0
        while true {
            let chain = store.repositories.auditChain
            let head = try await chain.head()
            let entries = try await chain.entries(after: head?.id ?? 0, upTo: bound, limit: Self.batch)
            if entries.isEmpty { return total }
            let links = AuditHash.links(entries, after: head, sealedAt: Timestamp.now())
            let appended = try await store.transaction { repos in
                // Another sealer (`xinyong audit seal` beside the server) may have linked these rows meanwhile.
                guard try await repos.auditChain.head()?.id == head?.id else { return false }
                try await repos.auditChain.append(links)
                return true
            }
            guard appended else { continue }
            total += entries.count
            if entries.count < Self.batch { return total }
        }
    }

    /// Signs and stores the chain's length and head; nil when nothing was sealed since the last checkpoint.
    @discardableResult
    public func checkpoint() async throws -> AuditChainRepository.Checkpoint? {
        let chain = store.repositories.auditChain
        guard let head = try await chain.head(), try await chain.latestCheckpoint()?.length != head.position else { return nil }
        let checkpoint = try CheckpointSignature.sign(length: head.position, lastID: head.id, head: head.hash, at: Timestamp.now(), with: key)
        try await store.transaction { try await $0.auditChain.insert(checkpoint) }
        return checkpoint
    }

    public func published() async throws -> PublishedCheckpoints {
        PublishedCheckpoints(publicKey: publicKey, checkpoints: try await store.repositories.auditChain.checkpoints())
    }

    /// Seals every second and signs a checkpoint every ten minutes until cancelled.
    public func run(logger: Logger) async {
        var sinceCheckpoint = Duration.zero
        while !Task.isCancelled {
            do {
                try await seal()
                if sinceCheckpoint >= Self.checkpointInterval {
                    try await checkpoint()
                    sinceCheckpoint = .zero
                }
            } catch {
                logger.error("audit chain: \(error)")
            }
            try? await Task.sleep(for: Self.sealInterval)
            sinceCheckpoint += Self.sealInterval
        }
    }

    /// The last seal and checkpoint, at shutdown. Waits (up to ~10 s) for audited transactions still open.
    public func finish() async throws {
        for _ in 0..<100 {
            if try await store.transaction({ try await $0.auditChain.sealableBound() }) != nil { break }
            try await Task.sleep(for: .milliseconds(100))
        }
        try await seal()
        try await checkpoint()
    }
}
