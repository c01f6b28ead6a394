import Foundation

/// Slows password guessing: after 5 failures of one account, or from one address, each further attempt
/// must wait 2, 4, 8 … seconds (at most 15 minutes) after the last failure. Failures are forgotten
/// after a success or 15 quiet minutes. Kept in memory: a restart forgets it, which costs an attacker a
/// restart per 5 guesses; the audit trail keeps every failure regardless.
final class LoginThrottle: @unchecked Sendable {
    static let freeFailures = 5
    static let longestWait: TimeInterval = 15 * 60
    static let forgetAfter: TimeInterval = 15 * 60

    private struct Failures { var count: Int; var last: Date }
    private var byKey: [String: Failures] = [:]
    private let lock = NSLock()
    private let now: @Sendable () -> Date

    init(now: @escaping @Sendable () -> Date = Date.init) { self.now = now }

    /// Seconds the caller must still wait, or nil if it may try now.
    func wait(account: String, address: String) -> Int? {
        let at = now()
        return lock.withLock {
            let waits = [Self.key(account: account), Self.key(address: address)].compactMap { key -> TimeInterval? in
                guard let f = byKey[key], at.timeIntervalSince(f.last) < Self.forgetAfter, f.count >= Self.freeFailures else { return nil }
                let delay = min(Self.longestWait, pow(2, Double(f.count - Self.freeFailures + 1)))
                let remaining = delay - at.timeIntervalSince(f.last)
                return remaining > 0 ? remaining : nil
            }
            return waits.max().map { Int($0.rounded(.up)) }
        }
    }

    func failed(account: String, address: String) {
        let at = now()
        lock.withLock {
            if byKey.count > 100_000 { byKey.removeAll() }
            for key in [Self.key(account: account), Self.key(address: address)] {
                var f = byKey[key] ?? Failures(count: 0, last: at)
                if at.timeIntervalSince(f.last) >= Self.forgetAfter { f.count = 0 }
                f.count += 1
                f.last = at
                byKey[key] = f
            }
        }
    }

    /// A success clears the account's failures; the address keeps its own, so one good account does not
    /// launder guesses at others from the same place.
    func succeeded(account: String, address: String) {
        _ = lock.withLock { byKey.removeValue(forKey: Self.key(account: account)) }
    }

    private static func key(account: String) -> String { "a:" + account.lowercased() }
    private static func key(address: String) -> String { "i:" + address }
}
