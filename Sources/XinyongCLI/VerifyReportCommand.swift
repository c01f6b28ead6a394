import ArgumentParser
import Crypto
import Foundation
import XinyongModel
import XinyongStore

/// `xinyong verify-report FILE`: checks a downloaded credit report offline against the published key.
struct VerifyReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify-report",
        abstract: "Check offline that a downloaded credit report (JSON) is signed by the platform and unaltered.",
        discussion: "Exit status 0: genuine; 1: altered, malformed or signed by another key.")

    @Argument(help: "The report's JSON file as downloaded from /reports/….")
    var file: String

    @Option(name: .customLong("public-key"), help: "The platform's public key: the base64 text from /reports/public-key, or a file holding it. Default: the key in DATA_DIR.")
    var publicKey: String?

    @Option(name: .customLong("data-dir"), help: "Directory holding the platform's keys, when --public-key is not given (env DATA_DIR; default data).")
    var dataDirectory: String?

    func run() throws {
        let key = try resolveKey()
        guard let data = FileManager.default.contents(atPath: file) else { throw Failure("cannot read \(file)") }
        switch SignedCreditReport.verify(data, publicKey: key) {
        case .genuine(let report):
            print("genuine: report \(report.number) on \(report.profile.subject.name) (\(report.profile.subject.identifier)), issued \(report.issuedAt), data cut-off \(report.cutOff), signed by key \(ReportKey.id(of: key))")
        case .altered(let reason):
            throw Failure("NOT genuine: \(reason)")
        case .malformed(let reason):
            throw Failure("NOT a credit report: \(reason)")
        }
    }

    private func resolveKey() throws -> Curve25519.Signing.PublicKey {
        if let publicKey {
            let text = FileManager.default.contents(atPath: publicKey).map { String(decoding: $0, as: UTF8.self) } ?? publicKey
            guard let key = ReportKey.parse(text) else {
                throw Failure("--public-key: '\(publicKey.prefix(60))' is neither base64 of a 32-byte Ed25519 key nor a file holding one")
            }
            return key
        }
        let directory = dataDirectory ?? ProcessInfo.processInfo.environment["DATA_DIR"] ?? "data"
        let path = URL(fileURLWithPath: directory).appendingPathComponent("report-signing.key").path
        guard FileManager.default.fileExists(atPath: path) else {
            throw Failure("no --public-key given and no platform key at \(path); pass the key published at /reports/public-key")
        }
        return try PlatformKeys.oneLine { try ReportKeyFile.load(dataDirectory: directory, createIfMissing: false) }.publicKey
    }
}
