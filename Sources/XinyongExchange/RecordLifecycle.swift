import XinyongModel
import XinyongStore

/// Changes to a record after it was submitted, each announced on the change feed so that every
/// recipient (county platforms, departments, agencies) learns of it.
public enum RecordLifecycle {
    public struct NotFound: Error, CustomStringConvertible {
        public let description: String
    }

    /// A department withdraws one of its own records.
    public static func withdraw(recordID: String, department: String?, reason: String, store: Store, by actor: Actor) async throws -> CreditRecord {
        try await store.transaction { repos in
            guard let record = try await repos.records.find(id: recordID), department == nil || record.departmentID == department else {
                throw NotFound(description: "no record \(recordID) of this department")
            }
            return try await withdraw(record, reason: reason, repos: repos, by: actor)
        }
    }

    /// Withdraws `record` in the caller's transaction (a department's withdrawal, an upheld objection).
    public static func withdraw(_ record: CreditRecord, reason: String, repos: Repositories, by actor: Actor) async throws -> CreditRecord {
        guard let withdrawn = try await repos.records.withdraw(id: record.id, by: Actor(actor.name, reason: reason, department: actor.departmentID)) else {
            throw NotFound(description: "record \(record.id) is already withdrawn")
        }
        try await repos.changes.append([withdrawn], kind: .withdrawn, batch: nil)
        return withdrawn
    }

    /// Credit repair, all in the caller's transaction: publicity ends `today`, so the record leaves the public
    /// site, profiles and new reports; its list memberships end with reason `repaired` (so checks stop
    /// applying them); a `repaired` event goes on the feed for every recipient.
    public static func repair(_ record: CreditRecord, on today: CivilDate, repos: Repositories, by actor: Actor) async throws -> CreditRecord {
        var repaired = record
        repaired.status = .repaired
        repaired.schedule.end = min(record.schedule.end ?? today, today)
        try await repos.records.markRepaired(repaired, by: actor)
        try await repos.lists.sync([repaired], by: actor, batch: nil, today: today)
        try await repos.changes.append([repaired], kind: .repaired, batch: nil)
        return repaired
    }

    /// Records announced per transaction: small, so that a first start over millions of ended records holds
    /// the one SQLite writer for milliseconds at a time and departments' batches take turns with it.
    static let announcePage = 500

    /// Announces every record whose publicity has ended, page by page. Returns how many.
    /// Idempotent: each end is announced once.
    @discardableResult
    public static func announceExpiries(store: Store, on date: CivilDate = .today()) async throws -> Int {
        var total = 0
        while true {
            let count = try await store.transaction { repos in
                let due = try await repos.records.expiredUnannounced(on: date, limit: announcePage)
                try await repos.changes.append(due, kind: .expired, batch: nil)
                // A list membership founded by the record ends with its publicity: delisted on the feed and audited.
                try await repos.lists.sync(due, by: .system("publicity ended on \(date)"), batch: nil, today: date)
                try await repos.records.markExpiryAnnounced(due, on: date)
                return due.count
            }
            total += count
            if count < announcePage { return total }
        }
    }

    /// Starts the listing of every record whose notice's statement period ended before `date` without a
    /// statement (membership from `date`, `listed` on the feed, audited), in transactions of 200. Returns how
    /// many notices it settled. Idempotent: a listed notice is not listed again.
    @discardableResult
    public static func listAfterNotice(store: Store, on date: CivilDate = .today()) async throws -> Int {
        var total = 0
        while true {
            let count = try await store.transaction { repos in
                try await repos.notices.activateDue(on: date, limit: 200, by: .system("statement period of the notice ended on \(date.adding(days: -1)) or before"))
            }
            total += count
            if count < 200 { return total }
        }
    }
}
