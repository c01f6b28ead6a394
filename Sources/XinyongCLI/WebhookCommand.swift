import ArgumentParser
import Foundation
import XinyongExchange
import XinyongStore

/// `xinyong webhook set|list|remove`: where corrections, withdrawals and repairs are pushed to each department.
struct WebhookCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhook", abstract: "Manage departments' webhooks.", subcommands: [SetHook.self, List.self, Remove.self])

    struct SetHook: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set", abstract: "Set a department's webhook; prints the signing secret once.")
        @OptionGroup var options: CommonOptions
        @Argument(help: "The department id, e.g. 431000-tax.") var department: String
        @Argument(help: "The http(s) URL the platform POSTs each change to.") var url: String
        @Option(help: "The signing secret (16–200 characters); omitted, the platform makes one.") var secret: String?

        func run() async throws {
            let store = try await openStore(try options.settings())
            do {
                try await store.bootstrap()
                let secret = try await Webhooks.set(department: department, url: url, secret: secret, store: store, by: .cli("webhook set"))
                print("webhook of \(department): \(url)\nsecret \(secret)\n(give it to the department now; it is not shown again)")
            } catch let invalid as Webhooks.Invalid {
                await store.close()
                throw Failure("\(invalid.field): \(invalid.description)")
            } catch {
                await store.close()
                throw error
            }
            await store.close()
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List webhooks (never their secrets).")
        @OptionGroup var options: CommonOptions

        func run() async throws {
            let store = try await openStore(try options.settings())
            try await store.bootstrap()
            for w in try await store.repositories.recipients.webhooks() {
                print([w.department_id, w.url, "set by \(w.set_by) at \(w.set_at)"].joined(separator: "\t"))
            }
            await store.close()
        }
    }

    struct Remove: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove a department's webhook.")
        @OptionGroup var options: CommonOptions
        @Argument(help: "The department id.") var department: String

        func run() async throws {
            let store = try await openStore(try options.settings())
            try await store.bootstrap()
            let id = department
            let removed = try await store.transaction { try await $0.recipients.removeWebhook(department: id, by: .cli("webhook removed")) }
            await store.close()
            guard removed else { throw Failure("department \(department) has no webhook") }
            print("removed the webhook of \(department)")
        }
    }
}
