import FluentKit
import SQLKit

/// The change feed in commit order on PostgreSQL. `changes.seq` is drawn from a sequence when a row is
/// inserted, not when its transaction commits, so a reader asking for `seq > cursor` could move past a change
/// whose transaction commits after a higher-numbered one, and never see it. Every transaction that inserts
/// into `changes` first takes a shared advisory lock, once, whose key carries its *floor*: the sequence's last
/// value at that moment, below every seq the transaction can still get. Readers go no further than the lowest
/// floor held (``ChangeFeed/settledBound()``). Shared locks do not block each other, so writers still run side
/// by side. SQLite has one writer at a time, so its seqs commit in order and it needs none of this.
struct M0021FeedOrder: AsyncMigration {
    var name: String { "0021_feed_order" }

    /// Floor keys are this plus the floor, far above the audit trail's lock (`M0009AuditChain.insertLock`).
    static let floorLockBase: Int64 = 1 << 56

    func prepare(on database: any FluentKit.Database) async throws {
        let sql = database as! any SQLDatabase
        guard sql.dialect.name != "sqlite" else { return }
        try await sql.raw("""
            CREATE FUNCTION changes_insert_floor() RETURNS trigger LANGUAGE plpgsql AS $$
            DECLARE floor bigint;
            BEGIN
                IF COALESCE(current_setting('xinyong.feed_floor', true), '') = '' THEN
                    floor := COALESCE(pg_sequence_last_value(pg_get_serial_sequence('changes', 'seq')::regclass), 0);
                    PERFORM pg_advisory_xact_lock_shared(\(unsafeRaw: String(Self.floorLockBase)) + floor);
                    PERFORM set_config('xinyong.feed_floor', floor::text, true);
                END IF;
                RETURN NULL;
            END $$
            """).run()
        // Before the statement's rows (and their seqs) are made, as for the audit trail's lock.
        try await sql.raw("""
            CREATE TRIGGER changes_insert_floor BEFORE INSERT ON changes
            FOR EACH STATEMENT EXECUTE FUNCTION changes_insert_floor()
            """).run()
    }

    func revert(on database: any FluentKit.Database) async throws {
        let sql = database as! any SQLDatabase
        guard sql.dialect.name != "sqlite" else { return }
        try await sql.raw("DROP TRIGGER changes_insert_floor ON changes").run()
        try await sql.raw("DROP FUNCTION changes_insert_floor()").run()
    }
}
