import Foundation
import Crypto
import Testing
@testable import XinyongModel

@Suite struct RegionTests {
    let regions = RegionDirectory.shipped

    @Test func chenzhouAndItsElevenCounties() {
        #expect(regions["431000"]?.name == "郴州市")
        let counties = regions.children(of: "431000").map(\.code).sorted()
        #expect(counties.count == 11)
        #expect(counties.first == "431002" && counties.last == "431081")
    }

    @Test func parentChainAndRollUp() {
        #expect(regions.chain("431081").map(\.name) == ["资兴市", "郴州市", "湖南省"])
        #expect(regions.city(of: "431081")?.code == "431000")
        #expect(regions.city(of: "431000")?.code == "431000")
        #expect(regions.city(of: "430000") == nil)
        #expect(regions.isWithin("431081", "430000"))
        #expect(!regions.isWithin("431081", "440000"))
    }

    @Test func nearestFallsBackForRetiredCodes() {
        #expect(regions.nearest("431099")?.code == "431000")
        #expect(regions.nearest("439999")?.code == "430000")
        #expect(regions.nearest("43") == nil)
    }

    @Test func shippedListHasAllLevels() {
        #expect(regions.all.count == 3427)
        #expect(regions.all.filter { $0.level == .province }.count == 34)
    }
}

@Suite struct CalendarTests {
    let calendar = WorkingDayCalendar.china

    @Test func datesRoundTripAndCountMonths() {
        #expect(CivilDate("2024-02-29")?.description == "2024-02-29")
        #expect(CivilDate("2023-02-29") == nil)
        #expect(CivilDate("2024-1-01") == nil)
        #expect(CivilDate("2024-01-31")!.adding(months: 1).description == "2024-02-29")
        #expect(CivilDate("2025-03-10")!.adding(months: 12).description == "2026-03-10")
        #expect(CivilDate("1970-01-01")!.isoWeekday == 4)
        #expect(CivilDate("2026-11-21")!.isoWeekday == 6)
    }

    @Test func holidaysAndMakeUpDays() {
        #expect(!calendar.isWorkingDay(CivilDate("2025-10-08")!))  // National Day, a Wednesday
        #expect(calendar.isWorkingDay(CivilDate("2025-09-28")!))  // make-up Sunday
        #expect(!calendar.isWorkingDay(CivilDate("2025-09-27")!))  // an ordinary Saturday
        #expect(calendar.isWorkingDay(CivilDate("2025-09-29")!))
    }

    @Test func addingWorkingDaysSkipsTheGoldenWeek() {
        // Decision on Tue 2025-09-30: Oct 1–8 are off; Oct 9, 10, 11 (a make-up Saturday), 13, 14, 15, 16.
        let due = calendar.adding(workingDays: 7, to: CivilDate("2025-09-30")!)
        #expect(due.description == "2025-10-16")
        #expect(calendar.workingDays(from: CivilDate("2025-09-30")!, to: due) == 7)
    }
}

@Suite struct CatalogTests {
    let catalog = Catalog.shipped
    let calendar = WorkingDayCalendar.china

    @Test func shipsEveryRequiredType() {
        let codes = Set(catalog.recordTypes.map(\.code))
        #expect(codes == ["admin_licence", "admin_penalty", "judgment_defaulter", "serious_dishonesty",
                          "abnormal_operation", "tax_grade_a", "honour", "credit_commitment", "commitment_breach", "inspection_result",
                          "association_rating", "association_honour", "association_warning"])
        for type in catalog.recordTypes {
            #expect(!type.legalBasis.isEmpty, "\(type.code) has no legal basis")
            #expect(type.field("document_no")?.required == true, "\(type.code) needs a document number")
            #expect(type.field("legal_basis")?.required == true, "\(type.code): each record must carry its own legal basis")
        }
    }

    @Test func penaltyPeriodsFollowTheRepairMeasures() throws {
        let penalty = catalog.recordType("admin_penalty")!
        let decided = CivilDate("2025-03-10")!
        let general = try catalog.schedule(for: penalty, tier: .general, decisionDate: decided, fields: [:], calendar: calendar)
        #expect(general.start == decided)
        #expect(general.end?.description == "2026-03-10")
        #expect(general.repairEligibleFrom?.description == "2025-06-10")
        let serious = try catalog.schedule(for: penalty, tier: .serious, decisionDate: decided, fields: [:], calendar: calendar)
        #expect(serious.end?.description == "2028-03-10")
        #expect(serious.repairEligibleFrom?.description == "2026-03-10")
        let minor = try catalog.schedule(for: penalty, tier: .minor, decisionDate: decided, fields: [:], calendar: calendar)
        #expect(minor.start == nil && minor.end == nil)
        #expect(!CreditRecordFixture.record(schedule: minor).isPublic(on: decided))
    }

    @Test func tierIsRequiredAndMustBeAllowed() {
        let penalty = catalog.recordType("admin_penalty")!
        let decided = CivilDate("2025-03-10")!
        #expect(throws: ScheduleError.tierRequired(recordType: "admin_penalty")) {
            try catalog.schedule(for: penalty, tier: nil, decisionDate: decided, fields: [:], calendar: calendar)
        }
        let list = catalog.recordType("serious_dishonesty")!
        #expect(throws: ScheduleError.tierNotAllowed(.general, recordType: "serious_dishonesty")) {
            try catalog.schedule(for: list, tier: .general, decisionDate: decided, fields: [:], calendar: calendar)
        }
    }

    @Test func courtDatesSetADefaultersPeriod() throws {
        let defaulter = catalog.recordType("judgment_defaulter")!
        let decided = CivilDate("2024-05-06")!
        let s = try catalog.schedule(for: defaulter, tier: nil, decisionDate: decided,
                                     fields: ["end_date": "2026-05-06"], calendar: calendar)
        #expect(s.start == decided && s.end?.description == "2026-05-06")
        #expect(throws: ScheduleError.missingDate(field: "end_date")) {
            try catalog.schedule(for: defaulter, tier: nil, decisionDate: decided, fields: [:], calendar: calendar)
        }
        #expect(throws: ScheduleError.endBeforeStart(field: "end_date")) {
            try catalog.schedule(for: defaulter, tier: nil, decisionDate: decided, fields: ["end_date": "2024-01-01"], calendar: calendar)
        }
    }

    @Test func everyNegativeTypeHasAnEndAndARepairPath() throws {
        let decided = CivilDate("2025-01-15")!
        for type in catalog.recordTypes where type.polarity == .negative {
            let tier = type.permittedTiers.last
            let s = try catalog.schedule(for: type, tier: tier, decisionDate: decided,
                                         fields: ["end_date": "2027-01-15"], calendar: calendar)
            #expect(s.end != nil, "\(type.code) has no end")
            #expect(s.repairEligibleFrom != nil, "\(type.code) has no repair path")
        }
    }

    @Test func submissionDueCountsWorkingDays() throws {
        let licence = catalog.recordType("admin_licence")!
        let s = try catalog.schedule(for: licence, tier: nil, decisionDate: CivilDate("2025-09-30")!,
                                     fields: ["valid_to": "2030-09-29"], calendar: calendar)
        #expect(s.submissionDue.description == "2025-10-16")
        #expect(s.end?.description == "2030-09-29")
        #expect(s.repairEligibleFrom == nil)
    }

    @Test func catalogRoundTripsThroughJSON() throws {
        let data = try JSONEncoder().encode(catalog)
        #expect(try JSONDecoder().decode(Catalog.self, from: data) == catalog)
    }
}

@Suite struct PersonTests {
    @Test func personIsHeldByKeyedHashAndMaskedID() {
        let id = ResidentIdentityNumber("４３１００２１９８５０６１２１２３０")!
        #expect(id.masked == "4310**********1230")
        let key = SymmetricKey(data: Array("test key".utf8))
        let person = PersonIdentity(id, key: key)
        #expect(person.idHash.count == 64)
        #expect(!person.idHash.contains("431002"))
        #expect(person == PersonIdentity(ResidentIdentityNumber("431002198506121230")!, key: key))
        #expect(person != PersonIdentity(id, key: SymmetricKey(data: Array("other".utf8))))
        let subject = Subject.person(person, name: "欧阳小明", regionCode: "431002")
        #expect(subject.displayName == "欧阳**")
        #expect(subject.displayIdentifier == "4310**********1230")
        #expect(maskedPersonName("张三") == "张*")
    }

    @Test func badIdentityNumbersAreNotAccepted() {
        #expect(ResidentIdentityNumber("431002198506121231") == nil)  // check digit
        #expect(ResidentIdentityNumber("431002198513121230") == nil)  // month 13
        #expect(ResidentIdentityNumber("991002198506121230") == nil)  // no such province
    }
}

enum CreditRecordFixture {
    static func record(schedule: PublicitySchedule) -> CreditRecord {
        CreditRecord(id: "r1", subjectID: "s", recordType: "admin_penalty", catalogVersion: 1, departmentID: "d",
                     regionCode: "431000", documentNumber: "1", tier: .minor, decisionDate: CivilDate("2025-03-10")!,
                     legalBasis: "x", schedule: schedule)
    }
}

@Suite struct PublicProfileTests {
    let catalog = Catalog.shipped
    let today = CivilDate("2025-12-01")!

    func record(_ type: String, subject: String, tier: Tier? = nil, decided: String, fields: [String: String] = [:],
                status: CreditRecord.Status = .active) throws -> CreditRecord {
        let date = CivilDate(decided)!
        let schedule = try catalog.schedule(for: catalog.recordType(type)!, tier: tier, decisionDate: date, fields: fields, calendar: .china)
        return CreditRecord(id: "\(type)-\(decided)", subjectID: subject, recordType: type, catalogVersion: 1, departmentID: "d",
                            regionCode: "431002", documentNumber: "No.\(decided)", tier: tier, decisionDate: date,
                            legalBasis: "basis", schedule: schedule, status: status, fields: fields)
    }

    @Test func naturalPersonsAppearOnlyWhereTheCatalogueAllows() throws {
        let person = Subject.person(PersonIdentity(idHash: String(repeating: "a", count: 64), maskedID: "4310**********1230"),
                                    name: "张三丰", regionCode: "431002")
        let records = [
            try record("admin_penalty", subject: person.id, tier: .general, decided: "2025-06-01"),
            try record("judgment_defaulter", subject: person.id, decided: "2025-05-01",
                       fields: ["end_date": "2027-05-01", "subject_name": "张三丰"]),
        ]
        let profile = PublicProfile(subject: person, records: records, catalog: { _ in catalog }, on: today)
        #expect(profile.sections.map(\.section) == [.judgment])
        #expect(profile.sections[0].groups[0].records[0].fields["subject_name"] == "张**")
    }

    @Test func expiredRepairedAndMinorRecordsAreHidden() throws {
        let code = SocialCreditCode.completing("91431002MA4L0001")!
        let org = Subject.organisation(code: code, name: "郴州市测试有限公司", legalRepresentative: "李四")
        let records = [
            try record("admin_penalty", subject: org.id, tier: .general, decided: "2025-06-01",
                       fields: ["legal_representative": "李四"]),
            try record("admin_penalty", subject: org.id, tier: .general, decided: "2024-06-01"),  // ended 2025-06-01
            try record("admin_penalty", subject: org.id, tier: .minor, decided: "2025-10-01"),
            try record("admin_penalty", subject: org.id, tier: .serious, decided: "2025-02-01", status: .repaired),
            try record("honour", subject: org.id, decided: "2025-01-01"),
        ]
        let profile = PublicProfile(subject: org, records: records, catalog: { _ in catalog }, on: today)
        #expect(profile.recordCount == 2)
        #expect(profile.sections.map(\.section) == [.penalty, .honour])
        #expect(profile.sections[0].groups[0].records[0].fields["legal_representative"] == "李*")
    }
}
