import Crypto
import Foundation
import SQLKit
import Testing
import XinyongExchange
import XinyongModel
import XinyongStore
import XinyongSupervision
import XinyongTestSupport

/// A small city: one market regulation department, 60 enterprises in two districts, graded
/// 10 A, 10 B, 10 C, 5 D and 25 never evaluated (ungraded, which the shipped mapping treats as general risk).
enum InspectionFixture {
    static let department = "431000-market_regulation"
    static let publishedOn = CivilDate("2026-11-02")!
    static let valueOn = CivilDate("2026-11-06")!

    static func codes() -> [SocialCreditCode] {
        var out: [SocialCreditCode] = []
        var n = 0
        while out.count < 60 {
            n += 1
            let region = out.count % 2 == 0 ? "431002" : "431081"
            if let code = SocialCreditCode.completing("91\(region)" + String(format: "MA%06d", n)) { out.append(code) }
        }
        return out
    }

    static func seed(_ store: Store) async throws {
        let actor = Actor("test", reason: "inspection fixture")
        let subjects = codes().enumerated().map { i, code in
            Subject.organisation(code: code, kind: .enterprise, name: "郴州测试企业\(i)有限公司", regionCode: code.regionCode)
        }
        try await store.transaction { repos in
            try await repos.departments.insert([Department(id: department, name: "郴州市市场监督管理局", category: "market_regulation",
                                                           regionCode: "431000", level: .city, code: codes()[0])], by: actor)
            try await repos.subjects.insert(subjects, by: actor)
        }
        let grades = Array(repeating: "A", count: 10) + Array(repeating: "B", count: 10) + Array(repeating: "C", count: 10)
            + Array(repeating: "D", count: 5)
        for (subject, grade) in zip(subjects, grades) { try await setGrade(store, subject.id, grade) }
    }

    static func setGrade(_ store: Store, _ subject: String, _ grade: String) async throws {
        try await store.sql.raw("""
            INSERT INTO evaluation_results (subject_id, model_version, as_of, score, grade, veto, reasons, evaluated_at)
            VALUES (\(bind: subject), 1, '2026-11-01', 80, \(bind: grade), NULL, '[]', '2026-11-01T00:00:00Z')
            """).run()
    }

    static func inspectors(_ n: Int = 6) -> [Inspector] {
        (1...n).map { Inspector(id: "ZF\(String(format: "%03d", $0))", name: "执法人员\($0)") }
    }

    static func request(strata: [InspectionPlanDraft.Stratum]? = nil, inspectors: [Inspector] = inspectors(), cap: Int = 3) -> Supervision.PlanRequest {
        .init(title: "2026年第四季度食品经营者双随机抽查", matters: ["食品经营许可情况检查", "年度报告公示情况检查"], kinds: [.enterprise],
              regions: ["431000"], strata: strata, inspectors: inspectors, maxTargetsPerInspector: cap,
              publicValueName: "2026-11-05 上证综合指数收盘点位", publicValueOn: valueOn)
    }

    static let actor = Actor("user:clerk", reason: "test", department: department)

    static func published(_ store: Store, _ service: Supervision, id: String = "CC20261102-TEST0001") async throws -> StoredInspectionPlan {
        try await seed(store)
        return try await service.publish(request(), department: department, id: id, today: publishedOn, by: actor)
    }
}

struct Drawn: Equatable {
    let sha256, fingerprint, seed: String
    let targets: [InspectionTarget]
}

@Suite struct InspectionTests {
    typealias F = InspectionFixture

    @Test func sameInputsGiveTheSameDrawOnBothDatabases() async throws {
        var draws: [Drawn] = []
        for backend in Backend.allCases {
            try await backend.withStore { store in
                let service = Supervision(store: store)
                _ = try await F.published(store, service)
                let drawn = try await service.draw("CC20261102-TEST0001", publicValue: " 3321.47 ", today: F.valueOn, by: F.actor)
                let targets = try await store.repositories.inspections.targets(plan: drawn.plan.id).map(\.target)
                draws.append(Drawn(sha256: drawn.sha256, fingerprint: drawn.plan.candidateFingerprint, seed: drawn.seed!, targets: targets))
                #expect(drawn.publicValue == "3321.47")
            }
        }
        #expect(draws.count == (Backend.postgresURL == nil ? 1 : 2))
        #expect(Set(draws.map(\.sha256)).count == 1 && Set(draws.map(\.seed)).count == 1)
        #expect(draws.dropFirst().allSatisfy { $0.targets == draws[0].targets })
    }

    @Test(arguments: Backend.allCases) func ratiosHoldInEachStratum(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let service = Supervision(store: store)
            let stored = try await F.published(store, service)
            #expect(stored.plan.strata.map(\.candidates) == [10, 35, 10, 5])  // low, general (B + ungraded), higher, high
            _ = try await service.draw(stored.plan.id, publicValue: "3321.47", today: F.valueOn, by: F.actor)
            let targets = try await store.repositories.inspections.targets(plan: stored.plan.id).map(\.target)
            Self.expectRatiosHold(stored.plan, targets)
        }
    }

    /// Each stratum draws ceil(ratio × n), ranked 1…k; each target gets two inspectors; no inspector exceeds the cap.
    static func expectRatiosHold(_ plan: InspectionPlan, _ targets: [InspectionTarget]) {
        for stratum in plan.strata {
            let drawn = targets.filter { $0.riskClass == stratum.riskClass }
            let expected = Int((Double(stratum.ratioBP) / 10_000 * Double(stratum.candidates)).rounded(.up))
            #expect(drawn.count == expected, "stratum \(stratum.riskClass)")
            let ranks = drawn.map(\.rank).sorted()
            #expect(ranks == Array(1..<(expected + 1)))
        }
        #expect(targets.count == 8, "1 low + 2 general + 2 higher + 3 high")
        let assignments = targets.flatMap(\.inspectors)
        #expect(targets.allSatisfy { Set($0.inspectors).count == 2 })
        let load = Dictionary(grouping: assignments, by: { $0 }).mapValues(\.count)
        #expect(load.values.allSatisfy { $0 <= plan.maxTargetsPerInspector })
    }

    @Test func aChangedCandidateListChangesTheFingerprint() {
        let list = (1...20).map { InspectionCandidate(subjectID: "S\($0)", riskClass: $0 % 3 == 0 ? "low" : "general", regionCode: "431002") }
        let base = InspectionDraw.fingerprint(list)
        #expect(InspectionDraw.fingerprint(list.reversed()) == base, "the order candidates arrive in does not matter")
        #expect(InspectionDraw.fingerprint(Array(list.dropLast())) != base)
        var reclassed = list
        reclassed[4].riskClass = "high"
        #expect(InspectionDraw.fingerprint(reclassed) != base)
        var moved = list
        moved[4].regionCode = "431081"
        #expect(InspectionDraw.fingerprint(moved) != base)
    }

    @Test func theCanonicalJSONSortsKeysByBytesAndDecodesToThePlan() throws {
        let candidates = F.codes().prefix(10).map { InspectionCandidate(subjectID: $0.value, riskClass: "general", regionCode: $0.regionCode) }
        let draft = InspectionPlanDraft(
            id: "CC1", departmentID: F.department, title: "抽查 \"引号\" \\", matters: ["事项"], kinds: [.enterprise], regions: ["431000"],
            strata: [.init(riskClass: "general", name: "一般风险", ratio: 0.25)], inspectors: F.inspectors(2), inspectorsPerTarget: 2,
            maxTargetsPerInspector: 3, publicValueName: "数值", publicValueOn: F.valueOn, mappingVersion: 0, publishedOn: F.publishedOn)
        let plan = try InspectionPlan.make(draft, candidates: Array(candidates))
        let text = plan.canonicalJSON
        #expect(text.contains(#""public_value_on":"2026-11-06","published_on":"2026-11-02""#))
        #expect(text.contains(#""title":"抽查 \"引号\" \\""#))
        #expect(!text.contains(", ") && !text.contains(": "), "no whitespace between tokens")
        #expect(try InspectionPlan.decode(canonicalJSON: text) == plan)
        #expect(plan.strata[0].targets == 3, "ceil(0.25 × 10)")
    }

    @Test(arguments: Backend.allCases) func aRegradedSubjectChangesThePublishedFingerprint(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let service = Supervision(store: store)
            let first = try await F.published(store, service, id: "CC20261102-FIRST")
            try await F.setGrade(store, F.codes()[59].value, "D")
            let second = try await service.publish(F.request(), department: F.department, id: "CC20261102-SECOND", today: F.publishedOn, by: F.actor)
            #expect(first.plan.candidateFingerprint != second.plan.candidateFingerprint)
            #expect(first.sha256 != second.sha256)
        }
    }

    @Test(arguments: Backend.allCases) func badPlansAreRefusedWithTheirReasonAndNothingIsWritten(_ backend: Backend) async throws {
        try await backend.withStore { store in
            try await F.seed(store)
            let service = Supervision(store: store)
            let shipped = InspectionPlanDraft.strata(of: .shipped)
            let cases: [(Supervision.PlanRequest, String)] = [
                (F.request(strata: shipped + [.init(riskClass: "watch", name: "重点关注", ratio: 0.1)]), "stratum watch (重点关注) is empty"),
                (F.request(strata: shipped.map { s in var s = s; if s.riskClass == "high" { s.ratio = 1.5 }; return s }),
                 "the ratio 1.5 of stratum high is above 1"),
                (F.request(inspectors: F.inspectors(3), cap: 2), "the inspector pool is smaller than the draw"),
                (F.request(inspectors: F.inspectors(1)), "fewer than the 2 each target needs"),
                // Ratios whose products overflow are refused, not a trap that stops the server (schemathesis found it).
                (F.request(cap: 1 << 62), "the most targets per inspector can be at most 100000"),
                ({ var r = F.request(); r.inspectorsPerTarget = 1 << 62; return r }(), "each target takes at most 20 inspectors"),
            ]
            for (request, reason) in cases {
                let error = await #expect(throws: Supervision.Refused.self) {
                    _ = try await service.publish(request, department: F.department, today: F.publishedOn, by: F.actor)
                }
                #expect(error?.kind == .planRefused)
                #expect(error?.reasons.contains { $0.contains(reason) } == true, "\(error?.reasons ?? []) should say \(reason)")
            }
            #expect(try await store.repositories.inspections.plans().isEmpty)
            let candidates = try await store.sql.raw("SELECT COUNT(*) AS n FROM inspection_candidates").first(decoding: Count.self)
            #expect(candidates?.n == 0)
            #expect(try await store.repositories.audit.entries(entity: "inspection_plans").isEmpty)
        }
    }

    @Test(arguments: Backend.allCases) func verifyFindsATamperedDraw(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let service = Supervision(store: store)
            let stored = try await F.published(store, service)
            await expectRefused(.tooEarly) {
                _ = try await service.draw(stored.plan.id, publicValue: "3321.47", today: F.publishedOn, by: F.actor)
            }
            _ = try await service.draw(stored.plan.id, publicValue: "3321.47", today: F.valueOn, by: F.actor)
            await expectRefused(.alreadyDrawn) {
                _ = try await service.draw(stored.plan.id, publicValue: "3000.00", today: F.valueOn, by: F.actor)
            }
            #expect(try await service.verify(stored.plan.id) == .match)
            let victim = try #require(try await store.repositories.inspections.targets(plan: stored.plan.id).first)
            try await store.sql.raw("""
                UPDATE inspection_targets SET inspectors = '["ZF001","ZF002"]' WHERE plan_id = \(bind: stored.plan.id) AND subject_id = \(bind: victim.target.subjectID)
                """).run()
            try await store.sql.raw("UPDATE inspection_plans SET public_value = '3321.48' WHERE id = \(bind: stored.plan.id)").run()
            guard case .mismatch(let problems) = try await service.verify(stored.plan.id) else {
                Issue.record("a tampered draw verified")
                return
            }
            #expect(problems.contains { $0.hasPrefix("the seed is") })
        }
    }

    @Test(arguments: Backend.allCases) func mappingsAreCheckedVersionedAndAudited(_ backend: Backend) async throws {
        try await backend.withStore { store in
            try await F.seed(store)
            let service = Supervision(store: store)
            var bad = RiskMapping.shipped
            bad.grades["ungraded"] = nil
            bad.classes[0].ratio = 2
            let error = await #expect(throws: Supervision.Refused.self) {
                _ = try await service.setMapping(bad, department: F.department, by: F.actor)
            }
            #expect(error?.reasons.count == 2)
            var good = RiskMapping.shipped
            good.grades["ungraded"] = "higher"
            #expect(try await service.setMapping(good, department: F.department, by: F.actor) == 1)
            #expect(try await service.mapping(department: F.department).version == 1)
            #expect(try await store.repositories.audit.entries(entity: "inspection_mappings").count == 1)
            let plan = try await service.publish(F.request(cap: 5), department: F.department, today: F.publishedOn, by: F.actor)
            #expect(plan.plan.mappingVersion == 1)
            #expect(plan.plan.strata.first { $0.riskClass == "higher" }?.candidates == 35)
        }
    }

    @Test(arguments: Backend.allCases) func resultsArePublishedThroughTheExchange(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let service = Supervision(store: store)
            let stored = try await F.published(store, service)
            _ = try await service.draw(stored.plan.id, publicValue: "3321.47", today: F.valueOn, by: F.actor)
            let importer = BatchImporter(store: store, catalog: .shipped, personKey: SymmetricKey(size: .bits256))
            let target = try #require(try await store.repositories.inspections.targets(plan: stored.plan.id).first).target
            await expectRefused(.resultRefused) {
                _ = try await service.enterResult(plan: stored.plan.id, subject: target.subjectID, result: "很好", on: F.valueOn, importer: importer, by: F.actor)
            }
            await expectRefused(.notATarget) {
                _ = try await service.enterResult(plan: stored.plan.id, subject: "nobody", result: "未发现问题", on: F.valueOn, importer: importer, by: F.actor)
            }
            let recordID = try await service.enterResult(plan: stored.plan.id, subject: target.subjectID, result: "未发现问题",
                                                         on: F.valueOn.adding(days: 3), importer: importer, by: F.actor)
            let record = try #require(try await store.repositories.records.find(id: recordID))
            #expect(record.recordType == "inspection_result" && record.subjectID == target.subjectID)
            #expect(record.fields["result"] == "未发现问题" && record.fields["plan_id"] == stored.plan.id)
            let row = try #require(try await store.repositories.inspections.targets(plan: stored.plan.id).first { $0.target.subjectID == target.subjectID })
            #expect(row.result == "未发现问题" && row.resultRecordID == recordID)
        }
    }
}

struct Count: Decodable { let n: Int }

/// The body is refused with this kind of refusal, whatever its reasons.
func expectRefused(_ kind: Supervision.Refused.Kind, _ body: () async throws -> Void) async {
    let error = await #expect(throws: Supervision.Refused.self) { try await body() }
    #expect(error?.kind == kind, "\(error?.reasons ?? [])")
}
