import Foundation
import XinyongExchange
import XinyongModel
import XinyongStore

/// Graded supervision and double-random inspections (分级分类监管, 双随机一公开): departments' risk mappings,
/// plans published with their frozen candidates before the public value is known, the draw, its
/// verification, and results published as records through the exchange.
public struct Supervision: Sendable {
    public let store: Store

    public init(store: Store) { self.store = store }

    /// Why a request was refused, with a stable code for the API.
    public struct Refused: Error, Equatable, CustomStringConvertible {
        public enum Kind: String, Sendable {
            case notFound = "not-found"
            case mappingRefused = "risk-mapping-refused"
            case planRefused = "inspection-plan-refused"
            case tooEarly = "public-value-not-yet-known"
            case alreadyDrawn = "already-drawn"
            case notDrawn = "not-drawn"
            case drawRefused = "draw-refused"
            case notATarget = "not-a-target"
            case resultRefused = "result-refused"
        }

        public let kind: Kind
        public let reasons: [String]
        public var description: String { reasons.joined(separator: "; ") }

        init(_ kind: Kind, _ reasons: [String]) {
            self.kind = kind
            self.reasons = reasons
        }
    }

    // MARK: Risk mappings

    /// The department's mapping in force: its newest version, or the shipped one (version 0).
    public func mapping(department: String) async throws -> (version: Int, mapping: RiskMapping) {
        try await store.repositories.inspections.mapping(department: department) ?? (0, .shipped)
    }

    /// Stores a new version after checking it; every defect is named and nothing is written when there is one.
    public func setMapping(_ mapping: RiskMapping, department: String, by actor: Actor) async throws -> Int {
        let defects = mapping.defects()
        guard defects.isEmpty else { throw Refused(.mappingRefused, defects) }
        guard try await store.repositories.departments.find(department) != nil else {
            throw Refused(.notFound, ["there is no department '\(department.prefix(60))'"])
        }
        return try await store.transaction { try await $0.inspections.saveMapping(mapping, department: department, by: actor) }
    }

    // MARK: Plans

    /// What a department sends; absent parts come from its mapping (strata present among the candidates) and its own region (scope).
    public struct PlanRequest: Sendable {
        public var title: String
        public var matters: [String]
        public var kinds: [SubjectKind]
        public var regions: [String]?
        public var strata: [InspectionPlanDraft.Stratum]?
        public var inspectors: [Inspector]
        public var inspectorsPerTarget: Int
        public var maxTargetsPerInspector: Int
        public var publicValueName: String
        public var publicValueOn: CivilDate

        public init(title: String, matters: [String], kinds: [SubjectKind] = [.enterprise, .individualBusiness], regions: [String]? = nil,
                    strata: [InspectionPlanDraft.Stratum]? = nil, inspectors: [Inspector],
                    inspectorsPerTarget: Int = InspectionPlan.minimumInspectorsPerTarget, maxTargetsPerInspector: Int,
                    publicValueName: String, publicValueOn: CivilDate) {
            self.title = title
            self.matters = matters
            self.kinds = kinds
            self.regions = regions
            self.strata = strata
            self.inspectors = inspectors
            self.inspectorsPerTarget = inspectorsPerTarget
            self.maxTargetsPerInspector = maxTargetsPerInspector
            self.publicValueName = publicValueName
            self.publicValueOn = publicValueOn
        }
    }

    /// Freezes the candidates (subjects in scope, each with the risk class of its grade) and publishes the plan.
    /// A plan with an empty stratum, a ratio above 1 or a pool too small for the draw is refused with the reasons.
    public func publish(_ request: PlanRequest, department: String, id: String? = nil, today: CivilDate = .today(),
                        by actor: Actor) async throws -> StoredInspectionPlan {
        guard let dept = try await store.repositories.departments.find(department) else {
            throw Refused(.notFound, ["there is no department '\(department.prefix(60))'"])
        }
        let (version, mapping) = try await self.mapping(department: department)
        let regions = request.regions ?? [dept.regionCode]
        let candidates = try await candidates(kinds: request.kinds, regions: regions, mapping: mapping)
        let draft = InspectionPlanDraft(
            id: id ?? Self.newID(today), departmentID: department, title: request.title, matters: request.matters,
            kinds: request.kinds, regions: regions, strata: request.strata ?? Self.strata(of: mapping, present: candidates),
            inspectors: request.inspectors, inspectorsPerTarget: request.inspectorsPerTarget,
            maxTargetsPerInspector: request.maxTargetsPerInspector, publicValueName: request.publicValueName,
            publicValueOn: request.publicValueOn, mappingVersion: version, publishedOn: today)
        let plan: InspectionPlan
        do {
            plan = try InspectionPlan.make(draft, candidates: candidates)
        } catch {
            throw Refused(.planRefused, error.reasons)
        }
        try await store.transaction { try await $0.inspections.insert(plan, candidates: candidates, by: actor) }
        return try await find(plan.id)
    }

    /// Without strata named, the mapping's classes that have candidates: a city where no one is graded D yet
    /// still gets a plan. Strata a department names must each have candidates.
    static func strata(of mapping: RiskMapping, present candidates: [InspectionCandidate]) -> [InspectionPlanDraft.Stratum] {
        let present = Set(candidates.map(\.riskClass))
        return InspectionPlanDraft.strata(of: mapping).filter { present.contains($0.riskClass) }
    }

    /// The subjects a plan of this scope would freeze now, each with its risk class: a department sees its strata before publishing.
    public func candidates(kinds: [SubjectKind], regions: [String], mapping: RiskMapping) async throws -> [InspectionCandidate] {
        let inScope = try await store.repositories.inspections.subjectsInScope(kinds: kinds, regions: regions.filter(InspectionText.isRegionCode))
        let grades = try await store.repositories.evaluations.grades(of: inScope.map(\.id))
        return inScope.compactMap { s in
            mapping.riskClass(for: grades[s.id]).map { InspectionCandidate(subjectID: s.id, riskClass: $0, regionCode: s.regionCode) }
        }
    }

    /// `CC` (抽查), the Beijing date, and eight random hex digits: unique without a sequence to coordinate.
    static func newID(_ today: CivilDate) -> String {
        "CC\(today.description.replacingOccurrences(of: "-", with: ""))-\(UUID().uuidString.prefix(8).uppercased())"
    }

    public func find(_ id: String) async throws -> StoredInspectionPlan {
        guard let plan = try await store.repositories.inspections.find(id: id) else {
            throw Refused(.notFound, ["there is no inspection plan '\(id.prefix(40))'"])
        }
        return plan
    }

    // MARK: The draw

    /// Draws once the public value the plan named is known; a plan is drawn once.
    public func draw(_ id: String, publicValue raw: String, today: CivilDate = .today(), by actor: Actor) async throws -> StoredInspectionPlan {
        let stored = try await find(id)
        let publicValue = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        guard stored.status == .published else { throw Refused(.alreadyDrawn, ["plan \(id) was drawn at \(stored.drawnAt ?? "?")"]) }
        guard today >= stored.plan.publicValueOn else {
            throw Refused(.tooEarly, ["the plan draws with \(stored.plan.publicValueName), known on \(stored.plan.publicValueOn); today is \(today)"])
        }
        guard !publicValue.isEmpty, publicValue.count <= 200, !InspectionText.hasControlCharacters(publicValue) else {
            throw Refused(.drawRefused, ["the public value must be 1–200 characters without control characters"])
        }
        let candidates = try await store.repositories.inspections.candidates(plan: id)
        let result: InspectionDrawResult
        do {
            result = try InspectionDraw.draw(stored.plan, candidates: candidates, publicValue: publicValue)
        } catch {
            throw Refused(.drawRefused, [error.description])
        }
        let recorded = try await store.transaction { try await $0.inspections.recordDraw(plan: id, publicValue: publicValue, draw: result, by: actor) }
        guard recorded else { throw Refused(.alreadyDrawn, ["plan \(id) was drawn meanwhile"]) }
        return try await find(id)
    }

    /// A drawn plan recomputed from what it published: the plan's canonical JSON, the candidate list and the public value.
    public func verify(_ id: String) async throws -> InspectionDraw.Verdict {
        let stored = try await find(id)
        guard stored.status == .drawn, let publicValue = stored.publicValue, let seed = stored.seed else {
            throw Refused(.notDrawn, ["plan \(id) has not been drawn yet"])
        }
        let candidates = try await store.repositories.inspections.candidates(plan: id)
        let targets = try await store.repositories.inspections.targets(plan: id).map(\.target)
        var verdict = InspectionDraw.verify(plan: stored.plan, storedSHA256: stored.sha256, candidates: candidates,
                                            publicValue: publicValue, seed: seed, targets: targets)
        // The stored text itself, not only the plan decoded from it, must be what the hash covers.
        if InspectionDraw.sha256(stored.canonicalJSON) != stored.sha256 {
            let problem = "the stored plan text does not hash to the published SHA-256"
            if case .mismatch(let problems) = verdict { verdict = .mismatch(problems + [problem]) } else { verdict = .mismatch([problem]) }
        }
        return verdict
    }

    // MARK: Results (一公开)

    /// Publishes a target's result as an `inspection_result` record through the exchange (validated, versioned,
    /// on the change feed like any department's record), then notes it on the target.
    public func enterResult(plan id: String, subject subjectID: String, result: String, on date: CivilDate = .today(),
                            legalBasis: String? = nil, importer: BatchImporter, by actor: Actor) async throws -> String {
        let stored = try await find(id)
        guard stored.status == .drawn else { throw Refused(.notDrawn, ["plan \(id) has not been drawn yet"]) }
        guard try await store.repositories.inspections.targets(plan: id).contains(where: { $0.target.subjectID == subjectID }) else {
            throw Refused(.notATarget, ["\(subjectID.prefix(40)) was not drawn by plan \(id)"])
        }
        let outcomes = InspectionResultRecord.outcomes(in: importer.catalog)
        guard outcomes.contains(result) else {
            throw Refused(.resultRefused, ["'\(result.prefix(40))' is not a result; results are \(outcomes.joined(separator: ", "))"])
        }
        guard let subject = try await store.repositories.subjects.find(id: subjectID), let code = subject.code,
              let dept = try await store.repositories.departments.find(stored.plan.departmentID)
        else { throw Refused(.notFound, ["the subject \(subjectID.prefix(40)) or the plan's department is gone"]) }
        let fields = InspectionResultRecord.fields(
            plan: stored.plan, subjectName: subject.name, subjectCode: code.value, result: result, on: date, authority: dept.name,
            authorityCode: dept.code?.value,
            legalBasis: legalBasis ?? importer.catalog.recordType(InspectionResultRecord.recordType)?.legalBasis ?? "")
        let summary = try await importer.run(
            BatchRequest(departmentID: dept.id, recordType: InspectionResultRecord.recordType, source: "inspection", submittedBy: actor.name),
            source: ListSource([InputRow(number: 1, values: fields)]), today: date)
        guard summary.status != "rejected" else {
            let issues = try await store.repositories.batches.issues(batch: summary.id)
            throw Refused(.resultRefused, issues.map { "\($0.field ?? "row"): \($0.reason)" })
        }
        let number = InspectionResultRecord.documentNumber(plan: id, subject: code.value)
        let recordID = try await store.repositories.records.byDocumentNumbers(
            department: dept.id, type: InspectionResultRecord.recordType, [number])[number]?.record.id
        try await store.transaction { try await $0.inspections.recordResult(plan: id, subject: subjectID, result: result, on: date, recordID: recordID, by: actor) }
        return recordID ?? summary.id
    }
}
