import Foundation
import Logging
import XinyongStore

/// Stores checks before they are answered, by group commit: the checks that arrive while one write runs are
/// written together in the next, so the database is not one commit per check.
///
/// On SQLite one writer serves the whole file, and a department's batch holds it while its rows are written.
/// A group's write waits for it like any other; but once another transaction has held the writer for
/// ``handover`` while the group's write has not begun, the group goes to the ``CheckJournal`` (a file nobody
/// else writes) and is answered from there. Whatever a crash leaves in the journal is moved at the next start.
/// When nothing long holds the writer, answers wait for the write, so whoever reads a check after its answer
/// finds it.
final class CheckLog: Sendable {
    let store: Store
    /// How long another transaction may hold the SQLite writer before waiting checks are answered from the journal.
    static let handover: Duration = .milliseconds(5)
    /// Checks moved per transaction when the journal is emptied.
    static let movePage = 1_000
    private let state = Locked(State())
    private let logger = Logger(label: "xinyong.checks")

    struct State {
        var pending: [(CheckEntry, CheckedContinuation<Void, any Error>)] = []
        var flushing = false
    }

    /// Moves what an earlier run left in the journal.
    init(store: Store) {
        self.store = store
        if store.checkJournal != nil {
            Task {
                do { try await self.settle() } catch { self.logger.error("checks left in the journal could not be moved yet: \(error)") }
            }
        }
    }

    func record(_ entry: CheckEntry) async throws {
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            let start = state.withLock { s -> Bool in
                s.pending.append((entry, continuation))
                if s.flushing { return false }
                s.flushing = true
                return true
            }
            if start { Task { await self.drain() } }
        }
    }

    private func drain() async {
        while true {
            let group = state.withLock { s -> [(CheckEntry, CheckedContinuation<Void, any Error>)] in
                let out = s.pending
                s.pending = []
                if out.isEmpty { s.flushing = false }
                return out
            }
            if group.isEmpty { return }
            // The next group waits until this one is answered, not until its write lands.
            await withCheckedContinuation { (answered: CheckedContinuation<Void, Never>) in
                write(group.map(\.0), answer: GroupAnswer(group.map(\.1), then: answered))
            }
        }
    }

    /// Writes a group to the main tables and answers it when the write commits; on SQLite, answers it from
    /// the journal instead once another transaction has held the writer for ``handover`` before the write began
    /// (the write then lands on its own, and the journal forgets the group).
    private func write(_ entries: [CheckEntry], answer: GroupAnswer) {
        let begun = Locked(false), journaled = Locked(false)
        let ids = entries.map(\.id)
        Task { [store, logger] in
            let result = await Result(catching: {
                try await store.transaction { repos in
                    begun.withLock { $0 = true }
                    // Only a journaled group can have been moved already (by a settle); the others need no look-up.
                    if journaled.withLock({ $0 }) { try await repos.checks.insertMissing(entries) } else { try await repos.checks.insert(entries) }
                }
            })
            guard !answer.give(result), journaled.withLock({ $0 }) else { return }
            // Answered from the journal earlier: now that the main tables have the group, the journal forgets it.
            do {
                try result.get()
                try await store.checkJournal?.remove(ids)
            } catch {
                logger.error("checks answered from the journal wait there for the next start: \(error)")
            }
        }
        guard let journal = store.checkJournal else { return }
        Task { [store, logger] in
            while !answer.given {
                try? await Task.sleep(for: Self.handover)
                guard !answer.given, !begun.withLock({ $0 }), store.writerHeld(atLeast: Self.handover) else { continue }
                do {
                    try await journal.append(entries)
                } catch {
                    return logger.error("checks could not be journaled; they wait for the writer: \(error)")
                }
                journaled.withLock { $0 = true }
                // The write may have committed while the group was journaled: then this copy is not needed.
                if !answer.give(.success(())) { try? await journal.remove(ids) }
                return
            }
        }
    }

    /// Moves everything in the journal into the main tables, waiting for the writer: at start, and for a
    /// reader that needs a check that may still be there (a department's feedback right after its check).
    func settle() async throws {
        guard let journal = store.checkJournal else { return }
        while true {
            let entries = try await journal.waiting(limit: Self.movePage)
            if entries.isEmpty { return }
            try await store.transaction { try await $0.checks.insertMissing(entries) }
            try await journal.remove(entries.map(\.id))
        }
    }
}

/// The answers of one group of checks, given once: by the main write's commit or by the journal, whichever
/// comes first; then the group's drain goes on to the next group.
final class GroupAnswer: Sendable {
    private let waiting: Locked<(checks: [CheckedContinuation<Void, any Error>], drain: CheckedContinuation<Void, Never>)?>

    init(_ checks: [CheckedContinuation<Void, any Error>], then drain: CheckedContinuation<Void, Never>) {
        waiting = Locked((checks, drain))
    }

    var given: Bool { waiting.withLock { $0 == nil } }

    /// Answers every check of the group; false when they were answered already.
    @discardableResult
    func give(_ result: Result<Void, any Error>) -> Bool {
        guard let (checks, drain) = waiting.withLock({ w in defer { w = nil }; return w }) else { return false }
        for c in checks { c.resume(with: result) }
        drain.resume()
        return true
    }
}

extension Result where Failure == any Error {
    init(catching body: () async throws -> Success) async {
        do { self = .success(try await body()) } catch { self = .failure(error) }
    }
}
