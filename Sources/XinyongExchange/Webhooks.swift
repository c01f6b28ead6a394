import Crypto
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import XinyongModel
import XinyongStore

/// How a webhook POST is signed, so that a department can tell it came from the platform and was not replayed:
/// `X-Xinyong-Timestamp` is the sending time in Unix seconds, `X-Xinyong-Signature` is `sha256=` and the hex
/// HMAC-SHA256, keyed with the department's secret, of the timestamp, a full stop and the raw body.
public enum WebhookSignature {
    public static let signatureHeader = "X-Xinyong-Signature"
    public static let timestampHeader = "X-Xinyong-Timestamp"
    /// The same for every attempt of one delivery, so that a receiver can drop repeats.
    public static let deliveryHeader = "X-Xinyong-Delivery"

    public static func sign(body: Data, timestamp: Int, secret: String) -> String {
        var message = Data("\(timestamp).".utf8)
        message.append(body)
        let mac = HMAC<SHA256>.authenticationCode(for: message, using: SymmetricKey(data: Data(secret.utf8)))
        return "sha256=" + Data(mac).hexEncoded
    }

    /// What a receiver does: recompute and compare in constant time.
    public static func verify(body: Data, timestamp: Int, signature: String, secret: String) -> Bool {
        let expected = Array(sign(body: body, timestamp: timestamp, secret: secret).utf8), given = Array(signature.utf8)
        guard expected.count == given.count else { return false }
        return zip(expected, given).reduce(0) { $0 | ($1.0 ^ $1.1) } == 0
    }
}

/// When a failed POST is tried again: `first` after the first failure, each wait `factor` times the one before,
/// `attempts` tries in all. The standard one waits 30 s, 2 min, 8 min, 32 min, 2 h 8 min, 8.5 h and 34 h: a
/// receiver down for a weekend still gets the event.
public struct WebhookSchedule: Sendable, Equatable {
    public var first: Duration
    public var factor: Int
    public var attempts: Int

    public init(first: Duration, factor: Int, attempts: Int) {
        self.first = first
        self.factor = factor
        self.attempts = attempts
    }

    public static let standard = WebhookSchedule(first: .seconds(30), factor: 4, attempts: 8)

    /// The wait after the `attempt`-th failed try (from 1); nil when that was the last.
    public func delay(after attempt: Int) -> Duration? {
        guard attempt < attempts else { return nil }
        return first * (0..<(attempt - 1)).reduce(1) { value, _ in value * factor }
    }
}

/// The office sets each department's webhook: where corrections, withdrawals and repairs of records it received
/// are POSTed, and the secret they are signed with.
public enum Webhooks {
    public struct Invalid: Error, CustomStringConvertible {
        public let field: String
        public let description: String
    }

    /// Sets (or replaces) a department's webhook; without a secret, one is made. Returns the secret, which the
    /// office passes to the department once.
    public static func set(department: String, url text: String, secret: String?, store: Store, by actor: Actor) async throws -> String {
        guard try await store.repositories.departments.find(department) != nil else {
            throw Invalid(field: "department", description: "there is no department '\(department.prefix(60))'")
        }
        guard text.count <= 2000, let url = URL(string: text), ["http", "https"].contains(url.scheme?.lowercased() ?? ""),
            let host = url.host, !host.isEmpty
        else {
            throw Invalid(field: "url", description: "'\(text.prefix(100))' is not an http or https URL with a host")
        }
        let secret = secret ?? SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.hexEncoded
        guard (16...200).contains(secret.count) else {
            throw Invalid(field: "secret", description: "must be 16 to 200 characters (omit it and the platform makes one)")
        }
        try await store.transaction { try await $0.recipients.setWebhook(department: department, url: text, secret: secret, by: actor) }
        return secret
    }
}

/// Posts every pending delivery to its department's webhook, signed, and tries failures again on the schedule.
/// The state is in `record_deliveries`, so a restart loses nothing; one worker per deployment (two servers would
/// both post a due delivery, which the delivery header lets a receiver drop).
public final class WebhookDelivery: Sendable {
    let store: Store
    let schedule: WebhookSchedule
    let session: URLSession

    public init(store: Store, schedule: WebhookSchedule = .standard, timeout: TimeInterval = 10) {
        self.store = store
        self.schedule = schedule
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = timeout
        configuration.timeoutIntervalForResource = timeout
        session = URLSession(configuration: configuration)
    }

    /// What a department receives: the feed entry, and which delivery this is.
    struct Payload: Encodable {
        let delivery_id: String
        let department_id: String
        let change: Change
    }

    /// One round at `now`: each due delivery is tried once. Returns how many were tried.
    @discardableResult
    public func deliverDue(at now: Date = Date(), limit: Int = 100) async throws -> Int {
        let due = try await store.repositories.recipients.dueWebhooks(at: Timestamp.format(now), limit: limit)
        for delivery in due { try await attempt(delivery, at: now) }
        return due.count
    }

    /// Runs rounds until the task is cancelled.
    public func run(every interval: Duration = .seconds(10), onError: @Sendable (any Error) -> Void) async {
        while !Task.isCancelled {
            do { try await deliverDue() } catch { onError(error) }
            try? await Task.sleep(for: interval)
        }
    }

    private func attempt(_ due: DueWebhook, at now: Date) async throws {
        let repository = store.repositories.recipients
        let instant = Timestamp.format(now)
        // A department whose feed cursor already passed the change has it: nothing to push.
        if (due.acked_seq ?? 0) >= due.seq {
            return try await record(due, state: "skipped", attempts: due.webhook_attempts, nextAt: nil, error: nil, at: instant)
        }
        guard let change = try await repository.change(seq: due.seq) else {
            return try await record(due, state: "failed", attempts: due.webhook_attempts, nextAt: nil, error: "change \(due.seq) is missing", at: instant)
        }
        let id = "\(due.seq)-\(due.recipient)"
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = try encoder.encode(Payload(delivery_id: id, department_id: due.recipient, change: change))
        let timestamp = Int(now.timeIntervalSince1970)
        let error = await post(body, to: due.url, delivery: id, timestamp: timestamp, secret: due.secret)
        let attempts = due.webhook_attempts + 1
        guard let error else {
            return try await record(due, state: "delivered", attempts: attempts, nextAt: nil, error: nil, at: instant)
        }
        if let wait = schedule.delay(after: attempts) {
            let next = now.addingTimeInterval(Double(wait.components.seconds) + Double(wait.components.attoseconds) / 1e18)
            try await record(due, state: "pending", attempts: attempts, nextAt: Timestamp.format(next), error: error, at: instant)
        } else {
            try await record(due, state: "failed", attempts: attempts, nextAt: nil, error: error, at: instant)
        }
    }

    private func record(_ due: DueWebhook, state: String, attempts: Int, nextAt: String?, error: String?, at instant: String) async throws {
        try await store.transaction {
            try await $0.recipients.webhookAttempted(due, state: state, attempts: attempts, nextAt: nextAt, error: error, at: instant)
        }
    }

    /// Posts the body; nil on a 2xx answer, else what went wrong.
    private func post(_ body: Data, to url: String, delivery: String, timestamp: Int, secret: String) async -> String? {
        guard let target = URL(string: url) else { return "the URL \(url) cannot be used" }
        var request = URLRequest(url: target)
        request.httpMethod = "POST"
        request.httpBody = body
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue(String(timestamp), forHTTPHeaderField: WebhookSignature.timestampHeader)
        request.setValue(WebhookSignature.sign(body: body, timestamp: timestamp, secret: secret), forHTTPHeaderField: WebhookSignature.signatureHeader)
        request.setValue(delivery, forHTTPHeaderField: WebhookSignature.deliveryHeader)
        do {
            let (_, response) = try await session.data(for: request)
            guard let status = (response as? HTTPURLResponse)?.statusCode else { return "no HTTP answer" }
            return (200..<300).contains(status) ? nil : "HTTP \(status)"
        } catch {
            return "\(error.localizedDescription)"
        }
    }
}
