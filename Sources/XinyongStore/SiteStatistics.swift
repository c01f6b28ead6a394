import SQLKit

extension Repositories {
    public var statistics: SiteStatisticsQueries { .init(db: db) }
}

/// The home page's headline figures, counted in SQL. Each is a plain count over an index; the web layer
/// keeps the result for minutes, so they never run per request.
public struct SiteStatisticsQueries: Sendable {
    let db: any SQLDatabase

    /// Organisations (every subject that is not a natural person).
    public func organisations() async throws -> Int {
        try await db.count("SELECT COUNT(*) AS n FROM subjects WHERE kind <> 'natural_person'")
    }

    /// Active, published records of `type` decided from `from` (inclusive) to `to` (exclusive), dates as `YYYY-MM-DD`.
    public func published(type: String, decidedFrom from: String, to: String, on today: String) async throws -> Int {
        try await db.count("""
            SELECT COUNT(*) AS n FROM credit_records WHERE record_type = \(bind: type) AND decision_date >= \(bind: from)
            AND decision_date < \(bind: to) AND status = 'active' AND publicity_start <= \(bind: today) AND publicity_end > \(bind: today)
            """)
    }

    /// Current members of a list on `today`.
    public func members(of list: String, on today: String) async throws -> Int {
        try await db.count("""
            SELECT COUNT(*) AS n FROM list_memberships WHERE list = \(bind: list) AND state = 'listed'
            AND start_date <= \(bind: today) AND end_date > \(bind: today)
            """)
    }
}
