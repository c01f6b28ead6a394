import FluentKit
import SQLKit

/// The expiry announcer's look-up by an index of the records still to announce. Through the plain index on
/// `publicity_end` every page stepped over all the records already announced, so the announcer slowed as it
/// went (about 1,000 records a second after two million, holding the writer meanwhile); the partial index
/// holds only what is left.
struct M0020UnannouncedExpiries: AsyncMigration {
    var name: String { "0020_unannounced_expiries" }

    func prepare(on database: any FluentKit.Database) async throws {
        try await (database as! any SQLDatabase).raw("""
            CREATE INDEX credit_records_unannounced ON credit_records (publicity_end, id)
            WHERE status = 'active' AND expiry_announced IS NULL
            """).run()
    }

    func revert(on database: any FluentKit.Database) async throws {
        try await (database as! any SQLDatabase).raw("DROP INDEX credit_records_unannounced").run()
    }
}
