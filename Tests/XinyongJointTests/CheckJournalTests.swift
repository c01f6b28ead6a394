import Foundation
import Synchronization
import Testing
import XinyongModel
import XinyongTestSupport
@testable import XinyongJoint
@testable import XinyongStore

/// On SQLite a batch holds the one writer while its rows are written; checks must answer meanwhile, stored in
/// the check journal, and reach the main tables (checks, audit trail) once, when the writer is free again.
@Suite struct CheckJournalTests {
    @Test func checksAnswerWhileABatchHoldsTheWriterAndArriveOnceAfterIt() async throws {
        try await Backend.sqlite.withStore { store in
            let h = try await JointHarness.make(store)
            let code = JointHarness.code(41)
            try await h.submit("judgment_defaulter", department: "431000-court", [h.defaulter(code, name: "郴州市甲商贸有限公司", document: "（2025）湘10执1号")])
            let batchDone = Mutex(false)
            // Stands in for a department's long import: a transaction that keeps the writer for two seconds.
            let batch = Task {
                try await store.transaction { _ in
                    try await Task.sleep(for: .seconds(2))
                    batchDone.withLock { $0 = true }
                }
            }
            while !store.writerHeld(atLeast: .milliseconds(1)) { try await Task.sleep(for: .milliseconds(1)) }

            // One after another: each group of checks is answered while the earlier ones still wait for the writer.
            var answers: [CheckAnswer] = []
            for _ in 0..<3 { answers.append(try await h.check(code: code, department: "431002-housing", scenario: "bidding")) }
            #expect(answers.allSatisfy { $0.result == .hit })
            #expect(!batchDone.withLock { $0 }, "the checks were answered only after the batch released the writer")
            #expect(try await store.checkJournal!.waiting(limit: 10).map(\.id) == answers.map(\.checkId))
            let answer = answers[0]
            #expect(try await store.repositories.checks.find(id: answer.checkId) == nil)

            try await batch.value
            try await h.service.log.settle()
            #expect(try await store.checkJournal!.waiting(limit: 10).isEmpty)
            for answer in answers {
                let stored = try #require(try await store.repositories.checks.find(id: answer.checkId))
                #expect(stored.result == .hit && stored.departmentID == "431002-housing")
                #expect(try await store.repositories.audit.entries(entity: "checks").filter { $0.entity_id == answer.checkId }.count == 1)
            }
        }
    }

    @Test func aFreeWriterStoresTheCheckBeforeItIsAnswered() async throws {
        try await Backend.sqlite.withStore { store in
            let h = try await JointHarness.make(store)
            let answer = try await h.check(code: JointHarness.code(42), department: "431002-housing", scenario: "bidding")
            #expect(try await store.repositories.checks.find(id: answer.checkId)?.result == .noMatch)
            #expect(try await store.repositories.audit.entries(entity: "checks").contains { $0.entity_id == answer.checkId })
        }
    }

    /// A department reports on a check answered from the journal before the batch holding the writer ended.
    @Test func feedbackOnACheckStillInTheJournalMovesItFirst() async throws {
        try await Backend.sqlite.withStore { store in
            let h = try await JointHarness.make(store)
            let journal = try #require(store.checkJournal)
            try await journal.append([Self.entry(id: "chk_journaled")])
            try await h.service.feedback(check: "chk_journaled", department: "431002-housing", lines: [], outcome: "已受理",
                                         by: Actor("test-key", reason: "feedback"))
            #expect(try await journal.waiting(limit: 10).isEmpty)
            #expect(try await store.repositories.checks.find(id: "chk_journaled")?.feedbackOutcome == "已受理")
        }
    }

    /// What a crash leaves: a check only in the journal (killed before the move), and one in both (killed
    /// between the move's commit and the journal's delete). A start moves the first and stores the second once.
    @Test func aStartMovesWhatACrashLeftInTheJournalOnce() async throws {
        try await Backend.sqlite.withStore { store in
            let h = try await JointHarness.make(store)
            let moved = try await h.check(code: JointHarness.code(43), department: "431002-housing", scenario: "bidding")
            let journal = try #require(store.checkJournal)
            try await journal.append([Self.entry(id: "chk_left_in_journal"), Self.entry(id: moved.checkId)])

            let restarted = JointService(store: store, personKey: h.personKey)
            try await restarted.log.settle()
            #expect(try await journal.waiting(limit: 10).isEmpty)
            #expect(try await store.repositories.checks.find(id: "chk_left_in_journal") != nil)
            let audited = try await store.repositories.audit.entries(entity: "checks").map(\.entity_id)
            #expect(audited.filter { $0 == moved.checkId }.count == 1)
            #expect(audited.filter { $0 == "chk_left_in_journal" }.count == 1)
        }
    }

    /// A check as the log journals it: a clear answer without measures.
    static func entry(id: String) -> CheckEntry {
        CheckEntry(id: id, departmentID: "431002-housing", regionCode: "431002", askedBy: "test-key", scenario: "bidding", matter: "test matter",
                   queryKind: "code", query: JointHarness.code(44), subjectID: nil, matchMethod: .unmatched, matchScore: nil, result: .noMatch,
                   lists: [], measures: [], answer: "{}", askedAt: Timestamp.now())
    }
}
