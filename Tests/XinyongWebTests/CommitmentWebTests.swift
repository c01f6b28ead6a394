import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import Testing
import XinyongModel
import XinyongStore
@testable import XinyongWeb

/// Xinyi+ and credit commitments over real HTTP on the demo city: the public page, signing online with its
/// refusals, the commitment's page and profile, and a department entering a breach through the API.
@Suite(.serialized) struct CommitmentWebTests {
    func withServer(_ body: @Sendable (any TestClientProtocol, Platform, Callers) async throws -> Void) async throws {
        let platform = try await Fixture.platform.value
        let callers = try await Callers.fixture.value
        try await buildApplication(platform: platform, host: "127.0.0.1", port: 0).test(.live) { client in
            try await body(client, platform, callers)
        }
    }

    static func form(_ fields: [String: String]) -> ByteBuffer {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return ByteBuffer(string: fields.sorted { $0.key < $1.key }
            .map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: allowed)!)" }.joined(separator: "&"))
    }

    static let formHeaders: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]

    struct Picked: Decodable { let name, code: String }

    @Test func theXinyiPageListsTheIncentivesWithWhoQualifies() async throws {
        try await withServer { client, _, _ in
            try await client.execute(uri: "/xinyi", method: .get) { response in
                #expect(response.status == .ok)
                let html = String(buffer: response.body)
                for words in ["信易贷", "信易批", "信易租", "信易行", "信易游", "适用条件", "列入红名单", "纳税信用A级纳税人", "办理方式"] {
                    #expect(html.contains(words), "\(words)")
                }
            }
            try await client.execute(uri: "/", method: .get) { response in
                #expect(String(buffer: response.body).contains("href=\"/xinyi\""))
            }
        }
    }

    @Test func aSubjectSignsOnlineAndADepartmentEntersTheBreach() async throws {
        try await withServer { client, platform, callers in
            let today = CivilDate.today().description
            let subject = try #require(try await platform.store.sql.raw("""
                SELECT s.name, s.code FROM subjects s WHERE s.kind = 'enterprise' AND s.code IS NOT NULL AND s.code_check_failed = \(bind: false)
                AND NOT EXISTS (SELECT 1 FROM list_memberships m WHERE m.subject_id = s.id AND m.list = 'black' AND m.end_date > \(bind: today))
                AND NOT EXISTS (SELECT 1 FROM credit_records r WHERE r.subject_id = s.id AND r.record_type = 'commitment_breach')
                AND NOT EXISTS (SELECT 1 FROM commitments c WHERE c.subject_id = s.id)
                ORDER BY s.id LIMIT 1
                """).first(decoding: Picked.self))
            let hash = try await client.execute(uri: "/commitments/sign?matter=food_business_licence", method: .get) { response in
                #expect(response.status == .ok)
                let html = String(buffer: response.body)
                #expect(html.contains("食品经营许可") && html.contains("信用承诺书（告知承诺）"))
                return try #require(htmlValue(named: "text_hash", in: html))
            }
            try await client.execute(uri: "/commitments/sign?matter=nope", method: .get) { response in
                #expect(response.status == .notFound)
                #expect(String(buffer: response.body).contains("未知的承诺事项"))
            }
            let good = ["matter": "food_business_licence", "text_hash": hash, "subject_name": subject.name, "subject_code": subject.code,
                        "signer": "王五", "agree": "yes"]
            // Refusals in Chinese, next to the form, storing nothing.
            for (change, words) in [(["agree": ""], "请阅读承诺书并勾选同意"), (["subject_code": "123"], "统一社会信用代码格式不正确"),
                                    (["subject_name": "别的公司"], "单位名称与该统一社会信用代码登记的名称不一致"),
                                    (["text_hash": "0"], "承诺书内容已更新")] {
                try await client.execute(uri: "/commitments/sign", method: .post, headers: Self.formHeaders,
                                         body: Self.form(good.merging(change) { _, b in b })) { response in
                    #expect(response.status == .unprocessableContent, "\(words)")
                    #expect(String(buffer: response.body).contains(words))
                }
            }
            let number = try await client.execute(uri: "/commitments/sign", method: .post, headers: Self.formHeaders, body: Self.form(good)) { response in
                #expect(response.status == .created)
                let html = String(buffer: response.body)
                #expect(html.contains(hash) && html.contains("北京时间"))
                return String(try #require(html.firstMatch(of: /id="commitment-number">([A-Z0-9-]+)</)?.1))
            }
            try await client.execute(uri: "/commitments/\(number)", method: .get) { response in
                #expect(response.status == .ok)
                let html = String(buffer: response.body)
                #expect(html.contains("履约中") && html.contains(hash) && !html.contains("王五"), "the signer's name is not published")
            }
            try await client.execute(uri: "/subjects/\(subject.code)", method: .get) { response in
                #expect(String(buffer: response.body).contains(number))
            }

            // The API: the accepting department (a county's market regulation) alone enters the breach.
            let c = try #require(try await platform.store.repositories.commitments.find(id: number))
            let breach = ["document_no": "认定〔2026〕\(number.suffix(6))号", "breach": "未在期限内补齐材料", "legal_basis": "国办发〔2020〕42号",
                          "decision_date": today, "tier": "general"]
            func post(_ body: [String: String], key: String) async throws -> (HTTPResponse.Status, String) {
                try await client.execute(uri: "/api/v1/commitments/\(number)/breach", method: .post,
                                         headers: [.authorization: "Bearer \(key)", .contentType: "application/json"],
                                         body: ByteBuffer(data: try JSONEncoder().encode(body))) { ($0.status, String(buffer: $0.body)) }
            }
            if c.departmentID != Callers.departmentAID {
                let (status, text) = try await post(breach, key: callers.departmentA)
                #expect(status == .forbidden && text.contains("/problems/commitment-other-department"))
            }
            var missing = breach.merging(["department": c.departmentID]) { _, b in b }
            missing.removeValue(forKey: "tier")
            let (status400, text400) = try await post(missing, key: callers.adminKey)
            #expect(status400 == .badRequest && text400.contains("tier"))
            let (status422, text422) = try await post(breach.merging(["department": c.departmentID, "tier": "minor"]) { _, b in b }, key: callers.adminKey)
            #expect(status422 == .unprocessableContent && text422.contains("\"field\":\"tier\""))
            let (status201, text201) = try await post(breach.merging(["department": c.departmentID]) { _, b in b }, key: callers.adminKey)
            #expect(status201 == .created && text201.contains("\"state\":\"breached\""))
            let (status409, _) = try await post(breach.merging(["department": c.departmentID]) { _, b in b }, key: callers.adminKey)
            #expect(status409 == .conflict)
            try await client.execute(uri: "/api/v1/commitments/\(number)", method: .get, headers: [.authorization: "Bearer \(callers.adminKey)"]) { response in
                let text = String(buffer: response.body)
                #expect(response.status == .ok && text.contains("\"signer\":\"王五\"") && text.contains("\"breach_record_id\""))
            }
        }
    }
}
