import Foundation
import Testing

/// `xinyong agency create|list` as the office uses it: a bad flag is named, a good agency is listed, and its
/// key is issued with `key create --agency`.
@Suite struct AgencyCommandTests {
    @Test func registersListsAndNamesTheBadFlag() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Executable.url.path), "build the xinyong executable first (swift build)")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("xinyong-agency-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let env = ["DATABASE_URL": "sqlite:\(directory.path)/x.sqlite", "DATA_DIR": directory.path]
        let create = ["agency", "create", "--id", "cz-credit", "--name", "郴州某信用服务有限公司"]
        for (flags, named) in [(["--scopes", "public_data,everything", "--rate", "10"], "--scopes"),
                               (["--scopes", "lending", "--rate", "0"], "--rate"),
                               (["--scopes", "lending", "--rate", "10", "--kind", "broker"], "--kind")] {
            let refused = try Executable.run(create + flags, environment: env)
            #expect(refused.status != 0 && refused.stderr.contains(named), "\(named): \(refused.stderr)")
        }
        let made = try Executable.run(create + ["--scopes", "public_data,lending", "--rate", "30"], environment: env)
        #expect(made.status == 0, "\(made.stderr)")
        let list = try Executable.run(["agency", "list"], environment: env)
        #expect(list.stdout.contains("cz-credit\t郴州某信用服务有限公司\tagency\tlending,public_data\t30/min"), "\(list.stdout)")
        let key = try Executable.run(["key", "create", "--agency", "cz-credit", "--name", "cz-credit system"], environment: env)
        #expect(key.status == 0 && key.stdout.hasPrefix("key "), "\(key.stderr)")
    }
}
