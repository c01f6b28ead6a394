import Foundation
import Testing

/// `xinyong match-names` and `xinyong check` as an operator runs them.
@Suite struct JointCommandTests {
    init() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Executable.url.path), "build the xinyong executable first (swift build)")
    }

    @Test func matchNamesPrintsAScoreAndADecisionPerLine() throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("pairs-\(UUID().uuidString).tsv")
        defer { try? FileManager.default.removeItem(at: file) }
        try "郴州市宏达商贸有限公司\t郴州宏达商贸有限责任公司\tsame\n郴州市宏达商贸有限公司\t郴州市宏达商贸有限公司北湖分公司\n\n北湖区宏达商贸有限公司\t苏仙区宏达商贸有限公司\n"
            .write(to: file, atomically: true, encoding: .utf8)
        let result = try Executable.run(["match-names", file.path])
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n").map { $0.split(separator: "\t").map(String.init) }
        #expect(lines.count == 3)
        #expect(lines.map { $0.last } == ["same", "different", "different"])
        #expect(lines.first?.first == "1.000")
        try "no tab here\n".write(to: file, atomically: true, encoding: .utf8)
        let bad = try Executable.run(["match-names", file.path])
        #expect(bad.status == 1 && bad.stderr.contains("line 1"))
    }

    @Test func checkAnswersRefusesAndNeverPretendsWhenTheDatabaseIsGone() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("xinyong-check-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let env = ["DATABASE_URL": "sqlite:\(directory.path)/x.sqlite", "DATA_DIR": directory.path]
        let code = "91350100M000100Y43"
        let unknown = try Executable.run(["check", code, "--department", "431000-tax", "--scenario", "bidding"], environment: env)
        #expect(unknown.status == 1 && unknown.stderr.contains("department"))
        let added = try Executable.run(["department", "add", "--id", "431000-tax", "--name", "国家税务总局郴州市税务局", "--category", "tax",
                                        "--region", "431000", "--level", "city"], environment: env)
        #expect(added.status == 0)
        let answer = try Executable.run(["check", code, "--department", "431000-tax", "--scenario", "tax_services", "--json"], environment: env)
        #expect(answer.status == 0)
        let json = try JSONSerialization.jsonObject(with: Data(answer.stdout.utf8)) as? [String: Any]
        #expect(json?["result"] as? String == "no_match")
        let gone = try Executable.run(["check", code, "--department", "431000-tax", "--scenario", "tax_services"],
                                      environment: ["DATABASE_URL": "postgres://nobody@127.0.0.1:1/none", "DATA_DIR": directory.path])
        #expect(gone.status == 3)
        #expect(gone.stderr.contains("not a result") && gone.stdout.isEmpty)
    }
}
