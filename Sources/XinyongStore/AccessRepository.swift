import SQLKit
import XinyongModel

extension Repositories {
    public var users: UserRepository { .init(db: db) }
    public var sessions: SessionRepository { .init(db: db) }
}

/// A user as stored.
public struct StoredUser: Codable, Sendable, Equatable {
    public let id: String
    public let name: String
    public let role: String
    public let department_id: String?
    public let region_code: String?
    public let password_hash: String
    public let must_change_password: Bool
    public let totp_secret: String?
    public let created_at: String
    public let password_changed_at: String
    public let disabled_at: String?

    /// The identity the edge carries, or nil for a role this version does not know.
    public var identity: UserIdentity? {
        Role(rawValue: role).map { UserIdentity(id: id, name: name, role: $0, departmentID: department_id, regionCode: region_code) }
    }
}

public struct UserRepository: Sendable {
    let db: any SQLDatabase
    private static let select: SQLQueryString = """
        SELECT id, name, role, department_id, region_code, password_hash, must_change_password, totp_secret,
        created_at, password_changed_at, disabled_at FROM users
        """

    public func create(id: String, name: String, role: Role, departmentID: String?, regionCode: String?,
                       passwordHash: String, by actor: Actor) async throws {
        let now = Timestamp.now()
        try await db.insert(into: "users")
            .columns("id", "name", "role", "department_id", "region_code", "password_hash", "must_change_password",
                     "created_at", "password_changed_at")
            .values(id, name, role.rawValue, departmentID, regionCode, passwordHash, true, now, now).run()
        try await AuditLog(db: db).append(actor, action: "create", entity: "users", entityID: id,
                                          detail: ["name": name, "role": role.rawValue, "department": departmentID ?? "",
                                                   "region": regionCode ?? ""])
    }

    public func find(name: String) async throws -> StoredUser? {
        try await db.raw("\(Self.select) WHERE name = \(bind: name)").first(decoding: StoredUser.self)
    }

    public func find(id: String) async throws -> StoredUser? {
        try await db.raw("\(Self.select) WHERE id = \(bind: id)").first(decoding: StoredUser.self)
    }

    public func list() async throws -> [StoredUser] {
        try await db.raw("\(Self.select) ORDER BY name").all(decoding: StoredUser.self)
    }

    public func count() async throws -> Int { try await db.count("SELECT COUNT(*) AS n FROM users") }

    /// Sets a new password hash; `mustChange` marks a one-time password the user replaces at next login.
    public func setPassword(id: String, hash: String, mustChange: Bool, by actor: Actor) async throws {
        try await db.update("users").set("password_hash", to: hash).set("must_change_password", to: mustChange)
            .set("password_changed_at", to: Timestamp.now()).where("id", .equal, id).run()
        try await AuditLog(db: db).append(actor, action: mustChange ? "reset-password" : "change-password", entity: "users", entityID: id)
    }

    public func setTOTP(id: String, secret: String?, by actor: Actor) async throws {
        try await db.update("users").set("totp_secret", to: secret).where("id", .equal, id).run()
        try await AuditLog(db: db).append(actor, action: secret == nil ? "remove-totp" : "add-totp", entity: "users", entityID: id)
    }

    /// Disables the account and ends its sessions; false if there is no such active user.
    public func disable(id: String, by actor: Actor) async throws -> Bool {
        guard let user = try await find(id: id), user.disabled_at == nil else { return false }
        let now = Timestamp.now()
        try await db.update("users").set("disabled_at", to: now).where("id", .equal, id).run()
        try await db.raw("UPDATE sessions SET revoked_at = \(bind: now) WHERE user_id = \(bind: id) AND revoked_at IS NULL").run()
        try await AuditLog(db: db).append(actor, action: "disable", entity: "users", entityID: id)
        return true
    }
}

/// A session as stored, joined with its user.
public struct StoredSession: Codable, Sendable {
    public let token_hash: String
    public let user_id: String
    public let csrf_token: String
    public let second_factor_pending: Bool
    public let created_at: String
    public let last_seen_at: String
    public let expires_at: String
    public let revoked_at: String?
}

public struct SessionRepository: Sendable {
    let db: any SQLDatabase

    public func create(tokenHash: String, userID: String, csrfToken: String, secondFactorPending: Bool, address: String?,
                       expiresAt: String) async throws {
        let now = Timestamp.now()
        try await db.insert(into: "sessions")
            .columns("token_hash", "user_id", "csrf_token", "second_factor_pending", "address", "created_at", "last_seen_at", "expires_at")
            .values(tokenHash, userID, csrfToken, secondFactorPending, address, now, now, expiresAt).run()
    }

    public func find(tokenHash: String) async throws -> StoredSession? {
        try await db.raw("""
            SELECT token_hash, user_id, csrf_token, second_factor_pending, created_at, last_seen_at, expires_at, revoked_at
            FROM sessions WHERE token_hash = \(bind: tokenHash)
            """).first(decoding: StoredSession.self)
    }

    public func touch(tokenHash: String) async throws {
        try await db.update("sessions").set("last_seen_at", to: Timestamp.now()).where("token_hash", .equal, tokenHash).run()
    }

    public func completeSecondFactor(tokenHash: String) async throws {
        try await db.update("sessions").set("second_factor_pending", to: false).where("token_hash", .equal, tokenHash).run()
    }

    public func revoke(tokenHash: String) async throws {
        try await db.raw("UPDATE sessions SET revoked_at = \(bind: Timestamp.now()) WHERE token_hash = \(bind: tokenHash) AND revoked_at IS NULL").run()
    }

    /// Ends every session of a user except `keeping` (after a password change).
    public func revokeAll(userID: String, keeping: String? = nil) async throws {
        try await db.raw("""
            UPDATE sessions SET revoked_at = \(bind: Timestamp.now())
            WHERE user_id = \(bind: userID) AND revoked_at IS NULL AND token_hash <> \(bind: keeping ?? "")
            """).run()
    }
}
