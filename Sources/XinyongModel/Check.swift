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

/// A check as the platform keeps it, as far as following it up needs: who asked, about what, what it
/// answered, and the department's report.
public struct AnsweredCheck: Sendable, Equatable {
    public var id: String
    public var departmentID: String
    public var askedBy: String
    public var scenario: String
    public var matter: String?
    /// What was asked (a personal id number only masked).
    public var query: String
    public var subjectID: String?
    public var result: CheckResult
    /// How many punishment measures and how many incentives it returned.
    public var measures: Int
    public var incentives: Int
    /// The answer as the department received it (JSON).
    public var answer: String
    public var askedAt: String
    /// When the department reported what it did, and the outcome of the matter; nil before it did.
    public var feedbackAt: String?
    public var feedbackOutcome: String?

    public init(id: String, departmentID: String, askedBy: String, scenario: String, matter: String?, query: String, subjectID: String?,
                result: CheckResult, measures: Int, incentives: Int, answer: String, askedAt: String, feedbackAt: String?,
                feedbackOutcome: String?) {
        (self.id, self.departmentID, self.askedBy, self.scenario, self.matter) = (id, departmentID, askedBy, scenario, matter)
        (self.query, self.subjectID, self.result, self.measures, self.incentives) = (query, subjectID, result, measures, incentives)
        (self.answer, self.askedAt, self.feedbackAt, self.feedbackOutcome) = (answer, askedAt, feedbackAt, feedbackOutcome)
    }
}

/// A measure a check returned, and what the department reported about it.
public struct ReturnedMeasure: Sendable, Equatable {
    public var checkID: String
    public var measureID: String
    public var memorandumID: String
    /// punishment or incentive (`Measure.Kind`).
    public var kind: String
    public var mandatory: Bool
    /// Whether the department applied it; nil until it reports.
    public var applied: Bool?
    /// Why it was not applied.
    public var reason: String?
    public var reportedBy: String?
    public var reportedAt: String?

    public init(checkID: String, measureID: String, memorandumID: String, kind: String, mandatory: Bool, applied: Bool?,
                reason: String?, reportedBy: String?, reportedAt: String?) {
        (self.checkID, self.measureID, self.memorandumID, self.kind, self.mandatory) = (checkID, measureID, memorandumID, kind, mandatory)
        (self.applied, self.reason, self.reportedBy, self.reportedAt) = (applied, reason, reportedBy, reportedAt)
    }
}

/// An administrator's ruling that a subject the name index offers is not the one a department's name means:
/// that department's checks by this name never match it automatically.
public struct NameOverride: Sendable, Codable, Equatable {
    public var id: String
    public var departmentID: String
    /// The parsed name it covers, so that every spelling of the same name is covered.
    public var nameKey: String
    public var subjectID: String
    public var reason: String
    public var decidedBy: String
    public var decidedAt: String

    /// The API's names for the fields.
    enum CodingKeys: String, CodingKey {
        case id, reason
        case departmentID = "department_id", nameKey = "name_key", subjectID = "subject_id", decidedBy = "decided_by", decidedAt = "decided_at"
    }

    public init(id: String, departmentID: String, nameKey: String, subjectID: String, reason: String, decidedBy: String, decidedAt: String) {
        (self.id, self.departmentID, self.nameKey, self.subjectID) = (id, departmentID, nameKey, subjectID)
        (self.reason, self.decidedBy, self.decidedAt) = (reason, decidedBy, decidedAt)
    }
}
