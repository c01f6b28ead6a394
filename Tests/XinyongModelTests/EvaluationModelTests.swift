import Foundation
import Testing
@testable import XinyongModel

/// The evaluation engine on the shipped model: base score, decay, caps, vetoes, reason codes, what-if,
/// and a model file's defects listed all at once.
@Suite struct EvaluationModelTests {
    static let today = CivilDate("2026-11-30")!
    static let scoring = try! EvaluationModel.shipped.compile(for: .shipped)

    static func record(_ id: String, _ type: String, tier: Tier? = nil, daysAgo: Int = 0, expiresIn: Int = 365) -> EvaluatedRecord {
        EvaluatedRecord(recordID: id, recordType: type, tier: tier, departmentID: "dept", decisionDate: today.adding(days: -daysAgo),
                        expiry: today.adding(days: expiresIn))
    }

    @Test func aSubjectWithoutRecordsHasTheBaseScore() {
        let result = Self.scoring.evaluate([], asOf: Self.today)
        #expect(result.score == 80)
        #expect(result.grade == .b)
        #expect(result.reasons.isEmpty)
        #expect(result.modelVersion == EvaluationModel.shipped.version)
        #expect(result.asOf == Self.today)
    }

    @Test func aPenaltyFadesLinearlyWithAge() {
        let fresh = Self.scoring.evaluate([Self.record("p", "admin_penalty", tier: .general)], asOf: Self.today)
        #expect(fresh.score == 72)
        // 365 days = 11.99 months of the rule's 24: a little over half the points are gone.
        let older = Self.scoring.evaluate([Self.record("p", "admin_penalty", tier: .general, daysAgo: 365)], asOf: Self.today)
        let expected = 80 - 8 * (1 - 365 / 30.4375 / 24)
        #expect(abs(older.score - (expected * 100).rounded() / 100) < 1e-9)
        #expect(older.contributions.first?.ruleID == "N01")
    }

    @Test func aRuleTakesNoMoreThanItsCap() {
        let records = (1...5).map { Self.record("p\($0)", "admin_penalty", tier: .general) }
        let result = Self.scoring.evaluate(records, asOf: Self.today)
        #expect(result.contributions.map(\.rawPoints).reduce(0, +) == -40)
        #expect(result.contributions.map(\.points).reduce(0, +) == -24)
        #expect(result.score == 56)
        #expect(result.grade == .c)
        // The cap is spent in record id order among equals: the same records always give the same split.
        #expect(result.contributions.map(\.points) == [-8, -8, -8, 0, 0])
        #expect(result.contributions.map(\.recordID) == ["p1", "p2", "p3", "p4", "p5"])
    }

    @Test func theBlackListVetoesAnyScore() {
        let records = [Self.record("h1", "honour"), Self.record("h2", "honour"), Self.record("t", "tax_grade_a"),
                       Self.record("j", "judgment_defaulter")]
        let result = Self.scoring.evaluate(records, asOf: Self.today)
        #expect(result.score == 68)  // 80 + 10 + 8 - 30
        #expect(result.scoreGrade == .c)
        #expect(result.grade == .d)
        #expect(result.vetoes.map(\.vetoID) == ["V01"])
        #expect(result.reasons.first?.code == "V01")
        #expect(result.reasons.first?.recordID == "j")
    }

    @Test func atMostFourReasonsMostNegativeFirst() {
        let records = [Self.record("a", "admin_penalty", tier: .general), Self.record("b", "admin_penalty", tier: .serious),
                       Self.record("c", "commitment_breach", tier: .general), Self.record("d", "admin_penalty", tier: .general, daysAgo: 200),
                       Self.record("e", "admin_penalty", tier: .general, daysAgo: 400), Self.record("h", "honour")]
        let result = Self.scoring.evaluate(records, asOf: Self.today)
        #expect(result.reasons.count == ScoringModel.maximumReasons)
        #expect(result.reasons.map(\.recordID) == ["b", "c", "a", "d"] || result.reasons.map(\.recordID) == ["b", "a", "c", "d"])
        #expect(result.reasons.first?.code == "N02")
        #expect(result.reasons.allSatisfy { $0.points < 0 })
    }

    @Test func whatIfARecordWereRepaired() {
        let records = [Self.record("x", "abnormal_operation")]
        let now = Self.scoring.evaluate(records, asOf: Self.today)
        #expect(now.grade == .c && now.score == 68)
        let repaired = Self.scoring.whatIf(records, asOf: Self.today, without: "x")
        #expect(repaired.grade == .b && repaired.score == 80)
    }

    @Test func neutralRecordsDoNotScore() {
        let result = Self.scoring.evaluate([Self.record("l", "admin_licence"), Self.record("c", "credit_commitment")], asOf: Self.today)
        #expect(result.score == 80)
        #expect(result.contributions.isEmpty)
    }

    @Test func anAssociationsRecordsCountOnlyWhereARuleNamesTheirType() {
        // The shipped model scores negative and positive records by polarity; an association's sanction and
        // honour share those polarities but are not the government's word.
        #expect(Self.scoring.rule(for: "admin_penalty", tier: nil) != nil)
        for type in Catalog.shipped.recordTypes where type.isFromAssociation {
            #expect(Self.scoring.rule(for: type.code, tier: nil) == nil, "\(type.code) is scored")
        }
        #expect(Catalog.shipped.recordTypes.filter(\.isFromAssociation).map(\.code).sorted()
                == ["association_honour", "association_rating", "association_warning"])
        let association = Department(id: "a", name: "协会", category: Department.associationCategory, regionCode: "431000", level: .city)
        let tax = Department(id: "t", name: "税务局", category: "tax", regionCode: "431000", level: .city)
        let penalty = Catalog.shipped.recordType("admin_penalty")!, rating = Catalog.shipped.recordType("association_rating")!
        #expect(penalty.accepts(from: tax) && !penalty.accepts(from: association))
        #expect(rating.accepts(from: association) && !rating.accepts(from: tax))
        #expect(CreditList.allCases.allSatisfy { list in list.recordTypes.allSatisfy { !$0.hasPrefix("association_") } })
    }

    @Test func everyDefectOfAModelIsListedAtOnce() throws {
        var model = EvaluationModel.shipped
        model.sections.append(.init(code: "loop-a", name: "甲", weight: 1, parent: "loop-b"))
        model.sections.append(.init(code: "loop-b", name: "乙", weight: 1, parent: "loop-a"))
        model.thresholds.removeAll { $0.grade == .c }
        model.thresholds[1].minimum = 95  // B from 95 while A starts at 90
        model.rules.append(.init(id: "X1", name: "未知", recordType: "parking_ticket", tier: nil, polarity: nil, points: -1, cap: 1,
                                 decay: .init(kind: .none, months: nil)))
        model.rules.append(.init(id: "N01", name: "重复", recordType: "admin_penalty", tier: .general, polarity: nil, points: -3, cap: 3,
                                 decay: .init(kind: .linear, months: nil)))
        let error = #expect(throws: EvaluationModelDefects.self) { try model.compile(for: .shipped) }
        let defects = try #require(error).defects
        #expect(defects.contains { $0.contains("cycle") })
        #expect(defects.contains("no threshold for grade C"))
        #expect(defects.contains { $0.contains("overlap") })
        #expect(defects.contains { $0.contains("unknown record type parking_ticket") })
        #expect(defects.contains("rule id N01 is used twice"))
        #expect(defects.contains { $0.contains("rules N01 and N01 match the same records") })
        #expect(defects.contains { $0.contains("linear decay needs months") })
    }

    @Test func aModelFileMissingAKeyNamesIt() throws {
        var json = try JSONSerialization.jsonObject(with: JSONEncoder().encode(EvaluationModel.shipped)) as! [String: Any]
        json.removeValue(forKey: "thresholds")
        let data = try JSONSerialization.data(withJSONObject: json)
        let error = #expect(throws: EvaluationModelDefects.self) { try EvaluationModel.decode(data) }
        #expect(error?.defects == ["missing key thresholds"])
    }

    @Test func theIndustryComesFromTheNamesIndustryWords() {
        #expect(Industry.infer(fromName: "郴州市天顺建筑工程有限公司") == .construction)
        #expect(Industry.infer(fromName: "郴州市北湖区好再来餐饮店") == .hospitality)
        #expect(Industry.infer(fromName: "湖南郴州永兴房地产开发有限公司") == .realEstate)
        #expect(Industry.infer(fromName: "张三") == .unknown)
    }
}
