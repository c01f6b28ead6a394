import Crypto
import Foundation
import SQLKit
import Testing
import XinyongDueProcess
import XinyongEvaluation
import XinyongExchange
import XinyongModel
import XinyongTestSupport
@testable import XinyongJoint
@testable import XinyongStore

/// Departments that found lists (court, tax, market regulation) and ones that implement measures.
struct JointHarness {
    let store: Store
    let importer: BatchImporter
    let service: JointService
    let personKey: SymmetricKey
    static let today = CivilDate.today()
    static let authority = SocialCreditCode.completing("11431000MB1C2D3E")!.value

    static func make(_ store: Store) async throws -> JointHarness {
        try await store.transaction { repos in
            try await repos.departments.insert([
                Department(id: "431000-court", name: "郴州市中级人民法院", category: "court", regionCode: "431000", level: .city),
                Department(id: "431000-tax", name: "国家税务总局郴州市税务局", category: "tax", regionCode: "431000", level: .city),
                Department(id: "431000-market_regulation", name: "郴州市市场监督管理局", category: "market_regulation", regionCode: "431000", level: .city),
                Department(id: "431002-housing", name: "北湖区住房和城乡建设局", category: "housing", regionCode: "431002", level: .county),
                Department(id: "431000-development_reform", name: "郴州市发展和改革委员会", category: "development_reform", regionCode: "431000", level: .city),
            ], by: Actor("test", reason: "joint test"))
        }
        let key = SymmetricKey(size: .bits256)
        return JointHarness(store: store, importer: BatchImporter(store: store, catalog: .shipped, personKey: key),
                            service: JointService(store: store, personKey: key), personKey: key)
    }

    static func code(_ n: Int) -> String { SocialCreditCode.completing("91431002MA4J" + String(format: "%04d", n))!.value }

    @discardableResult
    func submit(_ type: String, department: String, _ rows: [[String: String]]) async throws -> BatchSummary {
        let summary = try await importer.run(
            BatchRequest(departmentID: department, recordType: type, source: "test", submittedBy: "test"),
            source: ListSource(rows.enumerated().map { InputRow(number: $0.offset + 1, values: $0.element) }))
        let issues = try await store.repositories.batches.issues(batch: summary.id)
        #expect(summary.status == "accepted", "\(issues)")
        return summary
    }

    func defaulter(_ subject: String, name: String, document: String, decided: CivilDate = today.adding(days: -30),
                   end: CivilDate = today.adding(days: 365)) -> [String: String] {
        ["subject_name": name, "subject_code": subject, "document_no": document, "basis_document": "（2025）湘1002民初1号",
         "court": "郴州市中级人民法院", "obligation": "给付欠款", "performance": "全部未履行", "circumstances": "有履行能力而拒不履行",
         "legal_basis": "《最高人民法院关于公布失信被执行人名单信息的若干规定》第一条", "decision_date": decided.description,
         "end_date": end.description]
    }

    func seriousDishonesty(_ subject: String, name: String, document: String) -> [String: String] {
        ["subject_name": name, "subject_code": subject, "document_no": document, "list_name": "重大税收违法失信主体", "reason": "虚开增值税专用发票",
         "legal_basis": "《重大税收违法失信主体信息公布管理办法》第六条", "decision_date": Self.today.adding(days: -10).description,
         "authority": "国家税务总局郴州市税务局", "authority_code": Self.authority, "tier": "serious"]
    }

    func check(code: String? = nil, name: String? = nil, idNumber: String? = nil, department: String, scenario: String,
               today: CivilDate = today) async throws -> CheckAnswer {
        try await service.check(CheckRequest(code: code, name: name, idNumber: idNumber, scenario: scenario, departmentID: department,
                                             matter: "test matter", askedBy: "test-key"), today: today)
    }

    /// The first day records imported today are listed when nobody makes a statement on their notices: after
    /// the catalogue's statement period. Runs the listing step on that day and returns it.
    func listAfterNotices() async throws -> CivilDate {
        let day = WorkingDayCalendar.china.adding(workingDays: Catalog.shipped.deadlines.noticeStatementWorkingDays, to: Self.today).adding(days: 1)
        try await RecordLifecycle.listAfterNotice(store: store, on: day)
        return day
    }

    func feed() async throws -> [Change] { try await store.repositories.changes.since(0, limit: 10_000, visibility: nil).changes }
}

@Suite struct CheckServiceTests {
    @Test(arguments: Backend.allCases)
    func listsFollowTheirRecordsIntoFeedAuditAndChecks(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let h = try await JointHarness.make(store)
            let code = JointHarness.code(1)
            try await h.submit("judgment_defaulter", department: "431000-court", [h.defaulter(code, name: "郴州市一号商贸有限公司", document: "（2025）湘10执1号")])
            let listed = try await h.feed().filter { $0.change == .listed }
            #expect(listed.count == 1 && listed.first?.list == "black" && listed.first?.subject_id == code)
            #expect(try await store.repositories.audit.entries(entity: "list_memberships").contains { $0.action == "listed" })

            let hit = try await h.check(code: code, department: "431002-housing", scenario: "bidding")
            #expect(hit.result == .hit)
            #expect(hit.match.method == .code)
            #expect(hit.memberships.map(\.list) == ["black"])
            #expect(hit.memberships.first?.end == JointHarness.today.adding(days: 365).description)
            #expect(hit.measures.map(\.id) == ["jd-bidding"])
            #expect(hit.measures.first?.mandatory == true)
            #expect(hit.freshness.latestChangeSeq != nil && hit.freshness.subjectRecordsUpdatedAt != nil)
            // The same subject for a department that implements nothing in this scenario: on the list, no measure.
            let tax = try await h.check(code: code, department: "431000-tax", scenario: "bidding")
            #expect(tax.result == .hit && tax.measures.isEmpty)

            // Withdrawn: the membership ends, the feed and the audit say so, the next check is clear.
            let recordID = try #require(hit.memberships.first?.recordId)
            _ = try await RecordLifecycle.withdraw(recordID: recordID, department: "431000-court", reason: "wrong subject", store: store,
                                                   by: Actor("court-key", reason: "wrong subject"))
            let delisted = try await h.feed().filter { $0.change == .delisted }
            #expect(delisted.map(\.record_id) == [recordID])
            #expect(try await store.repositories.audit.entries(entity: "list_memberships").contains { $0.action == "delisted" && $0.actor == "court-key" })
            let after = try await h.check(code: code, department: "431002-housing", scenario: "bidding")
            #expect(after.result == .clear && after.memberships.isEmpty && after.measures.isEmpty)
        }
    }

    /// The answer's subject part comes from one read: a listing under an open objection says so until the
    /// objection is decided, and the subject's grade appears once it has been evaluated.
    @Test(arguments: Backend.allCases)
    func answersMarkDisputedListingsAndCarryTheGrade(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let h = try await JointHarness.make(store)
            let code = JointHarness.code(40)
            try await h.submit("judgment_defaulter", department: "431000-court", [h.defaulter(code, name: "郴州市四十号商贸有限公司", document: "（2025）湘10执40号")])
            let before = try await h.check(code: code, department: "431002-housing", scenario: "bidding")
            let record = try #require(before.memberships.first?.recordId)
            #expect(before.memberships.map(\.underObjection) == [false])
            #expect(before.evaluation == nil)

            let dueProcess = DueProcess(store: store, catalog: .shipped)
            let receipt = try await dueProcess.fileObjection(
                .init(recordID: record, kind: .content, statement: "欠款已于判决后全部履行",
                      filer: Filer(name: "郴州市四十号商贸有限公司", identifier: code, contact: "0735-2000040")))
            let disputed = try await h.check(code: code, department: "431002-housing", scenario: "bidding")
            #expect(disputed.result == .hit && disputed.memberships.map(\.underObjection) == [true])

            _ = try await dueProcess.decide(objection: receipt.number, .rejected, reasons: "履行发生在列入之后",
                                            by: Decider(actor: Actor("user:reviewer", reason: "objection")))
            try await Evaluator.current(store: store).evaluate(subjectIDs: [code], asOf: JointHarness.today)
            let graded = try #require(try await store.repositories.evaluations.find(code))
            let after = try await h.check(code: code, department: "431002-housing", scenario: "bidding")
            #expect(after.memberships.map(\.underObjection) == [false])
            #expect(after.evaluation?.grade == graded.grade.rawValue && after.evaluation?.score == graded.score)
            #expect(after.evaluation?.reasons.map(\.recordId) == graded.reasons.map(\.recordID))
            #expect(after.evaluation?.reasons.contains { $0.recordId == record } == true)
        }
    }

    @Test(arguments: Backend.allCases)
    func expiryAndCorrectionMoveTheMembership(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let h = try await JointHarness.make(store)
            let code = JointHarness.code(2)
            let end = JointHarness.today.adding(days: 20)
            let row = h.defaulter(code, name: "郴州市二号商贸有限公司", document: "（2025）湘10执2号", end: end)
            try await h.submit("judgment_defaulter", department: "431000-court", [row])
            // The court corrects the end date: the membership moves with it (list_changed).
            let corrected = row.merging(["end_date": JointHarness.today.adding(days: 10).description]) { _, new in new }
            try await h.submit("judgment_defaulter", department: "431000-court", [corrected])
            let changed = try await h.feed().filter { $0.change == .listChanged && $0.subject_id == code }
            #expect(changed.count == 1)
            let stored = try await store.repositories.lists.forSubject(code)
            #expect(stored.first?.membership.end == JointHarness.today.adding(days: 10))

            // On the day the publicity ends the check is clear even before the announcer has run…
            let day = JointHarness.today.adding(days: 10)
            #expect(try await h.check(code: code, department: "431002-housing", scenario: "bidding", today: day).result == .clear)
            // …and the announcer ends the membership on the feed once.
            try await RecordLifecycle.announceExpiries(store: store, on: day)
            try await RecordLifecycle.announceExpiries(store: store, on: day)
            let delisted = try await h.feed().filter { $0.change == .delisted }
            #expect(delisted.count == 1)
            let ended = try await store.repositories.lists.forSubject(code)
            #expect(ended.first?.endedReason == .expired)
        }
    }

    @Test(arguments: Backend.allCases)
    func namesMatchOnlyAboveTheThresholdAndOverridesSuppress(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let h = try await JointHarness.make(store)
            let a = JointHarness.code(3), b = SocialCreditCode.completing("91431003MA4J0004")!.value
            try await h.submit("serious_dishonesty", department: "431000-tax", [
                h.seriousDishonesty(a, name: "郴州市宏达商贸有限公司", document: "郴税稽罚〔2025〕1号"),
                h.seriousDishonesty(b, name: "苏仙区宏达商贸有限公司", document: "郴税稽罚〔2025〕2号"),
            ])
            // Serious dishonesty is listed after its notice's statement period: check on the day it starts.
            let day = try await h.listAfterNotices()
            // A spelling of one firm: an automatic match, explained.
            let one = try await h.check(name: "郴州宏达商贸有限责任公司", department: "431000-tax", scenario: "tax_services", today: day)
            #expect(one.result == .hit && one.match.method == .name && one.match.subject?.id == a)
            #expect(one.match.explanation?.contains { $0.part == "legal_form" && $0.verdict == "equivalent" } == true)
            #expect(one.measures.contains { $0.id == "tax-invoice" })
            // Without a region both firms fit: candidates, never an automatic hit.
            let both = try await h.check(name: "宏达商贸有限公司", department: "431000-tax", scenario: "tax_services", today: day)
            #expect(both.result == .candidates && both.match.subject == nil && both.measures.isEmpty)
            #expect(Set(both.match.candidates.map(\.subjectId)) == [a, b])
            // The office marks 苏仙区 a false positive for the tax bureau: that candidate is suppressed, the other is a hit.
            let override = try await h.service.addOverride(department: "431000-tax", name: "宏达商贸有限公司", subjectID: b,
                                                           reason: "核实为不同企业", by: Actor("admin-key", reason: "核实为不同企业"))
            #expect(override.decidedBy == "admin-key")
            let after = try await h.check(name: "宏达商贸有限公司", department: "431000-tax", scenario: "tax_services", today: day)
            #expect(after.result == .hit && after.match.subject?.id == a)
            #expect(after.match.candidates.first { $0.subjectId == b }?.suppressed?.contains("核实为不同企业") == true)
            // Another department is not affected by the tax bureau's override.
            #expect(try await h.check(name: "宏达商贸有限公司", department: "431000-market_regulation", scenario: "supervision", today: day).result == .candidates)
            // A stricter threshold from the office: a missing region costs 0.04, so 0.96 no longer reaches it.
            try await h.service.setThreshold(0.97, by: Actor("admin-key", reason: "stricter"))
            #expect(try await h.check(name: "宏达商贸有限公司", department: "431000-tax", scenario: "tax_services", today: day).result == .candidates)
            await #expect(throws: JointError.self) { try await h.service.setThreshold(0.2, by: Actor("admin-key", reason: "x")) }
        }
    }

    @Test(arguments: Backend.allCases)
    func checksAreStoredAuditedAndFedBack(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let h = try await JointHarness.make(store)
            let code = JointHarness.code(5)
            try await h.submit("judgment_defaulter", department: "431000-court", [h.defaulter(code, name: "郴州市五号建设工程有限公司", document: "（2025）湘10执5号")])
            let answer = try await h.check(code: code, department: "431000-development_reform", scenario: "subsidies_funds")
            #expect(answer.measures.map(\.id) == ["jd-subsidies"])
            let stored = try #require(try await store.repositories.checks.find(id: answer.checkId))
            #expect(stored.subjectID == code && stored.result == .hit && stored.askedBy == "test-key" && stored.matter == "test matter")
            #expect(stored.answer == answer.encoded)
            // The hand-written answer is the document the Codable form describes.
            let written = try JSONSerialization.jsonObject(with: Data(answer.encoded.utf8)) as? NSDictionary
            let encoded = try JSONSerialization.jsonObject(with: CheckAnswer.encoder.encode(answer)) as? NSDictionary
            #expect(written != nil && written == encoded)
            let decoded = try CheckAnswer.decoder.decode(CheckAnswer.self, from: Data(answer.encoded.utf8))
            #expect(decoded.measures.map(\.id) == ["jd-subsidies"] && decoded.checkId == answer.checkId)
            #expect(try await store.repositories.audit.entries(entity: "checks").contains { $0.action == "check" && $0.entity_id == answer.checkId })

            let id = answer.checkId
            let actor = Actor("dept-key", reason: "feedback")
            await #expect(throws: JointError.invalid(field: "measures[0].measure_id", "'jd-bidding' was not returned by check \(id); it returned jd-subsidies")) {
                try await h.service.feedback(check: id, department: "431000-development_reform", lines: [.init(measureId: "jd-bidding", applied: true)], outcome: nil, by: actor)
            }
            await #expect(throws: JointError.invalid(field: "measures[0].reason", "say why measure jd-subsidies was not applied")) {
                try await h.service.feedback(check: id, department: "431000-development_reform", lines: [.init(measureId: "jd-subsidies", applied: false)], outcome: nil, by: actor)
            }
            await #expect(throws: JointError.self) {
                try await h.service.feedback(check: id, department: "431000-development_reform", lines: [], outcome: "done", by: actor)
            }
            await #expect(throws: JointError.notFound("no check \(id) of this department")) {
                try await h.service.feedback(check: id, department: "431000-tax", lines: [.init(measureId: "jd-subsidies", applied: true)], outcome: nil, by: actor)
            }
            try await h.service.feedback(check: id, department: "431000-development_reform", lines: [.init(measureId: "jd-subsidies", applied: true)],
                                         outcome: "补贴申请不予受理", by: actor)
            await #expect(throws: JointError.self) {
                try await h.service.feedback(check: id, department: "431000-development_reform", lines: [.init(measureId: "jd-subsidies", applied: true)], outcome: nil, by: actor)
            }
            // A second check without feedback.
            let second = try await h.check(code: code, department: "431002-housing", scenario: "bidding")
            let report = try await h.service.applicationReport(from: "2000-01-01T00:00:00.000Z", to: "2100-01-01T00:00:00.000Z", graceDays: 0)
            #expect(report.checks == 2)
            let subsidies = try #require(report.byMeasure.first { $0.key == "jd-subsidies" })
            #expect(subsidies.returned == 1 && subsidies.reported == 1 && subsidies.applied == 1 && subsidies.applicationRate == 1)
            let memo = try #require(report.byMemorandum.first { $0.key == "jd-2016-141" })
            #expect(memo.returned == 2 && memo.reported == 1 && memo.feedbackRate == 0.5)
            #expect(report.byRegion.map(\.key).sorted() == ["431000", "431002"])
            #expect(report.withoutFeedback.map(\.checkId) == [second.checkId])
        }
    }

    @Test(arguments: Backend.allCases)
    func refusalsNameTheField(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let h = try await JointHarness.make(store)
            func field(_ body: () async throws -> CheckAnswer) async -> String? {
                do { _ = try await body(); return nil } catch let JointError.invalid(field, _) { return field } catch { return "\(error)" }
            }
            #expect(await field { try await h.check(code: "91350100M000100I43", department: "431000-tax", scenario: "bidding") } == "code")
            #expect(await field { try await h.check(code: JointHarness.code(9), department: "431000-tax", scenario: "lottery") } == "scenario")
            #expect(await field { try await h.check(code: JointHarness.code(9), department: "nobody", scenario: "bidding") } == "department")
            #expect(await field { try await h.check(department: "431000-tax", scenario: "bidding") } == "subject")
            #expect(await field { try await h.check(idNumber: "430000199001011234", department: "431000-tax", scenario: "bidding") } == "id_number")
            // An unknown code is an answer, not an error: the platform holds nothing on it.
            let unknown = try await h.check(code: JointHarness.code(9), department: "431000-tax", scenario: "bidding")
            #expect(unknown.result == .noMatch && unknown.match.method == .unmatched)
        }
    }

    @Test(arguments: Backend.allCases)
    func naturalPersonsAreCheckedByIdNumberAndNeverShownInFull(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let h = try await JointHarness.make(store)
            let number = "431002199001011233"
            try #require(ResidentIdentityNumber(number) != nil)
            try await h.submit("judgment_defaulter", department: "431000-court", [h.defaulter(number, name: "张三", document: "（2025）湘10执7号")])
            let answer = try await h.check(idNumber: number, department: "431000-development_reform", scenario: "public_hiring")
            #expect(answer.result == .hit && answer.match.method == .idNumber)
            #expect(answer.query.value == "4310**********1233" && answer.match.subject?.name == "张*")
            #expect(!answer.encoded.contains(number))
            let stored = try #require(try await store.repositories.checks.find(id: answer.checkId))
            #expect(stored.query == "4310**********1233")
        }
    }

    @Test(arguments: Backend.allCases)
    func migrationBackfillRebuildsMembershipsFromRecords(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let h = try await JointHarness.make(store)
            try await h.submit("judgment_defaulter", department: "431000-court", [
                h.defaulter(JointHarness.code(11), name: "郴州市十一号商贸有限公司", document: "（2025）湘10执11号"),
                h.defaulter(JointHarness.code(12), name: "郴州市十二号商贸有限公司", document: "（2025）湘10执12号",
                            decided: JointHarness.today.adding(days: -400), end: JointHarness.today.adding(days: -5)),
            ])
            let before = try await store.repositories.lists.forSubject(JointHarness.code(11)) + store.repositories.lists.forSubject(JointHarness.code(12))
            #expect(before.map(\.state) == [.listed, .ended])
            try await store.sql.raw("DELETE FROM list_memberships").run()
            try await store.sql.raw("DELETE FROM subject_name_keys").run()
            try await M0005JointMeasures.backfill(store.sql)
            let after = try await store.repositories.lists.forSubject(JointHarness.code(11)) + store.repositories.lists.forSubject(JointHarness.code(12))
            #expect(after == before)
            #expect(try await h.check(name: "郴州十一号商贸有限公司", department: "431000-tax", scenario: "bidding").match.subject?.id == JointHarness.code(11))
        }
    }
}
