import FluentKit
import SQLKit

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
                evaluated_at TEXT NOT NULL, industry TEXT)
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
            // How far along the change feed the grades are: one row, moved without an audit row each time.
            "CREATE TABLE evaluation_cursor (id BIGINT PRIMARY KEY, seq BIGINT NOT NULL)",
        ]
        for statement in statements {
            try await sql.raw(SQLQueryString(statement)).run()
        }
    }

    func revert(on database: any FluentKit.Database) async throws {
        let sql = database as! any SQLDatabase
        for table in ["evaluation_cursor", "evaluation_history", "evaluation_contributions", "evaluation_results", "evaluation_models"] {
            try await sql.drop(table: table).run()
        }
    }
}
