import FluentKit
import SQLKit

/// Graded supervision and double-random inspections: departments' risk mappings (versioned, never
/// rewritten), published plans with their frozen candidate lists, draws and results.
struct M0013Inspections: AsyncMigration {
    var name: String { "0013_inspections" }

    func prepare(on database: any FluentKit.Database) async throws {
        let sql = database as! any SQLDatabase
        let statements = [
            """
            CREATE TABLE inspection_mappings (
                department_id TEXT NOT NULL, version BIGINT NOT NULL, mapping TEXT NOT NULL,
                created_at TEXT NOT NULL, created_by TEXT NOT NULL, PRIMARY KEY (department_id, version))
            """,
            // The plan column holds the canonical JSON whose SHA-256 is plan_sha256, byte for byte as published.
            """
            CREATE TABLE inspection_plans (
                id TEXT PRIMARY KEY, department_id TEXT NOT NULL, title TEXT NOT NULL, plan TEXT NOT NULL,
                plan_sha256 TEXT NOT NULL, public_value_on TEXT NOT NULL, status TEXT NOT NULL, public_value TEXT,
                seed TEXT, drawn_at TEXT, published_at TEXT NOT NULL, created_by TEXT NOT NULL)
            """,
            "CREATE INDEX inspection_plans_department ON inspection_plans (department_id, published_at)",
            """
            CREATE TABLE inspection_candidates (
                plan_id TEXT NOT NULL, subject_id TEXT NOT NULL, risk_class TEXT NOT NULL, region_code TEXT NOT NULL,
                PRIMARY KEY (plan_id, subject_id))
            """,
            """
            CREATE TABLE inspection_targets (
                plan_id TEXT NOT NULL, subject_id TEXT NOT NULL, risk_class TEXT NOT NULL, rank BIGINT NOT NULL,
                draw_key TEXT NOT NULL, inspectors TEXT NOT NULL, result TEXT, result_on TEXT, result_record_id TEXT,
                PRIMARY KEY (plan_id, subject_id))
            """,
        ]
        for statement in statements {
            try await sql.raw(SQLQueryString(statement)).run()
        }
    }

    func revert(on database: any FluentKit.Database) async throws {
        let sql = database as! any SQLDatabase
        for table in ["inspection_targets", "inspection_candidates", "inspection_plans", "inspection_mappings"] {
            try await sql.drop(table: table).run()
        }
    }
}
