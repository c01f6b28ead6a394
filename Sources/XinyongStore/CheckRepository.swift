import SQLKit
import XinyongModel

extension Repositories {
    public var checks: CheckRepository { .init(db: db) }
}

/// One check as stored: who asked, about what, what the platform answered.
public struct CheckEntry: Sendable, Codable, Equatable {
    public struct MeasureLine: Sendable, Codable, Equatable {
        public let measureID: String
        public let memorandumID: String
        public let kind: String
        public let mandatory: Bool
        public init(measureID: String, memorandumID: String, kind: String, mandatory: Bool) {
            self.measureID = measureID
            self.memorandumID = memorandumID
            self.kind = kind
            self.mandatory = mandatory
        }
    }

    public var id: String
    public var departmentID: String
    public var regionCode: String
    public var askedBy: String
    public var scenario: String
    public var matter: String?
    /// code, legacy_number, id_number, name.
    public var queryKind: String
    /// What was asked (a personal id number only masked).
    public var query: String
    public var subjectID: String?
    public var matchMethod: MatchMethod
    public var matchScore: Double?
    public var result: CheckResult
    public var lists: [String]
    public var measures: [MeasureLine]
    /// The answer as the department received it (JSON).
    public var answer: String
    public var askedAt: String
    /// Other departments' records whose list membership the answer cited: the asking department is now
    /// one of their recipients.
    public var citedRecordIDs: [String]

    public init(id: String, departmentID: String, regionCode: String, askedBy: String, scenario: String, matter: String?,
                queryKind: String, query: String, subjectID: String?, matchMethod: MatchMethod, matchScore: Double?, result: CheckResult,
                lists: [String], measures: [MeasureLine], answer: String, askedAt: String, citedRecordIDs: [String] = []) {
        self.id = id
        self.departmentID = departmentID
        self.regionCode = regionCode
        self.askedBy = askedBy
        self.scenario = scenario
        self.matter = matter
        self.queryKind = queryKind
        self.query = query
        self.subjectID = subjectID
        self.matchMethod = matchMethod
        self.matchScore = matchScore
        self.result = result
        self.lists = lists
        self.measures = measures
        self.answer = answer
        self.askedAt = askedAt
        self.citedRecordIDs = citedRecordIDs
    }
}

/// Application counts for the office: measures returned, reported on, applied.
public struct ApplicationCounts: Sendable, Decodable, Equatable {
    public let key: String
    public let returned: Int
    public let reported: Int
    public let applied: Int
}

public struct CheckRepository: Sendable {
    let db: any SQLDatabase

    private struct Row: Decodable {
        let id, department_id, asked_by, scenario: String
        let matter: String?
        let query: String
        let subject_id: String?
        let result: CheckResult
        let measures, incentives: Int
        let answer, asked_at: String
        let feedback_at, feedback_outcome: String?

        var check: AnsweredCheck {
            AnsweredCheck(id: id, departmentID: department_id, askedBy: asked_by, scenario: scenario, matter: matter, query: query,
                          subjectID: subject_id, result: result, measures: measures, incentives: incentives, answer: answer,
                          askedAt: asked_at, feedbackAt: feedback_at, feedbackOutcome: feedback_outcome)
        }
    }

    private struct MeasureRow: Decodable {
        let check_id, measure_id, memorandum_id, kind: String
        let mandatory: Bool
        let applied: Bool?
        let reason, reported_by, reported_at: String?
    }

    /// Stores checks with their measures and one audit entry each: a department read list data, for a matter.
    public func insert(_ entries: [CheckEntry]) async throws {
        guard !entries.isEmpty else { return }
        try await db.insertRows(
            into: "checks",
            columns: ["id", "department_id", "region_code", "asked_by", "scenario", "matter", "query_kind", "query", "subject_id",
                      "match_method", "match_score", "result", "lists", "measures", "incentives", "answer", "asked_at"],
            rows: entries.map { e in
                [e.id, e.departmentID, e.regionCode, e.askedBy, e.scenario, e.matter, e.queryKind, e.query, e.subjectID,
                 e.matchMethod.rawValue, e.matchScore, e.result.rawValue, e.lists.joined(separator: ","),
                 e.measures.count { $0.kind == Measure.Kind.punishment.rawValue }, e.measures.count { $0.kind == Measure.Kind.incentive.rawValue },
                 e.answer, e.askedAt]
            })
        try await db.insertRows(
            into: "check_measures", columns: ["check_id", "measure_id", "memorandum_id", "kind", "mandatory"],
            rows: entries.flatMap { e in e.measures.map { [e.id, $0.measureID, $0.memorandumID, $0.kind, $0.mandatory] } })
        try await db.insertRows(
            into: "audit_log", columns: ["at", "actor", "action", "entity", "entity_id", "reason", "detail"],
            rows: entries.map { e in
                [e.askedAt, e.askedBy, "check", "checks", e.id,
                 "check before handling: \(e.scenario)" + (e.matter.map { ", matter \($0)" } ?? ""),
                 jsonText(["department": e.departmentID, "subject": e.subjectID ?? "", "query_kind": e.queryKind,
                           "result": e.result.rawValue, "lists": e.lists.joined(separator: ",")])]
            })
        try await RecipientRepository(db: db).record(entries.flatMap { e in
            e.citedRecordIDs.compactMap { record in
                e.subjectID.map { Receipt(.department(e.departmentID), subjectID: $0, recordID: record, via: .check, reference: e.id) }
            }
        })
    }

    public func find(id: String) async throws -> AnsweredCheck? {
        try await db.raw("SELECT * FROM checks WHERE id = \(bind: id)").first(decoding: Row.self)?.check
    }

    public func measures(check id: String) async throws -> [ReturnedMeasure] {
        try await db.raw("""
            SELECT check_id, measure_id, memorandum_id, kind, mandatory, applied, reason, reported_by, reported_at
            FROM check_measures WHERE check_id = \(bind: id) ORDER BY measure_id
            """).all(decoding: MeasureRow.self).map { r in
            ReturnedMeasure(checkID: r.check_id, measureID: r.measure_id, memorandumID: r.memorandum_id, kind: r.kind, mandatory: r.mandatory,
                            applied: r.applied, reason: r.reason, reportedBy: r.reported_by, reportedAt: r.reported_at)
        }
    }

    /// Records what the department did about each measure, and the check's outcome; audited.
    public func recordFeedback(check: String, lines: [(measureID: String, applied: Bool, reason: String?)], outcome: String?,
                               by actor: Actor) async throws {
        let now = Timestamp.now()
        for line in lines {
            try await db.update("check_measures").set("applied", to: line.applied).set("reason", to: line.reason)
                .set("reported_by", to: actor.name).set("reported_at", to: now)
                .where("check_id", .equal, check).where("measure_id", .equal, line.measureID).run()
        }
        try await db.update("checks").set("feedback_at", to: now).set("feedback_outcome", to: outcome).where("id", .equal, check).run()
        try await AuditLog(db: db).append(actor, action: "feedback", entity: "checks", entityID: check, detail: [
            "applied": lines.filter(\.applied).map(\.measureID).joined(separator: ","),
            "not_applied": lines.filter { !$0.applied }.map(\.measureID).joined(separator: ","), "outcome": outcome ?? "",
        ])
    }

    /// Measures returned, reported and applied, grouped by memorandum, measure, department or region, for
    /// checks asked in [from, to).
    /// `within`: a GB/T 2260 code prefix (`4310` for a city, `431002` for a county); nil for everything.
    public func applicationCounts(by dimension: String, from: String, to: String, within prefix: String? = nil) async throws -> [ApplicationCounts] {
        let column: SQLQueryString = switch dimension {
        case "memorandum": "m.memorandum_id"
        case "measure": "m.measure_id"
        case "department": "c.department_id"
        default: "c.region_code"
        }
        return try await db.raw("""
            SELECT \(column) AS key, COUNT(*) AS returned,
            SUM(CASE WHEN m.applied IS NULL THEN 0 ELSE 1 END) AS reported,
            SUM(CASE WHEN m.applied THEN 1 ELSE 0 END) AS applied
            FROM check_measures m JOIN checks c ON c.id = m.check_id
            WHERE c.asked_at >= \(bind: from) AND c.asked_at < \(bind: to) AND c.region_code LIKE \(bind: (prefix ?? "") + "%")
            GROUP BY \(column) ORDER BY \(column)
            """).all(decoding: ApplicationCounts.self)
    }

    /// Checks that returned measures and got no feedback, oldest first.
    public func withoutFeedback(askedBefore: String, limit: Int, within prefix: String? = nil) async throws -> [AnsweredCheck] {
        try await db.raw("""
            SELECT * FROM checks WHERE feedback_at IS NULL AND (measures > 0 OR incentives > 0) AND asked_at < \(bind: askedBefore)
            AND region_code LIKE \(bind: (prefix ?? "") + "%")
            ORDER BY asked_at LIMIT \(bind: limit)
            """).all(decoding: Row.self).map(\.check)
    }

    public func count(since: String, within prefix: String? = nil) async throws -> Int {
        try await db.count("SELECT COUNT(*) AS n FROM checks WHERE asked_at >= \(bind: since) AND region_code LIKE \(bind: (prefix ?? "") + "%")")
    }
}
