import Foundation
import Testing
import XinyongEvaluation
import XinyongModel
import XinyongStore
import XinyongTestSupport

/// The evaluation over a real database, on both: every subject graded and stored with its contributions,
/// the change feed followed, grade changes kept as history.
@Suite struct EvaluatorTests {
    static let department = "431000-market_regulation"
    static let today = CivilDate("2026-11-30")!
    static let actor = Actor("test", reason: "evaluation test")

    static func fixture(_ store: Store) async throws -> Evaluator {
        try await store.transaction { repos in
            try await repos.departments.insert([
                Department(id: department, name: "郴州市市场监督管理局", category: "market_regulation", regionCode: "431000", level: .city),
            ], by: actor)
            try await repos.subjects.insert([
                Subject(id: "s-clean", kind: .enterprise, name: "郴州市清白建筑工程有限公司", regionCode: "431002"),
                Subject(id: "s-fined", kind: .enterprise, name: "郴州市罚过餐饮有限公司", regionCode: "431002"),
                Subject(id: "s-black", kind: .enterprise, name: "郴州市失信商贸有限公司", regionCode: "431003"),
            ], by: actor)
        }
        try await record(store, "r-fine", subject: "s-fined", type: "admin_penalty", tier: .general, daysAgo: 0)
        try await record(store, "r-fine-old", subject: "s-fined", type: "admin_penalty", tier: .general, daysAgo: 500)  // no longer public
        try await record(store, "r-black", subject: "s-black", type: "serious_dishonesty", tier: .serious, daysAgo: 10)
        return try await Evaluator.current(store: store, on: today)
    }

    @discardableResult
    static func record(_ store: Store, _ id: String, subject: String, type: String, tier: Tier?, daysAgo: Int) async throws -> CreditRecord {
        let recordType = Catalog.shipped.recordType(type)!
        let decided = today.adding(days: -daysAgo)
        let schedule = try Catalog.shipped.schedule(for: recordType, tier: tier, decisionDate: decided, fields: [:], calendar: .china)
        let record = CreditRecord(id: id, subjectID: subject, recordType: type, catalogVersion: Catalog.shipped.version,
                                  departmentID: department, regionCode: "431002", documentNumber: "doc-\(id)", tier: tier,
                                  decisionDate: decided, legalBasis: "《测试法》第一条", schedule: schedule)
        try await store.transaction { repos in
            try await repos.records.insert([record], by: actor)
            try await repos.changes.append([record], kind: .created, batch: nil)
        }
        return record
    }

    @Test(arguments: Backend.allCases)
    func everySubjectIsGradedWithItsContributions(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let evaluator = try await Self.fixture(store)
            let distribution = try await evaluator.evaluateAll(asOf: Self.today)
            #expect(distribution == [.b: 2, .d: 1])
            let grades = try await store.repositories.evaluations.grades(of: ["s-clean", "s-fined", "s-black", "nobody"])
            #expect(grades == ["s-clean": .b, "s-fined": .b, "s-black": .d])

            let fined = try #require(try await store.repositories.evaluations.find("s-fined"))
            #expect(fined.score == 72)
            #expect(fined.modelVersion == EvaluationModel.shipped.version && fined.asOf == Self.today)
            // Only the public penalty counts; the one whose publicity ended is not read at all.
            #expect(fined.contributions.map(\.recordID) == ["r-fine"])
            #expect(fined.contributions.first?.ruleID == "N01" && fined.contributions.first?.departmentID == Self.department)
            #expect(fined.reasons.map(\.recordID) == ["r-fine"])

            let black = try #require(try await store.repositories.evaluations.find("s-black"))
            #expect(black.vetoes.map(\.vetoID) == ["V01"])
            #expect(black.reasons.first?.code == "V01")

            let byKind = try await store.repositories.evaluations.distribution(by: .industry)
            #expect(byKind.contains(GradeCount(group: Industry.construction.rawValue, grade: "B", n: 1)))
        }
    }

    /// A restart part-way through the day's full run: the next start finishes it the same day.
    @Test(arguments: Backend.allCases)
    func aFullRunStoppedPartWayIsRunAgainTheSameDay(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let evaluator = try await Self.fixture(store)
            let yesterday = Self.today.adding(days: -1)
            _ = try await evaluator.evaluateAll(asOf: yesterday)
            // Today's run had reached one subject when the server stopped.
            try await evaluator.evaluate(subjectIDs: ["s-black"], asOf: Self.today)
            try await EvaluationFollower(evaluator: evaluator).fullRunIfOwed(today: Self.today)
            for id in ["s-clean", "s-fined", "s-black"] {
                #expect(try await store.repositories.evaluations.find(id)?.asOf == Self.today, "\(id) graded as of today")
            }
        }
    }

    @Test(arguments: Backend.allCases)
    func theFollowerRegradesASubjectWhoseRecordsChanged(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let evaluator = try await Self.fixture(store)
            let follower = EvaluationFollower(evaluator: evaluator)
            try await follower.fullRunIfOwed(today: Self.today)
            #expect(try await store.repositories.evaluations.count() == 3)
            #expect(try await follower.step(asOf: Self.today) == 0)  // the full run covered the feed so far

            // Four more penalties on the clean firm: 80 - 24 (capped) = 56, grade C.
            for n in 1...4 {
                try await Self.record(store, "r-new-\(n)", subject: "s-clean", type: "admin_penalty", tier: .general, daysAgo: 1)
            }
            #expect(try await follower.step(asOf: Self.today) == 4)
            let clean = try #require(try await store.repositories.evaluations.find("s-clean"))
            #expect(clean.grade == .c)
            #expect(clean.contributions.count == 4)
            #expect(clean.reasons.count == 4)
            #expect(follower.delayFigures().count == 4)

            // The change of grade is history: B (first grade) then C.
            let changes = try await store.repositories.evaluations.changesByMonth()
            #expect(changes.map(\.grade) == ["B→C"])
            #expect(changes.first?.n == 1)
        }
    }

    @Test(arguments: Backend.allCases)
    func theWhatIfNamesTheGradeWithoutEachNegativeRecord(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let evaluator = try await Self.fixture(store)
            let explanation = try await evaluator.explain(subjectID: "s-black", asOf: Self.today)
            #expect(explanation.result.grade == .d)
            #expect(explanation.whatIfs == [.init(recordID: "r-black", grade: .b, score: 80)])
        }
    }
}
