import Foundation
import Testing
@testable import XinyongCLI

@Suite struct SettingsTests {
    @Test func defaultsThenEnvironmentThenFlags() throws {
        let defaults = try Settings.resolve(.init(), environment: [:])
        #expect(defaults.database.description == "sqlite:data/xinyong.sqlite")
        #expect(defaults.host == "127.0.0.1" && defaults.port == 8080 && defaults.logLevel == .info)
        let env = ["DATABASE_URL": "sqlite:/tmp/a.sqlite", "HTTP_PORT": "9090", "LOG_LEVEL": "DEBUG", "HTTP_HOST": "0.0.0.0"]
        let fromEnv = try Settings.resolve(.init(), environment: env)
        #expect(fromEnv.database.description == "sqlite:/tmp/a.sqlite" && fromEnv.port == 9090)
        #expect(fromEnv.logLevel == .debug && fromEnv.host == "0.0.0.0")
        let fromFlags = try Settings.resolve(.init(databaseURL: "sqlite:/tmp/b.sqlite", port: 7070), environment: env)
        #expect(fromFlags.database.description == "sqlite:/tmp/b.sqlite" && fromFlags.port == 7070)
        #expect(fromFlags.migrationDatabase == nil)
        let roles = try Settings.resolve(.init(), environment: ["DATABASE_URL": "postgres://app:pw@db/x", "MIGRATION_DATABASE_URL": "postgres://owner:pw@db/x"])
        #expect(roles.migrationDatabase?.description == "postgres://owner:***@db/x")
    }

    @Test(arguments: [
        (["HTTP_PORT": "eighty"], "HTTP_PORT"), (["HTTP_PORT": "70000"], "HTTP_PORT"),
        (["DATABASE_URL": "mysql://x/y"], "DATABASE_URL"), (["LOG_LEVEL": "loud"], "LOG_LEVEL"),
        (["HTTP_HOST": "a b"], "HTTP_HOST"),
        (["MIGRATION_DATABASE_URL": "postgres://owner@db/x"], "MIGRATION_DATABASE_URL"),
        (["MIGRATION_DATABASE_URL": "mysql://x/y", "DATABASE_URL": "postgres://app@db/x"], "MIGRATION_DATABASE_URL"),
    ])
    func badSettingsNameTheSetting(_ env: [String: String], _ setting: String) {
        do {
            _ = try Settings.resolve(.init(), environment: env)
            Issue.record("\(env) was accepted")
        } catch {
            #expect("\(error)".hasPrefix(setting))
        }
    }
}

@Suite struct CodeCommandTests {
    @Test func verdictsAsTheJSONContractSays() throws {
        let verdicts = ["91350100M000100Y43", "91350200M000000510", "431002198506121230", "ｎ2431002ma4l123461"]
            .map(CodeCommand.verdict)
        #expect(verdicts.map(\.verdict) == ["valid", "check_failed", "invalid", "valid"])
        #expect(verdicts[3].normalized == "N2431002MA4L123461")
        #expect(verdicts[0].reason == nil)
        #expect(verdicts[1].reason?.contains("expected D") == true)
        let json = String(decoding: try JSONEncoder().encode([verdicts[0]]), as: UTF8.self)
        #expect(json.contains("\"verdict\":\"valid\"") && json.contains("\"input\":\"91350100M000100Y43\""))
    }
}
