import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import Testing
import XinyongModel
import XinyongStore
@testable import XinyongWeb

/// Objections and repair over real HTTP on the demo city: the public forms with evidence, receipts and
/// follow-up codes, refusals that name the problem and store nothing, the office's and a department's decisions.
@Suite(.serialized) struct DueProcessWebTests {
    static let boundary = "xy-test-boundary"

    /// A multipart body: text fields, then files under `evidence`.
    static func multipart(_ fields: [String: String], files: [(String, Data)] = []) -> (HTTPFields, ByteBuffer) {
        var body = Data()
        for (name, value) in fields.sorted(by: { $0.key < $1.key }) {
            body += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"\(name)\"\r\n\r\n\(value)\r\n".utf8)
        }
        for (name, content) in files {
            body += Data("--\(boundary)\r\nContent-Disposition: form-data; name=\"evidence\"; filename=\"\(name)\"\r\nContent-Type: application/pdf\r\n\r\n".utf8)
            body += content + Data("\r\n".utf8)
        }
        body += Data("--\(boundary)--\r\n".utf8)
        return ([.contentType: "multipart/form-data; boundary=\(boundary)"], ByteBuffer(bytes: body))
    }

    static let filer = ["filer_name": "郴州市测试有限公司", "filer_identifier": "91431000MA4L000001", "contact": "0735-2000000"]

    struct Picked: Decodable { let id, code, department_id: String }

    /// A public general-tier penalty of department A with no case open on it, repairable today when `repairable`.
    static func record(_ store: Store, repairable: Bool) async throws -> Picked {
        let today = CivilDate.today().description
        let compare = repairable ? "<=" : ">"
        return try #require(try await store.sql.raw("""
            SELECT r.id, s.code, r.department_id FROM credit_records r JOIN subjects s ON s.id = r.subject_id
            WHERE r.record_type = 'admin_penalty' AND r.tier = 'general' AND r.status = 'active' AND s.code IS NOT NULL
            AND r.department_id = \(bind: Callers.departmentAID)
            AND r.publicity_start <= \(bind: today) AND r.publicity_end > \(bind: today) AND r.repair_eligible_from \(unsafeRaw: compare) \(bind: today)
            AND NOT EXISTS (SELECT 1 FROM objections o WHERE o.record_id = r.id)
            AND NOT EXISTS (SELECT 1 FROM repair_applications a WHERE a.record_id = r.id)
            ORDER BY r.id DESC LIMIT 1
            """).first(decoding: Picked.self))
    }

    func withServer(_ body: @Sendable (any TestClientProtocol, Platform, Callers) async throws -> Void) async throws {
        let platform = try await Fixture.platform.value
        let callers = try await Callers.fixture.value
        try await buildApplication(platform: platform, host: "127.0.0.1", port: 0).test(.live) { client in
            try await body(client, platform, callers)
        }
    }

    @Test func anObjectionIsFiledFollowedAcceptedAndDecided() async throws {
        try await withServer { client, platform, callers in
            let record = try await Self.record(platform.store, repairable: false)
            let countBefore = try await platform.store.repositories.objections.list(statuses: nil, limit: 100_000).count
            // Refused, each with its reason in Chinese, and nothing stored: a fake PDF, a 12 MB file, no statement.
            for (fields, files, words) in [
                (Self.filer.merging(["kind": "content", "statement": "金额有误"]) { a, _ in a }, [("fake.pdf", Data("<script>".utf8))], "不是 PDF"),
                (Self.filer.merging(["kind": "content", "statement": "金额有误"]) { a, _ in a }, [("big.pdf", Data("%PDF-".utf8) + Data(count: 12 << 20))], "超过单个文件 10 MB"),
                (Self.filer.merging(["kind": "content", "statement": " "]) { a, _ in a }, [], "请填写异议理由"),
            ] {
                let (headers, body) = Self.multipart(fields, files: files)
                try await client.execute(uri: "/records/\(record.id)/objection", method: .post, headers: headers, body: body) { response in
                    #expect(response.status == .unprocessableContent)
                    #expect(String(buffer: response.body).contains(words))
                }
            }
            #expect(try await platform.store.repositories.objections.list(statuses: nil, limit: 100_000).count == countBefore)

            let (headers, body) = Self.multipart(Self.filer.merging(["kind": "content", "statement": "处罚金额与决定书不一致"]) { a, _ in a },
                                                 files: [("决定书.pdf", Data("%PDF-1.7 test".utf8))])
            let (number, code) = try await client.execute(uri: "/records/\(record.id)/objection", method: .post, headers: headers, body: body) { response in
                #expect(response.status == .created)
                let html = String(buffer: response.body)
                let number = try #require(html.firstMatch(of: /id="receipt-number">([A-Z0-9-]+)</)?.1)
                let code = try #require(html.firstMatch(of: /id="follow-up-code">([A-Z0-9]+)</)?.1)
                return (String(number), String(code))
            }
            // The same again: refused with the open number.
            try await client.execute(uri: "/records/\(record.id)/objection", method: .post, headers: headers, body: body) { response in
                #expect(response.status == .conflict)
                #expect(String(buffer: response.body).contains(number))
            }
            // The record carries the flag on its profile; the status page shows the clock.
            try await client.execute(uri: "/subjects/\(record.code)", method: .get) { response in
                #expect(String(buffer: response.body).contains(number))
            }
            try await client.execute(uri: "/objections/\(number)", method: .get) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("距办理期限还剩 20 天"))
            }
            let form: HTTPFields = [.contentType: "application/x-www-form-urlencoded"]
            try await client.execute(uri: "/objections/\(number)", method: .post, headers: form, body: ByteBuffer(string: "code=AAAABBBBCCCC")) { response in
                #expect(response.status == .forbidden)
                #expect(String(buffer: response.body).contains("查询码与编号不符"))
            }
            try await client.execute(uri: "/objections/\(number)", method: .post, headers: form, body: ByteBuffer(string: "code=\(code)")) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("决定书.pdf"))
            }

            // The reviewer accepts it on the office page; another department cannot decide it; its own does.
            let reviewer = try await Login.of(callers.reviewer, client: client)
            try await client.execute(uri: "/office/objections/\(number)/accept", method: .post, headers: reviewer.headers(form)) { response in
                #expect(response.status == .seeOther)
            }
            let decision = ByteBuffer(string: #"{"decision":"rejected","reasons":"与决定书记载一致"}"#)
            try await client.execute(uri: "/api/v1/objections/\(number)/decision", method: .post,
                                     headers: [.authorization: "Bearer \(callers.departmentB)", .contentType: "application/json"], body: decision) { response in
                #expect(response.status == .notFound)
            }
            try await client.execute(uri: "/api/v1/objections", method: .get, headers: [.authorization: "Bearer \(callers.departmentA)"]) { response in
                #expect(String(buffer: response.body).contains(number))
            }
            try await client.execute(uri: "/api/v1/objections/\(number)/decision", method: .post,
                                     headers: [.authorization: "Bearer \(callers.departmentA)", .contentType: "application/json"], body: decision) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("rejected"))
            }
            try await client.execute(uri: "/objections/\(number)", method: .post, headers: form, body: ByteBuffer(string: "code=\(code)")) { response in
                #expect(String(buffer: response.body).contains("与决定书记载一致"))
            }
            #expect(try await platform.store.repositories.objections.open(recordIDs: [record.id]).isEmpty)
        }
    }

    @Test func repairIsRefusedBeforeItsDateAndEndsPublicityWhenGranted() async throws {
        try await withServer { client, platform, callers in
            let early = try await Self.record(platform.store, repairable: false)
            let eligible = try #require(try await platform.store.repositories.records.find(id: early.id)?.schedule.repairEligibleFrom)
            try await client.execute(uri: "/records/\(early.id)/repair", method: .get) { response in
                #expect(response.status == .unprocessableContent)
                #expect(String(buffer: response.body).contains(eligible.description))
            }
            let record = try await Self.record(platform.store, repairable: true)
            let fields = Self.filer.merging(["conduct": "已缴纳罚款并完成整改", "agree": "yes", "signer": "张三"]) { a, _ in a }
            var (headers, body) = Self.multipart(fields.filter { $0.key != "agree" })
            try await client.execute(uri: "/records/\(record.id)/repair", method: .post, headers: headers, body: body) { response in
                #expect(response.status == .unprocessableContent)
                #expect(String(buffer: response.body).contains("承诺书"))
            }
            (headers, body) = Self.multipart(fields, files: [("缴款凭证.png", Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 1, 2]))])
            let number = try await client.execute(uri: "/records/\(record.id)/repair", method: .post, headers: headers, body: body) { response in
                #expect(response.status == .created)
                return String(try #require(String(buffer: response.body).firstMatch(of: /id="receipt-number">([A-Z0-9-]+)</)?.1))
            }
            let reviewer = try await Login.of(callers.reviewer, client: client)
            try await client.execute(uri: "/office/repairs", method: .get, headers: reviewer.headers(csrf: false)) { response in
                #expect(String(buffer: response.body).contains(number))
            }
            try await client.execute(uri: "/office/repairs/\(number)/forward", method: .post,
                                     headers: reviewer.headers([.contentType: "application/x-www-form-urlencoded"])) { response in
                #expect(response.status == .seeOther)
            }
            try await client.execute(uri: "/api/v1/repairs/\(number)/decision", method: .post,
                                     headers: [.authorization: "Bearer \(callers.departmentA)", .contentType: "application/json"],
                                     body: ByteBuffer(string: #"{"decision":"repaired","reasons":"已纠正"}"#)) { response in
                #expect(response.status == .ok)
            }
            try await client.execute(uri: "/records/\(record.id)", method: .get) { response in
                #expect(response.status == .notFound)
            }
            let changes = try await platform.store.repositories.changes.since(0, limit: 1_000_000, visibility: nil).changes
            #expect(changes.contains { $0.record_id == record.id && $0.change == .repaired })
        }
    }
}
