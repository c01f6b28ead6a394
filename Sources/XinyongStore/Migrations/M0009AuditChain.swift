import FluentKit
import SQLKit

/// The audit trail's hash chain and its signed checkpoints (issue 11, part 5). Both tables are insert-only,
/// like `audit_log`; on PostgreSQL TRUNCATE is refused as well, and every INSERT into `audit_log` takes a
/// shared advisory lock for the rest of its transaction, so that the sealer can learn (without waiting)
/// below which id no transaction is still in flight. See docs/decisions.md, "The audit chain".
struct M0009AuditChain: AsyncMigration {
    var name: String { "0009_audit_chain" }

    /// The advisory lock an `audit_log` insert holds shared until its transaction ends.
    static let insertLock = 7_349_100_011

    func prepare(on database: any FluentKit.Database) async throws {
        let sql = database as! any SQLDatabase
        let sqlite = sql.dialect.name == "sqlite"
        let serial = sqlite ? "INTEGER PRIMARY KEY AUTOINCREMENT" : "BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY"
        var statements = [
            // One link per sealed audit_log row; `position` is its 1-based place in the chain.
            """
            CREATE TABLE audit_chain (
                id BIGINT PRIMARY KEY, position BIGINT NOT NULL, content_hash TEXT NOT NULL,
                prev_hash TEXT NOT NULL, hash TEXT NOT NULL, sealed_at TEXT NOT NULL)
            """,
            // Two sealers racing for the same place: one of them fails and retries on its next round.
            "CREATE UNIQUE INDEX audit_chain_position ON audit_chain (position)",
            "CREATE UNIQUE INDEX audit_chain_prev ON audit_chain (prev_hash)",
            """
            CREATE TABLE audit_checkpoints (
                id \(serial), length BIGINT NOT NULL, last_id BIGINT NOT NULL, head TEXT NOT NULL,
                at TEXT NOT NULL, key_id TEXT NOT NULL, signature TEXT NOT NULL)
            """,
        ]
        if sqlite {
            for table in ["audit_chain", "audit_checkpoints"] {
                for op in ["UPDATE", "DELETE"] {
                    statements.append("""
                        CREATE TRIGGER \(table)_no_\(op.lowercased()) BEFORE \(op) ON \(table)
                        BEGIN SELECT RAISE(ABORT, '\(table) is append-only'); END
                        """)
                }
            }
        } else {
            statements += [
                """
                CREATE FUNCTION insert_only() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN RAISE EXCEPTION '% is append-only', TG_TABLE_NAME; END $$
                """,
                """
                CREATE FUNCTION audit_log_insert_lock() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN PERFORM pg_advisory_xact_lock_shared(\(Self.insertLock)); RETURN NULL; END $$
                """,
                // Fires before the statement's rows (and their ids) are made, so every id handed out belongs
                // to a transaction that holds the lock.
                """
                CREATE TRIGGER audit_log_insert_lock BEFORE INSERT ON audit_log
                FOR EACH STATEMENT EXECUTE FUNCTION audit_log_insert_lock()
                """,
                """
                CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
                FOR EACH STATEMENT EXECUTE FUNCTION insert_only()
                """,
            ]
            for table in ["audit_chain", "audit_checkpoints"] {
                statements += [
                    """
                    CREATE TRIGGER \(table)_no_change BEFORE UPDATE OR DELETE ON \(table)
                    FOR EACH ROW EXECUTE FUNCTION insert_only()
                    """,
                    """
                    CREATE TRIGGER \(table)_no_truncate BEFORE TRUNCATE ON \(table)
                    FOR EACH STATEMENT EXECUTE FUNCTION insert_only()
                    """,
                ]
            }
        }
        for statement in statements {
            try await sql.raw(SQLQueryString(statement)).run()
        }
    }

    func revert(on database: any FluentKit.Database) async throws {
        let sql = database as! any SQLDatabase
        for table in ["audit_checkpoints", "audit_chain"] { try await sql.drop(table: table).run() }
        if sql.dialect.name != "sqlite" {
            try await sql.raw("DROP TRIGGER audit_log_insert_lock ON audit_log").run()
            try await sql.raw("DROP TRIGGER audit_log_no_truncate ON audit_log").run()
            try await sql.raw("DROP FUNCTION audit_log_insert_lock()").run()
            try await sql.raw("DROP FUNCTION insert_only()").run()
        }
    }
}
