import ArgumentParser
import Foundation
import XinyongModel
import XinyongStore
import XinyongSupervision

/// `xinyong inspections list|verify`: published inspection plans, and a draw recomputed from its published inputs.
struct InspectionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "inspections", abstract: "Double-random inspection plans (双随机抽查) and their verifiable draws.",
        subcommands: [List.self, Verify.self])

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List published plans: id, department, status, targets, SHA-256, title.")
        @OptionGroup var options: CommonOptions

        func run() async throws {
            let store = try await openStore(try options.settings())
            try await store.bootstrap()
            for p in try await store.repositories.inspections.plans(limit: 1000) {
                print([p.plan.id, p.plan.departmentID, p.status.rawValue, "\(p.plan.targetCount)", p.sha256, p.plan.title].joined(separator: "\t"))
            }
            await store.close()
        }
    }

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute a plan's draw from its published inputs (plan JSON, candidate list, public value); see docs/inspections.md.",
            discussion: "Exit status 0: the published draw matches; 1: it does not, or the plan was not drawn.")
        @OptionGroup var options: CommonOptions
        @Argument(help: "The plan id, e.g. CC20261102-1A2B3C4D.") var plan: String

        func run() async throws {
            let store = try await openStore(try options.settings())
            let verdict: InspectionDraw.Verdict
            let stored: StoredInspectionPlan
            do {
                try await store.bootstrap()
                let service = Supervision(store: store)
                stored = try await service.find(plan)
                verdict = try await service.verify(plan)
            } catch let refused as Supervision.Refused {
                await store.close()
                throw Failure(refused.description)
            } catch {
                await store.close()
                throw error
            }
            await store.close()
            print("plan \(stored.plan.id) sha256 \(stored.sha256)")
            print("candidates \(stored.plan.candidateCount) fingerprint \(stored.plan.candidateFingerprint)")
            print("public value (\(stored.plan.publicValueName)): \(stored.publicValue ?? "")")
            switch verdict {
            case .match:
                print("match: seed \(stored.seed ?? ""), \(stored.plan.targetCount) targets recomputed as published")
            case .mismatch(let problems):
                throw Failure("MISMATCH:\n" + problems.map { "  \($0)" }.joined(separator: "\n"))
            }
        }
    }
}
