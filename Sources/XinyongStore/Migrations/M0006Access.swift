import FluentKit
import SQLKit

/// The office's people and their sessions; the audit trail learns whose department and which subject
/// an entry concerns, so that the office can search it by both.
struct M0006Access: AsyncMigration {
    var name: String { "0006_access" }

    func prepare(on database: any FluentKit.Database) async throws {
        let sql = database as! any SQLDatabase
        let statements = [
            // Passwords only as bcrypt hashes. A disabled user keeps its row (the audit trail names it).
            """
            CREATE TABLE users (
                id TEXT PRIMARY KEY, name TEXT NOT NULL, role TEXT NOT NULL,
                department_id TEXT REFERENCES departments (id), region_code TEXT REFERENCES regions (code),
                password_hash TEXT NOT NULL, must_change_password BOOLEAN NOT NULL, totp_secret TEXT,
                created_at TEXT NOT NULL, password_changed_at TEXT NOT NULL, disabled_at TEXT)
            """,
            "CREATE UNIQUE INDEX users_name ON users (name)",
            // A session is stored as the SHA-256 of its cookie, so a copy of the table logs nobody in.
            """
            CREATE TABLE sessions (
                token_hash TEXT PRIMARY KEY, user_id TEXT NOT NULL REFERENCES users (id), csrf_token TEXT NOT NULL,
                second_factor_pending BOOLEAN NOT NULL, address TEXT, created_at TEXT NOT NULL,
                last_seen_at TEXT NOT NULL, expires_at TEXT NOT NULL, revoked_at TEXT)
            """,
            "CREATE INDEX sessions_user ON sessions (user_id)",
            "ALTER TABLE audit_log ADD COLUMN department_id TEXT",
            "ALTER TABLE audit_log ADD COLUMN subject_id TEXT",
            "CREATE INDEX audit_log_at ON audit_log (at)",
            "CREATE INDEX audit_log_actor ON audit_log (actor, at)",
            "CREATE INDEX audit_log_subject ON audit_log (subject_id, at)",
            "CREATE INDEX audit_log_department ON audit_log (department_id, at)",
        ]
        for statement in statements {
            try await sql.raw(SQLQueryString(statement)).run()
        }
    }

    func revert(on database: any FluentKit.Database) async throws {
        let sql = database as! any SQLDatabase
        for table in ["sessions", "users"] { try await sql.drop(table: table).run() }
    }
}
