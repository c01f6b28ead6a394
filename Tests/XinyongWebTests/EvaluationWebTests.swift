import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import Testing
import XinyongModel
import XinyongStore
@testable import XinyongWeb

/// Grades over real HTTP on the demo: the office's distributions, a subject's explanation with reason codes,
/// objection and repair links and what-ifs, the grade in check answers and in JSON, and the office's switch
/// that puts organisations' grades on their public profiles.
@Suite(.serialized) struct EvaluationWebTests {
    static func json(_ buffer: ByteBuffer) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: Any])
    }

    @Test func theOfficeSeesDistributionsAndEachGradeExplained() async throws {
        let platform = try await Fixture.platform.value
        let actor = Actor("test", reason: "evaluation web test")
        let admin = try await platform.keys.issue(.admin, name: "office \(UUID())", by: actor).secret
        let tax = try await platform.keys.issue(.department, department: "431000-tax", name: "tax \(UUID())", by: actor).secret
        let code = try await Fixture.codeWithPublicPenalty(platform.store)
        let subject = try #require(try await platform.store.repositories.subjects.find(code: SocialCreditCode.verify(code).code!))
        let stored = try #require(try await platform.store.repositories.evaluations.find(subject.id))
        #expect(stored.contributions.contains { $0.recordType == "admin_penalty" && $0.points < 0 })
        let subjects = try await platform.store.repositories.subjects.count()
        @Sendable func headers(_ key: String, accept: String = "application/json") -> HTTPFields {
            [.authorization: "Bearer \(key)", .contentType: "application/json", .accept: accept]
        }
        let app = buildApplication(platform: platform, host: "127.0.0.1", port: 0)
        try await app.test(.live) { client in
            try await client.execute(uri: "/api/v1/evaluation", method: .get, headers: headers(admin)) { response in
                #expect(response.status == .ok)
                let body = try Self.json(response.body)
                #expect(body["graded"] as? Int == subjects)
                #expect(body["model_version"] as? Int == EvaluationModel.shipped.version)
            }
            try await client.execute(uri: "/office/evaluation", method: .get, headers: headers(admin, accept: "text/html")) { response in
                #expect(response.status == .ok)
                let html = String(buffer: response.body)
                for text in ["等级分布（按地区）", "北湖区", "等级分布（按行业（由名称推断））", "N01", "否决规则"] {
                    #expect(html.contains(text), "the office page lacks \(text)")
                }
            }
            try await client.execute(uri: "/office/evaluation/explain?code=\(code)", method: .get, headers: headers(admin, accept: "text/html")) { response in
                #expect(response.status == .ok)
                let html = String(buffer: response.body)
                let penalty = try #require(stored.contributions.first { $0.recordType == "admin_penalty" && $0.points < 0 })
                for text in [stored.grade.label, "/records/\(penalty.recordID)", "/records/\(stored.reasons[0].recordID)/objection",
                             "/records/\(stored.reasons[0].recordID)/repair", "若修复此记录：\(stored.grade.rawValue) →"] {
                    #expect(html.contains(text), "the explanation lacks \(text)")
                }
            }
            try await client.execute(uri: "/office/evaluation/explain?code=ABC", method: .get, headers: headers(admin)) { response in
                #expect(response.status == .badRequest)
            }
            try await client.execute(uri: "/api/v1/subjects/\(code)/evaluation", method: .get, headers: headers(tax)) { response in
                #expect(response.status == .ok)
                let body = try Self.json(response.body)
                #expect(body["grade"] as? String == stored.grade.rawValue)
                #expect((body["contributions"] as? [[String: Any]])?.count == stored.contributions.count)
            }
            let check = try JSONSerialization.data(withJSONObject: ["code": code, "scenario": "tax_services"])
            try await client.execute(uri: "/api/v1/checks", method: .post, headers: headers(tax), body: ByteBuffer(bytes: check)) { response in
                let evaluation = try Self.json(response.body)["evaluation"] as? [String: Any]
                #expect(evaluation?["grade"] as? String == stored.grade.rawValue)
                #expect((evaluation?["reasons"] as? [[String: Any]])?.first?["record_id"] as? String == stored.reasons.first?.recordID)
            }
        }
    }

    @Test func gradesReachPublicProfilesOnlyWhenTheOfficeSaysSo() async throws {
        let platform = try await Fixture.platform.value
        let actor = Actor("test", reason: "evaluation web test")
        let admin = try await platform.keys.issue(.admin, name: "office \(UUID())", by: actor).secret
        let code = try await Fixture.codeWithPublicPenalty(platform.store)
        let app = buildApplication(platform: platform, host: "127.0.0.1", port: 0)
        @Sendable func set(_ show: String, _ client: some TestClientProtocol) async throws {
            try await client.execute(uri: "/office/evaluation/public", method: .post,
                                     headers: [.authorization: "Bearer \(admin)", .contentType: "application/x-www-form-urlencoded"],
                                     body: ByteBuffer(string: "show=\(show)")) { #expect($0.status == .seeOther) }
        }
        try await app.test(.live) { client in
            try await set("false", client)
            try await client.execute(uri: "/subjects/\(code)/evaluation", method: .get, headers: [.accept: "text/html"]) { response in
                #expect(response.status == .notFound)
                #expect(String(buffer: response.body).contains("信用办未公开公共信用综合评价等级"))
            }
            try await client.execute(uri: "/subjects/\(code)", method: .get, headers: [.accept: "text/html"]) { response in
                #expect(!String(buffer: response.body).contains("公共信用综合评价"))
            }
            try await client.execute(uri: "/office/evaluation/public", method: .post,
                                     headers: [.authorization: "Bearer \(admin)", .contentType: "application/x-www-form-urlencoded"],
                                     body: ByteBuffer(string: "show=maybe")) { #expect($0.status == .badRequest) }
            try await set("true", client)
            try await client.execute(uri: "/subjects/\(code)", method: .get, headers: [.accept: "text/html"]) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("公共信用综合评价") && html.contains("/subjects/\(code)/evaluation"))
            }
            try await client.execute(uri: "/subjects/\(code)/evaluation", method: .get, headers: [.accept: "text/html"]) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("主要扣分原因"))
            }
            try await set("false", client)
        }
        let changes = try await platform.store.repositories.audit.entries(entity: "joint_settings", limit: 1000)
        #expect(changes.contains { $0.entity_id == EvaluationRoutes.publicGradeSetting })
    }
}
