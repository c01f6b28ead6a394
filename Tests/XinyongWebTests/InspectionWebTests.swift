import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import Testing
import XinyongModel
import XinyongStore
@testable import XinyongWeb

/// The demo's published draw recomputed by the Python reference from what the API publishes, and the
/// department API's refusals as problem+json with their stable codes.
@Suite struct InspectionWebTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func withServer(_ body: @Sendable (any TestClientProtocol, Platform, Callers) async throws -> Void) async throws {
        let platform = try await Fixture.platform.value
        let callers = try await Callers.fixture.value
        let app = buildApplication(platform: platform, host: "127.0.0.1", port: 0)
        try await app.test(.live) { client in try await body(client, platform, callers) }
    }

    @Test func thePythonReferenceRecomputesThePublishedDemoDraw() async throws {
        try await withServer { client, _, _ in
            let body = try await client.execute(uri: "/api/v1/inspections/\(ChineseCrawlTests.demoPlan)", method: .get) { response in
                #expect(response.status == .ok)
                return Data(buffer: response.body)
            }
            let published = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
            #expect(published["verification"] as? String == "match")
            #expect((published["targets"] as? [Any])?.isEmpty == false)
            let file = FileManager.default.temporaryDirectory.appendingPathComponent("inspection-\(UUID().uuidString).json")
            try body.write(to: file)
            defer { try? FileManager.default.removeItem(at: file) }
            let (status, output) = try Self.python(file.path)
            #expect(status == 0, "\(output)")
            #expect(output.hasPrefix("match"))

            var tampered = published
            var targets = try #require(published["targets"] as? [[String: Any]])
            targets[0]["inspectors"] = ["ZX001", "ZX002"]
            tampered["targets"] = targets
            tampered["public_value"] = "0.00"
            try JSONSerialization.data(withJSONObject: tampered).write(to: file)
            let (tamperedStatus, tamperedOutput) = try Self.python(file.path)
            #expect(tamperedStatus == 1 && tamperedOutput.hasPrefix("MISMATCH"), "\(tamperedOutput)")
        }
    }

    static func python(_ path: String) throws -> (Int32, String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", root.appendingPathComponent("scripts/verify_inspection.py").path, path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, text)
    }

    @Test func theDepartmentAPIRefusesBadPlansWithTheirReasons() async throws {
        try await withServer { client, _, callers in
            let auth: HTTPFields = [.authorization: "Bearer \(callers.departmentA)", .contentType: "application/json"]
            func send(_ method: HTTPRequest.Method, _ uri: String, _ json: String) async throws -> (Int, [String: Any]) {
                try await client.execute(uri: uri, method: method, headers: auth, body: ByteBuffer(string: json)) { response in
                    (Int(response.status.code), (try? JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]) ?? [:])
                }
            }
            let (mappingStatus, mapping) = try await send(.put, "/api/v1/risk-mapping", #"{"classes":[{"code":"low","name":"低风险","ratio":1.5}],"grades":[{"grade":"A","risk_class":"low"}]}"#)
            #expect(mappingStatus == 422 && mapping["type"] as? String == "/problems/risk-mapping-refused")
            #expect((mapping["issues"] as? [String])?.count == 5, "a ratio above 1 and four unmapped grades")

            // One class for every grade, so that the plan does not depend on how the shared demo is graded.
            let pairs: [String] = RiskMapping.gradeKeys.map { #"{"grade":"\#($0)","risk_class":"all"}"# }
            let single = #"{"classes":[{"code":"all","name":"全部","ratio":0.05}],"grades":["# + pairs.joined(separator: ",") + "]}"
            let (setStatus, set) = try await send(.put, "/api/v1/risk-mapping", single)
            #expect(setStatus == 201 && (set["version"] as? Int ?? 0) >= 1, "\(set)")
            let tomorrow = CivilDate.today().adding(days: 1)
            let plan = """
                {"title":"测试抽查","matters":["年报公示检查"],"regions":["431000"],"max_targets_per_inspector":1000,
                 "inspectors":[{"id":"A1","name":"甲"},{"id":"A2","name":"乙"}],
                 "public_value_name":"\(tomorrow) 上证综合指数收盘点位","public_value_on":"\(tomorrow)"
                """
            let (ratioStatus, ratio) = try await send(.post, "/api/v1/inspections", plan + #","strata":[{"risk_class":"all","ratio":1.5}]}"#)
            #expect(ratioStatus == 422 && ratio["type"] as? String == "/problems/inspection-plan-refused")
            #expect((ratio["issues"] as? [String])?.contains("the ratio 1.5 of stratum all is above 1") == true, "\(ratio)")

            let (status, created) = try await send(.post, "/api/v1/inspections", plan + "}")
            #expect(status == 201, "\(created)")
            let id = try #require(created["id"] as? String)
            #expect(created["status"] as? String == "published" && created["verification"] as? String == "not_drawn")
            let (early, tooEarly) = try await send(.post, "/api/v1/inspections/\(id)/draw", #"{"public_value":"3300.00"}"#)
            #expect(early == 409 && tooEarly["type"] as? String == "/problems/public-value-not-yet-known")
            let other: HTTPFields = [.authorization: "Bearer \(callers.departmentB)", .contentType: "application/json"]
            try await client.execute(uri: "/api/v1/inspections/\(id)/draw", method: .post, headers: other,
                                     body: ByteBuffer(string: #"{"public_value":"1"}"#)) { #expect($0.status == .forbidden) }
            try await client.execute(uri: "/inspections/\(id)", method: .get, headers: [.accept: "text/html"]) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("尚未抽取"))
            }
        }
    }
}
