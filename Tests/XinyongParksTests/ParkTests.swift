import Crypto
import Foundation
import SQLKit
import Testing
import XinyongDemo
import XinyongModel
import XinyongParks
import XinyongStore
import XinyongTestSupport

/// Parks over a small demo city, on SQLite and PostgreSQL: who is a member, what a membership file does
/// with codes it cannot place, the figures against a count made here from the records themselves, reviews.
@Suite struct ParkTests {
    static let actor = Actor("test", reason: "park tests")
    static let today = CivilDate.today()

    static func withCity(_ backend: Backend, _ body: (Store, ParkService) async throws -> Void) async throws {
        try await backend.withStore { store in
            let options = DemoGenerator.Options(subjects: 400, seed: 5, asOf: today, recordScale: 1)
            _ = try await DemoGenerator(options: options, personKey: SymmetricKey(size: .bits256)).run(into: store)
            try await body(store, ParkService(store: store, catalog: .shipped))
        }
    }

    static func park(_ id: String, regions: [String] = [], targets: [Park.Target] = []) -> Park {
        Park(id: id, name: "测试园区\(id)", managingBody: "测试管委会", establishedOn: today.adding(months: -18), regionCodes: regions, targets: targets)
    }

    static func organisations(_ store: Store, region: String? = nil) async throws -> [Subject] {
        try await store.repositories.subjects.organisations(nameContaining: "", region: region, limit: 10_000)
    }

    @Test(arguments: Backend.allCases)
    func membersComeFromTheListAndTheRegionsEachOnce(_ backend: Backend) async throws {
        try await Self.withCity(backend) { store, service in
            let inRegion = try await Self.organisations(store, region: "431081")
            let elsewhere = try #require(try await Self.organisations(store, region: "431002").first)
            let listed = [try #require(inRegion.first?.code), try #require(elsewhere.code)].map(\.value)
            let operatingOrNot = try await store.sql.raw("""
                SELECT COUNT(*) AS n FROM subjects WHERE region_code = '431081' AND kind <> 'natural_person'
                """).first(decoding: CountRow.self)?.n ?? 0
            try await service.create(Self.park("p-both", regions: ["431081"]), by: Self.actor)
            let report = try await service.importMembers(listed.joined(separator: "\n"), into: "p-both", mode: .strict, by: Self.actor)
            #expect(report.imported && report.members == 2 && report.refused.isEmpty)
            let figures = try await service.figures(of: .park(try await service.park("p-both")))
            // Every organisation of Zixing (operating or not) plus the one listed from Beihu; the Zixing one listed counts once.
            #expect(figures.members == operatingOrNot + 1)
        }
    }

    @Test(arguments: Backend.allCases)
    func aMembershipFileNamesTheRowsItCannotPlaceAndStrictModeKeepsTheOldList(_ backend: Backend) async throws {
        try await Self.withCity(backend) { store, service in
            try await service.create(Self.park("p-file"), by: Self.actor)
            let known = try await Self.organisations(store).prefix(3).compactMap(\.code?.value)
            let unknown = SocialCreditCode.completing("91431000MAYYYYYY")!.value  // valid, but nobody registered it here
            let file = "统一社会信用代码,名称\n\(known[0]),甲\n\(unknown),乙\n\(known[1])\nNOT-A-CODE\n\n\(known[2])\n"
            let strict = try await service.importMembers(file, into: "p-file", mode: .strict, by: Self.actor)
            #expect(!strict.imported && strict.members == 0)
            #expect(strict.refused.map(\.line) == [3, 5])
            #expect(strict.refused[0].reason.contains("no subject") && strict.refused[1].reason.contains("not a unified social credit code"))
            #expect(try await service.figures(of: .park(try await service.park("p-file"))).members == 0)

            let partial = try await service.importMembers(file, into: "p-file", mode: .partial, by: Self.actor)
            #expect(partial.imported && partial.members == 3 && partial.refused.map(\.line) == [3, 5])
            // A strict file with a bad row leaves the list the partial import made.
            _ = try await service.importMembers("\(known[0])\nbad", into: "p-file", mode: .strict, by: Self.actor)
            #expect(try await service.figures(of: .park(try await service.park("p-file"))).members == 3)
            // A file naming no known member (empty, a header alone, only unknown codes) is refused: it would empty the park.
            for empty in ["", "统一社会信用代码\n", "\(unknown)\nNOT-A-CODE\n"] {
                await #expect(throws: ParkError.self) {
                    _ = try await service.importMembers(empty, into: "p-file", mode: .partial, by: Self.actor)
                }
            }
            #expect(try await service.figures(of: .park(try await service.park("p-file"))).members == 3)
        }
    }

    @Test(arguments: Backend.allCases)
    func figuresAgreeWithTheMembersOwnRecords(_ backend: Backend) async throws {
        try await Self.withCity(backend) { store, service in
            let members = Array(try await Self.organisations(store).prefix(120))
            try await service.create(Self.park("p-count"), by: Self.actor)
            _ = try await service.importMembers(members.compactMap(\.code?.value).joined(separator: "\n"), into: "p-count", mode: .partial, by: Self.actor)
            let figures = try await service.figures(of: .park(try await service.park("p-count")))
            #expect(figures.members == members.count)

            // Counted here from each member's records, by the catalogue's polarity and source.
            let negativeTypes = Set(Catalog.shipped.recordTypes.filter { $0.polarity == .negative && !$0.isFromAssociation }.map(\.code))
            // The twelve calendar months ending with this one (on the 1st of a month the oldest is a whole month).
            let oldest = Self.today.adding(months: -11)
            let since = CivilDate(year: oldest.year, month: oldest.components.month, day: 1)!
            var byMonth: [String: Int] = [:], blackListed = 0
            for member in members {
                let records = try await store.repositories.records.forSubject(member.id)
                for r in records where negativeTypes.contains(r.recordType) && r.status != .withdrawn && r.decisionDate >= since && r.decisionDate <= Self.today {
                    byMonth[String(r.decisionDate.description.prefix(7)), default: 0] += 1
                }
                if records.contains(where: { CreditList(recordType: $0.recordType) == .black && $0.status == .active && $0.isPublic(on: Self.today) }) {
                    blackListed += 1
                }
            }
            #expect(figures.negativePerThousand.reduce(0) { $0 + $1.records } == byMonth.values.reduce(0, +))
            for month in figures.negativePerThousand { #expect(month.records == byMonth[month.month] ?? 0, "month \(month.month)") }
            #expect(byMonth.values.reduce(0, +) > 0, "the demo's members have negative records to count")
            #expect(figures.lists[CreditList.black.rawValue] ?? 0 == blackListed)
            let grades = try await store.repositories.evaluations.grades(of: members.map(\.id))
            #expect(figures.graded == grades.count)
            #expect(figures.value(of: .gradeABShare) == Double(grades.values.count { $0 <= .b }) / Double(grades.count))
        }
    }

    @Test(arguments: Backend.allCases)
    func aParkWithDefectsIsRefusedWithEachNamedAndReviewsKeepTheirFigures(_ backend: Backend) async throws {
        try await Self.withCity(backend) { store, service in
            let bad = Park(id: "x", name: " ", managingBody: "", establishedOn: Self.today, regionCodes: ["999999"],
                           targets: [.init(metric: .gradeABShare), .init(metric: .gradeABShare, atMost: 1, atLeast: 0)])
            await #expect(throws: ParkError.self) { try await service.create(bad, by: Self.actor) }
            do {
                try await service.create(bad, by: Self.actor)
            } catch ParkError.invalid(let defects) {
                for field in ["id:", "name:", "managing_body:", "region_codes: '999999'", "needs at_most or at_least", "not both", "appears twice"] {
                    #expect(defects.contains { $0.contains(field) }, "no defect names \(field): \(defects)")
                }
            }
            #expect(try await service.all().allSatisfy { $0.id != "x" })

            try await service.create(Self.park("p-review", regions: ["431081"], targets: [.init(metric: .blackListedPerThousand, atMost: 5)]), by: Self.actor)
            let review = try await service.review(parkID: "p-review", year: Self.today.year, outcome: .rectify, note: "限期整改", by: Self.actor)
            let figures = try await service.figures(of: .park(try await service.park("p-review")))
            #expect(review.figures[ParkMetric.blackListedPerThousand.rawValue] == figures.value(of: .blackListedPerThousand))
            #expect(try await service.reviews(of: "p-review") == [review])
            await #expect(throws: ParkError.exists("p-review review \(Self.today.year)")) {
                _ = try await service.review(parkID: "p-review", year: Self.today.year, outcome: .passed, note: "再次", by: Self.actor)
            }
            await #expect(throws: ParkError.self) {
                _ = try await service.review(parkID: "p-review", year: Self.today.year - 5, outcome: .passed, note: "早于命名", by: Self.actor)
            }
        }
    }

    @Test func theDemoNamesThreeParksAndTwoAssociationsWithRatings() async throws {
        try await Backend.sqlite.withStore { store in
            let options = DemoGenerator.Options(subjects: 3000, seed: 7, asOf: Self.today, recordScale: 1)
            _ = try await DemoGenerator(options: options, personKey: SymmetricKey(size: .bits256)).run(into: store)
            let service = ParkService(store: store, catalog: .shipped)
            let parks = try await service.all()
            #expect(parks.count == 3)
            for park in parks { #expect(try await service.figures(of: .park(park)).members > 0, "\(park.id) has members") }
            #expect(try await service.reviews(of: "gaoxin").count == 1)
            let associations = try await store.repositories.departments.all().filter(\.isAssociation)
            #expect(associations.count == 2)
            for a in associations {
                let ratings = try await store.repositories.associations.published(by: a.id, on: Self.today).filter { $0.record_type == "association_rating" }
                #expect(!ratings.isEmpty, "\(a.name) rated members")
            }
        }
    }
}

struct CountRow: Decodable { let n: Int }
