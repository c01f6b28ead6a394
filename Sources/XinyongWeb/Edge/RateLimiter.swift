import Foundation

/// At most `limit` actions per key (an address, a key id) in a sliding window of `per` seconds.
final class RateLimiter: @unchecked Sendable {
    let limit: Int
    let window: TimeInterval
    private var times: [String: [Date]] = [:]
    private let lock = NSLock()

    init(limit: Int, per seconds: TimeInterval) {
        self.limit = limit
        self.window = seconds
    }

    /// Records an action and returns nil if it is allowed; otherwise the seconds until it would be.
    func wait(_ key: String, now: Date = Date()) -> Int? {
        lock.withLock {
            if times.count > 100_000 { times.removeAll() }
            var recent = (times[key] ?? []).filter { now.timeIntervalSince($0) < window }
            defer { times[key] = recent }
            guard recent.count < limit else { return Int((window - now.timeIntervalSince(recent[0])).rounded(.up)) }
            recent.append(now)
            return nil
        }
    }
}
