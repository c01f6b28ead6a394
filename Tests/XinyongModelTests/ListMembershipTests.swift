import Testing
@testable import XinyongModel

@Suite struct ListMembershipTests {
    static let start = CivilDate("2025-03-01")!
    static let end = CivilDate("2026-03-01")!

    func record(_ type: String = "serious_dishonesty", status: CreditRecord.Status = .active, published: Bool = true) -> CreditRecord {
        CreditRecord(id: "r1", subjectID: "s1", recordType: type, catalogVersion: 1, departmentID: "d1", regionCode: "431000",
                     documentNumber: "郴税稽罚〔2025〕1号", tier: .serious, decisionDate: Self.start, legalBasis: "第六条",
                     schedule: PublicitySchedule(start: published ? Self.start : nil, end: published ? Self.end : nil,
                                                 repairEligibleFrom: nil, submissionDue: Self.start),
                     status: status)
    }

    @Test func anActiveMembershipStandsUntilItsEndDay() throws {
        let r = record()
        #expect(try #require(r.listMembership).list == .black)
        #expect(r.membershipEnding(on: CivilDate("2025-01-01")!) == nil)
        #expect(r.membershipEnding(on: Self.end.adding(days: -1)) == nil)
    }

    @Test func itExpiresOnItsEndDayWheneverTheStoreLearnsOfIt() {
        let expired = ListMembership.Ending(reason: .expired, on: Self.end)
        #expect(record().membershipEnding(on: Self.end) == expired)
        #expect(record().membershipEnding(on: Self.end.adding(days: 40)) == expired)
    }

    @Test func aRepairedOrWithdrawnRecordEndsItOnTheDayItIsNoticed() {
        let today = CivilDate("2025-06-15")!
        #expect(record(status: .repaired).membershipEnding(on: today) == .init(reason: .repaired, on: today))
        #expect(record(status: .withdrawn).membershipEnding(on: today) == .init(reason: .withdrawn, on: today))
        // A record corrected so that it is no longer published founds no membership either.
        #expect(record(published: false).membershipEnding(on: today) == .init(reason: .withdrawn, on: today))
    }
}
