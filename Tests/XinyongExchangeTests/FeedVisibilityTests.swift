import Foundation
import Testing
import XinyongModel
@testable import XinyongStore
import XinyongTestSupport
@testable import XinyongExchange

/// Who reads which changes: a department its own records' and what the public may see or has seen.
@Suite struct FeedVisibilityTests {
    static let a = "431000-market_regulation"
    static let b = "431000-tax"
    static let today = CivilDate("2025-12-01")!
    static let decided = CivilDate("2025-06-02")!

    /// The shipped catalogue, with credit commitments made restricted (the shipped one has no restricted type).
    static let catalog: Catalog = {
        var catalog = Catalog.shipped
        let index = catalog.recordTypes.firstIndex { $0.code == "credit_commitment" }!
        catalog.recordTypes[index].publicity = .restricted
        return catalog
    }()

    struct Fixture {
        let store: Store
        let access: ChangeFeedAccess
        var serial = 0

        init(_ store: Store) async throws {
            _ = try await Harness.make(store)
            self.store = store
            access = ChangeFeedAccess(store: store, catalogs: [FeedVisibilityTests.catalog], today: { FeedVisibilityTests.today })
            let actor = Actor("test", reason: "feed test")
            try await store.transaction { repos in
                try await repos.subjects.insert((1...6).map { n in
                    Subject.organisation(code: SocialCreditCode.verify(PenaltyFile.code(n)).code!, name: "郴州市测试\(n)有限公司")
                } + [Subject(id: "person-1", kind: .naturalPerson, name: "张三",
                             person: PersonIdentity(idHash: "hash-1", maskedID: "4310**********1234"), regionCode: "431002")],
                    by: actor)
            }
        }

        /// Stores a record of `department` and announces it on the feed; returns its id.
        mutating func record(_ department: String, type: String, tier: Tier? = nil, subject: String) async throws -> String {
            serial += 1
            let recordType = FeedVisibilityTests.catalog.recordType(type)!
            let schedule = try FeedVisibilityTests.catalog.schedule(
                for: recordType, tier: tier, decisionDate: FeedVisibilityTests.decided, fields: [:], calendar: .china)
            let record = CreditRecord(
                id: "r-\(serial)", subjectID: subject, recordType: type, catalogVersion: FeedVisibilityTests.catalog.version,
                departmentID: department, regionCode: "431000", documentNumber: "doc-\(serial)", tier: tier,
                decisionDate: FeedVisibilityTests.decided, legalBasis: "test", schedule: schedule)
            try await store.transaction { repos in
                try await repos.records.insert([record], by: Actor("test", reason: "feed test"))
                try await repos.changes.append([record], kind: .created, batch: nil)
            }
            return record.id
        }

        func read(_ department: String?, from cursor: Int = 0, limit: Int = 100) async throws -> (changes: [Change], nextCursor: Int) {
            try await access.since(cursor, limit: limit, visibleTo: department)
        }
    }

    static var org: [String] { (1...6).map { PenaltyFile.code($0) } }

    @Test(arguments: Backend.allCases)
    func departmentsSeeTheirOwnAndWhatThePublicMaySee(_ backend: Backend) async throws {
        try await backend.withStore { store in
            var f = try await Fixture(store)
            let org = Self.org
            // Department A: three records never published, then a public one and a serious-dishonesty listing of a person.
            let aMinor = try await f.record(Self.a, type: "admin_penalty", tier: .minor, subject: org[0])
            let aPerson = try await f.record(Self.a, type: "admin_penalty", tier: .general, subject: "person-1")
            let aRestricted = try await f.record(Self.a, type: "credit_commitment", subject: org[1])
            let aPublic = try await f.record(Self.a, type: "admin_penalty", tier: .general, subject: org[2])
            let aListedPerson = try await f.record(Self.a, type: "serious_dishonesty", tier: .serious, subject: "person-1")
            // Department B: its own minor penalty and its own restricted record.
            let bMinor = try await f.record(Self.b, type: "admin_penalty", tier: .minor, subject: org[3])
            let bRestricted = try await f.record(Self.b, type: "credit_commitment", subject: org[4])
            // A withdraws the public penalty (recipients must take it down) and the minor one (never public).
            for id in [aPublic, aMinor] {
                _ = try await RecordLifecycle.withdraw(recordID: id, department: Self.a, reason: "test", store: store, by: Actor("test", reason: "withdrawn"))
            }

            let seenByB = try await f.read(Self.b)
            #expect(seenByB.changes.map { "\($0.record_id) \($0.change.rawValue)" } == [
                "\(aPublic) created", "\(aListedPerson) listed", "\(aListedPerson) created", "\(bMinor) created", "\(bRestricted) created", "\(aPublic) withdrawn",
            ])
            for hidden in [aMinor, aPerson, aRestricted] { #expect(!seenByB.changes.contains { $0.record_id == hidden }) }

            let seenByA = try await f.read(Self.a)
            #expect(Set(seenByA.changes.map(\.record_id)) == [aMinor, aPerson, aRestricted, aPublic, aListedPerson])
            #expect(seenByA.changes.count == 8)  // with the listing the serious-dishonesty record made

            let everything = try await f.read(nil)
            #expect(everything.changes.count == 10)
            #expect(everything.changes.map(\.seq) == everything.changes.map(\.seq).sorted())
            // Every reader's cursor ends at the newest change, seen or not.
            #expect(seenByB.nextCursor == everything.changes.last!.seq)
            #expect(seenByA.nextCursor == everything.changes.last!.seq)
            #expect(everything.nextCursor == everything.changes.last!.seq)
        }
    }

    @Test(arguments: Backend.allCases)
    func theCursorMovesPastInvisibleRows(_ backend: Backend) async throws {
        try await backend.withStore { store in
            var f = try await Fixture(store)
            let org = Self.org
            // Nothing yet: the cursor stays where it was.
            #expect(try await f.read(Self.b, from: 0) == ([], 0))
            #expect(try await f.read(nil, from: 0) == ([], 0))

            _ = try await f.record(Self.a, type: "admin_penalty", tier: .minor, subject: org[0])
            _ = try await f.record(Self.a, type: "admin_penalty", tier: .general, subject: "person-1")
            _ = try await f.record(Self.a, type: "credit_commitment", subject: org[1])
            let head = try #require(try await f.read(nil).changes.last?.seq)

            // Only invisible rows: an empty page whose cursor is past them, and the same cursor once caught up.
            let first = try await f.read(Self.b, from: 0)
            #expect(first.changes.isEmpty && first.nextCursor == head)
            #expect(try await f.read(Self.b, from: head) == ([], head))

            let p1 = try await f.record(Self.a, type: "admin_penalty", tier: .general, subject: org[2])
            _ = try await f.record(Self.a, type: "admin_penalty", tier: .minor, subject: org[3])
            let p2 = try await f.record(Self.a, type: "admin_penalty", tier: .serious, subject: org[4])
            _ = try await f.record(Self.a, type: "credit_commitment", subject: org[5])

            // One change a page: each full page ends at its change, the last short page at the newest row.
            let page1 = try await f.read(Self.b, from: head, limit: 1)
            #expect(page1.changes.map(\.record_id) == [p1] && page1.nextCursor == page1.changes[0].seq)
            let page2 = try await f.read(Self.b, from: page1.nextCursor, limit: 1)
            #expect(page2.changes.map(\.record_id) == [p2] && page2.nextCursor == page2.changes[0].seq)
            let page3 = try await f.read(Self.b, from: page2.nextCursor, limit: 1)
            let newest = try #require(try await f.read(nil).changes.last?.seq)
            #expect(page3.changes.isEmpty && page3.nextCursor == newest && newest > page2.nextCursor)
        }
    }

    /// More invisible rows than one scan reads: the reader still gets the visible change behind them.
    @Test(arguments: Backend.allCases)
    func aLongRunOfInvisibleRowsIsCrossed(_ backend: Backend) async throws {
        try await backend.withStore { store in
            var f = try await Fixture(store)
            let hiddenID = try await f.record(Self.a, type: "admin_penalty", tier: .minor, subject: Self.org[0])
            let hidden = try #require(try await store.repositories.records.find(id: hiddenID))
            let run = ChangeFeed.scanWindow * 2 + 7
            try await store.repositories.changes.append(Array(repeating: hidden, count: run), kind: .corrected, batch: nil)
            let shown = try await f.record(Self.a, type: "admin_penalty", tier: .general, subject: Self.org[1])
            let page = try await f.read(Self.b, from: 0, limit: 5)
            #expect(page.changes.map(\.record_id) == [shown])
            #expect(page.nextCursor == page.changes.first?.seq)
        }
    }

    @Test func publicityListsComeFromTheCatalogue() {
        let (publicTypes, personTypes) = ChangeFeedAccess.publicity([Self.catalog])
        #expect(publicTypes.contains("admin_penalty") && !publicTypes.contains("credit_commitment"))
        #expect(personTypes == ["judgment_defaulter", "serious_dishonesty"])
        // Where versions disagree, the feed shows less.
        var older = Catalog.shipped
        older.version = 0
        let index = older.recordTypes.firstIndex { $0.code == "judgment_defaulter" }!
        older.recordTypes[index].publishesNaturalPersons = false
        #expect(ChangeFeedAccess.publicity([older, Self.catalog]).naturalPersonTypes == ["serious_dishonesty"])
    }
}
