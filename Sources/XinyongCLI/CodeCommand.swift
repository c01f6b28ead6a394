import ArgumentParser
import Foundation
import XinyongModel

/// `xinyong code CODE…`: one verdict per code.
struct CodeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "code",
        abstract: "Check unified social credit codes (GB 32100-2015).",
        discussion: "Exit status 0 if every code is valid or check_failed, 1 if any is invalid.")

    @Argument(help: "Codes to check; full-width characters and lower case are normalised.")
    var codes: [String]

    @Flag(help: "Print a JSON array of {input, normalized, verdict, reason}.")
    var json = false

    struct Verdict: Encodable {
        let input: String
        let normalized: String
        let verdict: String
        let reason: String?

        /// `reason` is always present, null for a valid code, so consumers can rely on the four keys.
        func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(input, forKey: .input)
            try c.encode(normalized, forKey: .normalized)
            try c.encode(verdict, forKey: .verdict)
            try c.encode(reason, forKey: .reason)
        }

        enum CodingKeys: String, CodingKey { case input, normalized, verdict, reason }
    }

    static func verdict(_ input: String) -> Verdict {
        let normalized = SocialCreditCode.normalize(input)
        switch SocialCreditCode.verify(input) {
        case .valid: return Verdict(input: input, normalized: normalized, verdict: "valid", reason: nil)
        case .checkFailed(_, let failures):
            return Verdict(input: input, normalized: normalized, verdict: "check_failed",
                           reason: failures.map(\.description).joined(separator: "; "))
        case .invalid(let reason):
            return Verdict(input: input, normalized: normalized, verdict: "invalid", reason: reason.description)
        }
    }

    func run() throws {
        let verdicts = codes.map(Self.verdict)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            print(String(decoding: try encoder.encode(verdicts), as: UTF8.self))
        } else {
            for v in verdicts {
                print([v.normalized.isEmpty ? v.input : v.normalized, v.verdict, v.reason].compactMap { $0 }.joined(separator: "\t"))
            }
        }
        if verdicts.contains(where: { $0.verdict == "invalid" }) { throw ExitCode(1) }
    }
}
