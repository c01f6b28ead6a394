import Foundation
import SQLKit
import Testing
import XinyongAudit
import XinyongStore
import XinyongTestSupport

#if canImport(Glibc)
import Glibc
#endif

/// Runs the real `xinyong` executable, as an operator would.
enum Executable {
    struct Result { let status: Int32; let stdout: String; let stderr: String }

    static var url: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("xinyong")
    }

    static func run(_ arguments: [String], environment: [String: String] = [:], directory: URL? = nil) throws -> Result {
        let process = Process()
        process.executableURL = url
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for key in ["DATABASE_URL", "HTTP_HOST", "HTTP_PORT", "LOG_LEVEL", "DATA_DIR"] { env.removeValue(forKey: key) }
        env.merge(environment) { _, new in new }
        process.environment = env
        process.currentDirectoryURL = directory ?? FileManager.default.temporaryDirectory
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
                      stderr: String(decoding: stderr, as: UTF8.self))
    }
}

@Suite struct ExecutableTests {
    init() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Executable.url.path),
                     "build the xinyong executable first (swift build)")
    }

    @Test func codeCommandPrintsVerdictsAndExitStatus() throws {
        let ok = try Executable.run(["code", "91350100M000100Y43", "９１３５０２００Ｍ００００００５１０"])
        #expect(ok.status == 0)
        let lines = ok.stdout.split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines[0] == "91350100M000100Y43\tvalid")
        #expect(lines[1].hasPrefix("91350200M000000510\tcheck_failed\t"))

        // Two personal id numbers: one caught by its authority/type pair (43), one by the checks (11 is a defined pair).
        let bad = try Executable.run(["code", "--json", "91350100M000100Y43", "431002198506121230", "110102198001010017"])
        #expect(bad.status == 1)
        let json = try JSONSerialization.jsonObject(with: Data(bad.stdout.utf8)) as? [[String: Any]]
        #expect(json?.count == 3)
        #expect(json?[1]["verdict"] as? String == "invalid" && json?[2]["verdict"] as? String == "invalid")
        #expect(json?[1]["input"] as? String == "431002198506121230")
        #expect((json?[1]["reason"] as? String)?.contains("positions 1–2 '43'") == true)
        #expect((json?[2]["reason"] as? String)?.contains("resident identity") == true)
        #expect(json?[0]["reason"] is NSNull)
    }

    /// Each bad setting stops the program with one line that names it.
    @Test(arguments: [
        (["serve"], ["HTTP_PORT": "abc"], "HTTP_PORT"),
        (["migrate"], ["DATABASE_URL": "ftp://example/db"], "DATABASE_URL"),
        (["migrate"], ["DATABASE_URL": "postgres://nobody@127.0.0.1:1/none"], "DATABASE_URL"),
        (["migrate", "--log-level", "shout"], [:], "LOG_LEVEL"),
    ])
    func badSettingsStopWithOneLine(_ arguments: [String], _ environment: [String: String], _ setting: String) throws {
        let result = try Executable.run(arguments, environment: environment)
        #expect(result.status != 0)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1, "stderr was: \(result.stderr)")
        #expect(lines.first?.contains(setting) == true, "stderr was: \(result.stderr)")
    }

    @Test func portInUseStopsWithOneLine() throws {
        // Hold a port, then ask the server to listen on it.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                try #require(bind(fd, sa, length) == 0)
                try #require(getsockname(fd, sa, &length) == 0)
            }
        }
        try #require(listen(fd, 1) == 0)
        let port = Int(UInt16(bigEndian: address.sin_port))
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("xinyong-port-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let result = try Executable.run(["serve", "--port", "\(port)"], directory: directory)
        #expect(result.status != 0)
        let errors = result.stderr.split(separator: "\n").filter { !$0.contains(" info ") }
        #expect(errors.count == 1, "stderr was: \(result.stderr)")
        #expect(errors.first?.contains("HTTP_PORT") == true && errors.first?.contains("in use") == true)
    }
}

/// `xinyong audit seal` and `xinyong audit verify` as an operator runs them, against an outsider's copy of
/// the checkpoints.
@Suite struct AuditCommandTests {
    init() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Executable.url.path), "build the xinyong executable first (swift build)")
    }

    @Test func verifyNamesTamperingAndTruncationAgainstAnOutsidersCopy() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("xinyong-audit-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let database = directory.appendingPathComponent("x.sqlite").path
        let env = ["DATABASE_URL": "sqlite:\(database)", "DATA_DIR": directory.path]
        #expect(try Executable.run(["migrate"], environment: env).status == 0)
        let seal = try Executable.run(["audit", "seal"], environment: env)
        #expect(seal.status == 0 && seal.stdout.hasPrefix("audit chain sealed: "), "\(seal.stderr)")
        #expect(try KeyFileCommandTests.mode(directory.appendingPathComponent("audit-signing.key").path) == 0o600)
        let intact = try Executable.run(["audit", "verify"], environment: env)
        #expect(intact.status == 0 && intact.stdout.hasPrefix("audit trail intact: "), "\(intact.stdout)\(intact.stderr)")
        #expect(intact.stdout.split(separator: "\n").count == 1)

        // An outsider's copy of /audit/checkpoints, then the tail cut and the stored checkpoints removed.
        let store = try await Store.open(.sqlite(path: database))
        let key = try AuditKeyFile.load(dataDirectory: directory.path, createIfMissing: false)
        let copy = PublishedCheckpoints(publicKey: key.publicKey, checkpoints: try await store.repositories.auditChain.checkpoints())
        let copyPath = directory.appendingPathComponent("checkpoints.json").path
        try JSONEncoder().encode(copy).write(to: URL(fileURLWithPath: copyPath))
        let last = try #require(try await store.repositories.auditChain.head())
        for statement in ["DROP TRIGGER audit_log_no_delete", "DROP TRIGGER audit_chain_no_delete", "DROP TRIGGER audit_checkpoints_no_delete",
                          "DELETE FROM audit_log WHERE id >= \(last.id - 1)", "DELETE FROM audit_chain WHERE id >= \(last.id - 1)",
                          "DELETE FROM audit_checkpoints"] {
            try await store.sql.raw(SQLQueryString(statement)).run()
        }
        await store.close()
        #expect(try Executable.run(["audit", "verify"], environment: env).status == 0, "the platform's own records no longer show it")
        let cut = try Executable.run(["audit", "verify", "--checkpoints", copyPath], environment: env)
        #expect(cut.status == 1)
        #expect(cut.stdout.hasPrefix("truncated: the chain has \(last.position - 2) rows (up to id \(last.id - 2))"), "\(cut.stdout)\(cut.stderr)")

        let bad = try Executable.run(["audit", "verify", "--checkpoints", database], environment: env)
        #expect(bad.status == 1 && bad.stderr.contains("is not the JSON of /audit/checkpoints"))
    }
}

/// PostgreSQL with two roles: `migrate` as the owner grants the server's role its rights, and that role
/// then seals and verifies the trail but cannot delete from it.
@Suite struct DatabaseRoleCommandTests {
    @Test func ownerMigratesAndTheAppRoleServesTheTrail() async throws {
        try await Backend.postgres.withStore { store in
            guard case .postgres(let owner) = store.url else { return }
            let role = "xinyong_cli_\(UUID().uuidString.prefix(6).lowercased())"
            try await store.sql.raw("CREATE ROLE \(unsafeRaw: role) LOGIN").run()
            var components = URLComponents(string: owner)!
            components.user = role
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("xinyong-roles-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: directory) }
            let env = ["DATABASE_URL": components.string!, "MIGRATION_DATABASE_URL": owner, "DATA_DIR": directory.path]

            let before = try Executable.run(["audit", "seal"], environment: ["DATABASE_URL": components.string!, "DATA_DIR": directory.path])
            #expect(before.status != 0, "the app role had no rights yet")
            let alone = try Executable.run(["migrate"], environment: ["DATABASE_URL": components.string!, "DATA_DIR": directory.path])
            #expect(alone.status != 0 && alone.stderr.contains("set MIGRATION_DATABASE_URL to the tables' owner"), "\(alone.stderr)")
            let migrate = try Executable.run(["migrate"], environment: env)
            #expect(migrate.status == 0, "\(migrate.stderr)")
            let seal = try Executable.run(["audit", "seal"], environment: ["DATABASE_URL": components.string!, "DATA_DIR": directory.path])
            #expect(seal.status == 0, "\(seal.stderr)")
            let verify = try Executable.run(["audit", "verify"], environment: ["DATABASE_URL": components.string!, "DATA_DIR": directory.path])
            #expect(verify.status == 0 && verify.stdout.hasPrefix("audit trail intact"), "\(verify.stdout)\(verify.stderr)")
            let printed = try Executable.run(["db", "app-role", role, "--print"])
            #expect(printed.stdout.contains("REVOKE UPDATE, DELETE, TRUNCATE ON audit_log, audit_chain, audit_checkpoints FROM \"\(role)\";"))

            try await store.sql.raw("DROP OWNED BY \(unsafeRaw: role)").run()
            try await store.sql.raw("DROP ROLE \(unsafeRaw: role)").run()
        }
    }
}
