import ArgumentParser
import Foundation
import XinyongJoint
import XinyongModel
import XinyongStore

/// `xinyong check CODE --department D --scenario S`: check before handling from the command line, through
/// the same service as the API (stored and audited as a check by the operator).
struct CheckCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check a subject before handling a matter: lists, measures and incentives for a department and scenario.",
        discussion: "Exit status 0 with an answer (hit, clear, pending_notice, candidates or no_match), 1 for a refused request, 3 when the data could not be consulted (never a clean result).")

    @OptionGroup var options: CommonOptions

    @Argument(help: "Unified social credit code or 15-digit registration number (omit with --name).")
    var code: String?

    @Option(help: "The organisation's name, when the code is unknown.")
    var name: String?

    @Option(help: "The department handling the matter (its id, e.g. 431000-development_reform).")
    var department: String

    @Option(help: "Business scenario: government_procurement, bidding, subsidies_funds, licences_approvals, market_access, financing, public_hiring, honours, land_supply, supervision, tax_services, public_services.")
    var scenario: String

    @Option(help: "The matter being handled (project or application number), kept with the check.")
    var matter: String?

    @Flag(help: "Print the answer as JSON.")
    var json = false

    func validate() throws {
        guard (code == nil) != (name == nil) else { throw ValidationError("give either a CODE or --name NAME") }
    }

    func run() async throws {
        let settings = try options.settings()
        let store: Store
        do {
            store = try await openStore(settings)
        } catch let failure as Failure {
            throw CheckUnavailable(failure.description)
        }
        let answer: CheckAnswer
        do {
            try await store.bootstrap()
            let service = JointService(store: store, personKey: try await PlatformKeys.person(store: store, settings: settings))
            answer = try await service.check(CheckRequest(code: code, name: name, scenario: scenario, departmentID: department,
                                                          matter: matter, askedBy: Actor.cli("check").name))
        } catch let error as JointError {
            await store.close()
            if case .unavailable = error { throw CheckUnavailable(error.description) }
            throw Failure(error.description)
        } catch let failure as Failure {
            await store.close()
            throw failure
        } catch {
            await store.close()
            throw CheckUnavailable("\(error)")
        }
        await store.close()
        print(json ? answer.encoded : Self.text(answer))
    }

    static func text(_ a: CheckAnswer) -> String {
        var lines = ["check \(a.checkId): \(a.result.rawValue.uppercased())  (\(a.department.name), \(a.scenario.name))"]
        if let s = a.match.subject {
            lines.append("subject: \(s.name) \(s.code ?? s.maskedId ?? s.id) — matched by \(a.match.method.rawValue)\(a.match.score.map { String(format: " (score %.3f)", $0) } ?? "")")
        } else {
            lines.append("subject: not identified (\(a.query.kind) \(a.query.value))\(a.match.note.map { " — \($0)" } ?? "")")
        }
        for m in a.memberships {
            lines.append("  \(m.listName) [\(m.list)] \(m.recordTypeName) \(m.documentNumber), \(m.department.name), \(m.start) – \(m.end) (exclusive)")
        }
        for n in a.pendingNotice {
            lines.append("  PENDING NOTICE \(n.listName) [\(n.list)] \(n.recordTypeName), record \(n.recordId), notice \(n.noticeId) (\(n.state)), statement period until \(n.graceUntil): not listed, no measures")
        }
        for m in a.measures {
            lines.append("  \(m.mandatory ? "MUST" : "MAY ") \(m.title) — \(m.memorandum.documentNumber) [\(m.id)]")
        }
        for m in a.incentives {
            lines.append("  MAY GRANT \(m.title)\(m.programme.map { " (\($0))" } ?? "") — \(m.memorandum.documentNumber) [\(m.id)]")
        }
        for c in a.match.candidates {
            lines.append(String(format: "  candidate %.3f ", c.score) + "\(c.name) \(c.code ?? c.subjectId)\(c.suppressed == nil ? "" : " (suppressed: false positive)")")
        }
        lines.append("data as of: latest change \(a.freshness.latestChangeAt ?? "—") (seq \(a.freshness.latestChangeSeq.map(String.init) ?? "—")); subject's records updated \(a.freshness.subjectRecordsUpdatedAt ?? "—")")
        return lines.joined(separator: "\n")
    }
}

/// The data could not be consulted: a line on standard error and exit status 3, so that no script reads
/// it as "not on any list".
func CheckUnavailable(_ detail: String) -> ExitCode {
    FileHandle.standardError.write(Data("Error: check unavailable, this is not a result: \(detail)\n".utf8))
    return ExitCode(3)
}
