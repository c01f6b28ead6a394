import Foundation
import Testing
@testable import XinyongModel

@Suite struct NoticeModelTests {
    let catalog = Catalog.shipped
    static let tax = Department(id: "431000-tax", name: "国家税务总局郴州市税务局", category: "tax", regionCode: "431000", level: .city)

    func record(_ type: String, decided: CivilDate, tier: Tier? = .serious) throws -> CreditRecord {
        let spec = try #require(catalog.recordType(type))
        let fields = ["subject_name": "郴州市某某商贸有限公司", "subject_code": "91431000MA4L000000", "list_name": "重大税收违法失信主体",
                      "reason": "虚开增值税专用发票", "authority": "国家税务总局郴州市税务局", "end_date": decided.adding(months: 24).description]
        let schedule = try catalog.schedule(for: spec, tier: type == "serious_dishonesty" ? tier : nil, decisionDate: decided,
                                            fields: fields, calendar: .china)
        return CreditRecord(id: "r1", subjectID: "s1", recordType: type, catalogVersion: 1, departmentID: Self.tax.id, regionCode: "431000",
                            documentNumber: "郴税稽罚〔2025〕1号", tier: type == "serious_dishonesty" ? tier : nil, decisionDate: decided,
                            legalBasis: "《重大税收违法失信主体信息公布管理办法》第六条", schedule: schedule, fields: fields)
    }

    func context(_ type: String) -> Notice.Context {
        Notice.Context(type: catalog.recordType(type)!, subjectName: "郴州市某某商贸有限公司", department: Self.tax, measures: .shipped,
                       statementWorkingDays: catalog.deadlines.noticeStatementWorkingDays, calendar: .china)
    }

    @Test func theCatalogueSaysWhichTypesNeedANotice() throws {
        #expect(catalog.recordType("serious_dishonesty")?.needsNoticeBeforeListing == true)
        #expect(catalog.recordType("judgment_defaulter")?.needsNoticeBeforeListing == false)
        #expect(catalog.deadlines.noticeStatementWorkingDays == 5)
        // A version stored before notices existed still decodes: no notice for its types, 5 working days.
        let older = #"{"submitWithinWorkingDays":7,"repairAnswerWorkingDays":10,"repairDecisionWorkingDays":3,"objectionDays":20}"#
        #expect(try JSONDecoder().decode(Catalog.Deadlines.self, from: Data(older.utf8)).noticeStatementWorkingDays == 5)
        var type = try #require(catalog.recordType("serious_dishonesty"))
        type.noticeBeforeListing = nil
        let reread = try JSONDecoder().decode(RecordType.self, from: JSONEncoder().encode(type))
        #expect(!reread.needsNoticeBeforeListing)
    }

    @Test func aNoticeCountsWorkingDaysAndNamesFactsBasisAndConsequences() throws {
        // Issued on Friday 2025-09-26: Sunday 09-28 is a make-up working day, 10-01 to 10-08 are off.
        let issued = CivilDate("2025-09-26")!
        let notice = try #require(Notice.issue(id: "GZ1", for: try record("serious_dishonesty", decided: issued.adding(days: -3)),
                                               context: context("serious_dishonesty"), on: issued))
        #expect(notice.graceUntil == CivilDate("2025-10-10")!)
        #expect(notice.isDue(on: CivilDate("2025-10-10")!) == false && notice.isDue(on: CivilDate("2025-10-11")!))
        #expect(notice.state == .pending && notice.list == .black && notice.issuedOn == issued)
        #expect(notice.addressee == "郴州市某某商贸有限公司（91431000MA4L000000）")
        #expect(notice.facts.map(\.label).starts(with: ["信用主体", "认定文书号", "列入日期"]))
        #expect(notice.facts.contains { $0.label == "列入事由" && $0.value == "虚开增值税专用发票" })
        #expect(!notice.facts.contains { $0.label.contains("统一社会信用代码") })
        #expect(notice.basis.hasPrefix("《重大税收违法失信主体信息公布管理办法》第六条；"))
        // The 2022 basic list and, for a tax bureau's record, the tax memorandum: mandatory ones first.
        #expect(notice.consequences.first?.mandatory == true)
        #expect(notice.consequences.contains { $0.title == "依法限制参加政府采购活动（三年内有重大违法记录的）" })
        #expect(notice.consequences.contains { $0.title == "出口退税管理类别降为最低级别" })
        let firstOptional = try #require(notice.consequences.firstIndex { !$0.mandatory })
        #expect(notice.consequences[firstOptional...].allSatisfy { !$0.mandatory })
        #expect(notice.statementRight.contains("5个工作日内（2025年10月10日前，含当日）"))
        #expect(notice.statementRight.contains("国家税务总局郴州市税务局"))
    }

    @Test func noNoticeWhereNothingWouldBeListed() throws {
        let today = CivilDate("2026-03-02")!
        // The court's list lists at once.
        #expect(Notice.issue(id: "GZ2", for: try record("judgment_defaulter", decided: today), context: context("judgment_defaulter"), on: today) == nil)
        // A record whose period already ended puts nobody on the list.
        let old = try record("serious_dishonesty", decided: today.adding(months: -40))
        #expect(Notice.issue(id: "GZ3", for: old, context: context("serious_dishonesty"), on: today) == nil)
    }

    @Test func aRecordWaitsUnpublishedAndIsListedFromItsDay() throws {
        let decided = CivilDate("2026-03-02")!
        let waiting = try record("serious_dishonesty", decided: decided).awaitingNotice
        #expect(waiting.status == .pendingNotice && waiting.listMembership == nil && !waiting.isPublic(on: decided.adding(days: 10)))
        let listed = waiting.listed(on: decided.adding(days: 9))
        #expect(listed.listMembership?.start == decided.adding(days: 9))
        #expect(listed.listMembership?.end == decided.adding(months: 36))
        #expect(CivilDate("2026-01-16")!.chineseText == "2026年1月16日")
    }
}
