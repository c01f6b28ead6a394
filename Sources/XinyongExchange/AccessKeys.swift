import Crypto
import Foundation
import XinyongStore

/// API keys: a random secret shown once, stored only as its SHA-256 (the secret has 256 bits of entropy,
/// so a plain hash is as strong as a slow one).
public enum AccessKeys {
    public struct Issued: Sendable {
        public let id: String
        /// `xy_` + 64 hex digits; give it to the department and forget it.
        public let secret: String
    }

    public static func hash(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).hexEncoded
    }

    /// Creates a key for a department (or, with no department, an administrator's key).
    public static func issue(department: String?, name: String, store: Store, by actor: Actor) async throws -> Issued {
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
        let secret = "xy_" + bytes.hexEncoded
        let id = "key_" + UUID().uuidString.prefix(8).lowercased()
        try await store.transaction { repos in
            if let department, try await repos.departments.find(department) == nil {
                throw BatchRefused(kind: .unknownDepartment, description: "there is no department '\(department)'")
            }
            try await repos.apiKeys.create(id: id, departmentID: department, role: department == nil ? "admin" : "department",
                                           name: name, keyHash: hash(secret), by: actor)
        }
        return Issued(id: id, secret: secret)
    }

    /// The key behind an `Authorization: Bearer …` secret, if it exists and is not revoked.
    public static func authenticate(_ secret: String, store: Store) async throws -> ApiKey? {
        guard let key = try await store.repositories.apiKeys.find(hash: hash(secret)), key.revoked_at == nil else { return nil }
        // Last use is bookkeeping: recorded in the background so that a request never waits for it
        // behind a large import holding the write connection, and at most once a minute per key so that a
        // busy department system (checks before handling) does not turn every read into a write.
        if LastUse.due(key.id) {
            Task { try? await store.transaction { try await $0.apiKeys.touch(id: key.id) } }
        }
        return key
    }

    private enum LastUse {
        nonisolated(unsafe) static var recorded: [String: ContinuousClock.Instant] = [:]
        static let lock = NSLock()

        static func due(_ id: String) -> Bool {
            let now = ContinuousClock.now
            return lock.withLock {
                if let last = recorded[id], now - last < .seconds(60) { return false }
                recorded[id] = now
                return true
            }
        }
    }
}
