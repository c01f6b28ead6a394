import Foundation
import Testing
import XinyongDueProcess
import XinyongExchange
import XinyongModel
import XinyongTestSupport
@testable import XinyongJoint
@testable import XinyongStore

/// Notice before listing (告知): a serious-dishonesty record waits for its notice's statement period, the
/// court's list does not; statements stop the listing until they are decided.
@Suite struct NoticeTests {
    static let today = JointHarness.today
    /// The last day of the statement period of a notice issued today.
    static let graceUntil = WorkingDayCalendar.china.adding(workingDays: 5, to: today)
    static let actor = Actor("lead-objections", reason: "statement")

    /// Imports one serious-dishonesty record of the tax bureau; returns its subject and record.
    func imported(_ h: JointHarness, _ n: Int) async throws -> (subject: String, record: CreditRecord) {
        let code = JointHarness.code(n)
        let summary = try await h.submit("serious_dishonesty", department: "431000-tax",
                                         [h.seriousDishonesty(code, name: "郴州市\(n)号商贸有限公司", document: "郴税稽罚〔2025〕\(n)号")])
        #expect(summary.notices == 1)
        let record = try #require(try await h.store.repositories.records.forSubject(code).first)
        return (code, record)
    }

    @Test(arguments: Backend.allCases)
    func seriousDishonestyWaitsForItsNoticeThenListsWhenThePeriodEnds(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let h = try await JointHarness.make(store)
            let (code, record) = try await imported(h, 21)
            #expect(record.status == .pendingNotice && record.schedule.start == nil && record.schedule.end != nil)
            // Not listed, not public, nothing on the feed but the record's creation.
            #expect(try await store.repositories.lists.forSubject(code).isEmpty)
            #expect(try await store.repositories.lists.lists(of: [code], on: Self.today).isEmpty)
            #expect(try await store.repositories.records.publicForSubject(code, on: Self.today).isEmpty)
            #expect(try await h.feed().map(\.change) == [.created])

            let notice = try #require(try await store.repositories.notices.forRecord(record.id))
            #expect(notice.state == .pending && notice.issuedOn == Self.today && notice.graceUntil == Self.graceUntil)
            #expect(notice.list == .black && notice.departmentID == "431000-tax" && notice.addressee.hasPrefix("郴州市21号商贸有限公司"))
            #expect(notice.facts.contains { $0.label == "列入事由" && $0.value == "虚开增值税专用发票" })
            // Consequences: the black list's measures for such a record, the tax memorandum's too (a tax bureau's record).
            #expect(notice.consequences.contains { $0.title.contains("政府采购") && $0.mandatory })
            #expect(notice.consequences.contains { $0.memorandum.contains("发改财金〔2016〕2798号") })
            #expect(!notice.consequences.contains { $0.memorandum.contains("141号") })
            #expect(notice.statementRight.contains(Self.graceUntil.chineseText))
            #expect(try await store.repositories.audit.entries(entity: "notices").contains { $0.action == "issue" })

            // A check answers pending notice: distinct from listed, no measures.
            let pending = try await h.check(code: code, department: "431000-tax", scenario: "tax_services")
            #expect(pending.result == .pendingNotice && pending.memberships.isEmpty && pending.measures.isEmpty)
            #expect(pending.pendingNotice.map(\.recordId) == [record.id])
            #expect(pending.pendingNotice.first?.graceUntil == Self.graceUntil.description)
            #expect(pending.encoded.contains("\"pending_notice\":[{") && pending.encoded.contains("\"grace_until\":\"\(Self.graceUntil)\""))

            // The last day of the period is still the subject's: nothing is listed.
            #expect(try await RecordLifecycle.listAfterNotice(store: store, on: Self.graceUntil) == 0)
            let day = Self.graceUntil.adding(days: 1)
            #expect(try await RecordLifecycle.listAfterNotice(store: store, on: day) == 1)
            #expect(try await RecordLifecycle.listAfterNotice(store: store, on: day) == 0)
            let membership = try #require(try await store.repositories.lists.forSubject(code).first)
            #expect(membership.state == .listed && membership.membership.start == day && membership.membership.end == record.schedule.end)
            let listed = try await h.feed().filter { $0.change == .listed }
            #expect(listed.count == 1 && listed.first?.list == "black" && listed.first?.record_id == record.id)
            let active = try #require(try await store.repositories.records.find(id: record.id))
            #expect(active.status == .active && active.schedule.start == day)
            let settled = try #require(try await store.repositories.notices.forRecord(record.id))
            #expect(settled.state == .listed && settled.listedOn == day)
            #expect(try await store.repositories.audit.entries(entity: "notices").contains { $0.action == "list" })
            let hit = try await h.check(code: code, department: "431000-tax", scenario: "tax_services", today: day)
            #expect(hit.result == .hit && hit.pendingNotice.isEmpty && hit.measures.contains { $0.id == "tax-invoice" })
        }
    }

    @Test(arguments: Backend.allCases)
    func aCorrectionKeepsTheNoticesDecision(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let h = try await JointHarness.make(store)
            let code = JointHarness.code(22)
            var row = h.seriousDishonesty(code, name: "郴州市22号商贸有限公司", document: "郴税稽罚〔2025〕22号")
            try await h.submit("serious_dishonesty", department: "431000-tax", [row])
            row["reason"] = "虚开增值税专用发票（更正）"
            let corrected = try await h.submit("serious_dishonesty", department: "431000-tax", [row])
            #expect(corrected.corrected == 1 && corrected.notices == 0)
            var record = try #require(try await store.repositories.records.forSubject(code).first)
            #expect(record.status == .pendingNotice && record.version == 2 && record.schedule.start == nil)
            #expect(try await store.repositories.lists.forSubject(code).isEmpty)

            let day = try await h.listAfterNotices()
            row["reason"] = "虚开增值税专用发票（再次更正）"
            try await h.submit("serious_dishonesty", department: "431000-tax", [row])
            record = try #require(try await store.repositories.records.forSubject(code).first)
            // Listed on `day`, and a later correction does not move the start back to the decision.
            #expect(record.status == .active && record.schedule.start == day)
            #expect(try await store.repositories.lists.forSubject(code).first?.membership.start == day)
            #expect(try await h.feed().filter { $0.change == .listChanged }.isEmpty)
        }
    }

    @Test(arguments: Backend.allCases)
    func aStatementHoldsTheListingUntilItIsDecided(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let h = try await JointHarness.make(store)
            let (code, record) = try await imported(h, 23)
            let filed = try await store.transaction {
                try await $0.notices.statementFiled(recordID: record.id, objectionID: "obj-1", by: Self.actor, today: Self.today)
            }
            #expect(filed?.state == .statementFiled && filed?.statementID == "obj-1")
            // The period ends: the listing waits for the decision.
            let after = Self.graceUntil.adding(days: 3)
            #expect(try await RecordLifecycle.listAfterNotice(store: store, on: after) == 0)
            #expect(try await store.repositories.lists.forSubject(code).isEmpty)
            let waiting = try await h.check(code: code, department: "431000-tax", scenario: "tax_services", today: after)
            #expect(waiting.result == .pendingNotice && waiting.pendingNotice.first?.state == "statement_filed")

            // Not upheld: listed from the day of the decision.
            let decidedOn = after.adding(days: 2)
            let decided = try await store.transaction {
                try await $0.notices.statementDecided(recordID: record.id, upheld: false, by: Self.actor, today: decidedOn)
            }
            #expect(decided?.state == .listed && decided?.listedOn == decidedOn)
            let membership = try #require(try await store.repositories.lists.forSubject(code).first)
            #expect(membership.state == .listed && membership.membership.start == decidedOn)
            #expect(try await h.feed().filter { $0.change == .listed }.map(\.record_id) == [record.id])
            #expect(try await store.repositories.audit.entries(entity: "notices").map(\.action).contains("statement_filed"))
            // Decided once: a second decision finds nothing open.
            #expect(try await store.transaction {
                try await $0.notices.statementDecided(recordID: record.id, upheld: true, by: Self.actor, today: decidedOn)
            } == nil)
        }
    }

    @Test(arguments: Backend.allCases)
    func anUpheldStatementOrAWithdrawalClosesTheNotice(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let h = try await JointHarness.make(store)
            let (code, record) = try await imported(h, 24)
            // A statement after the period is over is an ordinary objection: the notice does not wait for it.
            #expect(try await store.repositories.notices.statementFiled(
                recordID: record.id, objectionID: "late", by: Self.actor, today: Self.graceUntil.adding(days: 1)) == nil)
            try await store.transaction { _ = try await $0.notices.statementFiled(recordID: record.id, objectionID: "obj-2", by: Self.actor, today: Self.today) }
            let upheld = try await store.transaction {
                try await $0.notices.statementDecided(recordID: record.id, upheld: true, by: Self.actor, today: Self.today)
            }
            #expect(upheld?.state == .withdrawn && upheld?.closedOn == Self.today)
            #expect(try await RecordLifecycle.listAfterNotice(store: store, on: Self.graceUntil.adding(days: 1)) == 0)
            #expect(try await store.repositories.records.find(id: record.id)?.status == .pendingNotice)
            #expect(try await store.repositories.lists.forSubject(code).isEmpty)
            #expect(try await h.check(code: code, department: "431000-tax", scenario: "tax_services").result == .clear)

            // The department withdraws a record still in its notice period: the notice closes with it.
            let (other, second) = try await imported(h, 25)
            _ = try await RecordLifecycle.withdraw(recordID: second.id, department: "431000-tax", reason: "错报", store: store,
                                                   by: Actor("tax-key", reason: "错报"))
            #expect(try await store.repositories.notices.forRecord(second.id)?.state == .withdrawn)
            #expect(try await RecordLifecycle.listAfterNotice(store: store, on: Self.graceUntil.adding(days: 1)) == 0)
            #expect(try await store.repositories.lists.forSubject(other).isEmpty)
            #expect(try await h.feed().filter { $0.change == .listed || $0.change == .delisted }.isEmpty)
        }
    }

    /// A statement filed on the public objection form holds the listing; rejected, the listing starts that
    /// day; upheld, the record is withdrawn and never listed.
    @Test(arguments: Backend.allCases)
    func aStatementThroughTheObjectionFormHoldsTheListingUntilDecided(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let h = try await JointHarness.make(store)
            let service = DueProcess(store: store, catalog: .shipped)
            let filer = Filer(name: "郴州市27号商贸有限公司", identifier: JointHarness.code(27), contact: "0735-2000000")
            let office = Decider(actor: Actor("user:reviewer", reason: "statement"))
            let (code, record) = try await imported(h, 27)
            let receipt = try await service.fileObjection(
                .init(recordID: record.id, kind: .statement, statement: "已于决定前补缴税款", filer: filer), today: Self.today)
            #expect(try await store.repositories.notices.forRecord(record.id)?.state == .statementFiled)
            let afterPeriod = Self.graceUntil.adding(days: 1)
            #expect(try await RecordLifecycle.listAfterNotice(store: store, on: afterPeriod) == 0)
            _ = try await service.decide(objection: receipt.number, .rejected, reasons: "补缴发生在决定之后", by: office, today: afterPeriod)
            let membership = try #require(try await store.repositories.lists.forSubject(code).first)
            #expect(membership.state == .listed && membership.membership.start == afterPeriod)

            let (other, second) = try await imported(h, 28)
            let late = Self.graceUntil.adding(days: 1)
            do {
                _ = try await service.fileObjection(.init(recordID: second.id, kind: .statement, statement: "迟到", filer: filer), today: late)
                Issue.record("a statement after the period was accepted")
            } catch let refusal as DueProcess.Refusal {
                #expect(refusal.code == "statement-period-over")
            }
            let upheld = try await service.fileObjection(
                .init(recordID: second.id, kind: .statement, statement: "非本企业行为", filer: filer), today: Self.today)
            _ = try await service.decide(objection: upheld.number, .upheldWithdrawn, reasons: "经核实非本企业行为", by: office, today: Self.today)
            #expect(try await store.repositories.records.find(id: second.id)?.status == .withdrawn)
            #expect(try await store.repositories.notices.forRecord(second.id)?.state == .withdrawn)
            #expect(try await RecordLifecycle.listAfterNotice(store: store, on: afterPeriod) == 0)
            #expect(try await store.repositories.lists.forSubject(other).isEmpty)
        }
    }

    @Test(arguments: Backend.allCases)
    func judgmentDefaultersAreListedAtOnce(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let h = try await JointHarness.make(store)
            let code = JointHarness.code(26)
            let summary = try await h.submit("judgment_defaulter", department: "431000-court",
                                             [h.defaulter(code, name: "郴州市26号商贸有限公司", document: "（2025）湘10执26号")])
            #expect(summary.notices == 0)
            #expect(try await store.repositories.notices.search(.init()).isEmpty)
            let membership = try #require(try await store.repositories.lists.forSubject(code).first)
            #expect(membership.state == .listed && membership.membership.start == Self.today.adding(days: -30))
            #expect(try await h.check(code: code, department: "431002-housing", scenario: "bidding").result == .hit)
        }
    }
}
