import Foundation
import Synchronization
import XinyongModel
import XinyongStore

/// Keeps grades current while the server runs: every two seconds it re-evaluates the subjects whose records
/// changed on the change feed, and once a day (Beijing date) it evaluates everyone again, because age
/// fades points and publicity ends by the calendar, not by a change. Work goes in pages of short
/// transactions so that checks and imports interleave.
public final class EvaluationFollower: Sendable {
    public let evaluator: Evaluator
    /// When each processed change happened and how long it waited for its subject's new grade, the latest 10,000.
    private let delays = Mutex<[(at: Date, waited: Double)]>([])
    private let fullRunDay = Mutex<CivilDate?>(nil)

    public static let interval = Duration.seconds(2)
    static let changesPerStep = 5_000
    static let delaysKept = 10_000

    public init(evaluator: Evaluator) { self.evaluator = evaluator }

    /// Follows until cancelled; errors are reported and the next round tries again.
    public func run(report: @Sendable (any Error) -> Void) async {
        while !Task.isCancelled {
            do {
                try await fullRunIfOwed(today: .today())
                while try await step(asOf: .today()) == Self.changesPerStep {}
            } catch { report(error) }
            try? await Task.sleep(for: Self.interval)
        }
    }

    /// Evaluates everyone when some result has an earlier cut-off than today (the first start, a new day, or
    /// a run that a restart stopped part-way) or some subject has none.
    public func fullRunIfOwed(today: CivilDate) async throws {
        let repos = evaluator.store.repositories.evaluations
        if fullRunDay.withLock({ $0 }) == today { return }
        let oldest = try await repos.oldestAsOf()
        let graded = try await repos.count()
        let subjects = try await evaluator.store.repositories.subjects.count()
        if subjects > 0, oldest != today || graded < subjects {
            try await evaluator.evaluateAll(asOf: today)
        }
        fullRunDay.withLock { $0 = today }
    }

    /// Re-evaluates the subjects of the next changes on the feed; answers how many changes it read.
    @discardableResult
    public func step(asOf: CivilDate) async throws -> Int {
        let repos = evaluator.store.repositories.evaluations
        let changes = try await repos.changes(after: try await repos.cursor(), limit: Self.changesPerStep)
        guard let last = changes.last else { return 0 }
        try await evaluator.evaluate(subjectIDs: Array(Set(changes.map(\.subjectID))).sorted(), asOf: asOf)
        try await evaluator.store.transaction { try await $0.evaluations.moveCursor(to: last.seq) }
        let now = Date()
        let waited = changes.compactMap { change in Timestamp.parse(change.at).map { (at: $0, waited: now.timeIntervalSince($0)) } }
        delays.withLock { kept in
            kept.append(contentsOf: waited)
            if kept.count > Self.delaysKept { kept.removeFirst(kept.count - Self.delaysKept) }
        }
        return changes.count
    }

    /// The delay from a record change to its subject's new grade over the latest changes (those made at or
    /// after `since`, when given): (p50, p95, max, count) in seconds.
    public func delayFigures(since: Date? = nil) -> (p50: Double, p95: Double, max: Double, count: Int) {
        let sorted = delays.withLock { $0 }.filter { since == nil || $0.at >= since! }.map(\.waited).sorted()
        guard !sorted.isEmpty else { return (0, 0, 0, 0) }
        func quantile(_ q: Double) -> Double { sorted[min(sorted.count - 1, Int((Double(sorted.count) * q).rounded(.up)) - 1)] }
        return (quantile(0.5), quantile(0.95), sorted.last!, sorted.count)
    }
}
