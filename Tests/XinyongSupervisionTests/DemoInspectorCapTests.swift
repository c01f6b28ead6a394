import Testing
import XinyongDemo
import XinyongModel

/// The demo's plan must be drawable at any size: a 1M-subject demo once failed because its inspectors' cap
/// (an even share plus two) left only one inspector with room for the last targets.
@Suite struct DemoInspectorCapTests {
    @Test(arguments: [10, 700, 8_000])
    func theDemosCapStaffsEveryTargetOfALargePlan(_ count: Int) throws {
        let candidates = (0..<count).map { InspectionCandidate(subjectID: String(format: "S%07d", $0), riskClass: "general", regionCode: "431081") }
        var inspectors = (1...12).map { Inspector(id: String(format: "ZX%03d", $0), name: "执法人员\($0)") }
        inspectors[0].conflictSubjects = [candidates[0].subjectID]
        let cap = DemoGenerator.inspectorCap(targets: count, inspectors: inspectors.count)
        let draft = InspectionPlanDraft(
            id: "CC1", departmentID: "431081-market_regulation", title: "抽查", matters: ["事项"], kinds: [.enterprise], regions: ["431081"],
            strata: [.init(riskClass: "general", name: "一般风险", ratio: 1)], inspectors: inspectors, inspectorsPerTarget: 2,
            maxTargetsPerInspector: cap, publicValueName: "数值", publicValueOn: CivilDate("2026-11-06")!, mappingVersion: 0,
            publishedOn: CivilDate("2026-11-02")!)
        let plan = try InspectionPlan.make(draft, candidates: candidates)
        for value in ["3123.45", "2987.01", "3500.99"] {
            let result = try InspectionDraw.draw(plan, candidates: candidates, publicValue: value)
            #expect(result.targets.count == count)
            #expect(result.targets.allSatisfy { $0.inspectors.count == 2 })
        }
    }
}
