import Foundation
import XinyongModel
import XinyongStore
import XinyongSupervision

/// One double-random inspection plan of 资兴市's market regulation bureau, published two weeks before the
/// as-of date, drawn four days later with a demo public value, and half of its targets' results published.
/// One inspector must stay away from one enterprise (回避), so the page shows a conflict.
/// Subjects the evaluation has not graded yet are ungraded; the risk classes present become the strata.
/// Results are written as records directly, as the rest of the demo is; the platform publishes them through
/// the exchange (``Supervision/enterResult(plan:subject:result:on:legalBasis:importer:by:)``).
extension DemoGenerator {
    static let inspectionRegion = "431081"
    static let inspectionMatters = ["营业执照（登记证）规范使用情况的检查", "年度报告公示信息的检查", "食品经营许可情况的检查"]

    /// Each inspector's cap: a fifth above an even share. The draw staffs targets greedily, so with a cap at
    /// the even share the last targets of a large plan (a 1M-subject demo) found only one inspector with room;
    /// with a fifth more, at least three always have room (ten at the cap would already hold every target).
    public static func inspectorCap(targets: Int, inspectors: Int) -> Int {
        (targets * InspectionPlan.minimumInspectorsPerTarget * 6 + 5 * inspectors - 1) / (5 * inspectors) + 2
    }

    /// Returns how many result records it wrote.
    func runInspectionDemo(into store: Store, departments: [Department], actor: Actor) async throws -> Int {
        guard let department = departments.first(where: { $0.id == "\(Self.inspectionRegion)-market_regulation" }) else { return 0 }
        let service = Supervision(store: store)
        let publishedOn = options.asOf.adding(days: -14), valueOn = options.asOf.adding(days: -10)
        let (_, mapping) = try await service.mapping(department: department.id)
        let candidates = try await service.candidates(kinds: [.enterprise], regions: [Self.inspectionRegion], mapping: mapping)
        guard !candidates.isEmpty else { return 0 }  // a demo too small to have enterprises there has no plan
        let targets = InspectionPlanDraft.strata(of: mapping).reduce(0) { sum, s in
            sum + Ratio.targets(basisPoints: Ratio.basisPoints(s.ratio), of: candidates.count { $0.riskClass == s.riskClass })
        }
        var random = SeededRandom(seed: options.seed).fork(3_000_000)
        let inspectors = (1...12).map { i in
            Inspector(id: "ZX\(String(format: "%03d", i))", name: personName(&random),
                      conflictSubjects: i == 1 ? [candidates[0].subjectID] : [])
        }
        let request = Supervision.PlanRequest(
            title: "\(valueOn.year)年资兴市市场主体“双随机、一公开”抽查", matters: Self.inspectionMatters, kinds: [.enterprise],
            regions: [Self.inspectionRegion], inspectors: inspectors,
            maxTargetsPerInspector: Self.inspectorCap(targets: targets, inspectors: inspectors.count),
            publicValueName: "\(valueOn)上证综合指数收盘点位（演示数值）", publicValueOn: valueOn)
        let id = "CC\(publishedOn.description.replacingOccurrences(of: "-", with: ""))-DEMO0001"
        _ = try await service.publish(request, department: department.id, id: id, today: publishedOn, by: actor)
        let value = "\(random.int(2900...3600)).\(String(format: "%02d", random.int(0...99)))"
        _ = try await service.draw(id, publicValue: value, today: valueOn, by: actor)
        return try await publishDemoResults(plan: id, department: department, store: store, random: &random, actor: actor)
    }

    /// Every other target has its result published, the first of them with a problem found.
    private func publishDemoResults(plan id: String, department: Department, store: Store, random: inout SeededRandom, actor: Actor) async throws -> Int {
        guard let plan = try await store.repositories.inspections.find(id: id)?.plan,
              let type = catalog.recordType(InspectionResultRecord.recordType)
        else { return 0 }
        var written = 0
        let outcomes = InspectionResultRecord.outcomes(in: catalog)
        for (index, row) in try await store.repositories.inspections.targets(plan: id).enumerated() where index % 2 == 0 {
            guard let subject = try await store.repositories.subjects.find(id: row.target.subjectID), let code = subject.code else { continue }
            let result = index == 0 ? outcomes[1] : outcomes[0]
            let inspected = options.asOf.adding(days: -random.int(0...8))
            let on = max(inspected, subject.registeredOn ?? inspected)
            var fields = InspectionResultRecord.fields(plan: plan, subjectName: subject.name, subjectCode: code.value, result: result, on: on,
                                                       authority: department.name, authorityCode: department.code?.value, legalBasis: type.legalBasis)
            let schedule = try catalog.schedule(for: type, tier: nil, decisionDate: on, fields: fields, calendar: calendar)
            let number = fields.removeValue(forKey: "document_no")!
            for column in ["decision_date", "legal_basis", "authority_code"] { fields.removeValue(forKey: column) }
            let record = CreditRecord(
                id: random.uuid(), subjectID: subject.id, recordType: type.code, catalogVersion: catalog.version, departmentID: department.id,
                regionCode: subject.regionCode, documentNumber: number, tier: nil, decisionDate: on, legalBasis: type.legalBasis,
                schedule: schedule, fields: fields)
            try await store.transaction { repos in
                try await repos.records.insert([record], by: actor)
                try await repos.inspections.recordResult(plan: id, subject: subject.id, result: result, on: on, recordID: record.id, by: actor)
            }
            written += 1
        }
        return written
    }
}
