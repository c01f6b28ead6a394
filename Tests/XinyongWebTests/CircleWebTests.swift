import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import Testing
import XinyongAccess
import XinyongModel
import XinyongStore
@testable import XinyongWeb

/// Parks and business associations over real HTTP against the demo platform.
@Suite(.serialized) struct CircleWebTests {
    static let association = "431000-association-construction"
    static let ratingHeader = "会员单位名称,会员单位统一社会信用代码,评价文号,评价等级,评价年度,评价办法（协会章程或自律公约条款）,作出日期,行业协会商会名称"

    func auth(_ secret: String, _ contentType: String = "application/json") -> HTTPFields {
        [.authorization: "Bearer \(secret)", .contentType: contentType, .accept: "application/json"]
    }

    func json(_ response: TestResponse) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
    }

    @Test func aParkPageComparesItsFiguresWithTheOtherParksAndTheCity() async throws {
        let platform = try await Fixture.platform.value
        let app = buildApplication(platform: platform, host: "127.0.0.1", port: 0)
        try await app.test(.live) { client in
            try await client.execute(uri: "/parks", method: .get) { response in
                let page = String(buffer: response.body)
                for name in ["郴州高新技术产业开发区诚信示范园区", "资兴经济开发区诚信示范园区", "临武县工业集中区诚信示范园区"] {
                    #expect(page.contains(name))
                }
            }
            try await client.execute(uri: "/parks/gaoxin", method: .get) { response in
                #expect(response.status == .ok)
                let page = String(buffer: response.body)
                // One bar chart per metric and the monthly line; each bar chart names the other parks and the city.
                #expect(page.components(separatedBy: "<svg class=\"chart\"").count - 1 == ParkMetric.allCases.count + 1)
                #expect(page.contains("<title>资兴经济开发区诚信示范园区</title>") && page.contains(">全市<"))
                #expect(page.contains("每千户每月负面记录 ≤ 12") && (page.contains(">达标<") || page.contains(">未达标<")))
                #expect(page.contains("<td>\(CivilDate.today().year - 1)</td>") && (page.contains("通过复核") || page.contains("限期整改")))
            }
            try await client.execute(uri: "/api/v1/parks/gaoxin", method: .get) { response in
                let body = try json(response)
                let metrics = try #require(body["metrics"] as? [[String: Any]])
                #expect(metrics.map { $0["metric"] as? String } == ParkMetric.allCases.map(\.rawValue))
                let negative = try #require(metrics.first { $0["metric"] as? String == "negative_per_thousand_per_month" })
                let value = try #require(negative["value"] as? Double)
                #expect(negative["met"] as? Bool == (value <= 12))
                #expect(negative["city"] is Double)
                #expect((body["reviews"] as? [Any])?.count == 1)
            }
            try await client.execute(uri: "/parks/nope", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(String(buffer: response.body).contains("未找到该诚信示范园区"))
            }
        }
    }

    @Test func theOfficeNamesAParkAndImportsItsMembersStrictlyOrPartly() async throws {
        let platform = try await Fixture.platform.value
        let admin = try await platform.keys.issue(.admin, name: "park test", by: Actor("test", reason: "park web test")).secret
        let code = try await Fixture.codeWithPublicPenalty(platform.store)
        let app = buildApplication(platform: platform, host: "127.0.0.1", port: 0)
        let id = "web-\(UUID().uuidString.prefix(6).lowercased())"
        try await app.test(.live) { client in
            try await client.execute(uri: "/api/v1/parks", method: .post, headers: auth(admin),
                                     body: ByteBuffer(string: #"{"id":"\#(id)","name":"","managing_body":"管委会","established_on":"2025-01-01","region_codes":["999999"]}"#)) { response in
                #expect(response.status == .badRequest)
                let detail = try json(response)["detail"] as? String ?? ""
                #expect(detail.contains("name:") && detail.contains("region_codes: '999999'"))
            }
            try await client.execute(uri: "/api/v1/parks", method: .post, headers: auth(admin),
                                     body: ByteBuffer(string: #"{"id":"\#(id)","name":"网测园区","managing_body":"管委会","established_on":"2025-01-01","targets":[{"metric":"grade_ab_share","at_least":0.8}]}"#)) { response in
                #expect(response.status == .created)
            }
            let file = "\(code)\nNOT-A-CODE\n"
            try await client.execute(uri: "/api/v1/parks/\(id)/members?mode=strict", method: .post, headers: auth(admin, "text/csv"),
                                     body: ByteBuffer(string: file)) { response in
                #expect(response.status == .unprocessableContent)
                let body = try json(response)
                #expect(body["imported"] as? Bool == false)
                let refused = try #require(body["refused"] as? [[String: Any]])
                #expect(refused.count == 1 && refused[0]["line"] as? Int == 2 && refused[0]["code"] as? String == "NOT-A-CODE")
            }
            try await client.execute(uri: "/api/v1/parks/\(id)/members?mode=partial", method: .post, headers: auth(admin, "text/csv"),
                                     body: ByteBuffer(string: file)) { response in
                #expect(response.status == .ok)
                let members = try json(response)["members"] as? Int
                #expect(members == 1)
            }
            try await client.execute(uri: "/api/v1/parks/\(id)/members?mode=sometimes", method: .post, headers: auth(admin, "text/csv"),
                                     body: ByteBuffer(string: file)) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("mode"))
            }
            try await client.execute(uri: "/api/v1/parks/\(id)", method: .get) { response in
                let figures = try json(response)["figures"] as? [String: Any]
                #expect(figures?["members"] as? Int == 1)
            }
            try await client.execute(uri: "/api/v1/parks/no-such-park/members", method: .post, headers: auth(admin, "text/csv"),
                                     body: ByteBuffer(string: file)) { response in
                #expect(response.status == .notFound)
            }
        }
    }

    @Test func anAssociationsRatingShowsOnTheProfileAsTheAssociationsOwn() async throws {
        let platform = try await Fixture.platform.value
        let rated = try #require(try await platform.store.repositories.associations.published(by: Self.association, on: .today())
            .first { $0.record_type == "association_rating" && $0.subject_code != nil })
        let app = buildApplication(platform: platform, host: "127.0.0.1", port: 0)
        try await app.test(.live) { client in
            try await client.execute(uri: "/subjects/\(rated.subject_code!)", method: .get) { response in
                let page = String(buffer: response.body)
                #expect(page.contains("行业协会商会信息（行业自律，非政府部门认定）"))
                #expect(page.contains("郴州市建筑业协会 <span class=\"flag\">行业协会商会自律信息，非政府部门认定</span>"))
                #expect(page.contains(rated.document_no))
            }
            try await client.execute(uri: "/associations/\(Self.association)", method: .get) { response in
                let page = String(buffer: response.body)
                #expect(page.contains("郴州市建筑业协会") && page.contains(rated.document_no) && page.contains("已评价会员的公共信用综合评价等级"))
            }
            try await client.execute(uri: "/associations/431000-tax", method: .get) { response in
                #expect(response.status == .notFound)
            }
        }
    }

    @Test func anAssociationSubmitsItsOwnKindsOfRecordsAndNothingElse() async throws {
        let platform = try await Fixture.platform.value
        let callers = try await Callers.fixture.value
        let actor = Actor("test", reason: "association web test")
        let key = try await platform.keys.issue(.association, department: Self.association, name: "association test", by: actor).secret
        await #expect(throws: AccessError.self) {
            _ = try await platform.keys.issue(.department, department: Self.association, name: "wrong kind", by: actor)
        }
        let code = try await Fixture.codeWithPublicPenalty(platform.store)
        let name = try #require(try await platform.store.repositories.subjects.find(code: SocialCreditCode.verify(code).code!)).name
        let row = "\(name),\(code),建协评〔2026〕W\(Int.random(in: 1000...9999))号,AA,2025,郴州市建筑业协会会员信用评价办法第八条,2026-01-15,郴州市建筑业协会"
        let rating = ByteBuffer(string: Self.ratingHeader + "\n" + row + "\n")
        let app = buildApplication(platform: platform, host: "127.0.0.1", port: 0)
        try await app.test(.live) { client in
            try await client.execute(uri: "/api/v1/batches?type=association_rating", method: .post, headers: auth(key, "text/csv"), body: rating) { response in
                #expect(response.status == .created, "\(String(buffer: response.body))")
            }
            let penalty = ByteBuffer(string: ExchangeWebTests.penaltyHeader + "\n" + ExchangeWebTests.penaltyRow(Int.random(in: 1000...9999)) + "\n")
            try await client.execute(uri: "/api/v1/batches?type=admin_penalty", method: .post, headers: auth(key, "text/csv"), body: penalty) { response in
                #expect(response.status == .forbidden)
                #expect(String(buffer: response.body).contains("not authorised"))
            }
            try await client.execute(uri: "/api/v1/batches?type=association_rating", method: .post, headers: auth(callers.departmentA, "text/csv"),
                                     body: rating) { response in
                #expect(response.status == .forbidden)
            }
            // Checks before handling are the government's: an association may not run them.
            try await client.execute(uri: "/api/v1/checks", method: .post, headers: auth(key),
                                     body: ByteBuffer(string: #"{"code":"\#(code)","scenario":"bidding"}"#)) { response in
                #expect(response.status == .forbidden)
            }
        }
    }
}
