import FluentKit
import SQLKit

/// Numbered migrations, in the order they run; each is a file of its own in Migrations/, named after its
/// type. Append only: a landed migration is never edited, and its `name` never changes (databases record it).
///
/// Portable SQL: text for dates (`YYYY-MM-DD`) and instants (ISO 8601 UTC), text for JSON documents,
/// BIGINT/DOUBLE PRECISION/BOOLEAN which both databases understand. Hot tables are keyed by subject
/// so that they can be distributed by subject (Citus, YugabyteDB).
enum Schema {
    static let migrations: [any Migration] = [M0001Initial(), M0002Exchange(), M0003Monitoring(), M0004Search(), M0005JointMeasures(), M0006Access(), M0007MonitoringResults(), M0008DueProcess(), M0009AuditChain(), M0010Recipients(), M0011Notices(), M0012Evaluation(), M0013Inspections(), M0014Commitments(), M0015Agencies(), M0016Consents(), M0017Articles(), M0018Parks(), M0020UnannouncedExpiries(), M0021FeedOrder()]
}
