import FluentKit
import SQLKit

/// Who received each record, how far each recipient has read the change feed, and whether every
/// correction, withdrawal and repair reached every recipient (by its feed cursor or its webhook).
struct M0010Recipients: AsyncMigration {
    var name: String { "0010_recipients" }

    func prepare(on database: any FluentKit.Database) async throws {
        let sql = database as! any SQLDatabase
        let statements = [
            // One row per record and recipient (a department or a recipient key): the first time the record
            // reached it, through the feed (`reference` = the change's seq) or a check (the check id).
            """
            CREATE TABLE record_recipients (
                subject_id TEXT NOT NULL, record_id TEXT NOT NULL, recipient_kind TEXT NOT NULL, recipient TEXT NOT NULL,
                via TEXT NOT NULL, reference TEXT NOT NULL, received_at TEXT NOT NULL,
                PRIMARY KEY (subject_id, record_id, recipient_kind, recipient))
            """,
            // A recipient's feed position: `acked_seq` is the highest `since` it asked with (it holds every change up
            // to there), `read_seq` the highest `next_cursor` it was given. One row per recipient: not a hot table.
            """
            CREATE TABLE feed_cursors (
                recipient_kind TEXT NOT NULL, recipient TEXT NOT NULL, acked_seq BIGINT NOT NULL, read_seq BIGINT NOT NULL,
                read_at TEXT NOT NULL, PRIMARY KEY (recipient_kind, recipient))
            """,
            // What each recipient must be told: one row per correction/withdrawal/repair and recipient of the record
            // at that moment, with the webhook's delivery state (`none` without a webhook, pending, delivered,
            // skipped when the feed cursor had already passed the change, failed after the last attempt).
            """
            CREATE TABLE record_deliveries (
                subject_id TEXT NOT NULL, record_id TEXT NOT NULL, seq BIGINT NOT NULL, recipient_kind TEXT NOT NULL,
                recipient TEXT NOT NULL, change TEXT NOT NULL, changed_at TEXT NOT NULL, webhook_state TEXT NOT NULL,
                webhook_attempts BIGINT NOT NULL, webhook_next_at TEXT, webhook_delivered_at TEXT, webhook_last_error TEXT,
                PRIMARY KEY (subject_id, record_id, seq, recipient_kind, recipient))
            """,
            "CREATE INDEX record_deliveries_seq ON record_deliveries (seq)",
            "CREATE INDEX record_deliveries_webhook ON record_deliveries (webhook_state, webhook_next_at)",
            // The secret signs every POST (HMAC-SHA256), so it is kept as is, like a TOTP secret.
            """
            CREATE TABLE department_webhooks (
                department_id TEXT PRIMARY KEY REFERENCES departments (id), url TEXT NOT NULL, secret TEXT NOT NULL,
                set_by TEXT NOT NULL, set_at TEXT NOT NULL)
            """,
            // Verifying a report looks up later changes of its records; the office lists the told changes newest first.
            "CREATE INDEX changes_record ON changes (record_id, seq)",
            "CREATE INDEX changes_change ON changes (change, seq)",
        ]
        for statement in statements {
            try await sql.raw(SQLQueryString(statement)).run()
        }
    }

    func revert(on database: any FluentKit.Database) async throws {
        let sql = database as! any SQLDatabase
        for table in ["department_webhooks", "record_deliveries", "feed_cursors", "record_recipients"] {
            try await sql.drop(table: table).run()
        }
        for index in ["changes_record", "changes_change"] { try await sql.raw("DROP INDEX \(unsafeRaw: index)").run() }
    }
}
