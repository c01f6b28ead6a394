/// What a check found: the answer's `result`, and the `result` column of `checks`.
public enum CheckResult: String, Sendable, Codable, CaseIterable {
    /// The subject was found and is on a list.
    case hit
    /// The subject was found and is on no list.
    case clear
    /// The subject is on no list, but a notice before listing (告知) is open.
    case pendingNotice = "pending_notice"
    /// A name found candidates, none of them matched automatically (below the threshold, or more than one).
    case candidates
    /// No subject was found.
    case noMatch = "no_match"
}

/// How a check found its subject: the answer's `match.method`, and the `match_method` column of `checks`.
public enum MatchMethod: String, Sendable, Codable, CaseIterable {
    /// The unified social credit code.
    case code
    /// The 15-digit registration number that came before the code.
    case legacyNumber = "legacy_number"
    /// A natural person's resident identity number.
    case idNumber = "id_number"
    /// The name, when exactly one candidate reached the office's threshold.
    case name
    /// No subject was found. (Not `none`, which reads as `Optional.none`.)
    case unmatched = "none"
}
