import Foundation
import Testing
import XinyongModel
import XinyongStore
import XinyongTestSupport
@testable import XinyongExchange

/// Every recipient told: who received a record (by the feed, by a check), and whether its corrections reached them.
@Suite struct RecipientTests {
    static let a = "431000-market_regulation"
    static let b = "431000-tax"
    static let c = "431002-market_regulation"

    @Test(arguments: Backend.allCases)
    func feedReadsAndChecksMakeRecipientsWhomCorrectionsMustReach(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let h = try await Harness.make(store)
            let feed = ChangeFeedAccess(store: store, catalogs: [Catalog.shipped], today: { Harness.today })
            _ = try await h.submit(PenaltyFile.csv([PenaltyFile.row(1), PenaltyFile.row(2)]))

            // B and a recipient key read the feed; A reads its own records, which makes it no recipient of them.
            let first = try await feed.read(0, limit: 1000, by: .department(Self.b))
            let created = first.changes.filter { $0.change == .created }
            #expect(created.count == 2)
            let (r1, r2) = (created[0], created[1])
            _ = try await feed.read(0, limit: 1000, by: .recipientKey("key_county"))
            _ = try await feed.read(0, limit: 1000, by: .department(Self.a))
            _ = try await feed.read(0, limit: 1000, by: .office)
            // Reading the same page again changes nothing: the first receipt stays.
            _ = try await feed.read(0, limit: 1000, by: .department(Self.b))

            // C's check cited r2's list membership (the check service passes what it cited).
            try await store.transaction { repos in
                try await repos.checks.insert([CheckEntry(
                    id: "chk_test", departmentID: Self.c, regionCode: "431002", askedBy: "test", scenario: "bidding", matter: nil,
                    queryKind: "code", query: PenaltyFile.code(2), subjectID: r2.subject_id, matchMethod: .code, matchScore: nil,
                    result: .hit, lists: ["black"], measures: [], answer: "{}", askedAt: Timestamp.now(), citedRecordIDs: [r2.record_id])])
            }
            let recipients = try await store.repositories.recipients.recipients(subjectID: r2.subject_id, recordID: r2.record_id)
            #expect(Set(recipients.map { "\($0.recipient_kind) \($0.recipient) \($0.via)" }) == [
                "department \(Self.b) feed", "key key_county feed", "department \(Self.c) check",
            ])
            #expect(recipients.first { $0.recipient == Self.b }?.reference == String(r2.seq))

            // A corrects both records: each correction is owed to every recipient of its record.
            let (fixed, _) = try await h.submit(PenaltyFile.csv([PenaltyFile.row(1, facts: "更正一"), PenaltyFile.row(2, facts: "更正二")]))
            #expect(fixed.corrected == 2)
            var lines = try await Deliveries.recent(store: store, region: nil)
            #expect(lines.map(\.change) == ["corrected", "corrected"])
            let line1 = try #require(lines.first { $0.recordId == r1.record_id })
            let line2 = try #require(lines.first { $0.recordId == r2.record_id })
            #expect(line1.recipientsTotal == 2 && line1.reachedCount == 0)
            #expect(line2.recipientsTotal == 3 && line2.reachedCount == 0)
            #expect(line2.departmentName == "郴州市市场监督管理局")
            #expect(line2.missing.map(\.name).sorted() == ["key_county", "国家税务总局郴州市税务局", "北湖区市场监督管理局"].sorted())
            #expect(line2.missing.allSatisfy { $0.overdueSeconds != nil && $0.webhook == "none" })

            // B reads on from its cursor: it is given the corrections, but acknowledges them only by asking past them.
            let second = try await feed.read(first.nextCursor, limit: 1000, by: .department(Self.b))
            #expect(second.changes.map(\.change) == [.corrected, .corrected])
            lines = try await Deliveries.recent(store: store, region: nil)
            #expect(lines.allSatisfy { $0.reachedCount == 0 })
            _ = try await feed.read(second.nextCursor, limit: 1000, by: .department(Self.b))
            // Asking from the start again does not take the acknowledgement back.
            _ = try await feed.read(0, limit: 1, by: .department(Self.b))
            lines = try await Deliveries.recent(store: store, region: nil)
            let after1 = try #require(lines.first { $0.recordId == r1.record_id })
            let after2 = try #require(lines.first { $0.recordId == r2.record_id })
            #expect(after1.reachedCount == 1 && after1.recipientsTotal == 2)
            #expect(after2.reachedCount == 1 && after2.recipientsTotal == 3)
            let reachedB = try #require(after2.recipients.first { $0.id == Self.b })
            #expect(reachedB.reached && reachedB.reachedBy == "feed" && reachedB.receivedVia == "feed" && reachedB.overdueSeconds == nil)
            #expect(after2.missing.map(\.id).sorted() == [Self.c, "key_county"].sorted())
            #expect(after2.missing.first { $0.id == Self.c }?.receivedVia == "check")

            // A region outside the records' own shows none of them; one drill-down finds the change.
            #expect(try await Deliveries.recent(store: store, region: "431002").isEmpty)
            #expect(try await Deliveries.one(seq: after2.seq, store: store, region: "4310")?.recipientsTotal == 3)
            #expect(try await Deliveries.one(seq: r2.seq, store: store, region: nil) == nil)  // a creation is not told
        }
    }

    @Test(arguments: Backend.allCases)
    func aWithdrawalAfterAReadIsOwedAndAWebhookStateIsKept(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let h = try await Harness.make(store)
            let feed = ChangeFeedAccess(store: store, catalogs: [Catalog.shipped], today: { Harness.today })
            _ = try await h.submit(PenaltyFile.csv([PenaltyFile.row(1)]))
            let page = try await feed.read(0, limit: 1000, by: .department(Self.b))
            let record = try #require(page.changes.first)
            let secret = try await Webhooks.set(department: Self.b, url: "https://tax.example.cn/xinyong", secret: nil, store: store,
                                                by: Actor("test", reason: "webhook"))
            #expect(secret.count == 64)
            await #expect(throws: Webhooks.Invalid.self) {
                try await Webhooks.set(department: Self.b, url: "ftp://tax.example.cn", secret: nil, store: store, by: Actor("test", reason: "webhook"))
            }
            await #expect(throws: Webhooks.Invalid.self) {
                try await Webhooks.set(department: "nobody", url: "https://x.cn", secret: nil, store: store, by: Actor("test", reason: "webhook"))
            }
            _ = try await RecordLifecycle.withdraw(recordID: record.record_id, department: Self.a, reason: "错误录入", store: store,
                                                   by: Actor("test", reason: "withdrawn"))
            let due = try await store.repositories.recipients.dueWebhooks(at: Timestamp.now(), limit: 10)
            #expect(due.map(\.recipient) == [Self.b] && due.first?.secret == secret && due.first?.url == "https://tax.example.cn/xinyong")
            let line = try #require(try await Deliveries.recent(store: store, region: nil).first)
            #expect(line.change == "withdrawn" && line.recipients.map(\.webhook) == ["pending"])
            // Removing the webhook stops the pushes; the feed remains the way to acknowledge.
            #expect(try await store.transaction { try await $0.recipients.removeWebhook(department: Self.b, by: Actor("test", reason: "gone")) })
            #expect(try await store.repositories.recipients.dueWebhooks(at: Timestamp.now(), limit: 10).isEmpty)
            let trail = try await store.repositories.audit.entries(entity: "department_webhooks")
            #expect(trail.map(\.action) == ["remove", "set"] && !(trail.last?.detail ?? "").contains(secret))
        }
    }

    @Test func theBackoffGrowsExponentiallyAndEnds() {
        let standard = WebhookSchedule.standard
        #expect((1..<8).map { standard.delay(after: $0)! } == [.seconds(30), .seconds(120), .seconds(480), .seconds(1920), .seconds(7680),
                                                                  .seconds(30720), .seconds(122_880)])
        #expect(standard.delay(after: 8) == nil)
    }

    @Test func aSignatureCoversTimestampAndBody() {
        let body = Data(#"{"change":{}}"#.utf8)
        let signature = WebhookSignature.sign(body: body, timestamp: 1_700_000_000, secret: "0123456789abcdef")
        #expect(signature.hasPrefix("sha256=") && signature.count == 7 + 64)
        #expect(WebhookSignature.verify(body: body, timestamp: 1_700_000_000, signature: signature, secret: "0123456789abcdef"))
        #expect(!WebhookSignature.verify(body: body, timestamp: 1_700_000_001, signature: signature, secret: "0123456789abcdef"))
        #expect(!WebhookSignature.verify(body: Data("{}".utf8), timestamp: 1_700_000_000, signature: signature, secret: "0123456789abcdef"))
    }
}
