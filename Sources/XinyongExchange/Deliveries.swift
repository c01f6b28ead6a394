import Foundation
import XinyongModel
import XinyongStore

/// Whether each correction, withdrawal and repair reached every recipient of its record: a recipient is reached
/// when its feed cursor has passed the change (it asked for the feed from there on) or its webhook answered 2xx.
public enum Deliveries {
    /// One recipient of one change.
    public struct Recipient: Sendable, Encodable, Equatable {
        /// department or key.
        public let kind: String
        public let id: String
        public let name: String
        public let reached: Bool
        /// feed (its cursor passed the change) or webhook; nil while not reached.
        public let reachedBy: String?
        /// How the record first reached it: feed or check.
        public let receivedVia: String?
        /// none (no webhook), pending, delivered, skipped (its cursor was first), failed (attempts exhausted).
        public let webhook: String
        public let webhookAttempts: Int
        public let webhookLastError: String?
        /// Seconds since the change, for a recipient not yet reached.
        public let overdueSeconds: Int?
    }

    /// One told change and its recipients.
    public struct Line: Sendable, Encodable, Equatable {
        public let seq: Int
        /// corrected, withdrawn, repaired.
        public let change: String
        public let at: String
        public let recordId, subjectId, recordType, departmentId, departmentName: String
        public let recipientsTotal: Int
        public let reachedCount: Int
        public let recipients: [Recipient]

        public var missing: [Recipient] { recipients.filter { !$0.reached } }
    }

    /// The newest told changes of records within `region` (nil: the city), before `seq` when given.
    public static func recent(store: Store, region: String?, before seq: Int? = nil, limit: Int = 50, now: Date = Date()) async throws -> [Line] {
        let changes = try await store.repositories.recipients.toldChanges(before: seq, region: region, limit: limit)
        return try await lines(changes, store: store, now: now)
    }

    /// One told change, if it is one and its record is within `region`.
    public static func one(seq: Int, store: Store, region: String?, now: Date = Date()) async throws -> Line? {
        let changes = try await store.repositories.recipients.toldChanges(before: seq + 1, region: region, limit: 1).filter { $0.seq == seq }
        return try await lines(changes, store: store, now: now).first
    }

    private static func lines(_ changes: [Change], store: Store, now: Date) async throws -> [Line] {
        let rows = try await store.repositories.recipients.deliveries(seqs: changes.map(\.seq))
        let departmentIDs = Set(changes.map(\.department_id) + rows.filter { $0.recipient_kind == "department" }.map(\.recipient))
        let departments = try await store.repositories.departments.names(Array(departmentIDs))
        let keys = rows.contains { $0.recipient_kind == "key" }
            ? Dictionary(try await store.repositories.apiKeys.list().map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a }) : [:]
        let bySeq = Dictionary(grouping: rows, by: \.seq)
        return changes.map { c in
            let recipients = (bySeq[c.seq] ?? []).map { row in
                let name = row.recipient_kind == "key" ? keys[row.recipient] ?? row.recipient : departments[row.recipient] ?? row.recipient
                let overdue = row.reached ? nil : Timestamp.parse(row.changed_at).map { max(0, Int(now.timeIntervalSince($0))) }
                return Recipient(
                    kind: row.recipient_kind, id: row.recipient, name: name, reached: row.reached,
                    reachedBy: row.reachedByWebhook ? "webhook" : row.reachedByFeed ? "feed" : nil, receivedVia: row.via,
                    webhook: row.webhook_state, webhookAttempts: row.webhook_attempts, webhookLastError: row.webhook_last_error,
                    overdueSeconds: overdue)
            }
            return Line(seq: c.seq, change: c.change.rawValue, at: c.at, recordId: c.record_id, subjectId: c.subject_id,
                        recordType: c.record_type, departmentId: c.department_id, departmentName: departments[c.department_id] ?? c.department_id,
                        recipientsTotal: recipients.count, reachedCount: recipients.count { $0.reached }, recipients: recipients)
        }
    }
}
