import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import Testing
import XinyongModel
import XinyongStore
@testable import XinyongWeb

/// Notices before listing over real HTTP: the batch report counts them, the department reads its own and prints
/// the notice, the office sees what waits, and a check answers pending notice.
@Suite struct NoticeWebTests {
    @Test func aSeriousDishonestyBatchIssuesANoticeTheDepartmentPrints() async throws {
        let platform = try await Fixture.platform.value
        let actor = Actor("test", reason: "notice web test")
        let tax = try await platform.keys.issue(.department, department: "431000-tax", name: "tax \(UUID())", by: actor).secret
        let other = try await platform.keys.issue(.department, department: "431000-development_reform", name: "ndrc \(UUID())", by: actor).secret
        let admin = try await platform.keys.issue(.admin, name: "office \(UUID())", by: actor).secret
        @Sendable func headers(_ key: String, accept: String = "application/json") -> HTTPFields {
            [.authorization: "Bearer \(key)", .contentType: "application/json", .accept: accept]
        }
        let code = SocialCreditCode.completing("91431002MA4N" + String(format: "%04d", Int.random(in: 0...9999)))!.value
        let row: [String: String] = [
            "subject_name": "郴州市告知测试商贸有限公司", "subject_code": code, "document_no": "郴税稽罚〔2025〕N\(UUID().uuidString.prefix(6))号",
            "list_name": "重大税收违法失信主体", "reason": "虚开增值税专用发票", "legal_basis": "《重大税收违法失信主体信息公布管理办法》第六条",
            "decision_date": CivilDate.today().adding(days: -3).description, "authority": "国家税务总局郴州市税务局",
            "authority_code": SocialCreditCode.completing("11431000MB1C2D3E")!.value, "tier": "serious",
        ]
        let app = buildApplication(platform: platform, host: "127.0.0.1", port: 0)
        try await app.test(.live) { client in
            try await client.execute(uri: "/api/v1/batches?type=serious_dishonesty", method: .post, headers: headers(tax),
                                     body: ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: [row]))) { response in
                #expect(response.status == .created)
                let batch = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                #expect((batch?["batch"] as? [String: Any])?["notices"] as? Int == 1)
            }
            let notice = try #require(try await platform.store.repositories.notices.search(.init(departmentID: "431000-tax"))
                .first { $0.addressee.contains(code) })
            try await client.execute(uri: "/api/v1/notices?state=pending", method: .get, headers: headers(tax)) { response in
                #expect(response.status == .ok)
                let body = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                let notices = try #require(body?["notices"] as? [[String: Any]])
                let mine = try #require(notices.first { $0["id"] as? String == notice.id })
                #expect(mine["grace_until"] as? String == notice.graceUntil.description && mine["state"] as? String == "pending")
                #expect((mine["consequences"] as? [[String: Any]])?.isEmpty == false)
            }
            for (uri, key, status) in [("/api/v1/notices?state=unknown", tax, HTTPResponse.Status.badRequest),
                                       ("/api/v1/notices?department=431000-court", tax, .forbidden),
                                       ("/notices/\(notice.id)", other, .notFound)] {
                try await client.execute(uri: uri, method: .get, headers: headers(key)) { #expect($0.status == status, "\(uri)") }
            }
            try await client.execute(uri: "/notices/\(notice.id)", method: .get, headers: headers(tax, accept: "text/html")) { response in
                #expect(response.status == .ok)
                let html = String(buffer: response.body)
                for text in ["信用惩戒告知书", "郴州市告知测试商贸有限公司", "虚开增值税专用发票", "黑名单", "陈述申辩", notice.graceUntil.chineseText,
                             "依法限制参加政府采购活动"] {
                    #expect(html.contains(text), "the notice page lacks \(text)")
                }
            }
            try await client.execute(uri: "/office/notices", method: .get, headers: headers(admin, accept: "text/html")) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("/office/notices/\(notice.id)"))
            }
            // The form says a notice was issued and links it for printing.
            var form = row.merging(["record_type": "serious_dishonesty", "department": "431000-tax",
                                    "document_no": "郴税稽罚〔2025〕F\(UUID().uuidString.prefix(6))号"]) { _, new in new }
            form["subject_code"] = SocialCreditCode.completing("91431002MA4P" + String(format: "%04d", Int.random(in: 0...9999)))!.value
            let encoded = form.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)" }.joined(separator: "&")
            var formHeaders = headers(admin, accept: "text/html")
            formHeaders[.contentType] = "application/x-www-form-urlencoded"
            try await client.execute(uri: "/submit", method: .post, headers: formHeaders, body: ByteBuffer(string: encoded)) { response in
                #expect(response.status == .created)
                let html = String(buffer: response.body)
                #expect(html.contains("已生成告知书 <a href=\"/notices/GZ"), "\(html.prefix(3000))")
            }
            try await client.execute(uri: "/api/v1/checks", method: .post, headers: headers(tax),
                                     body: ByteBuffer(bytes: try JSONSerialization.data(withJSONObject: ["code": code, "scenario": "tax_services"]))) { response in
                let answer = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                #expect(answer?["result"] as? String == "pending_notice")
                #expect((answer?["pending_notice"] as? [[String: Any]])?.first?["notice_id"] as? String == notice.id)
                #expect((answer?["measures"] as? [Any])?.isEmpty == true)
            }
        }
    }
}
