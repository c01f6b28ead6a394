import ArgumentParser
import Crypto
import Foundation
import XinyongAudit
import XinyongModel
import XinyongStore

/// `xinyong audit`: the audit trail's hash chain, sealed and checked from the command line.
struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Seal and verify the audit trail's hash chain.",
        subcommands: [AuditVerifyCommand.self, AuditSealCommand.self])
}

/// `xinyong audit verify [--checkpoints FILE]`: walks the chain and names the first row altered, removed or
/// inserted, and any truncation or rewrite since a signed checkpoint.
struct AuditVerifyCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "verify", abstract: "Check the audit trail against its hash chain and signed checkpoints.",
        discussion: "Exit status 0: intact (one line of summary); 1: each problem on a line of its own.")

    @OptionGroup var options: CommonOptions

    @Option(help: "A copy of GET /audit/checkpoints (JSON) kept outside the platform. Default: the stored checkpoints, checked against the audit key in DATA_DIR.")
    var checkpoints: String?

    func run() async throws {
        let settings = try options.settings()
        let store = try await openStore(settings)
        let report: AuditVerifier.Report
        do {
            let (held, key) = try await checkpointsAndKey(store: store, settings: settings)
            report = try await AuditVerifier(store: store).verify(checkpoints: held, key: key)
        } catch {
            await store.close()
            throw error
        }
        await store.close()
        guard report.intact else {
            for problem in report.problems { print(problem) }
            throw ExitCode(1)
        }
        print(report.summary)
    }

    private func checkpointsAndKey(store: Store, settings: Settings) async throws
        -> ([AuditChainRepository.Checkpoint], Curve25519.Signing.PublicKey)
    {
        if let checkpoints {
            guard let data = FileManager.default.contents(atPath: checkpoints) else { throw Failure("--checkpoints: cannot read \(checkpoints)") }
            guard let published = try? JSONDecoder().decode(PublishedCheckpoints.self, from: data) else {
                throw Failure("--checkpoints: \(checkpoints) is not the JSON of /audit/checkpoints")
            }
            guard let key = ReportKey.parse(published.public_key) else {
                throw Failure("--checkpoints: public_key in \(checkpoints) is not base64 of a 32-byte Ed25519 key")
            }
            return (published.checkpoints, key)
        }
        let stored = try await store.repositories.auditChain.checkpoints()
        let path = URL(fileURLWithPath: settings.dataDirectory).appendingPathComponent(AuditKeyFile.fileName).path
        guard FileManager.default.fileExists(atPath: path) else {
            guard stored.isEmpty else {
                throw Failure("no audit key at \(path) to check the stored checkpoints with; pass --checkpoints with a copy of /audit/checkpoints")
            }
            return ([], Curve25519.Signing.PrivateKey().publicKey)
        }
        return (stored, try PlatformKeys.oneLine { try AuditKeyFile.load(dataDirectory: settings.dataDirectory, createIfMissing: false) }.publicKey)
    }
}

/// `xinyong audit seal`: links every settled audit row and signs a checkpoint now (the server does this
/// itself every second and every ten minutes; commands run while it is stopped leave rows for this).
struct AuditSealCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "seal", abstract: "Link new audit rows into the chain and sign a checkpoint.")

    @OptionGroup var options: CommonOptions

    func run() async throws {
        let settings = try options.settings()
        let store = try await openStore(settings)
        do {
            let trail = AuditTrail(store: store, key: try await PlatformKeys.audit(store: store, settings: settings))
            try await trail.finish()
            let head = try await store.repositories.auditChain.head()
            print("audit chain sealed: \(head?.position ?? 0) rows up to id \(head?.id ?? 0)")
        } catch {
            await store.close()
            throw error
        }
        await store.close()
    }
}

/// `xinyong db app-role ROLE`: what the server's PostgreSQL role may do, granted by the owner.
struct DatabaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db", abstract: "Database administration for PostgreSQL.", subcommands: [AppRoleCommand.self])
}

struct AppRoleCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "app-role",
        abstract: "Grant an existing PostgreSQL role what the server needs: its tables, but only INSERT and SELECT on the audit trail.",
        discussion: "Runs as the owner (MIGRATION_DATABASE_URL, else DATABASE_URL). Create the role first: CREATE ROLE xinyong_app LOGIN PASSWORD '…'.")

    @OptionGroup var options: CommonOptions

    @Argument(help: "The role the server connects as.")
    var role: String

    @Flag(help: "Print the SQL instead of running it.")
    var print = false

    func run() async throws {
        if print {
            for statement in AppRole.grants(to: role) { Swift.print(statement + ";") }
            return
        }
        let settings = try options.settings()
        let setting = settings.migrationDatabase == nil ? "DATABASE_URL" : "MIGRATION_DATABASE_URL"
        let store = try await openStore(settings.migrationDatabase ?? settings.database, setting: setting)
        do {
            try await store.grantAppRole(role)
        } catch {
            await store.close()
            throw Failure("\(setting): cannot grant role \(role): \(String(describing: error).prefix(300))")
        }
        await store.close()
        Swift.print("role \(role) may now run the server: INSERT and SELECT only on \(AppRole.insertOnlyTables.joined(separator: ", "))")
    }
}
