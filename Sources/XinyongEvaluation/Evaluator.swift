import Foundation
import XinyongModel
import XinyongStore

/// Public credit evaluation over the store: evaluates every subject page by page, or the subjects whose
/// records changed, and explains a subject's grade.
public struct Evaluator: Sendable {
    public let store: Store
    public let scoring: ScoringModel
    /// The record types some rule or veto scores; the rest are never read.
    let types: [String]

    /// Subjects per page of a full run: one read and one short write transaction each.
    public static let pageSize = 2_000

    public init(store: Store, scoring: ScoringModel, catalog: Catalog) {
        self.store = store
        self.scoring = scoring
        types = catalog.recordTypes.map(\.code).filter { code in
            scoring.rule(for: code, tier: nil) != nil || Tier.allCases.contains { scoring.rule(for: code, tier: $0) != nil }
                || scoring.model.vetoes.contains { $0.recordType == code || $0.list.map { CreditList(recordType: code) == $0 } == true }
        }
    }

    /// The evaluator for the installed model in force on `date`, installing the shipped model first if the
    /// database has none.
    public static func current(store: Store, on date: CivilDate = .today()) async throws -> Evaluator {
        let repos = store.repositories
        if try await repos.evaluations.model(version: EvaluationModel.shipped.version) == nil {
            try await store.transaction { try await $0.evaluations.install(.shipped, by: .system("shipped evaluation model")) }
        }
        // A database whose models all take effect later (a test's past date) uses the shipped one.
        let inForce = try await repos.evaluations.model(on: date)
        let model = inForce ?? .shipped
        let catalog = try await repos.catalog.current(on: date) ?? .shipped
        return Evaluator(store: store, scoring: try model.compile(for: catalog), catalog: catalog)
    }

    /// Evaluates every subject as of `asOf`; `progress` hears (subjects done, subjects in all). The run covers
    /// every change on the feed when it starts, so the follower's cursor moves there once it ends (changes
    /// arriving meanwhile are followed afterwards, and a demo's or an import's changes are not replayed).
    @discardableResult
    public func evaluateAll(asOf: CivilDate, progress: @Sendable (Int, Int) -> Void = { _, _ in }) async throws -> [Grade: Int] {
        let covered = try await store.repositories.evaluations.latestChange()
        let total = try await store.repositories.subjects.count()
        var distribution: [Grade: Int] = [:]
        var after: String? = nil
        var done = 0
        while true {
            let page = try await store.repositories.evaluations.subjects(after: after, limit: Self.pageSize)
            guard let last = page.last else { break }
            let records = try await store.repositories.evaluations.countedRecords(
                in: SubjectRange(after: after, through: last.id), types: types, asOf: asOf)
            // Scoring a page is the run's own CPU work, done at low priority so that requests go first.
            let results = try await BackgroundThreads.run { [self] in score(page, records: records, asOf: asOf) }
            try await save(results)
            for item in results { distribution[item.result.grade, default: 0] += 1 }
            done += page.count
            progress(done, total)
            after = last.id
        }
        try await store.transaction { repos in
            if try await repos.evaluations.cursor() < covered { try await repos.evaluations.moveCursor(to: covered) }
        }
        return distribution
    }

    /// Re-evaluates the given subjects (those whose records changed).
    public func evaluate(subjectIDs: [String], asOf: CivilDate) async throws {
        for start in stride(from: 0, to: subjectIDs.count, by: 500) {
            let ids = Array(subjectIDs[start..<min(start + 500, subjectIDs.count)])
            let subjects = try await store.repositories.evaluations.subjects(ids: ids)
            let records = try await store.repositories.evaluations.countedRecords(of: ids, types: types, asOf: asOf)
            try await save(score(subjects, records: records, asOf: asOf))
        }
    }

    private func score(_ subjects: [(id: String, name: String)], records: [String: [EvaluatedRecord]], asOf: CivilDate)
        -> [(subjectID: String, industry: String, result: EvaluationResult)]
    {
        subjects.map { subject in
            (subject.id, Industry.infer(fromName: subject.name).rawValue, scoring.evaluate(records[subject.id] ?? [], asOf: asOf))
        }
    }

    private func save(_ results: [(subjectID: String, industry: String, result: EvaluationResult)]) async throws {
        let at = Timestamp.now()
        try await store.transaction { repos in try await repos.evaluations.save(results, evaluatedAt: at) }
    }

    /// A subject's records scored again now, with a what-if for each negative record: the grade it would
    /// have if that record were repaired.
    public func explain(subjectID: String, asOf: CivilDate) async throws -> Explanation {
        let records = try await store.repositories.evaluations.countedRecords(of: [subjectID], types: types, asOf: asOf)[subjectID] ?? []
        let result = scoring.evaluate(records, asOf: asOf)
        let whatIfs = result.contributions.filter { $0.points < 0 }.sorted { $0.points < $1.points }.map { c in
            let other = scoring.whatIf(records, asOf: asOf, without: c.recordID)
            return Explanation.WhatIf(recordID: c.recordID, grade: other.grade, score: other.score)
        }
        return Explanation(result: result, whatIfs: whatIfs)
    }
}

/// Why a subject has its grade, and what repairing each negative record would change.
public struct Explanation: Sendable {
    public struct WhatIf: Sendable, Equatable {
        public let recordID: String
        public let grade: Grade
        public let score: Double

        public init(recordID: String, grade: Grade, score: Double) {
            self.recordID = recordID
            self.grade = grade
            self.score = score
        }
    }

    public let result: EvaluationResult
    public let whatIfs: [WhatIf]
}
