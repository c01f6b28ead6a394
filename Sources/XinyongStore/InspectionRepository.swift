import Foundation
import SQLKit
import XinyongModel

extension Repositories {
    public var inspections: InspectionRepository { .init(db: db) }
}

/// A plan as stored: the published plan and, once drawn, the public value and seed.
public struct StoredInspectionPlan: Sendable, Equatable {
    public enum Status: String, Sendable { case published, drawn }

    public let plan: InspectionPlan
    /// The canonical JSON exactly as published (its SHA-256 is `sha256`).
    public let canonicalJSON: String
    public let sha256: String
    public let status: Status
    public let publicValue: String?
    public let seed: String?
    public let drawnAt: String?
    public let publishedAt: String
}

public struct InspectionTargetRow: Sendable, Equatable {
    public let target: InspectionTarget
    public let result: String?
    public let resultOn: CivilDate?
    public let resultRecordID: String?
}

public struct InspectionRepository: Sendable {
    let db: any SQLDatabase

    // MARK: Mappings

    private struct MappingRow: Decodable { let version: Int; let mapping: String }

    /// The department's newest mapping and its version; nil when it never set one (the shipped one applies, version 0).
    public func mapping(department: String) async throws -> (version: Int, mapping: RiskMapping)? {
        guard let row = try await db.raw("""
            SELECT version, mapping FROM inspection_mappings WHERE department_id = \(bind: department) ORDER BY version DESC LIMIT 1
            """).first(decoding: MappingRow.self)
        else { return nil }
        return (row.version, try decodeJSON(RiskMapping.self, row.mapping, column: "inspection_mappings.mapping"))
    }

    /// Stores a new version of the department's mapping (validated by the caller) and audits it; returns the version.
    public func saveMapping(_ mapping: RiskMapping, department: String, by actor: Actor) async throws -> Int {
        let version = (try await self.mapping(department: department)?.version ?? 0) + 1
        let text = jsonText(mapping)
        try await db.insert(into: "inspection_mappings").columns("department_id", "version", "mapping", "created_at", "created_by")
            .values(department, version, text, Timestamp.now(), actor.name).run()
        try await AuditLog(db: db).append(actor, action: "set", entity: "inspection_mappings", entityID: department,
                                          detail: ["version": "\(version)", "mapping": text])
        return version
    }

    // MARK: Candidates

    private struct ScopeRow: Decodable { let id, region_code: String }

    /// Operating subjects with a unified code, of the given kinds, in any of the regions (a region and everything under it).
    public func subjectsInScope(kinds: [SubjectKind], regions: [String]) async throws -> [(id: String, regionCode: String)] {
        guard !kinds.isEmpty, !regions.isEmpty else { return [] }
        let within = SQLGroupExpression(SQLList(regions.map { region in
            SQLBinaryExpression(SQLIdentifier("region_code"), .like, SQLBind(Region.codePrefix(region) + "%"))
        }, separator: SQLRaw(" OR ")))
        return try await db.select().columns("id", "region_code").from("subjects")
            .where("kind", .in, kinds.map(\.rawValue)).where("status", .equal, SubjectStatus.operating.rawValue)
            .where(SQLColumn("code"), .isNot, SQLLiteral.null).where(within)
            .all(decoding: ScopeRow.self).map { ($0.id, $0.region_code) }
    }

    // MARK: Plans

    private struct PlanRow: Decodable {
        let plan, plan_sha256, status, published_at: String
        let public_value, seed, drawn_at: String?
    }

    /// Publishes a plan with its frozen candidate list, in the caller's transaction.
    public func insert(_ plan: InspectionPlan, candidates: [InspectionCandidate], by actor: Actor) async throws {
        let text = plan.canonicalJSON
        let sha = InspectionDraw.sha256(text)
        try await db.insert(into: "inspection_plans")
            .columns("id", "department_id", "title", "plan", "plan_sha256", "public_value_on", "status", "published_at", "created_by")
            .values(plan.id, plan.departmentID, plan.title, text, sha, plan.publicValueOn.description,
                    StoredInspectionPlan.Status.published.rawValue, Timestamp.now(), actor.name)
            .run()
        try await db.insertRows(into: "inspection_candidates", columns: ["plan_id", "subject_id", "risk_class", "region_code"],
                                rows: candidates.map { [plan.id, $0.subjectID, $0.riskClass, $0.regionCode] })
        try await AuditLog(db: db).append(actor, action: "publish", entity: "inspection_plans", entityID: plan.id,
                                          detail: ["sha256": sha, "candidates": "\(candidates.count)", "targets": "\(plan.targetCount)"])
    }

    public func find(id: String) async throws -> StoredInspectionPlan? {
        try await db.raw("""
            SELECT plan, plan_sha256, status, public_value, seed, drawn_at, published_at FROM inspection_plans WHERE id = \(bind: id)
            """).first(decoding: PlanRow.self).map(Self.stored)
    }

    /// Plans newest first, of one department or all.
    public func plans(department: String? = nil, limit: Int = 200) async throws -> [StoredInspectionPlan] {
        var filter: SQLQueryString = ""
        if let department { filter = "WHERE department_id = \(bind: department)" }
        return try await db.raw("""
            SELECT plan, plan_sha256, status, public_value, seed, drawn_at, published_at FROM inspection_plans
            \(filter) ORDER BY published_at DESC, id DESC LIMIT \(bind: limit)
            """).all(decoding: PlanRow.self).map(Self.stored)
    }

    private struct CandidateRow: Decodable { let subject_id, risk_class, region_code: String }

    public func candidates(plan id: String) async throws -> [InspectionCandidate] {
        try await db.raw("""
            SELECT subject_id, risk_class, region_code FROM inspection_candidates WHERE plan_id = \(bind: id) ORDER BY subject_id
            """).all(decoding: CandidateRow.self)
            .map { InspectionCandidate(subjectID: $0.subject_id, riskClass: $0.risk_class, regionCode: $0.region_code) }
    }

    // MARK: Draws and results

    /// Stores a draw; false when the plan was drawn meanwhile (a plan is drawn once).
    public func recordDraw(plan id: String, publicValue: String, draw: InspectionDrawResult, by actor: Actor) async throws -> Bool {
        let updated = try await db.raw("""
            UPDATE inspection_plans SET status = 'drawn', public_value = \(bind: publicValue), seed = \(bind: draw.seed),
            drawn_at = \(bind: Timestamp.now()) WHERE id = \(bind: id) AND status = 'published' RETURNING id
            """).all()
        guard !updated.isEmpty else { return false }
        try await db.insertRows(into: "inspection_targets", columns: ["plan_id", "subject_id", "risk_class", "rank", "draw_key", "inspectors"],
                                rows: draw.targets.map { [id, $0.subjectID, $0.riskClass, $0.rank, $0.key, jsonText($0.inspectors)] })
        try await AuditLog(db: db).append(actor, action: "draw", entity: "inspection_plans", entityID: id,
                                          detail: ["public_value": publicValue, "seed": draw.seed, "targets": "\(draw.targets.count)"])
        return true
    }

    private struct TargetRow: Decodable {
        let subject_id, risk_class, draw_key, inspectors: String
        let rank: Int
        let result, result_on, result_record_id: String?
    }

    /// The drawn targets, stratum by stratum in the order drawn.
    public func targets(plan id: String) async throws -> [InspectionTargetRow] {
        try await db.raw("""
            SELECT subject_id, risk_class, rank, draw_key, inspectors, result, result_on, result_record_id
            FROM inspection_targets WHERE plan_id = \(bind: id) ORDER BY risk_class, rank
            """).all(decoding: TargetRow.self).map { r in
                InspectionTargetRow(
                    target: InspectionTarget(subjectID: r.subject_id, riskClass: r.risk_class, rank: r.rank, key: r.draw_key,
                                             inspectors: try decodeJSON([String].self, r.inspectors, column: "inspection_targets.inspectors")),
                    result: r.result, resultOn: r.result_on.flatMap { CivilDate($0) }, resultRecordID: r.result_record_id)
            }
    }

    /// Notes a target's published result (the record itself went through the exchange).
    public func recordResult(plan id: String, subject: String, result: String, on date: CivilDate, recordID: String?, by actor: Actor) async throws {
        try await db.raw("""
            UPDATE inspection_targets SET result = \(bind: result), result_on = \(bind: date.description), result_record_id = \(bind: recordID)
            WHERE plan_id = \(bind: id) AND subject_id = \(bind: subject)
            """).run()
        try await AuditLog(db: db).append(actor, action: "result", entity: "inspection_plans", entityID: id, subjectID: subject,
                                          detail: ["result": result, "record": recordID ?? ""])
    }

    private static func stored(_ r: PlanRow) throws -> StoredInspectionPlan {
        guard let status = StoredInspectionPlan.Status(rawValue: r.status) else {
            throw StoredDataError(description: "inspection plan with unknown status \(r.status)")
        }
        let plan: InspectionPlan
        do {
            plan = try InspectionPlan.decode(canonicalJSON: r.plan)
        } catch {
            throw StoredDataError(description: "inspection plan JSON does not decode: \(error)")
        }
        return StoredInspectionPlan(plan: plan, canonicalJSON: r.plan, sha256: r.plan_sha256, status: status, publicValue: r.public_value,
                                    seed: r.seed, drawnAt: r.drawn_at, publishedAt: r.published_at)
    }
}
