import Crypto
import Foundation
import XinyongModel
import XinyongStore

/// API keys for systems: a random secret shown once, stored only as its SHA-256 (the secret has 256 bits
/// of entropy, so a plain hash is as strong as a slow one). A key belongs to a department or names its role.
public struct AccessKeys: Sendable {
    public struct Issued: Sendable {
        public let id: String
        /// `xy_` + 64 hex digits; give it to the system and forget it.
        public let secret: String
    }

    let store: Store
    /// Keys found valid are trusted for a few seconds, so that a busy department system's request is one
    /// database read, not two. A revoked key stops working within this time.
    let cache: ExpiringCache<KeyIdentity>

    public init(store: Store, trustFor seconds: Int = 5) {
        self.store = store
        self.cache = ExpiringCache(seconds: seconds)
    }

    public static func hash(_ secret: String) -> String {
        SHA256.hash(data: Data(secret.utf8)).hexEncoded
    }

    /// Creates a key. A department's or an association's key names its department (of the right kind), an
    /// agency's key its agency; an administrator's or recipient's names neither.
    public func issue(_ role: KeyRole, department: String? = nil, agency: String? = nil, name: String, by actor: Actor) async throws -> Issued {
        if let refusal = Self.refusal(role, department: department, agency: agency) { throw refusal }
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw AccessError.invalid(field: "name", reason: "say what the key is for, e.g. the system that uses it")
        }
        let bytes = SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
        let secret = "xy_" + bytes.hexEncoded
        let id = "key_" + UUID().uuidString.prefix(8).lowercased()
        try await store.transaction { repos in
            if let department {
                guard let found = try await repos.departments.find(department) else {
                    throw AccessError.invalid(field: "department_id", reason: "there is no department '\(department)'")
                }
                guard found.isAssociation == (role == .association) else {
                    throw AccessError.invalid(field: "department_id", reason: role == .association
                        ? "'\(department)' is a government department, not a business association"
                        : "'\(department)' is a business association: issue it an association key")
                }
            }
            if let agency, try await repos.agencies.find(agency) == nil {
                throw AccessError.invalid(field: "agency_id", reason: "there is no agency '\(agency)'")
            }
            try await repos.apiKeys.create(id: id, departmentID: department, agencyID: agency, role: role.rawValue, name: name,
                                           keyHash: Self.hash(secret), by: actor)
        }
        return Issued(id: id, secret: secret)
    }

    /// Why a key of `role` cannot name these, if it cannot.
    static func refusal(_ role: KeyRole, department: String?, agency: String?) -> AccessError? {
        switch role {
        case .department, .association:
            if department == nil { return .invalid(field: "department_id", reason: "a \(role.rawValue) key must name its \(role == .association ? "association" : "department")") }
            if agency != nil { return .invalid(field: "agency_id", reason: "a \(role.rawValue) key belongs to no agency") }
        case .agency:
            if agency == nil { return .invalid(field: "agency_id", reason: "an agency key must name its agency") }
            if department != nil { return .invalid(field: "department_id", reason: "an agency key belongs to no department") }
        case .admin, .recipient:
            if department != nil { return .invalid(field: "department_id", reason: "a \(role.rawValue) key belongs to no department") }
            if agency != nil { return .invalid(field: "agency_id", reason: "a \(role.rawValue) key belongs to no agency") }
        }
        return nil
    }

    /// The key behind an `Authorization: Bearer …` secret, if it exists and is not revoked.
    public func authenticate(_ secret: String) async throws -> KeyIdentity? {
        let digest = Self.hash(secret)
        if let known = cache.value(digest) { return known }
        guard let key = try await store.repositories.apiKeys.find(hash: digest), key.revoked_at == nil,
            let role = KeyRole(rawValue: key.role)
        else { return nil }
        // Last use is bookkeeping: recorded in the background and at most once a minute per key, so that a
        // busy system's reads never wait behind an import holding the write connection.
        if LastUse.due(key.id) {
            Task { [store] in try? await store.transaction { try await $0.apiKeys.touch(id: key.id) } }
        }
        var agency: Agency?
        if let agencyID = key.agency_id { agency = try await store.repositories.agencies.find(agencyID) }
        let identity = KeyIdentity(id: key.id, name: key.name, role: role, departmentID: key.department_id,
                                   agencyID: agency?.id, scopes: agency?.scopes ?? [])
        cache.remember(digest, identity)
        return identity
    }

    /// Revokes a key; this server stops trusting it at once (others within the cache's few seconds).
    public func revoke(id: String, by actor: Actor) async throws -> Bool {
        let revoked = try await store.transaction { try await $0.apiKeys.revoke(id: id, by: actor) }
        cache.forget { $0.id == id }
        return revoked
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

/// Why an account or key operation was refused: the field and the reason, for a 400 that names it.
public enum AccessError: Error, CustomStringConvertible, Equatable {
    case invalid(field: String, reason: String)
    case notFound(String)
    case conflict(String)

    public var description: String {
        switch self {
        case let .invalid(field, reason): "\(field): \(reason)"
        case .notFound(let what), .conflict(let what): what
        }
    }
}

/// Values trusted for a few seconds, by a digest of the secret they were found with.
final class ExpiringCache<Value: Sendable>: @unchecked Sendable {
    private var entries: [String: (value: Value, until: ContinuousClock.Instant)] = [:]
    private let lock = NSLock()
    private let lifetime: Duration

    init(seconds: Int) { lifetime = .seconds(seconds) }

    func value(_ digest: String) -> Value? {
        lock.withLock {
            guard let entry = entries[digest], ContinuousClock.now < entry.until else { return nil }
            return entry.value
        }
    }

    func remember(_ digest: String, _ value: Value) {
        lock.withLock {
            if entries.count > 10_000 { entries.removeAll() }
            entries[digest] = (value, ContinuousClock.now + lifetime)
        }
    }

    func forget(_ digest: String) {
        _ = lock.withLock { entries.removeValue(forKey: digest) }
    }

    func forget(where matches: (Value) -> Bool) {
        lock.withLock { entries = entries.filter { !matches($0.value.value) } }
    }
}
