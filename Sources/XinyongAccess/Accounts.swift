import Crypto
import Foundation
import HummingbirdBcrypt
import HummingbirdOTP
import NIOPosix
import XinyongModel
import XinyongStore

/// The office's people: accounts with bcrypt passwords, logins throttled and audited, optional TOTP,
/// and sessions kept in the database (30 idle minutes, 12 hours in all, revocable).
public struct Accounts: Sendable {
    /// bcrypt's cost: 2^12 rounds, about a quarter of a second per hash on the reference machine.
    public static let bcryptCost: UInt8 = 12
    public static let idleLimit: TimeInterval = 30 * 60
    public static let sessionLimit: TimeInterval = 12 * 3600

    let store: Store
    let regions: RegionDirectory
    /// `OFFICE_REQUIRE_TOTP`: administrators must add a second factor before they can do anything else.
    public let requireTOTPForAdmins: Bool
    let throttle = LoginThrottle()
    /// Sessions found valid are trusted for a few seconds; a revoked session or disabled user stops within that time.
    let sessions: ExpiringCache<Session>

    public init(store: Store, regions: RegionDirectory = .shipped, requireTOTPForAdmins: Bool = false, trustFor seconds: Int = 5) {
        self.store = store
        self.regions = regions
        self.requireTOTPForAdmins = requireTOTPForAdmins
        self.sessions = ExpiringCache(seconds: seconds)
    }

    // MARK: Accounts

    /// A new account with a one-time password, which the user must change at first login.
    public func add(name: String, role: Role, department: String?, region: String?, by actor: Actor) async throws -> (StoredUser, String) {
        let name = name.trimmingCharacters(in: .whitespaces)
        guard (3...64).contains(name.count), name.allSatisfy({ $0.isLetter || $0.isNumber || "._-".contains($0) }) else {
            throw AccessError.invalid(field: "name", reason: "3 to 64 letters, digits, '.', '_' or '-'")
        }
        switch role {
        case .clerk, .association:
            let kind = role == .clerk ? "department" : "business association"
            guard let department else { throw AccessError.invalid(field: "department", reason: "a \(role.rawValue) works for a \(kind): name it") }
            guard let found = try await store.repositories.departments.find(department) else {
                throw AccessError.invalid(field: "department", reason: "there is no department '\(department)'")
            }
            guard found.isAssociation == (role == .association) else {
                throw AccessError.invalid(field: "department", reason: "'\(department)' is not a \(kind)")
            }
        case .county:
            guard let region else { throw AccessError.invalid(field: "region", reason: "a county office has a region: give its GB/T 2260 code") }
            guard let found = regions[region], found.level == .county || found.level == .prefecture else {
                throw AccessError.invalid(field: "region", reason: "'\(region)' is not a county or city code of GB/T 2260")
            }
        case .admin, .reviewer, .auditor: break
        }
        if role != .clerk, role != .association, department != nil {
            throw AccessError.invalid(field: "department", reason: "only clerks and associations belong to a department")
        }
        if role != .county, region != nil {
            throw AccessError.invalid(field: "region", reason: "only county offices are limited to a region")
        }
        if try await store.repositories.users.find(name: name) != nil {
            throw AccessError.conflict("a user named '\(name)' already exists")
        }
        let password = Self.oneTimePassword()
        let hash = try await Self.hash(password)
        let id = "usr_" + UUID().uuidString.prefix(8).lowercased()
        try await store.transaction { repos in
            try await repos.users.create(id: id, name: name, role: role, departmentID: department, regionCode: region,
                                         passwordHash: hash, by: actor)
        }
        return (try await user(named: name), password)
    }

    public func list() async throws -> [StoredUser] { try await store.repositories.users.list() }

    public func user(named name: String) async throws -> StoredUser {
        guard let user = try await store.repositories.users.find(name: name) else { throw AccessError.notFound("there is no user '\(name)'") }
        return user
    }

    public func disable(name: String, by actor: Actor) async throws {
        let user = try await user(named: name)
        let disabled = try await store.transaction { try await $0.users.disable(id: user.id, by: actor) }
        sessions.forget { $0.user.id == user.id }
        guard disabled else { throw AccessError.conflict("user '\(name)' is already disabled") }
    }

    /// A new one-time password; every session of the user ends.
    public func resetPassword(name: String, by actor: Actor) async throws -> String {
        let user = try await user(named: name)
        let password = Self.oneTimePassword()
        let hash = try await Self.hash(password)
        try await store.transaction { repos in
            try await repos.users.setPassword(id: user.id, hash: hash, mustChange: true, by: actor)
            try await repos.sessions.revokeAll(userID: user.id)
        }
        sessions.forget { $0.user.id == user.id }
        return password
    }

    /// A random password the user keeps (no change at login): for the demo's people only.
    public func setPassword(name: String, by actor: Actor) async throws -> String {
        let user = try await user(named: name)
        let password = Self.oneTimePassword()
        let hash = try await Self.hash(password)
        try await store.transaction { try await $0.users.setPassword(id: user.id, hash: hash, mustChange: false, by: actor) }
        return password
    }

    /// The user's own change: the current password, then a new one the policy accepts. Other sessions end.
    public func changePassword(_ session: Session, current: String, new: String) async throws {
        guard let user = try await store.repositories.users.find(id: session.user.id) else { throw AccessError.notFound("no such user") }
        guard try await Self.verify(current, hash: user.password_hash) else {
            throw AccessError.invalid(field: "current", reason: "当前密码不正确")
        }
        if let refusal = PasswordPolicy.refusal(new, name: user.name) { throw AccessError.invalid(field: "new", reason: refusal) }
        if new == current { throw AccessError.invalid(field: "new", reason: "新密码不能与当前密码相同") }
        let hash = try await Self.hash(new)
        try await store.transaction { repos in
            try await repos.users.setPassword(id: user.id, hash: hash, mustChange: false, by: Actor("user:\(user.name)", reason: "own password changed"))
            try await repos.sessions.revokeAll(userID: user.id, keeping: session.tokenHash)
        }
        sessions.forget { $0.user.id == user.id }
    }

    // MARK: Second factor

    /// A new TOTP secret for the user to scan; it takes effect once `confirmTOTP` sees a code made from it.
    public static func newTOTPSecret() -> String {
        let alphabet = Array("ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789")
        return String((0..<20).map { _ in alphabet.randomElement()! })
    }

    public static func authenticatorURL(secret: String, user: String) -> String {
        TOTP(secret: secret).createAuthenticatorURL(label: "Xinyong:\(user)", issuer: "Xinyong")
    }

    /// The codes of the previous, current and next 30-second step count, for clocks that drift a little.
    static func totpMatches(_ code: String, secret: String, at date: Date = Date()) -> Bool {
        guard let value = Int(code.trimmingCharacters(in: .whitespaces)), code.trimmingCharacters(in: .whitespaces).count == 6 else { return false }
        let totp = TOTP(secret: secret)
        return [-30.0, 0, 30].contains { totp.compute(date: date.addingTimeInterval($0)) == value }
    }

    public func confirmTOTP(_ session: Session, secret: String, code: String) async throws {
        guard Self.totpMatches(code, secret: secret) else {
            throw AccessError.invalid(field: "code", reason: "验证码不正确：请输入验证器应用当前显示的 6 位数字")
        }
        try await store.transaction { repos in
            try await repos.users.setTOTP(id: session.user.id, secret: secret, by: Actor("user:\(session.user.name)", reason: "second factor added"))
            try await repos.sessions.completeSecondFactor(tokenHash: session.tokenHash)
        }
        sessions.forget(session.tokenHash)
    }

    // MARK: Login and sessions

    public enum LoginOutcome: Sendable {
        /// A new session: set its token as the cookie.
        case signedIn(token: String, session: Session)
        /// Name, password or code wrong (one message for all, so that names cannot be probed).
        case refused
        /// The password was right and the account has a second factor: ask for the code.
        case needsCode
        /// Too many failures from this account or address; try again after this many seconds.
        case throttled(retryAfter: Int)
    }

    public func login(name: String, password: String, code: String?, address: String) async throws -> LoginOutcome {
        let name = String(name.trimmingCharacters(in: .whitespaces).prefix(64))
        if let wait = throttle.wait(account: name, address: address) {
            try await audit("login-throttled", name: name, address: address)
            return .throttled(retryAfter: wait)
        }
        let user = try await store.repositories.users.find(name: name)
        // A missing account costs the same bcrypt work as a wrong password, so timing does not tell them apart.
        let valid = try await Self.verify(String(password.prefix(200)), hash: user?.password_hash ?? Self.decoyHash)
        guard let user, valid, user.disabled_at == nil, let identity = user.identity else {
            throttle.failed(account: name, address: address)
            try await audit("login-failed", name: name, address: address)
            return .refused
        }
        if let secret = user.totp_secret {
            guard let code, !code.isEmpty else { return .needsCode }
            guard Self.totpMatches(code, secret: secret) else {
                throttle.failed(account: name, address: address)
                try await audit("login-failed", name: name, address: address, detail: "second factor wrong")
                return .refused
            }
        }
        throttle.succeeded(account: name, address: address)
        let token = Self.randomToken()
        let tokenHash = AccessKeys.hash(token)
        let csrf = Self.randomToken()
        let pendingTOTP = requireTOTPForAdmins && identity.role == .admin && user.totp_secret == nil
        try await store.transaction { repos in
            try await repos.sessions.create(tokenHash: tokenHash, userID: user.id, csrfToken: csrf, secondFactorPending: pendingTOTP,
                                            address: address, expiresAt: Timestamp.format(Date().addingTimeInterval(Self.sessionLimit)))
            try await repos.audit.append(Actor("user:\(user.name)", reason: "login", department: user.department_id),
                                         action: "login", entity: "sessions", entityID: String(tokenHash.prefix(12)),
                                         detail: ["address": address])
        }
        let session = Session(tokenHash: tokenHash, user: identity, csrfToken: csrf, mustChangePassword: user.must_change_password,
                              mustAddSecondFactor: pendingTOTP, hasSecondFactor: user.totp_secret != nil)
        return .signedIn(token: token, session: session)
    }

    /// The session behind a cookie, if it is live: not revoked, not idle for 30 minutes, not older than
    /// 12 hours, and its user not disabled.
    public func session(token: String) async throws -> Session? {
        let tokenHash = AccessKeys.hash(token)
        if let known = sessions.value(tokenHash) { return known }
        guard let stored = try await store.repositories.sessions.find(tokenHash: tokenHash), stored.revoked_at == nil,
            let lastSeen = Timestamp.parse(stored.last_seen_at), let expires = Timestamp.parse(stored.expires_at)
        else { return nil }
        let now = Date()
        guard now < expires, now.timeIntervalSince(lastSeen) < Self.idleLimit,
            let user = try await store.repositories.users.find(id: stored.user_id), user.disabled_at == nil, let identity = user.identity
        else { return nil }
        // Idle time is kept to the minute: the session row is touched at most once a minute, in the background.
        if now.timeIntervalSince(lastSeen) > 60 {
            Task { [store] in try? await store.transaction { try await $0.sessions.touch(tokenHash: tokenHash) } }
        }
        let session = Session(tokenHash: tokenHash, user: identity, csrfToken: stored.csrf_token,
                              mustChangePassword: user.must_change_password, mustAddSecondFactor: stored.second_factor_pending,
                              hasSecondFactor: user.totp_secret != nil)
        sessions.remember(tokenHash, session)
        return session
    }

    public func logout(_ session: Session, address: String) async throws {
        try await store.transaction { repos in
            try await repos.sessions.revoke(tokenHash: session.tokenHash)
            try await repos.audit.append(Actor("user:\(session.user.name)", reason: "logout", department: session.user.departmentID),
                                         action: "logout", entity: "sessions", entityID: String(session.tokenHash.prefix(12)),
                                         detail: ["address": address])
        }
        sessions.forget(session.tokenHash)
    }

    private func audit(_ action: String, name: String, address: String, detail: String? = nil) async throws {
        var detail = ["address": address, "name": name, "note": detail ?? ""]
        if detail["note"] == "" { detail["note"] = nil }
        let fields = detail
        try await store.transaction { repos in
            try await repos.audit.append(Actor("anonymous", reason: action), action: action, entity: "sessions", detail: fields)
        }
    }

    // MARK: Secrets

    static func randomToken() -> String { SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }.hexEncoded }

    /// 16 characters from an alphabet without look-alikes: about 90 bits, shown once.
    static func oneTimePassword() -> String {
        let alphabet = Array("abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789")
        return String((0..<16).map { _ in alphabet.randomElement()! })
    }

    /// bcrypt is slow on purpose: it runs on the blocking-work pool, never on the event loops.
    static func hash(_ password: String) async throws -> String {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.hash(password, cost: bcryptCost) }
    }

    static func verify(_ password: String, hash: String) async throws -> Bool {
        try await NIOThreadPool.singleton.runIfActive { Bcrypt.verify(password, hash: hash) }
    }

    /// A hash of a random password, checked against when the account does not exist.
    static let decoyHash = Bcrypt.hash(randomToken(), cost: bcryptCost)
}

/// A live session: who it is, the token its forms must carry, and what the user must do first.
public struct Session: Sendable {
    public let tokenHash: String
    public let user: UserIdentity
    public let csrfToken: String
    /// A one-time password: nothing but the password change until it is replaced.
    public let mustChangePassword: Bool
    /// `OFFICE_REQUIRE_TOTP` and an administrator without a second factor: nothing but adding one.
    public let mustAddSecondFactor: Bool
    public let hasSecondFactor: Bool
}
