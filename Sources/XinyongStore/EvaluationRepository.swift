import FluentKit
import Foundation
import SQLKit
import XinyongModel

extension Repositories {
    public var evaluations: EvaluationRepository { .init(db: db) }
}

/// Public credit evaluation: the installed models, one current result per subject with its contributions,
/// and the history of grade changes. Keyed by subject like the records.
struct M0012Evaluation: AsyncMigration {
    var name: String { "0012_evaluation" }

    func prepare(on database: any FluentKit.Database) async throws {
        let sql = database as! any SQLDatabase
        let statements = [
            """
            CREATE TABLE evaluation_models (
                version BIGINT PRIMARY KEY, effective_from TEXT NOT NULL, definition TEXT NOT NULL, digest TEXT NOT NULL,
                loaded_at TEXT NOT NULL)
            """,
            """
            CREATE TABLE evaluation_results (
                subject_id TEXT PRIMARY KEY, model_version BIGINT NOT NULL, as_of TEXT NOT NULL,
                score DOUBLE PRECISION NOT NULL, grade TEXT NOT NULL, veto TEXT, reasons TEXT NOT NULL,
                evaluated_at TEXT NOT NULL)
            """,
            "CREATE INDEX evaluation_results_grade ON evaluation_results (grade)",
            """
            CREATE TABLE evaluation_contributions (
                subject_id TEXT NOT NULL, record_id TEXT NOT NULL, rule_id TEXT NOT NULL, department_id TEXT NOT NULL,
                record_type TEXT NOT NULL, record_date TEXT NOT NULL, expiry TEXT NOT NULL,
                raw_points DOUBLE PRECISION NOT NULL, points DOUBLE PRECISION NOT NULL,
                PRIMARY KEY (subject_id, record_id))
            """,
            // One row per change of grade (and the first grade): what the office's "changes over time" counts.
            """
            CREATE TABLE evaluation_history (
                subject_id TEXT NOT NULL, evaluated_at TEXT NOT NULL, model_version BIGINT NOT NULL, as_of TEXT NOT NULL,
                previous_grade TEXT, grade TEXT NOT NULL, score DOUBLE PRECISION NOT NULL,
                PRIMARY KEY (subject_id, evaluated_at))
            """,
            "CREATE INDEX evaluation_history_at ON evaluation_history (evaluated_at)",
        ]
        for statement in statements {
            try await sql.raw(SQLQueryString(statement)).run()
        }
    }

    func revert(on database: any FluentKit.Database) async throws {
        let sql = database as! any SQLDatabase
        for table in ["evaluation_history", "evaluation_contributions", "evaluation_results", "evaluation_models"] {
            try await sql.drop(table: table).run()
        }
    }
}

public struct EvaluationRepository: Sendable {
    let db: any SQLDatabase

    private struct GradeRow: Decodable { let subject_id: String; let grade: String }

    /// The current grade of each subject that has one; subjects never evaluated are absent.
    public func grades(of subjectIDs: [String]) async throws -> [String: Grade] {
        var grades: [String: Grade] = [:]
        for chunk in stride(from: 0, to: subjectIDs.count, by: 500).map({ Array(subjectIDs[$0..<min($0 + 500, subjectIDs.count)]) }) {
            let rows = try await db.select().columns("subject_id", "grade").from("evaluation_results")
                .where("subject_id", .in, chunk).all(decoding: GradeRow.self)
            for row in rows {
                guard let grade = Grade(rawValue: row.grade) else {
                    throw StoredDataError(description: "evaluation_results.grade '\(row.grade)' for \(row.subject_id) is not a grade")
                }
                grades[row.subject_id] = grade
            }
        }
        return grades
    }
}
