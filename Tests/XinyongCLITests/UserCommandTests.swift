import Foundation
import Testing

/// `xinyong user …` as the operator of a fresh install uses it: the first administrator, a clerk, the list,
/// a reset and a disabled account; refusals name the flag.
@Suite struct UserCommandTests {
    @Test func theFirstAdministratorAndTheOthersAreMadeFromTheCommandLine() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("xinyong-users-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let env = ["DATABASE_URL": "sqlite:\(directory.path)/x.sqlite", "DATA_DIR": directory.path]

        let admin = try Executable.run(["user", "add", "--name", "admin.wang", "--role", "admin"], environment: env)
        #expect(admin.status == 0, "\(admin.stderr)")
        let password = try #require(admin.stdout.split(separator: "\n").first { $0.hasPrefix("one-time password: ") })
            .dropFirst("one-time password: ".count)
        #expect(password.count == 16)

        let clerkWithoutDepartment = try Executable.run(["user", "add", "--name", "li.clerk", "--role", "clerk"], environment: env)
        #expect(clerkWithoutDepartment.status != 0)
        #expect(clerkWithoutDepartment.stderr.contains("department"))
        let badRole = try Executable.run(["user", "add", "--name", "x.y", "--role", "root"], environment: env)
        #expect(badRole.status != 0 && badRole.stderr.contains("--role"))

        let reset = try Executable.run(["user", "reset-password", "admin.wang"], environment: env)
        #expect(reset.status == 0 && !reset.stdout.contains(String(password)))
        #expect(try Executable.run(["user", "disable", "admin.wang"], environment: env).status == 0)
        let list = try Executable.run(["user", "list"], environment: env)
        #expect(list.stdout.contains("admin.wang\tadmin") && list.stdout.contains("disabled"))
        #expect(!list.stdout.contains("$2b$"), "no hash is ever printed")
        #expect(try Executable.run(["user", "disable", "nobody"], environment: env).status != 0)
    }
}
