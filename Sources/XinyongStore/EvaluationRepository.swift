import Crypto
import Foundation
import SQLKit
import XinyongModel

extension Repositories {
    public var evaluations: EvaluationRepository { .init(db: db) }
}

public struct EvaluationRepository: Sendable {
    let db: any SQLDatabase

    private struct GradeRow: Decodable { let subject_id: String; let grade: String }

    /// The current grade of each subject that has one; subjects never evaluated are absent.
    public func grades(of subjectIDs: [String]) async throws -> [String: Grade] {
        var grades: [String: Grade] = [:]
        for chunk in stride(from: 0, to: subjectIDs.count, by: 500).map({ Array(subjectIDs[$0..<min($0 + 500, subjectIDs.count)]) }) {
            let rows = try await db.select().columns("subject_id", "grade").from("evaluation_results")
                .where("subject_id", .in, chunk).all(decoding: GradeRow.self)
            for row in rows {
                guard let grade = Grade(rawValue: row.grade) else {
                    throw StoredDataError(description: "evaluation_results.grade '\(row.grade)' for \(row.subject_id) is not a grade")
                }
                grades[row.subject_id] = grade
            }
        }
        return grades
    }
}

/// A subject's stored evaluation: the result, its contributions and reasons, as the engine left them.
public struct StoredEvaluation: Sendable, Equatable {
    public var subjectID: String
    public var modelVersion: Int
    public var asOf: CivilDate
    public var score: Double
    public var grade: Grade
    public var vetoes: [AppliedVeto]
    public var reasons: [EvaluationReason]
    public var evaluatedAt: String
    public var contributions: [Contribution]
}

/// One bar of a distribution: how many subjects of a group have a grade.
public struct GradeCount: Sendable, Equatable, Decodable {
    public let group: String
    public let grade: String
    public let n: Int

    public init(group: String, grade: String, n: Int) {
        self.group = group
        self.grade = grade
        self.n = n
    }
}

/// Subjects a page of evaluation covers, by id order: (`after`, `through`].
public struct SubjectRange: Sendable, Equatable {
    public var after: String?
    public var through: String
    public init(after: String?, through: String) {
        self.after = after
        self.through = through
    }
}

extension EvaluationRepository {
    // MARK: Models

    private struct ModelRow: Decodable { let definition: String }

    /// Installs a model version once; a different model under a version already installed is refused.
    public func install(_ model: EvaluationModel, by actor: Actor) async throws {
        let definition = jsonText(model)
        let digest = SHA256.hash(data: Data(definition.utf8)).hexEncoded
        if let existing = try await db.raw("SELECT definition FROM evaluation_models WHERE version = \(bind: model.version)")
            .first(decoding: ModelRow.self) {
            guard existing.definition == definition else {
                throw StoredDataError(description: "evaluation model version \(model.version) is installed with other content; give the new model a new version")
            }
            return
        }
        try await db.insert(into: "evaluation_models").columns("version", "effective_from", "definition", "digest", "loaded_at")
            .values(model.version, model.effectiveFrom.description, definition, digest, Timestamp.now()).run()
        try await AuditLog(db: db).append(actor, action: "install", entity: "evaluation_models", entityID: String(model.version),
                                          detail: ["digest": digest])
    }

    /// The installed model in force on `date` (the newest that took effect by then).
    public func model(on date: CivilDate) async throws -> EvaluationModel? {
        try await db.raw("""
            SELECT definition FROM evaluation_models WHERE effective_from <= \(bind: date.description)
            ORDER BY version DESC LIMIT 1
            """).first(decoding: ModelRow.self).map { try decodeJSON(EvaluationModel.self, $0.definition, column: "evaluation_models.definition") }
    }

    public func model(version: Int) async throws -> EvaluationModel? {
        try await db.raw("SELECT definition FROM evaluation_models WHERE version = \(bind: version)").first(decoding: ModelRow.self)
            .map { try decodeJSON(EvaluationModel.self, $0.definition, column: "evaluation_models.definition") }
    }

    // MARK: Inputs

    private struct SubjectRow: Decodable { let id: String; let name: String }

    /// The next page of subjects in id order, with names (for the industry).
    public func subjects(after: String?, limit: Int) async throws -> [(id: String, name: String)] {
        let rows = try await db.raw("""
            SELECT id, name FROM subjects WHERE id > \(bind: after ?? "") ORDER BY id LIMIT \(unsafeRaw: String(limit))
            """).all(decoding: SubjectRow.self)
        return rows.map { ($0.id, $0.name) }
    }

    public func subjects(ids: [String]) async throws -> [(id: String, name: String)] {
        guard !ids.isEmpty else { return [] }
        return try await db.select().columns("id", "name").from("subjects").where("id", .in, ids).orderBy("id")
            .all(decoding: SubjectRow.self).map { ($0.id, $0.name) }
    }

    private struct RecordRow: Decodable {
        let subject_id: String, id: String, record_type: String, tier: String?, department_id: String
        let decision_date: String, publicity_start: String?, publicity_end: String?, status: String
    }

    private static let recordColumns = ["subject_id", "id", "record_type", "tier", "department_id", "decision_date",
                                        "publicity_start", "publicity_end", "status"]

    /// The records that count on `asOf` for subjects in a range: active, of a type the model scores, and
    /// public that day. Only the subject range is in SQL, so that both databases walk the primary key:
    /// with the type or date filters there, SQLite's planner picks the type index and reads every record of
    /// those types for each page. The rest is filtered here.
    public func countedRecords(in range: SubjectRange, types: [String], asOf: CivilDate) async throws -> [String: [EvaluatedRecord]] {
        let rows = try await db.select().columns(Self.recordColumns).from("credit_records")
            .where("subject_id", .greaterThan, range.after ?? "").where("subject_id", .lessThanOrEqual, range.through)
            .all(decoding: RecordRow.self)
        return try counted(rows, types: Set(types), asOf: asOf)
    }

    public func countedRecords(of subjectIDs: [String], types: [String], asOf: CivilDate) async throws -> [String: [EvaluatedRecord]] {
        guard !subjectIDs.isEmpty else { return [:] }
        let rows = try await db.select().columns(Self.recordColumns).from("credit_records")
            .where("subject_id", .in, subjectIDs).all(decoding: RecordRow.self)
        return try counted(rows, types: Set(types), asOf: asOf)
    }

    private func counted(_ rows: [RecordRow], types: Set<String>, asOf: CivilDate) throws -> [String: [EvaluatedRecord]] {
        let day = asOf.description
        var bySubject: [String: [EvaluatedRecord]] = [:]
        for row in rows where types.contains(row.record_type) && row.status == CreditRecord.Status.active.rawValue {
            // Dates are stored as YYYY-MM-DD, so text order is date order.
            guard let start = row.publicity_start, let end = row.publicity_end, start <= day, end > day else { continue }
            guard let date = CivilDate(row.decision_date), let expiry = CivilDate(end) else {
                throw StoredDataError(description: "credit_records \(row.id) has a date that does not parse")
            }
            bySubject[row.subject_id, default: []].append(EvaluatedRecord(
                recordID: row.id, recordType: row.record_type, tier: row.tier.flatMap(Tier.init(rawValue:)),
                departmentID: row.department_id, decisionDate: date, expiry: expiry))
        }
        return bySubject
    }

    // MARK: Results

    private struct PreviousRow: Decodable { let subject_id: String; let grade: String }

    /// Replaces the results of the given subjects (and their contributions), and writes a history row for
    /// each subject whose grade changed or that had none. Run it inside a transaction.
    public func save(_ results: [(subjectID: String, industry: String, result: EvaluationResult)], evaluatedAt: String) async throws {
        guard !results.isEmpty else { return }
        let ids = results.map(\.subjectID)
        let previous = try await db.select().columns("subject_id", "grade").from("evaluation_results").where("subject_id", .in, ids)
            .all(decoding: PreviousRow.self)
        let before = Dictionary(previous.map { ($0.subject_id, $0.grade) }, uniquingKeysWith: { a, _ in a })
        try await db.delete(from: "evaluation_contributions").where("subject_id", .in, ids).run()
        try await db.delete(from: "evaluation_results").where("subject_id", .in, ids).run()
        try await db.insertRows(
            into: "evaluation_results",
            columns: ["subject_id", "model_version", "as_of", "score", "grade", "veto", "reasons", "evaluated_at", "industry"],
            rows: results.map { item -> [any Encodable & Sendable] in
                let r = item.result
                return [item.subjectID, r.modelVersion, r.asOf.description, r.score, r.grade.rawValue,
                        r.vetoes.isEmpty ? nil : jsonText(r.vetoes), jsonText(r.reasons), evaluatedAt, item.industry]
            })
        try await db.insertRows(
            into: "evaluation_contributions",
            columns: ["subject_id", "record_id", "rule_id", "department_id", "record_type", "record_date", "expiry", "raw_points", "points"],
            rows: results.flatMap { item in
                item.result.contributions.map { c -> [any Encodable & Sendable] in
                    [item.subjectID, c.recordID, c.ruleID, c.departmentID, c.recordType, c.date.description, c.expiry.description,
                     c.rawPoints, c.points]
                }
            })
        try await db.insertRows(
            into: "evaluation_history",
            columns: ["subject_id", "evaluated_at", "model_version", "as_of", "previous_grade", "grade", "score"],
            rows: results.filter { before[$0.subjectID] != $0.result.grade.rawValue }.map { item -> [any Encodable & Sendable] in
                [item.subjectID, evaluatedAt, item.result.modelVersion, item.result.asOf.description, before[item.subjectID],
                 item.result.grade.rawValue, item.result.score]
            })
    }

    private struct ResultRow: Decodable {
        let subject_id: String, model_version: Int, as_of: String, score: Double, grade: String, veto: String?, reasons: String
        let evaluated_at: String
    }

    private struct ContributionRow: Decodable {
        let record_id: String, rule_id: String, department_id: String, record_type: String, record_date: String, expiry: String
        let raw_points: Double, points: Double
    }

    /// A subject's current evaluation with every contribution, or nil when it was never evaluated.
    /// Without `contributions` (a check's answer needs only grade and reasons), one query instead of two.
    public func find(_ subjectID: String, contributions withContributions: Bool = true) async throws -> StoredEvaluation? {
        guard let row = try await db.select().columns("*").from("evaluation_results").where("subject_id", .equal, subjectID)
            .first(decoding: ResultRow.self) else { return nil }
        let contributions = !withContributions ? [] : try await db.select().columns("*").from("evaluation_contributions")
            .where("subject_id", .equal, subjectID).orderBy("points").all(decoding: ContributionRow.self)
        var evaluation = try Self.stored(subjectID: subjectID, modelVersion: row.model_version, asOf: row.as_of, score: row.score,
                                         grade: row.grade, veto: row.veto, reasons: row.reasons, evaluatedAt: row.evaluated_at)
        evaluation.contributions = contributions.map {
            Contribution(ruleID: $0.rule_id, recordID: $0.record_id, recordType: $0.record_type, departmentID: $0.department_id,
                         date: CivilDate($0.record_date) ?? evaluation.asOf, expiry: CivilDate($0.expiry) ?? evaluation.asOf,
                         rawPoints: $0.raw_points, points: $0.points)
        }
        return evaluation
    }

    /// An evaluation_results row as the model's evaluation, without contributions.
    static func stored(subjectID: String, modelVersion: Int, asOf: String, score: Double, grade: String, veto: String?,
                       reasons: String, evaluatedAt: String) throws -> StoredEvaluation {
        guard let level = Grade(rawValue: grade), let day = CivilDate(asOf) else {
            throw StoredDataError(description: "evaluation_results for \(subjectID) holds grade '\(grade)' / as_of '\(asOf)'")
        }
        return StoredEvaluation(
            subjectID: subjectID, modelVersion: modelVersion, asOf: day, score: score, grade: level,
            vetoes: try veto.map { try decodeJSON([AppliedVeto].self, $0, column: "evaluation_results.veto") } ?? [],
            reasons: try decodeJSON([EvaluationReason].self, reasons, column: "evaluation_results.reasons"),
            evaluatedAt: evaluatedAt, contributions: [])
    }

    // MARK: Figures

    public enum Grouping: String, Sendable, CaseIterable { case region, kind, industry }

    /// Subjects per group and grade. Regions are counties (the subject's region code).
    /// `regionPrefix` keeps a county office to its own subjects.
    public func distribution(by grouping: Grouping, regionPrefix: String? = nil) async throws -> [GradeCount] {
        let group = switch grouping {
        case .region: "s.region_code"
        case .kind: "s.kind"
        case .industry: "COALESCE(r.industry, '')"
        }
        return try await db.raw("""
            SELECT \(unsafeRaw: group) AS "group", r.grade AS grade, COUNT(*) AS n
            FROM evaluation_results r JOIN subjects s ON s.id = r.subject_id
            WHERE s.region_code LIKE \(bind: (regionPrefix ?? "") + "%")
            GROUP BY \(unsafeRaw: group), r.grade ORDER BY 1, 2
            """).all(decoding: GradeCount.self)
    }

    /// Grade changes per month (first grades left out): `group` is the month, `grade` is "B→C".
    public func changesByMonth(regionPrefix: String? = nil) async throws -> [GradeCount] {
        try await db.raw("""
            SELECT SUBSTR(h.evaluated_at, 1, 7) AS "group", h.previous_grade || '→' || h.grade AS grade, COUNT(*) AS n
            FROM evaluation_history h JOIN subjects s ON s.id = h.subject_id
            WHERE h.previous_grade IS NOT NULL AND s.region_code LIKE \(bind: (regionPrefix ?? "") + "%")
            GROUP BY SUBSTR(h.evaluated_at, 1, 7), h.previous_grade, h.grade ORDER BY 1 DESC, 2
            """).all(decoding: GradeCount.self)
    }

    public func count() async throws -> Int { try await db.count("SELECT COUNT(*) AS n FROM evaluation_results") }
}

extension EvaluationRepository {
    private struct ChangeRow: Decodable { let seq: Int; let subject_id: String; let at: String }

    /// Changes on the feed after `seq`, oldest first: whose grade to refresh, and since when it is owed.
    public func changes(after seq: Int, limit: Int) async throws -> [(seq: Int, subjectID: String, at: String)] {
        let bound = try await ChangeFeed(db: db).settledBound()
        return try await db.raw("""
            SELECT seq, subject_id, at FROM changes WHERE seq > \(bind: seq) AND seq <= \(bind: bound) ORDER BY seq LIMIT \(unsafeRaw: String(limit))
            """).all(decoding: ChangeRow.self).map { ($0.seq, $0.subject_id, $0.at) }
    }

    private struct CursorRow: Decodable { let seq: Int }

    /// The change-feed position the grades reflect; 0 before the first follow.
    public func cursor() async throws -> Int {
        try await db.raw("SELECT seq FROM evaluation_cursor WHERE id = 1").first(decoding: CursorRow.self)?.seq ?? 0
    }

    public func moveCursor(to seq: Int) async throws {
        try await db.delete(from: "evaluation_cursor").where("id", .equal, 1).run()
        try await db.insert(into: "evaluation_cursor").columns("id", "seq").values(1, seq).run()
    }

    private struct MaxRow: Decodable { let latest: Int? }

    /// The newest seq on the change feed that no open transaction can still fall below.
    /// On PostgreSQL the settled bound is that already (it caps the newest seq); on SQLite, which commits seqs
    /// in order, it is the newest seq.
    public func latestChange() async throws -> Int {
        guard db.dialect.name == "sqlite" else { return try await ChangeFeed(db: db).settledBound() }
        return try await db.raw("SELECT MAX(seq) AS latest FROM changes").first(decoding: MaxRow.self)?.latest ?? 0
    }

    private struct OldestRow: Decodable { let oldest: String? }

    /// The cut-off date of the oldest result, to tell whether today's full run is still owed: a run stopped
    /// part-way (a restart) leaves results of an earlier day behind it.
    public func oldestAsOf() async throws -> CivilDate? {
        let row = try await db.raw("SELECT MIN(as_of) AS oldest FROM evaluation_results").first(decoding: OldestRow.self)
        return row?.oldest.flatMap { CivilDate($0) }
    }
}
