import Foundation
import Testing
import XinyongModel
import XinyongStore
import XinyongTestSupport
@testable import XinyongAccess

@Suite struct PasswordPolicyTests {
    @Test func refusesShortCommonOwnNameAndRepeatedPasswords() {
        #expect(PasswordPolicy.refusal("short1!", name: "alice")?.contains("12") == true)
        #expect(PasswordPolicy.refusal("password1234", name: "alice") != nil)
        #expect(PasswordPolicy.refusal("Qwertyuiop123", name: "alice") != nil, "common lists are matched without case")
        #expect(PasswordPolicy.refusal("alice-is-my-name-2026", name: "Alice") != nil)
        #expect(PasswordPolicy.refusal("abababababababab", name: "alice") != nil)
        #expect(PasswordPolicy.refusal("郴州苏仙岭的云雾很美-47", name: "alice") == nil)
        #expect(PasswordPolicy.refusal("correct horse battery", name: "alice") == nil)
    }
}

@Suite struct LoginThrottleTests {
    final class Clock: @unchecked Sendable { var now = Date(timeIntervalSince1970: 1_800_000_000) }

    @Test func growingDelayAfterFiveFailuresPerAccountAndPerAddress() {
        let clock = Clock()
        let throttle = LoginThrottle(now: { clock.now })
        for _ in 0..<5 {
            #expect(throttle.wait(account: "bob", address: "10.0.0.1") == nil)
            throttle.failed(account: "bob", address: "10.0.0.1")
        }
        #expect(throttle.wait(account: "bob", address: "10.0.0.9") == 2, "the account is throttled from any address")
        #expect(throttle.wait(account: "carol", address: "10.0.0.1") == 2, "the address is throttled for any account")
        #expect(throttle.wait(account: "carol", address: "10.0.0.9") == nil)
        clock.now += 2
        #expect(throttle.wait(account: "bob", address: "10.0.0.1") == nil)
        throttle.failed(account: "bob", address: "10.0.0.1")
        #expect(throttle.wait(account: "bob", address: "10.0.0.1") == 4, "each further failure doubles the wait")
        clock.now += 16 * 60
        #expect(throttle.wait(account: "bob", address: "10.0.0.1") == nil, "15 quiet minutes forget the failures")
    }
}

@Suite struct AccountTests {
    @Test(arguments: Backend.allCases) func oneTimePasswordLoginSessionAndDisable(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let accounts = Accounts(store: store)
            let (user, password) = try await accounts.add(name: "li.reviewer", role: .reviewer, department: nil, region: nil,
                                                          by: Actor("test", reason: "test"))
            #expect(user.must_change_password)
            #expect(user.password_hash.hasPrefix("$2b$12$") || user.password_hash.hasPrefix("$2y$12$"), "bcrypt with cost 12")
            #expect(!user.password_hash.contains(password))

            guard case .refused = try await accounts.login(name: "li.reviewer", password: "wrong password!!", code: nil, address: "a") else {
                Issue.record("a wrong password logged in"); return
            }
            guard case .signedIn(let token, let session) = try await accounts.login(name: "li.reviewer", password: password, code: nil, address: "a") else {
                Issue.record("the one-time password did not log in"); return
            }
            #expect(session.mustChangePassword)
            #expect(try await store.repositories.sessions.find(tokenHash: AccessKeys.hash(token)) != nil)
            #expect(try await store.repositories.sessions.find(tokenHash: token) == nil, "the cookie itself is never stored")

            await #expect(throws: AccessError.self) { try await accounts.changePassword(session, current: password, new: "password1234") }
            try await accounts.changePassword(session, current: password, new: "郴州苏仙岭的云雾很美-47")
            #expect(try await accounts.user(named: "li.reviewer").must_change_password == false)

            try await accounts.disable(name: "li.reviewer", by: Actor("test", reason: "left the office"))
            let fresh = Accounts(store: store)  // no cached session
            #expect(try await fresh.session(token: token) == nil, "disabling ends the sessions")
            guard case .refused = try await fresh.login(name: "li.reviewer", password: "郴州苏仙岭的云雾很美-47", code: nil, address: "b") else {
                Issue.record("a disabled user logged in"); return
            }
            let actions = try await store.repositories.audit.search(AuditQuery(limit: 50)).map(\.action)
            #expect(actions.contains("login") && actions.contains("login-failed") && actions.contains("disable"))
        }
    }

    @Test(arguments: Backend.allCases) func rolesNeedTheirDepartmentOrRegion(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let accounts = Accounts(store: store)
            let actor = Actor("test", reason: "test")
            await #expect(throws: AccessError.invalid(field: "department", reason: "a clerk works for a department: name it")) {
                _ = try await accounts.add(name: "clerk1", role: .clerk, department: nil, region: nil, by: actor)
            }
            await #expect(throws: AccessError.self) { _ = try await accounts.add(name: "county1", role: .county, department: nil, region: "999999", by: actor) }
            await #expect(throws: AccessError.self) { _ = try await accounts.add(name: "admin1", role: .admin, department: nil, region: "431021", by: actor) }
            _ = try await accounts.add(name: "county1", role: .county, department: nil, region: "431021", by: actor)
            await #expect(throws: AccessError.conflict("a user named 'county1' already exists")) {
                _ = try await accounts.add(name: "county1", role: .auditor, department: nil, region: nil, by: actor)
            }
            #expect(try await store.repositories.users.count() == 1)
        }
    }

    @Test(arguments: Backend.allCases) func secondFactorIsAskedForAndChecked(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let accounts = Accounts(store: store, requireTOTPForAdmins: true)
            _ = try await accounts.add(name: "wang.admin", role: .admin, department: nil, region: nil, by: Actor("test", reason: "test"))
            let password = try await accounts.setPassword(name: "wang.admin", by: Actor("test", reason: "test"))
            guard case .signedIn(_, let session) = try await accounts.login(name: "wang.admin", password: password, code: nil, address: "a") else {
                Issue.record("no login"); return
            }
            #expect(session.mustAddSecondFactor, "OFFICE_REQUIRE_TOTP sends an administrator without a second factor to add one")
            let secret = Accounts.newTOTPSecret()
            await #expect(throws: AccessError.self) { try await accounts.confirmTOTP(session, secret: secret, code: "000000") }
            let code = String(format: "%06d", HummingbirdOTPCode.now(secret))
            try await accounts.confirmTOTP(session, secret: secret, code: code)
            guard case .needsCode = try await accounts.login(name: "wang.admin", password: password, code: nil, address: "a") else {
                Issue.record("the second factor was not asked for"); return
            }
            guard case .refused = try await accounts.login(name: "wang.admin", password: password, code: "123", address: "a") else {
                Issue.record("a wrong code logged in"); return
            }
            guard case .signedIn(_, let second) = try await accounts.login(name: "wang.admin", password: password, code: code, address: "a") else {
                Issue.record("the right code did not log in"); return
            }
            #expect(!second.mustAddSecondFactor)
        }
    }
}

import HummingbirdOTP

enum HummingbirdOTPCode {
    static func now(_ secret: String) -> Int { TOTP(secret: secret).compute() }
}
