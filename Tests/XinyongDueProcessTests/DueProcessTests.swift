import Foundation
import Testing
import XinyongDueProcess
import XinyongModel
import XinyongStore
import XinyongTestSupport

/// Objections and repair, on both databases: what may be filed, what each decision does to the record,
/// its list membership and the change feed.
@Suite struct DueProcessTests {
    static let department = "431000-market_regulation"
    static let other = "431000-tax"
    static let today = CivilDate("2026-11-30")!
    static let actor = Actor("test", reason: "due process test")
    static let filer = Filer(name: "郴州市测试有限公司", identifier: "91431000MA4L000001", contact: "0735-2000000")

    struct Fixture {
        let store: Store
        let service: DueProcess

        init(_ store: Store) async throws {
            self.store = store
            service = DueProcess(store: store, catalog: .shipped)
            try await store.transaction { repos in
                try await repos.departments.insert([
                    Department(id: DueProcessTests.department, name: "郴州市市场监督管理局", category: "market_regulation", regionCode: "431000", level: .city),
                    Department(id: DueProcessTests.other, name: "国家税务总局郴州市税务局", category: "tax", regionCode: "431000", level: .city),
                ], by: DueProcessTests.actor)
                try await repos.subjects.insert([Subject(id: "s-1", kind: .enterprise, name: "郴州市测试有限公司", regionCode: "431002")],
                                                by: DueProcessTests.actor)
            }
        }

        /// Stores a record decided `daysAgo` days before the test's today.
        func record(_ id: String, type: String, tier: Tier? = nil, daysAgo: Int, fields: [String: String] = [:]) async throws -> CreditRecord {
            let recordType = Catalog.shipped.recordType(type)!
            let decided = DueProcessTests.today.adding(days: -daysAgo)
            let schedule = try Catalog.shipped.schedule(for: recordType, tier: tier, decisionDate: decided, fields: fields, calendar: .china)
            let record = CreditRecord(id: id, subjectID: "s-1", recordType: type, catalogVersion: Catalog.shipped.version,
                                      departmentID: DueProcessTests.department, regionCode: "431002", documentNumber: "doc-\(id)",
                                      tier: tier, decisionDate: decided, legalBasis: "《测试法》第一条", schedule: schedule, fields: fields)
            try await store.transaction { try await $0.records.insert([record], by: DueProcessTests.actor) }
            return record
        }

        var office: Decider { Decider(actor: Actor("user:reviewer", reason: "test")) }
    }

    @Test(arguments: Backend.allCases)
    func objectionFlowFlagsThenWithdrawsTheRecord(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let f = try await Fixture(store)
            let record = try await f.record("pen-1", type: "admin_penalty", tier: .general, daysAgo: 30)
            let receipt = try await f.service.fileObjection(
                .init(recordID: record.id, kind: .content, statement: "金额有误", filer: Self.filer), today: Self.today)
            #expect(receipt.number.hasPrefix("YY20261130-"))
            #expect(receipt.dueOn == Self.today.adding(days: Catalog.shipped.deadlines.objectionDays))
            #expect(try await store.repositories.objections.open(recordIDs: [record.id]) == [record.id])

            // The same filer again while it is open: refused, naming the open one.
            await #expect(throws: DueProcess.Refusal.self) {
                try await f.service.fileObjection(.init(recordID: record.id, kind: .period, statement: "又一次", filer: Self.filer), today: Self.today)
            }
            do {
                _ = try await f.service.fileObjection(.init(recordID: record.id, kind: .period, statement: "又一次", filer: Self.filer), today: Self.today)
            } catch let refusal as DueProcess.Refusal {
                #expect(refusal.code == "already-open")
                #expect(refusal.chinese.contains(receipt.number))
            }
            // A forged follow-up code shows nothing; the real one does.
            await #expect(throws: DueProcess.Refusal.self) { try await f.service.objection(number: receipt.number, followUpCode: "AAAAAAAAAAAA") }
            _ = try await f.service.objection(number: receipt.number, followUpCode: receipt.followUpCode)

            // Another department cannot touch it; the office accepts, the department upholds it.
            let stranger = Decider(actor: Actor("key:tax", reason: "test"), departmentID: Self.other)
            await #expect(throws: DueProcess.Refusal.self) { try await f.service.accept(objection: receipt.number, by: stranger) }
            try await f.service.accept(objection: receipt.number, by: f.office)
            let owner = Decider(actor: Actor("key:market", reason: "test"), departmentID: Self.department)
            let decided = try await f.service.decide(objection: receipt.number, .upheldWithdrawn, reasons: "金额录入错误", by: owner, today: Self.today)
            #expect(decided.objection.status == .upheld)
            #expect(try await store.repositories.records.find(id: record.id)?.status == .withdrawn)
            #expect(try await store.repositories.objections.open(recordIDs: [record.id]).isEmpty)
            let feed = try await store.repositories.changes.since(0, limit: 100, visibility: nil).changes
            #expect(feed.contains { $0.record_id == record.id && $0.change == .withdrawn })
        }
    }

    @Test func aCorrectionMustArriveBeforeUpheldCorrected() async throws {
        try await Backend.sqlite.withStore { store in
            let f = try await Fixture(store)
            let record = try await f.record("pen-2", type: "admin_penalty", tier: .general, daysAgo: 30)
            let receipt = try await f.service.fileObjection(
                .init(recordID: record.id, kind: .content, statement: "名称有误", filer: Self.filer), today: Self.today)
            do {
                _ = try await f.service.decide(objection: receipt.number, .upheldCorrected, reasons: "已更正", by: f.office, today: Self.today)
                Issue.record("an upheld-corrected decision without a correction was accepted")
            } catch let refusal as DueProcess.Refusal {
                #expect(refusal.code == "correction-not-received")
            }
            let rejected = try await f.service.decide(objection: receipt.number, .rejected, reasons: "与决定书一致", by: f.office, today: Self.today)
            #expect(rejected.objection.status == .rejected)
            #expect(try await store.repositories.records.find(id: record.id)?.status == .active)
        }
    }

    @Test func onlyPublicNegativeRecordsTakeFilings() async throws {
        try await Backend.sqlite.withStore { store in
            let f = try await Fixture(store)
            let honour = try await f.record("hon-1", type: "honour", daysAgo: 30, fields: ["honour_name": "守合同重信用企业"])
            let minor = try await f.record("pen-m", type: "admin_penalty", tier: .minor, daysAgo: 30)
            for (record, code) in [(honour, "record-not-negative"), (minor, "record-not-public")] {
                do {
                    _ = try await f.service.fileObjection(.init(recordID: record.id, kind: .content, statement: "x", filer: Self.filer), today: Self.today)
                    Issue.record("objection on \(record.id) was accepted")
                } catch let refusal as DueProcess.Refusal {
                    #expect(refusal.code == code)
                }
            }
            #expect(try await store.repositories.objections.list().isEmpty)
        }
    }

    @Test(arguments: Backend.allCases)
    func repairEndsPublicityMembershipAndAnnouncesIt(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let f = try await Fixture(store)
            // Serious dishonesty: repair from one year after the decision; listed on the black list meanwhile.
            let early = try await f.record("sd-early", type: "serious_dishonesty", tier: .serious, daysAgo: 100)
            do {
                _ = try await f.service.applyForRepair(.init(recordID: early.id, conduct: "已整改", filer: Self.filer, commitmentSigner: "张三"), today: Self.today)
                Issue.record("a repair before the eligible date was accepted")
            } catch let refusal as DueProcess.Refusal {
                #expect(refusal.code == "repair-too-early")
                #expect(refusal.chinese.contains(early.schedule.repairEligibleFrom!.description))
            }
            let record = try await f.record("sd-1", type: "serious_dishonesty", tier: .serious, daysAgo: 400)
            #expect(try await store.repositories.lists.forSubject("s-1").contains { $0.membership.recordID == record.id && $0.state == .listed })
            await #expect(throws: DueProcess.Refusal.self) {
                try await f.service.applyForRepair(.init(recordID: record.id, conduct: "已整改", filer: Self.filer, commitmentSigner: " "), today: Self.today)
            }
            let receipt = try await f.service.applyForRepair(
                .init(recordID: record.id, conduct: "已缴纳罚款并整改", filer: Self.filer, commitmentSigner: "张三"), today: Self.today)
            #expect(receipt.dueOn == WorkingDayCalendar.china.adding(workingDays: 10, to: Self.today))
            let stored = try await store.repositories.repairs.find(number: receipt.number)
            #expect(stored?.application.commitmentHash == CreditCommitment.hash)

            try await f.service.forward(repair: receipt.number, by: f.office, today: Self.today)
            let decided = try await f.service.decide(repair: receipt.number, repaired: true, reasons: "已纠正", by: f.office, today: Self.today)
            #expect(decided.application.status == .repaired)
            let repaired = try await store.repositories.records.find(id: record.id)
            #expect(repaired?.status == .repaired)
            #expect(repaired?.schedule.end == Self.today)
            #expect(try await store.repositories.records.publicForSubject("s-1", on: Self.today).allSatisfy { $0.id != record.id })
            let membership = try await store.repositories.lists.forSubject("s-1").first { $0.membership.recordID == record.id }
            #expect(membership?.state == .ended)
            #expect(membership?.endedReason == .repaired)
            let feed = try await store.repositories.changes.since(0, limit: 100, visibility: nil).changes
            #expect(feed.contains { $0.record_id == record.id && $0.change == .repaired })
            #expect(feed.contains { $0.record_id == record.id && $0.change == .delisted })
        }
    }

    @Test func judgmentDefaultersAreTheCourts() async throws {
        try await Backend.sqlite.withStore { store in
            let f = try await Fixture(store)
            let record = try await f.record("jd-1", type: "judgment_defaulter", daysAgo: 400,
                                            fields: ["end_date": Self.today.adding(days: 300).description])
            do {
                _ = try await f.service.applyForRepair(.init(recordID: record.id, conduct: "已履行", filer: Self.filer, commitmentSigner: "张三"), today: Self.today)
                Issue.record("a judgment defaulter's repair was accepted")
            } catch let refusal as DueProcess.Refusal {
                #expect(refusal.code == "repaired-by-court")
            }
        }
    }

    @Test func figuresCountOverdueCases() async throws {
        try await Backend.sqlite.withStore { store in
            let f = try await Fixture(store)
            let record = try await f.record("pen-3", type: "admin_penalty", tier: .general, daysAgo: 60)
            let receipt = try await f.service.fileObjection(
                .init(recordID: record.id, kind: .content, statement: "有误", filer: Self.filer), today: Self.today.adding(days: -25))
            let figures = try await DueProcessFigures.compute(store: store, today: Self.today)
            #expect(figures.overdueObjections.map(\.objection.id) == [receipt.number])
            #expect(figures.departments.first?.overdue == 1)
        }
    }
}

/// Evidence files are judged by their content.
@Suite struct EvidenceTests {
    @Test func typesComeFromContentNotNames() throws {
        #expect(try EvidenceFile(name: "a.pdf", content: Data("%PDF-1.7\n".utf8)).mediaType == .pdf)
        #expect(try EvidenceFile(name: "b.bin", content: Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0])).mediaType == .png)
        #expect(throws: EvidenceFile.Problem.unsupported(name: "fake.pdf")) { try EvidenceFile(name: "fake.pdf", content: Data("<html>".utf8)) }
        let big = Data(count: EvidenceFile.maximumBytes + 1)
        #expect(throws: EvidenceFile.Problem.tooLarge(name: "big.pdf", bytes: big.count)) { try EvidenceFile(name: "big.pdf", content: big) }
        let six = (1...6).map { (name: "\($0).pdf", content: Data("%PDF-".utf8)) }
        #expect(throws: EvidenceFile.Problem.tooMany(6)) { try EvidenceFile.validate(six) }
    }
}
