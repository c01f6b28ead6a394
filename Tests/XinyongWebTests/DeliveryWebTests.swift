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
import XinyongTestSupport
@testable import XinyongWeb

/// Every recipient told, over real HTTP: a department that checked a listed subject and a recipient system that read
/// the feed both owe an acknowledgement of the record's withdrawal; the department's webhook (a real local receiver)
/// gets it signed, the system acknowledges by reading on; the office sees who is missing; a report issued before the
/// withdrawal says so when verified.
@Suite struct DeliveryWebTests {
    static let a = Callers.departmentAID
    static let b = Callers.departmentBID
    static let secret = "receiver-secret-0123456789"

    /// What a local webhook receiver got.
    final class Receiver: @unchecked Sendable {
        struct Hit: Sendable { let headers: HTTPFields; let body: Data }
        private let lock = NSLock()
        private var received: [Hit] = []
        let status: HTTPResponse.Status

        var hits: [Hit] { lock.withLock { received } }

        init(answering status: HTTPResponse.Status) { self.status = status }

        var application: some ApplicationProtocol {
            let router = Router()
            router.post("/hook") { request, _ -> Response in
                let body = try await request.body.collect(upTo: 1 << 20)
                self.lock.withLock { self.received.append(Hit(headers: request.headers, body: Data(buffer: body))) }
                return Response(status: self.status)
            }
            return Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        }
    }

    /// A demo city with a record of department A that puts an organisation on the black list, and keys.
    struct Scenario: Sendable {
        let platform: Platform
        let record: CreditRecord
        let code: String
        let keyA, keyB, recipient, admin: String
        let recipientName: String

        static func make(_ store: Store) async throws -> Scenario {
            let platform = try await WebBackend.platform(store)
            struct Row: Decodable { let id: String; let code: String }
            let subject = try #require(try await store.sql.raw("""
                SELECT id, code FROM subjects WHERE code IS NOT NULL AND kind = 'enterprise' ORDER BY id LIMIT 1
                """).first(decoding: Row.self))
            let catalog = try #require(platform.currentCatalog)
            let type = try #require(catalog.recordType("serious_dishonesty"))
            let decided = CivilDate.today().adding(days: -40)
            let record = CreditRecord(
                id: "r-told-1", subjectID: subject.id, recordType: type.code, catalogVersion: catalog.version, departmentID: a,
                regionCode: "431000", documentNumber: "郴市监严失〔2026〕1号", tier: .serious, decisionDate: decided, legalBasis: "测试依据",
                schedule: try catalog.schedule(for: type, tier: .serious, decisionDate: decided, fields: [:], calendar: .china))
            try await store.transaction { repos in
                try await repos.records.insert([record], by: Actor("test", reason: "delivery test"))
                try await repos.changes.append([record], kind: .created, batch: nil)
            }
            let actor = Actor("test", reason: "delivery test")
            func key(_ role: KeyRole, _ department: String? = nil, name: String) async throws -> String {
                try await platform.keys.issue(role, department: department, name: name, by: actor).secret
            }
            return Scenario(
                platform: platform, record: record, code: subject.code,
                keyA: try await key(.department, a, name: "A system"), keyB: try await key(.department, b, name: "B system"),
                recipient: try await key(.recipient, name: "永兴县信用平台"), admin: try await key(.admin, name: "office"),
                recipientName: "永兴县信用平台")
        }
    }

    func auth(_ key: String, _ extra: HTTPFields = [:]) -> HTTPFields {
        var fields = extra
        fields[.authorization] = "Bearer \(key)"
        fields[.contentType] = "application/json"
        return fields
    }

    func object(_ buffer: ByteBuffer) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(buffer: buffer)) as? [String: Any])
    }

    /// B checks the subject (the answer cites the record), the recipient system reads the whole feed, B's webhook is set
    /// to `hook`, then A withdraws the record. Returns the recipient system's next cursor.
    func receiveThenWithdraw(_ s: Scenario, client: some TestClientProtocol, hook: String) async throws -> Int {
        try await client.execute(uri: "/api/v1/checks", method: .post, headers: auth(s.keyB),
                                 body: ByteBuffer(string: #"{"code":"\#(s.code)","scenario":"bidding"}"#)) { response throws in
            #expect(response.status == .created)
            let memberships = try object(response.body)["memberships"] as? [[String: Any]] ?? []
            #expect(memberships.contains { $0["record_id"] as? String == s.record.id }, "the check cites the listed record")
        }
        let cursor = try await client.execute(uri: "/api/v1/changes?since=0&limit=10000", method: .get, headers: auth(s.recipient)) { response throws in
            let body = try object(response.body)
            #expect((body["changes"] as? [[String: Any]] ?? []).contains { $0["record_id"] as? String == s.record.id })
            return try #require(body["next_cursor"] as? Int)
        }
        try await client.execute(uri: "/api/v1/admin/departments/\(Self.b)/webhook", method: .put, headers: auth(s.admin),
                                 body: ByteBuffer(string: #"{"url":"\#(hook)","secret":"\#(Self.secret)"}"#)) { response throws in
            #expect(response.status == .ok)
            #expect(try object(response.body)["secret"] as? String == Self.secret)
        }
        try await client.execute(uri: "/api/v1/records/\(s.record.id)/withdraw", method: .post, headers: auth(s.keyA),
                                 body: ByteBuffer(string: #"{"reason":"录入错误，予以撤销"}"#)) { response throws in
            #expect(response.status == .ok)
        }
        return cursor
    }

    /// The newest told change as the admin API reports it.
    func newestDelivery(_ s: Scenario, client: some TestClientProtocol) async throws -> [String: Any] {
        try await client.execute(uri: "/api/v1/admin/deliveries", method: .get, headers: auth(s.admin)) { response throws in
            #expect(response.status == .ok)
            return try #require((try object(response.body)["changes"] as? [[String: Any]])?.first)
        }
    }

    func page(_ uri: String, _ s: Scenario, client: some TestClientProtocol) async throws -> String {
        try await client.execute(uri: uri, method: .get, headers: [.authorization: "Bearer \(s.admin)", .accept: "text/html"]) { response throws in
            #expect(response.status == .ok)
            return String(buffer: response.body)
        }
    }

    @Test func aWithdrawalReachesTheCheckerByWebhookAndTheFeedReaderByItsCursor() async throws {
        try await Backend.sqlite.withStore { store in
            let s = try await Scenario.make(store)
            let receiver = Receiver(answering: .ok)
            let report = try await s.platform.site.issueReport(for: try #require(try await store.repositories.subjects.find(id: s.record.subjectID)))
            try await receiver.application.test(.live) { hook in
                let app = buildApplication(platform: s.platform, host: "127.0.0.1", port: 0)
                try await app.test(.live) { client in
                    let cursor = try await receiveThenWithdraw(s, client: client, hook: "http://127.0.0.1:\(hook.port!)/hook")

                    var line = try await newestDelivery(s, client: client)
                    #expect(line["change"] as? String == "withdrawn" && line["record_id"] as? String == s.record.id)
                    #expect(line["recipients_total"] as? Int == 2 && line["reached_count"] as? Int == 0)
                    let seq = try #require(line["seq"] as? Int)

                    // The worker posts to B's receiver, signed over timestamp and body.
                    #expect(try await WebhookDelivery(store: store).deliverDue() == 1)
                    let hit = try #require(receiver.hits.first)
                    let timestamp = try #require(hit.headers[HTTPField.Name("X-Xinyong-Timestamp")!])
                    let mac = HMAC<SHA256>.authenticationCode(for: Data("\(timestamp).".utf8) + hit.body, using: SymmetricKey(data: Data(Self.secret.utf8)))
                    #expect(hit.headers[HTTPField.Name("X-Xinyong-Signature")!] == "sha256=" + Data(mac).map { String(format: "%02x", $0) }.joined())
                    #expect(hit.headers[HTTPField.Name("X-Xinyong-Delivery")!] == "\(seq)-\(Self.b)")
                    let payload = try #require(try JSONSerialization.jsonObject(with: hit.body) as? [String: Any])
                    let change = try #require(payload["change"] as? [String: Any])
                    #expect(change["change"] as? String == "withdrawn" && change["record_id"] as? String == s.record.id && change["seq"] as? Int == seq)
                    #expect(payload["department_id"] as? String == Self.b)
                    #expect(try await WebhookDelivery(store: store).deliverDue() == 0, "a delivered change is not posted again")

                    line = try await newestDelivery(s, client: client)
                    #expect(line["reached_count"] as? Int == 1)
                    let recipients = line["recipients"] as? [[String: Any]] ?? []
                    let missing = try #require(recipients.first { $0["reached"] as? Bool == false })
                    #expect(missing["kind"] as? String == "key" && missing["name"] as? String == s.recipientName)
                    #expect(missing["overdue_seconds"] as? Int != nil && missing["received_via"] as? String == "feed")
                    #expect(recipients.first { $0["id"] as? String == Self.b }?["reached_by"] as? String == "webhook")
                    #expect(recipients.first { $0["id"] as? String == Self.b }?["received_via"] as? String == "check")
                    let taxName = try #require(try await store.repositories.departments.find(Self.b)?.name)
                    var html = try await page("/office/deliveries", s, client: client)
                    #expect(html.contains("已送达 1/2") && html.contains("接收系统：\(s.recipientName)：已逾"))
                    html = try await page("/office/deliveries/\(seq)", s, client: client)
                    #expect(html.contains(taxName) && html.contains("已送达（推送）") && html.contains("逢办必查") && html.contains("未送达"))

                    // The recipient system reads on, then asks past the withdrawal: now everyone has it.
                    let next = try await client.execute(uri: "/api/v1/changes?since=\(cursor)", method: .get, headers: auth(s.recipient)) { response throws in
                        let body = try object(response.body)
                        #expect((body["changes"] as? [[String: Any]] ?? []).contains { $0["change"] as? String == "withdrawn" })
                        return try #require(body["next_cursor"] as? Int)
                    }
                    _ = try await client.execute(uri: "/api/v1/changes?since=\(next)", method: .get, headers: auth(s.recipient)) { $0.status }
                    line = try await newestDelivery(s, client: client)
                    #expect(line["reached_count"] as? Int == 2)
                    html = try await page("/office/deliveries", s, client: client)
                    #expect(html.contains("已送达 2/2"))

                    // A report issued before the withdrawal is still genuine, and says the record has since been withdrawn.
                    try await client.execute(uri: "/api/v1/reports/verify", method: .post, headers: [.contentType: "application/json"],
                                             body: ByteBuffer(bytes: report.json)) { response throws in
                        let body = try object(response.body)
                        #expect(body["verdict"] as? String == "genuine")
                        let later = body["changed_since_issue"] as? [[String: Any]] ?? []
                        #expect(later.count == 1 && later.first?["record_id"] as? String == s.record.id)
                        #expect(later.first?["change"] as? String == "withdrawn" && later.first?["change_label"] as? String == "撤销")
                        #expect((body["change_notice"] as? String)?.contains("1 条记录") == true)
                    }
                    try await client.execute(uri: "/verify", method: .post, headers: [.contentType: "application/x-www-form-urlencoded", .accept: "text/html"],
                                             body: ByteBuffer(string: "number=\(report.report.number)")) { response throws in
                        let html = String(buffer: response.body)
                        #expect(html.contains("changed-since-issue") && html.contains("撤销") && html.contains(s.record.documentNumber))
                    }
                }
            }
        }
    }

    @Test func aFailingReceiverIsTriedAgainOnTheScheduleThenGivenUp() async throws {
        try await Backend.sqlite.withStore { store in
            let s = try await Scenario.make(store)
            let receiver = Receiver(answering: .internalServerError)
            try await receiver.application.test(.live) { hook in
                let app = buildApplication(platform: s.platform, host: "127.0.0.1", port: 0)
                try await app.test(.live) { client in
                    _ = try await receiveThenWithdraw(s, client: client, hook: "http://127.0.0.1:\(hook.port!)/hook")
                    // Injected schedule and clock: 60 s after the first failure, 120 s after the second, three tries in all.
                    let worker = WebhookDelivery(store: store, schedule: WebhookSchedule(first: .seconds(60), factor: 2, attempts: 3))
                    let start = Date().addingTimeInterval(1)
                    #expect(try await worker.deliverDue(at: start) == 1)
                    let retry = try #require(try await store.repositories.recipients.deliveries(seqs: [try await newestSeq(store)]).first { $0.recipient == Self.b })
                    #expect(retry.webhook_state == "pending" && retry.webhook_attempts == 1 && retry.webhook_last_error == "HTTP 500")
                    #expect(retry.webhook_next_at == Timestamp.format(start.addingTimeInterval(60)))
                    #expect(try await worker.deliverDue(at: start.addingTimeInterval(59)) == 0, "not before its time")
                    #expect(try await worker.deliverDue(at: start.addingTimeInterval(60)) == 1)
                    #expect(try await worker.deliverDue(at: start.addingTimeInterval(60 + 119)) == 0)
                    #expect(try await worker.deliverDue(at: start.addingTimeInterval(60 + 120)) == 1)
                    #expect(try await worker.deliverDue(at: start.addingTimeInterval(86_400 * 30)) == 0, "given up after three tries")
                    let hits = receiver.hits
                    #expect(hits.count == 3)
                    #expect(Set(hits.compactMap { $0.headers[HTTPField.Name("X-Xinyong-Delivery")!] }).count == 1, "one delivery id for every try")
                    let failed = try #require(try await store.repositories.recipients.deliveries(seqs: [try await newestSeq(store)]).first { $0.recipient == Self.b })
                    #expect(failed.webhook_state == "failed" && failed.webhook_attempts == 3 && !failed.reached)
                    let html = try await page("/office/deliveries", s, client: client)
                    #expect(html.contains("已送达 0/2"))
                    let detail = try await page("/office/deliveries/\(try await newestSeq(store))", s, client: client)
                    #expect(detail.contains("未送达，推送失败（已试 3 次）"))
                }
            }
        }
    }

    func newestSeq(_ store: Store) async throws -> Int {
        try #require(try await store.repositories.recipients.toldChanges(before: nil, region: nil, limit: 1).first?.seq)
    }
}
