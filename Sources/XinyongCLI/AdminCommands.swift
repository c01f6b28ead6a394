import ArgumentParser
import Foundation
import XinyongAccess
import XinyongExchange
import XinyongModel
import XinyongStore

/// `xinyong department add|list`: the departments that submit records.
struct DepartmentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "department", abstract: "Manage departments.", subcommands: [Add.self, List.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Add a department.")
        @OptionGroup var options: CommonOptions
        @Option(help: "Id, e.g. 431002-market_regulation.") var id: String
        @Option(help: "Name, e.g. 北湖区市场监督管理局.") var name: String
        @Option(help: "Kind of department (market_regulation, tax, court, …): what the catalogue lets it submit.") var category: String
        @Option(help: "GB/T 2260 region code.") var region: String
        @Option(help: "province, city or county.") var level: String

        func validate() throws {
            guard Department.Level(rawValue: level) != nil else { throw ValidationError("--level '\(level)' must be province, city or county") }
            guard RegionDirectory.shipped[region] != nil else { throw ValidationError("--region '\(region)' is not a GB/T 2260 region code") }
        }

        func run() async throws {
            let store = try await openStore(try options.settings())
            do {
                try await store.bootstrap()
                if try await store.repositories.departments.find(id) != nil { throw Failure("a department '\(id)' already exists") }
                let department = Department(id: id, name: name, category: category, regionCode: region, level: Department.Level(rawValue: level)!)
                try await store.transaction { try await $0.departments.insert([department], by: Actor.cli("department added")) }
                print("added department \(id) (\(name))")
            } catch {
                await store.close()
                throw error
            }
            await store.close()
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List departments.")
        @OptionGroup var options: CommonOptions

        func run() async throws {
            let store = try await openStore(try options.settings())
            try await store.bootstrap()
            for d in try await store.repositories.departments.all() {
                print([d.id, d.name, d.category, d.regionCode, d.level.rawValue].joined(separator: "\t"))
            }
            await store.close()
        }
    }
}

/// `xinyong key create|list|revoke`: API keys for departments and administrators.
struct KeyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "key", abstract: "Manage API keys.", subcommands: [Create.self, List.self, Revoke.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Issue a key; the secret is printed once.")
        @OptionGroup var options: CommonOptions
        @Option(help: "The department the key submits for.") var department: String?
        @Option(help: "The business association the key submits for.") var association: String?
        @Option(help: "The third-party agency or bank the key reads for (its scopes are the agency's).") var agency: String?
        @Flag(help: "An administrator's key (credit office) instead of a department's.") var admin = false
        @Flag(help: "A recipient's key: reads the whole change feed (county platforms).") var recipient = false
        @Option(help: "What the key is for, e.g. the system that uses it.") var name: String

        func validate() throws {
            guard [admin, recipient, department != nil, association != nil, agency != nil].filter({ $0 }).count == 1 else {
                throw ValidationError("give exactly one of --department ID, --association ID, --agency ID, --admin or --recipient")
            }
        }

        func run() async throws {
            let store = try await openStore(try options.settings())
            do {
                try await store.bootstrap()
                let role: KeyRole = admin ? .admin : recipient ? .recipient : association != nil ? .association : agency != nil ? .agency : .department
                let issued = try await AccessKeys(store: store).issue(role, department: department ?? association, agency: agency, name: name,
                                                                      by: .cli("key issued"))
                print("key \(issued.id)\n\(issued.secret)\n(store the secret now; it is not shown again)")
            } catch let refused as AccessError {
                await store.close()
                throw Failure(refused.description)
            }
            await store.close()
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List keys (never their secrets).")
        @OptionGroup var options: CommonOptions

        func run() async throws {
            let store = try await openStore(try options.settings())
            try await store.bootstrap()
            for k in try await store.repositories.apiKeys.list() {
                print([k.id, k.role, k.department_id ?? "-", k.name, k.revoked_at.map { "revoked \($0)" } ?? "active",
                       "last used \(k.last_used_at ?? "never")"].joined(separator: "\t"))
            }
            await store.close()
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key.")
        @OptionGroup var options: CommonOptions
        @Argument(help: "The key id (key_…).") var id: String

        func run() async throws {
            let store = try await openStore(try options.settings())
            try await store.bootstrap()
            let revoked = try await AccessKeys(store: store).revoke(id: id, by: .cli("key revoked"))
            await store.close()
            guard revoked else { throw Failure("there is no active key \(id)") }
            print("revoked \(id)")
        }
    }
}

extension Actor {
    /// The operator at the command line.
    static func cli(_ reason: String) -> Actor {
        Actor("cli:\(ProcessInfo.processInfo.environment["USER"] ?? "operator")", reason: reason)
    }
}
