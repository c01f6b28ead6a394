import Foundation
import XinyongModel
import XinyongStore

/// The home page's headline figures: organisations, records, double publicity this month, list sizes, checks
/// before handling this month.
public struct SiteStatistics: Sendable {
    public let asOf: CivilDate
    public let organisations: Int
    public let records: Int
    public let licencesThisMonth: Int
    public let penaltiesThisMonth: Int
    public let lists: [(list: CreditList, members: Int)]
    /// Checks departments asked since the month began in Beijing time.
    public let checksThisMonth: Int

    public static func count(store: Store, on today: CivilDate = .today()) async throws -> SiteStatistics {
        let repos = store.repositories
        let (year, month, _) = today.components
        let monthStart = CivilDate(year: year, month: month, day: 1)!
        let nextMonth = month == 12 ? CivilDate(year: year + 1, month: 1, day: 1)! : CivilDate(year: year, month: month + 1, day: 1)!
        let (from, to, day) = (monthStart.description, nextMonth.description, today.description)
        var lists: [(CreditList, Int)] = []
        for list in CreditList.allCases { lists.append((list, try await repos.statistics.members(of: list.rawValue, on: day))) }
        return SiteStatistics(
            asOf: today, organisations: try await repos.statistics.organisations(), records: try await repos.records.count(),
            licencesThisMonth: try await repos.statistics.published(type: "admin_licence", decidedFrom: from, to: to, on: day),
            penaltiesThisMonth: try await repos.statistics.published(type: "admin_penalty", decidedFrom: from, to: to, on: day),
            lists: lists,
            checksThisMonth: try await repos.checks.count(since: monthStart.startInstant))
    }
}

/// The figures kept for ten minutes: counting millions of rows per home page view would be waste.
public actor SiteStatisticsCache {
    private var kept: (SiteStatistics, Date)?
    private var refreshing = false
    let store: Store

    public init(store: Store) { self.store = store }

    /// The kept figures; the first call counts, later ones refresh in the background once they are stale.
    public func current() async throws -> SiteStatistics {
        if let (figures, at) = kept {
            if Date().timeIntervalSince(at) > 600, !refreshing {
                refreshing = true
                Task { await self.refresh() }
            }
            return figures
        }
        let figures = try await SiteStatistics.count(store: store)
        kept = (figures, Date())
        return figures
    }

    private func refresh() async {
        if let figures = try? await SiteStatistics.count(store: store) { kept = (figures, Date()) }
        refreshing = false
    }
}
