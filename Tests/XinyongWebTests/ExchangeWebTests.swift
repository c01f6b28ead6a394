import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import Testing
import XinyongAccess
import XinyongExchange
import XinyongModel
import XinyongStore
@testable import XinyongWeb

/// The exchange over real HTTP: keys, batches in three formats, reports, the change feed.
@Suite struct ExchangeWebTests {
    static let penaltyHeader = "行政相对人名称,统一社会信用代码,行政处罚决定书文号,违法行为类型,违法事实,处罚依据,处罚类别,处罚内容,处罚决定日期,失信程度,处罚机关,处罚机关统一社会信用代码"

    static func penaltyRow(_ n: Int, date: String = "2025-06-01") -> String {
        let code = SocialCreditCode.completing("91431003MA4Q" + String(format: "%04d", n))!.value
        return "郴州市网测\(n)有限公司,\(code),郴市监罚〔2025〕W\(n)号,食品安全,销售过期食品,《中华人民共和国食品安全法》第一百二十四条,罚款,罚款人民币5000元,\(date),一般,郴州市市场监督管理局,\(SocialCreditCode.completing("11431000MB1C2D3E")!.value)"
    }

    func withServer(_ body: @Sendable (any TestClientProtocol, Platform, String, String) async throws -> Void) async throws {
        let platform = try await Fixture.platform.value
        let department = try await platform.keys.issue(.department, department: "431000-market_regulation", name: "test system \(UUID())", by: Actor("test", reason: "web test"))
        let admin = try await platform.keys.issue(.admin, name: "office", by: Actor("test", reason: "web test"))
        let app = buildApplication(platform: platform, host: "127.0.0.1", port: 0)
        try await app.test(.live) { client in try await body(client, platform, department.secret, admin.secret) }
    }

    func auth(_ secret: String, _ contentType: String? = nil) -> HTTPFields {
        var fields: HTTPFields = [.authorization: "Bearer \(secret)"]
        if let contentType { fields[.contentType] = contentType }
        return fields
    }

    @Test func csvBatchIsStoredAndReported() async throws {
        try await withServer { client, platform, key, _ in
            let csv = [Self.penaltyHeader, Self.penaltyRow(1), Self.penaltyRow(2, date: "2025-02-30")].joined(separator: "\n") + "\n"
            let batchID = try await client.execute(uri: "/api/v1/batches?type=admin_penalty&mode=accept_valid", method: .post,
                                                   headers: auth(key, "text/csv"), body: ByteBuffer(string: csv)) { response in
                #expect(response.status == .created)
                let body = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                let batch = body?["batch"] as? [String: Any]
                #expect(batch?["created"] as? Int == 1 && batch?["rejected"] as? Int == 1)
                return batch?["id"] as? String ?? ""
            }
            try await client.execute(uri: "/api/v1/batches/\(batchID)?format=csv", method: .get, headers: auth(key)) { response in
                let text = String(buffer: response.body)
                #expect(text.contains("2,error,decision_date,2025-02-30,"))
            }
            try await client.execute(uri: "/api/v1/changes?since=0", method: .get, headers: auth(key)) { response in
                let body = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                #expect((body?["changes"] as? [Any])?.isEmpty == false)
                #expect(body?["next_cursor"] as? Int ?? 0 > 0)
            }
        }
    }

    @Test func jsonAndNDJSONBatchesAndIdempotency() async throws {
        try await withServer { client, _, key, _ in
            let row: [String: Any] = ["subject_name": "郴州市网测3有限公司", "subject_code": SocialCreditCode.completing("91431003MA4Q0003")!.value,
                                      "document_no": "郴市监罚〔2025〕W3号", "violation_type": "食品安全", "violation_facts": "销售过期食品",
                                      "legal_basis": "《中华人民共和国食品安全法》第一百二十四条", "penalty_category": "罚款", "content": "罚款",
                                      "decision_date": "2025-06-01", "tier": "general", "authority": "郴州市市场监督管理局",
                                      "authority_code": SocialCreditCode.completing("11431000MB1C2D3E")!.value, "fine_amount": 0.5]
            let json = try JSONSerialization.data(withJSONObject: [row])
            var headers = auth(key, "application/json")
            headers[HTTPField.Name("Idempotency-Key")!] = "req-\(UUID())"
            let first = try await client.execute(uri: "/api/v1/batches?type=admin_penalty", method: .post, headers: headers,
                                                 body: ByteBuffer(bytes: json)) { response in
                #expect(response.status == .created)
                return String(buffer: response.body)
            }
            try await client.execute(uri: "/api/v1/batches?type=admin_penalty", method: .post, headers: headers,
                                     body: ByteBuffer(bytes: json)) { response in
                #expect(response.status == .ok)
                #expect(response.headers[HTTPField.Name("Idempotent-Replayed")!] == "true")
                #expect(String(buffer: response.body) == first)
            }
            var ndjsonRow = row
            ndjsonRow["document_no"] = "郴市监罚〔2025〕W4号"
            let ndjson = String(decoding: try JSONSerialization.data(withJSONObject: ndjsonRow), as: UTF8.self) + "\nnot json\n"
            try await client.execute(uri: "/api/v1/batches?type=admin_penalty&mode=accept_valid", method: .post,
                                     headers: auth(key, "application/x-ndjson"), body: ByteBuffer(string: ndjson)) { response in
                let body = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                let batch = body?["batch"] as? [String: Any]
                #expect(batch?["created"] as? Int == 1 && batch?["rejected"] as? Int == 1)
            }
        }
    }

    @Test func keysAreCheckedAndRevocable() async throws {
        try await withServer { client, platform, key, admin in
            let csv = ByteBuffer(string: Self.penaltyHeader + "\n" + Self.penaltyRow(9) + "\n")
            try await client.execute(uri: "/api/v1/batches?type=admin_penalty", method: .post, headers: [.contentType: "text/csv"], body: csv) { response in
                #expect(response.status == .unauthorized)
            }
            try await client.execute(uri: "/api/v1/batches?type=abnormal_operation&department=431000-tax", method: .post,
                                     headers: auth(admin, "text/csv"), body: csv) { response in
                #expect(response.status == .forbidden)
                #expect(String(buffer: response.body).contains("not authorised"))
            }
            try await client.execute(uri: "/api/v1/quality", method: .get, headers: auth(key)) { response in
                #expect(response.status == .forbidden)
            }
            let keyID = try #require(try await platform.store.repositories.apiKeys.find(hash: AccessKeys.hash(key))).id
            try await client.execute(uri: "/api/v1/admin/keys/\(keyID)/revoke", method: .post, headers: auth(admin)) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/api/v1/batches?type=admin_penalty", method: .post, headers: auth(key, "text/csv"), body: csv) { response in
                #expect(response.status == .unauthorized)
                #expect(String(buffer: response.body).contains("revoked"))
            }
            try await client.execute(uri: "/api/v1/quality", method: .get, headers: auth(admin)) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("late_share"))
            }
            try await client.execute(uri: "/office/quality", method: .get, headers: auth(admin)) { response in
                #expect(response.status == .ok)
                let html = String(buffer: response.body)
                #expect(html.contains("郴州市市场监督管理局") && html.contains("迟报率"))
            }
            try await client.execute(uri: "/office/quality", method: .get, headers: [.accept: "text/html"]) { response in
                #expect(response.status == .seeOther, "an anonymous visit to an office page lands on the login page")
                #expect(response.headers[.location] == "/login?next=/office/quality")
            }
        }
    }

    @Test func singleRecordFormValidatesLikeABatch() async throws {
        try await withServer { client, platform, _, _ in
            let actor = Actor("test", reason: "clerk for the form")
            let name = "t-clerk-mr-\(UUID().uuidString.prefix(6).lowercased())"
            _ = try await platform.accounts.add(name: name, role: .clerk, department: "431000-market_regulation", region: nil, by: actor)
            let login = try await Login.of(Callers.Person(name: name, password: try await platform.accounts.setPassword(name: name, by: actor)),
                                           client: client)
            try await client.execute(uri: "/submit?type=admin_penalty", method: .get, headers: login.headers(csrf: false)) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("行政处罚决定书文号"))
            }
            var form = URLComponents()
            form.queryItems = [("csrf", login.csrf), ("record_type", "admin_penalty"), ("subject_name", "<script>x</script>"),
                               ("subject_code", "not a code"), ("document_no", "郴市监罚〔2025〕F1号")].map { URLQueryItem(name: $0.0, value: $0.1) }
            try await client.execute(uri: "/submit", method: .post, headers: login.headers(csrf: false, [.contentType: "application/x-www-form-urlencoded"]),
                                     body: ByteBuffer(string: form.percentEncodedQuery!)) { response in
                #expect(response.status == .unprocessableContent)
                let html = String(buffer: response.body)
                #expect(html.contains("报送未通过"))
                #expect(html.contains("不是有效的统一社会信用代码"), "the reason is said in Chinese next to the field")
                #expect(!html.contains("not a unified social credit code"))
                #expect(!html.contains("<script>x</script>"))
            }
        }
    }
}
