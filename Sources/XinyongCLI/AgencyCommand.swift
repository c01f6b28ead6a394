import ArgumentParser
import Foundation
import XinyongAgencies
import XinyongModel
import XinyongStore

/// `xinyong agency create|list`: third-party credit agencies and banks, with their scopes and rate.
/// Their keys are issued with `xinyong key create --agency ID`.
struct AgencyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agency", abstract: "Manage third-party credit agencies and banks.", subcommands: [Create.self, List.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register an agency or a bank.")
        @OptionGroup var options: CommonOptions
        @Option(help: "Id, e.g. cz-credit-services.") var id: String
        @Option(help: "Name, e.g. 郴州某信用服务有限公司.") var name: String
        @Option(help: "agency or bank.") var kind = "agency"
        @Option(help: "Comma-separated scopes: public_data, consented, lending.") var scopes: String
        @Option(help: "Requests a minute its keys may make together.") var rate: Int

        /// The flag that carries each field the service may name.
        static let flags = ["id": "id", "name": "name", "kind": "kind", "scopes": "scopes", "requests_per_minute": "rate"]

        func run() async throws {
            let store = try await openStore(try options.settings())
            do {
                try await store.bootstrap()
                let agency = try await AgencyService.register(
                    .init(id: id, name: name, kind: kind, scopes: scopes.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) },
                          requestsPerMinute: rate),
                    in: store, by: .cli("agency registered"))
                print("registered \(agency.kind.rawValue) \(agency.id) (\(agency.name))")
            } catch let refused as AgencyService.Refusal {
                await store.close()
                throw Failure("--\(Self.flags[refused.field ?? ""] ?? "id"): \(refused.detail)")
            }
            await store.close()
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List agencies and banks.")
        @OptionGroup var options: CommonOptions

        func run() async throws {
            let store = try await openStore(try options.settings())
            try await store.bootstrap()
            for a in try await store.repositories.agencies.all() {
                print([a.id, a.name, a.kind.rawValue, a.scopes.map(\.rawValue).sorted().joined(separator: ","), "\(a.requestsPerMinute)/min"]
                    .joined(separator: "\t"))
            }
            await store.close()
        }
    }
}
