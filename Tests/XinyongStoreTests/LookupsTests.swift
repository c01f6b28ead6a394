import Foundation
import SQLKit
import Testing
import XinyongModel
import XinyongTestSupport
@testable import XinyongStore

/// The hot-path reads (`store.lookups`, on SQLite prepared statements on the caller's thread) must read what
/// the ordinary reader reads, see a commit at once, and fail plainly rather than answer wrongly.
@Suite struct LookupsTests {
    let actor = Actor("test", reason: "lookups test")

    private struct Values: Decodable, Equatable {
        let n: Int
        let x: Double
        let t: String
        let b: Bool
        let missing: String?
    }

    @Test(arguments: Backend.allCases)
    func lookupsReadWhatTheReaderReadsAndSeeACommitAtOnce(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let code = SocialCreditCode.verify("91350200M000000510").code!
            let subject = Subject.organisation(code: code, checkFailed: true, name: "厦门某某有限公司", regionCode: "350200",
                                               registeredOn: CivilDate("2015-06-01"), legalRepresentative: "王五")
            let day = CivilDate("2026-11-30")!
            #expect(try await store.lookups.checks.view(code: code.value, on: day)?.subject == nil)
            try await store.transaction { try await $0.subjects.insert([subject], by: actor) }
            let seen = try #require(try await store.lookups.checks.view(code: code.value, on: day))
            #expect(seen.subject == (try await store.repositories.checks.view(code: code.value, on: day))?.subject)
            #expect(seen.subject.name == "厦门某某有限公司")
            // The same statement again, with other binds, reads other rows (a kept statement is reset between reads).
            for _ in 0..<3 {
                #expect(try await store.lookups.checks.view(code: "91350200M000000999", on: day)?.subject == nil)
                #expect(try await store.lookups.checks.view(subjectID: subject.id, on: day)?.subject.id == subject.id)
            }
            let values = try await store.lookups.db.raw("""
                SELECT \(bind: 7) AS n, \(bind: 2.5) AS x, \(bind: "文字") AS t, \(bind: true) AS b, \(bind: String?.none) AS missing
                """).first(decoding: Values.self)
            #expect(values == Values(n: 7, x: 2.5, t: "文字", b: true, missing: nil))
            // On PostgreSQL text values reach a kept statement as quoted literals: none may change the statement.
            struct Text: Decodable { let t: String }
            // The last: `$v$` whose dollars hide in grapheme clusters (U+0600 prepends, U+0301 combines).
            for text in ["O'Brien \\ 文字", "a$v$b", "$v$", "x'); DROP TABLE regions; --", "plain",
                         "\u{0600}$v$\u{0301}); DROP TABLE regions; --"] {
                for _ in 0..<2 {
                    let read = try await store.lookups.db.raw("SELECT \(bind: text) AS t").first(decoding: Text.self)
                    #expect(read?.t == text)
                }
            }
            #expect(try await store.repositories.regions.count() == 3427)
            // A kept statement that is gone from the session (DEALLOCATE, or a pooler in transaction mode handing
            // out another server connection) is run plainly rather than failing the read.
            if backend == .postgres {
                try await store.lookups.db.raw("DEALLOCATE ALL").run()
                for _ in 0..<3 {
                    #expect(try await store.lookups.checks.view(code: code.value, on: day)?.subject.id == subject.id)
                }
            }
        }
    }

    @Test func aBadStatementAndAClosedStoreFailWithTheReason() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("xinyong-test-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try await Store.open(.sqlite(path: directory.appendingPathComponent("test.sqlite").path))
        try await store.bootstrap()
        await #expect(throws: (any Error).self) { try await store.lookups.db.raw("SELECT name FROM nowhere").run() }
        do {
            try await store.lookups.db.raw("SELECT name FROM nowhere").run()
        } catch {
            #expect("\(error)".contains("no such table: nowhere"))
        }
        // Lookups are read-only: a write through them is refused.
        await #expect(throws: (any Error).self) { try await store.lookups.db.raw("DELETE FROM regions").run() }
        #expect(try await store.repositories.regions.count() == 3427)
        await store.close()
        do {
            _ = try await store.lookups.regions.find("431081")
            Issue.record("a lookup after close answered")
        } catch {
            #expect("\(error)".contains("closed"))
        }
    }
}
