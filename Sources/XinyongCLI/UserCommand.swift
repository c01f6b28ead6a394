import ArgumentParser
import Foundation
import XinyongAccess
import XinyongModel
import XinyongStore

/// `xinyong user add|list|disable|reset-password`: the office's people. The first administrator of a
/// fresh install is made here; the one-time password it prints must be changed at first login.
struct UserCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "user", abstract: "Manage the office's users.", subcommands: [Add.self, List.self, Disable.self, ResetPassword.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a user; prints a one-time password.")
        @OptionGroup var options: CommonOptions
        @Option(help: "Login name: 3 to 64 letters, digits, '.', '_' or '-'.") var name: String
        @Option(help: "admin, reviewer, county, clerk, auditor or association.") var role: String
        @Option(help: "For a clerk: the department it works for; for an association user: the association.") var department: String?
        @Option(help: "For a county office: its GB/T 2260 region code.") var region: String?

        func validate() throws {
            guard Role(rawValue: role) != nil else {
                throw ValidationError("--role '\(role)' must be one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
            }
        }

        func run() async throws {
            try await withAccounts(options) { accounts in
                let (user, password) = try await accounts.add(name: name, role: Role(rawValue: role)!, department: department, region: region,
                                                              by: .cli("user added"))
                print("added user \(user.name) (\(user.role))\none-time password: \(password)\n(shown once; it must be changed at first login)")
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List users (never their passwords).")
        @OptionGroup var options: CommonOptions

        func run() async throws {
            try await withAccounts(options) { accounts in
                for u in try await accounts.list() {
                    print([u.name, u.role, u.department_id ?? "-", u.region_code ?? "-", u.totp_secret == nil ? "password" : "password+totp",
                           u.disabled_at.map { "disabled \($0)" } ?? (u.must_change_password ? "one-time password" : "active")]
                        .joined(separator: "\t"))
                }
            }
        }
    }

    struct Disable: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Disable a user and end its sessions.")
        @OptionGroup var options: CommonOptions
        @Argument(help: "The user's login name.") var name: String

        func run() async throws {
            try await withAccounts(options) { accounts in
                try await accounts.disable(name: name, by: .cli("user disabled"))
                print("disabled \(name)")
            }
        }
    }

    struct ResetPassword: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "reset-password", abstract: "Give a user a new one-time password.")
        @OptionGroup var options: CommonOptions
        @Argument(help: "The user's login name.") var name: String

        func run() async throws {
            try await withAccounts(options) { accounts in
                let password = try await accounts.resetPassword(name: name, by: .cli("password reset"))
                print("one-time password for \(name): \(password)\n(shown once; it must be changed at next login)")
            }
        }
    }
}

/// Opens the store, runs `body` with the accounts, and turns refusals into one line naming the field.
private func withAccounts(_ options: CommonOptions, _ body: (Accounts) async throws -> Void) async throws {
    let store = try await openStore(try options.settings())
    do {
        try await store.bootstrap()
        try await body(Accounts(store: store))
    } catch let refused as AccessError {
        await store.close()
        throw Failure(refused.description)
    } catch {
        await store.close()
        throw error
    }
    await store.close()
}

/// The demo's people, one per role, with passwords printed once at the first `serve --demo`.
enum DemoUsers {
    static let people: [(name: String, role: Role, department: String?, region: String?)] = [
        ("demo-admin", .admin, nil, nil),
        ("demo-reviewer", .reviewer, nil, nil),
        ("demo-county", .county, nil, "431021"),
        ("demo-clerk", .clerk, "431000-market_regulation", nil),
        ("demo-auditor", .auditor, nil, nil),
    ]

    /// Creates them with random passwords they need not change (it is a demo), and says how to log in.
    static func create(store: Store) async throws -> String {
        let accounts = Accounts(store: store)
        var lines = ["demo users (log in at /login; passwords shown once):"]
        for p in people {
            let (user, _) = try await accounts.add(name: p.name, role: p.role, department: p.department, region: p.region,
                                                   by: .system("demo users"))
            let password = try await accounts.setPassword(name: user.name, by: .system("demo users"))
            lines.append("  \(p.name)\t\(p.role.rawValue)\tpassword \(password)")
        }
        return lines.joined(separator: "\n")
    }
}
