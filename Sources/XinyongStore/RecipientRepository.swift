import Foundation
import SQLKit
import XinyongModel

extension Repositories {
    public var recipients: RecipientRepository { .init(db: db) }
}

/// Who is told: a department, or a system holding a recipient key (county platforms, agencies).
public struct Recipient: Hashable, Sendable, Codable {
    public enum Kind: String, Sendable, Codable { case department, key }
    public let kind: Kind
    public let id: String

    public init(_ kind: Kind, _ id: String) {
        self.kind = kind
        self.id = id
    }

    public static func department(_ id: String) -> Recipient { Recipient(.department, id) }
}

/// A record that reached a recipient.
public struct Receipt: Hashable, Sendable {
    public enum Via: String, Sendable, Codable { case feed, check }
    public let recipient: Recipient
    public let subjectID, recordID: String
    public let via: Via
    /// The change's seq (feed) or the check's id.
    public let reference: String

    public init(_ recipient: Recipient, subjectID: String, recordID: String, via: Via, reference: String) {
        self.recipient = recipient
        self.subjectID = subjectID
        self.recordID = recordID
        self.via = via
        self.reference = reference
    }
}

/// One recipient's part in telling one change: whether it was reached, and how.
public struct DeliveryRow: Sendable, Decodable, Equatable {
    public let seq: Int
    public let subject_id, record_id, recipient_kind, recipient, change, changed_at, webhook_state: String
    public let webhook_attempts: Int
    public let webhook_next_at, webhook_delivered_at, webhook_last_error: String?
    /// The recipient's acknowledged feed position, when it reads the feed.
    public let acked_seq: Int?
    /// How the record first reached the recipient (feed, check).
    public let via: String?

    public var reachedByFeed: Bool { (acked_seq ?? 0) >= seq }
    public var reachedByWebhook: Bool { webhook_state == "delivered" }
    public var reached: Bool { reachedByFeed || reachedByWebhook }
}

/// A webhook as the office sees it: never its secret.
public struct WebhookInfo: Sendable, Codable, Equatable {
    public let department_id, url, set_by, set_at: String
}

/// A webhook POST that is due: the change to announce, where to, and the secret to sign it with.
public struct DueWebhook: Sendable, Decodable {
    public let subject_id, record_id, recipient, url, secret: String
    public let seq, webhook_attempts: Int
    public let acked_seq: Int?
}

public struct RecipientRepository: Sendable {
    let db: any SQLDatabase

    /// The changes that must reach every recipient of their record.
    public static let toldKinds: [Change.Kind] = [.corrected, .withdrawn, .repaired]
    /// The feed entries whose reading makes the reader a recipient of the record.
    public static let receivingKinds: Set<Change.Kind> = [.created, .corrected, .listed]

    /// Notes that records reached their recipients; the first receipt of a record by a recipient stays. One
    /// statement per 4,000 receipts, whatever the page size.
    public func record(_ receipts: [Receipt], at instant: String = Timestamp.now()) async throws {
        var seen = Set<[String]>()
        let rows: [[any Encodable & Sendable]] = receipts.compactMap { r in
            guard seen.insert([r.recipient.kind.rawValue, r.recipient.id, r.recordID]).inserted else { return nil }
            return [r.subjectID, r.recordID, r.recipient.kind.rawValue, r.recipient.id, r.via.rawValue, r.reference, instant]
        }
        try await db.insertRows(
            into: "record_recipients",
            columns: ["subject_id", "record_id", "recipient_kind", "recipient", "via", "reference", "received_at"],
            rows: rows, ignoringConflicts: true)
    }

    /// Moves a recipient's feed position forward (never back): it asked with `since` = `acked`, and was given
    /// `read` as its next cursor.
    public func advanceCursor(of recipient: Recipient, acked: Int, read: Int, at instant: String = Timestamp.now()) async throws {
        try await db.raw("""
            INSERT INTO feed_cursors (recipient_kind, recipient, acked_seq, read_seq, read_at)
            VALUES (\(bind: recipient.kind.rawValue), \(bind: recipient.id), \(bind: acked), \(bind: read), \(bind: instant))
            ON CONFLICT (recipient_kind, recipient) DO UPDATE SET
            acked_seq = CASE WHEN excluded.acked_seq > feed_cursors.acked_seq THEN excluded.acked_seq ELSE feed_cursors.acked_seq END,
            read_seq = CASE WHEN excluded.read_seq > feed_cursors.read_seq THEN excluded.read_seq ELSE feed_cursors.read_seq END,
            read_at = excluded.read_at
            """).run()
    }

    public struct StoredReceipt: Sendable, Decodable, Equatable {
        public let recipient_kind, recipient, via, reference, received_at: String
    }

    /// Everyone a record reached, in the order they were first reached.
    public func recipients(subjectID: String, recordID: String) async throws -> [StoredReceipt] {
        try await db.raw("""
            SELECT recipient_kind, recipient, via, reference, received_at FROM record_recipients
            WHERE subject_id = \(bind: subjectID) AND record_id = \(bind: recordID) ORDER BY received_at, recipient
            """).all(decoding: StoredReceipt.self)
    }

    /// Makes the deliveries of the told changes after `seq` (those the caller just appended): one per recipient
    /// the record had reached, pending for a department with a webhook. In the caller's transaction.
    func planDeliveries(after seq: Int) async throws {
        try await db.raw("""
            INSERT INTO record_deliveries (subject_id, record_id, seq, recipient_kind, recipient, change, changed_at,
                webhook_state, webhook_attempts, webhook_next_at)
            SELECT c.subject_id, c.record_id, c.seq, rr.recipient_kind, rr.recipient, c.change, c.at,
                CASE WHEN w.department_id IS NULL THEN 'none' ELSE 'pending' END, 0, c.at
            FROM changes c
            JOIN record_recipients rr ON rr.subject_id = c.subject_id AND rr.record_id = c.record_id
            LEFT JOIN department_webhooks w ON rr.recipient_kind = 'department' AND w.department_id = rr.recipient
            WHERE c.seq > \(bind: seq) AND c.change IN (\(binds: Self.toldKinds.map(\.rawValue)))
            ON CONFLICT DO NOTHING
            """).run()
    }

    // MARK: What the office sees

    /// Told changes, newest first, before `seq` when given, of records within `region` (a code prefix).
    public func toldChanges(before seq: Int?, region: String?, limit: Int) async throws -> [Change] {
        try await db.raw("""
            SELECT c.seq, c.record_id, c.subject_id, c.record_type, c.department_id, c.change, c.version, c.at, c.batch_id, c.list
            FROM changes c JOIN credit_records r ON r.subject_id = c.subject_id AND r.id = c.record_id
            WHERE c.change IN (\(binds: Self.toldKinds.map(\.rawValue))) AND c.seq < \(bind: seq ?? Int.max)
            AND r.region_code LIKE \(bind: (region ?? "") + "%")
            ORDER BY c.seq DESC LIMIT \(bind: limit)
            """).all(decoding: Change.self)
    }

    /// Every recipient's delivery of the given changes, with its feed position and how it first got the record.
    public func deliveries(seqs: [Int]) async throws -> [DeliveryRow] {
        guard !seqs.isEmpty else { return [] }
        return try await db.raw("""
            SELECT d.seq, d.subject_id, d.record_id, d.recipient_kind, d.recipient, d.change, d.changed_at, d.webhook_state,
            d.webhook_attempts, d.webhook_next_at, d.webhook_delivered_at, d.webhook_last_error, f.acked_seq, rr.via
            FROM record_deliveries d
            LEFT JOIN feed_cursors f ON f.recipient_kind = d.recipient_kind AND f.recipient = d.recipient
            LEFT JOIN record_recipients rr ON rr.subject_id = d.subject_id AND rr.record_id = d.record_id
                AND rr.recipient_kind = d.recipient_kind AND rr.recipient = d.recipient
            WHERE d.seq IN (\(binds: seqs)) ORDER BY d.seq DESC, d.recipient_kind, d.recipient
            """).all(decoding: DeliveryRow.self)
    }

    public func change(seq: Int) async throws -> Change? {
        try await db.raw("""
            SELECT seq, record_id, subject_id, record_type, department_id, change, version, at, batch_id, list FROM changes
            WHERE seq = \(bind: seq)
            """).first(decoding: Change.self)
    }

    /// Told changes of these records after `instant`, oldest first: what a report issued then does not show.
    public func toldChanges(records ids: [String], after instant: String) async throws -> [Change] {
        guard !ids.isEmpty else { return [] }
        return try await db.raw("""
            SELECT seq, record_id, subject_id, record_type, department_id, change, version, at, batch_id, list FROM changes
            WHERE record_id IN (\(binds: ids)) AND change IN (\(binds: Self.toldKinds.map(\.rawValue))) AND at > \(bind: instant)
            ORDER BY seq
            """).all(decoding: Change.self)
    }

    // MARK: Webhooks

    public func setWebhook(department: String, url: String, secret: String, by actor: Actor) async throws {
        let now = Timestamp.now()
        try await db.raw("""
            INSERT INTO department_webhooks (department_id, url, secret, set_by, set_at)
            VALUES (\(bind: department), \(bind: url), \(bind: secret), \(bind: actor.name), \(bind: now))
            ON CONFLICT (department_id) DO UPDATE SET url = excluded.url, secret = excluded.secret,
            set_by = excluded.set_by, set_at = excluded.set_at
            """).run()
        // The secret never goes into the trail.
        try await AuditLog(db: db).append(actor, action: "set", entity: "department_webhooks", entityID: department, detail: ["url": url])
    }

    /// Removes a department's webhook; false when it had none. Pending deliveries to it stop.
    public func removeWebhook(department: String, by actor: Actor) async throws -> Bool {
        guard try await webhook(department: department) != nil else { return false }
        try await db.delete(from: "department_webhooks").where("department_id", .equal, department).run()
        try await db.update("record_deliveries").set("webhook_state", to: "none")
            .where("recipient_kind", .equal, Recipient.Kind.department.rawValue).where("recipient", .equal, department)
            .where("webhook_state", .equal, "pending").run()
        try await AuditLog(db: db).append(actor, action: "remove", entity: "department_webhooks", entityID: department)
        return true
    }

    public func webhook(department: String) async throws -> WebhookInfo? {
        try await db.raw("SELECT department_id, url, set_by, set_at FROM department_webhooks WHERE department_id = \(bind: department)")
            .first(decoding: WebhookInfo.self)
    }

    public func webhooks() async throws -> [WebhookInfo] {
        try await db.raw("SELECT department_id, url, set_by, set_at FROM department_webhooks ORDER BY department_id")
            .all(decoding: WebhookInfo.self)
    }

    /// Pending webhook deliveries whose time has come, oldest first.
    public func dueWebhooks(at instant: String, limit: Int) async throws -> [DueWebhook] {
        try await db.raw("""
            SELECT d.subject_id, d.record_id, d.seq, d.recipient, d.webhook_attempts, w.url, w.secret, f.acked_seq
            FROM record_deliveries d
            JOIN department_webhooks w ON w.department_id = d.recipient
            LEFT JOIN feed_cursors f ON f.recipient_kind = d.recipient_kind AND f.recipient = d.recipient
            WHERE d.webhook_state = 'pending' AND d.webhook_next_at <= \(bind: instant) AND d.recipient_kind = 'department'
            ORDER BY d.webhook_next_at, d.seq LIMIT \(bind: limit)
            """).all(decoding: DueWebhook.self)
    }

    /// Records the outcome of one attempt: `state` delivered, skipped, pending (with the next attempt) or failed.
    public func webhookAttempted(_ due: DueWebhook, state: String, attempts: Int, nextAt: String?, error: String?,
                                 at instant: String) async throws {
        try await db.update("record_deliveries")
            .set("webhook_state", to: state).set("webhook_attempts", to: attempts).set("webhook_next_at", to: nextAt)
            .set("webhook_last_error", to: error.map { String($0.prefix(300)) })
            .set("webhook_delivered_at", to: state == "delivered" ? instant : nil)
            .where("subject_id", .equal, due.subject_id).where("record_id", .equal, due.record_id).where("seq", .equal, due.seq)
            .where("recipient_kind", .equal, Recipient.Kind.department.rawValue).where("recipient", .equal, due.recipient).run()
    }
}
