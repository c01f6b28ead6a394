import Foundation
import Testing
import XinyongModel
@testable import XinyongStore
import XinyongTestSupport
@testable import XinyongExchange

/// The change feed never lets a reader pass a change that is still to commit. On PostgreSQL seqs are drawn
/// when rows are inserted, so a transaction can commit a lower seq after another has committed a higher one;
/// SQLite's one writer cannot interleave like that, so this runs on PostgreSQL only.
@Suite struct FeedOrderTests {
    @Test func aChangeThatCommitsLateIsNotSkipped() async throws {
        try await Backend.postgres.withStore { store in
            var f = try await FeedVisibilityTests.Fixture(store)
            let department = FeedVisibilityTests.a
            let late = CreditRecord(
                id: "r-late", subjectID: FeedVisibilityTests.org[0], recordType: "admin_penalty",
                catalogVersion: FeedVisibilityTests.catalog.version, departmentID: department, regionCode: "431000",
                documentNumber: "doc-late", tier: .general, decisionDate: FeedVisibilityTests.decided, legalBasis: "test",
                schedule: try FeedVisibilityTests.catalog.schedule(
                    for: FeedVisibilityTests.catalog.recordType("admin_penalty")!, tier: .general,
                    decisionDate: FeedVisibilityTests.decided, fields: [:], calendar: .china))
            // The first writer appends (taking the lower seq) and holds its transaction open.
            let (appended, appendedOnce) = AsyncStream<Void>.makeStream()
            let (release, releaseOnce) = AsyncStream<Void>.makeStream()
            let first = Task {
                try await store.transaction { repos in
                    try await repos.records.insert([late], by: Actor("test", reason: "feed order"))
                    try await repos.changes.append([late], kind: .created, batch: nil)
                    appendedOnce.yield()
                    for await _ in release { break }
                }
            }
            for await _ in appended { break }
            // A second writer appends a higher seq and commits first.
            let early = try await f.record(department, type: "admin_penalty", tier: .general, subject: FeedVisibilityTests.org[1])

            let feed = store.repositories.changes
            let meanwhile = try await feed.since(0, limit: 100, visibility: nil)
            #expect(meanwhile.changes.isEmpty, "the committed higher seq waits for the open lower one")
            #expect(meanwhile.nextCursor == 0)
            let own = try await f.read(department)
            #expect(own.changes.isEmpty && own.nextCursor == 0, "the same holds for a department's filtered read")
            #expect(try await store.repositories.evaluations.changes(after: 0, limit: 100).isEmpty)
            #expect(try await store.repositories.evaluations.latestChange() == 0)

            releaseOnce.yield()
            try await first.value
            let after = try await feed.since(meanwhile.nextCursor, limit: 100, visibility: nil)
            #expect(after.changes.map(\.record_id) == [late.id, early], "both, in seq order, once the first commits")
            #expect(try await f.read(department).changes.map(\.record_id) == [late.id, early])
            #expect(try await store.repositories.evaluations.latestChange() == after.nextCursor)
        }
    }
}
