import Foundation
import Testing
import XinyongModel

@Suite struct NameMatchingTests {
    struct Pair { let a, b: String; let same: Bool; let category: String }

    static func labelledPairs(_ file: String = "name-pairs") throws -> [Pair] {
        let url = try #require(Bundle.module.url(forResource: file, withExtension: "tsv", subdirectory: "Resources"))
        return try String(contentsOf: url, encoding: .utf8).split(separator: "\n").map { line in
            let c = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            return Pair(a: c[0], b: c[1], same: c[2] == "same", category: c[3])
        }
    }

    /// Precision and recall of the decision the check takes, on the Chenzhou set the rules were tuned on
    /// (scripts/make-name-pairs.py) and on a held-out set from every prefecture-level city in China
    /// (scripts/make-national-name-pairs.py), generated separately with its own seed and vocabulary.
    @Test(arguments: [("name-pairs", 0.95, 0.95), ("name-pairs-national", 0.98, 0.99)])
    func precisionAndRecallOnTheLabelledSets(_ file: String, minimumPrecision: Double, minimumRecall: Double) throws {
        let pairs = try Self.labelledPairs(file)
        #expect(pairs.count >= 300)
        var tp = 0, fp = 0, fn = 0, tn = 0
        var misses: [String] = []
        for p in pairs {
            let said = NameMatcher.match(query: p.a, name: p.b, formerNames: []).isSame(threshold: NameMatcher.defaultThreshold)
            switch (p.same, said) {
            case (true, true): tp += 1
            case (false, true): fp += 1; misses.append("false positive [\(p.category)] \(p.a) / \(p.b)")
            case (true, false): fn += 1; misses.append("false negative [\(p.category)] \(p.a) / \(p.b)")
            case (false, false): tn += 1
            }
        }
        let precision = Double(tp) / Double(max(tp + fp, 1)), recall = Double(tp) / Double(max(tp + fn, 1))
        print(String(format: "name matching on %@ (%d pairs, %d same): precision %.3f, recall %.3f (tp %d, fp %d, fn %d, tn %d)",
                     file, pairs.count, tp + fn, precision, recall, tp, fp, fn, tn))
        for miss in misses.prefix(40) { print("  " + miss) }
        #expect(precision >= minimumPrecision)
        #expect(recall >= minimumRecall)
    }

    @Test func partsAreParsedAndExplained() {
        let n = OrganisationName("湖南省郴州市宏达（北湖）商贸有限责任公司")
        #expect(n.core == "宏达商贸")
        #expect(n.regionCodes == ["431002"])
        #expect(n.legalForm == .limited)
        let m = NameMatcher.match(query: "郴州宏达商贸有限公司", name: "郴州市宏达商贸有限责任公司", formerNames: [])
        #expect(m.score == 1)
        #expect(m.parts.first { $0.part == "legal_form" }?.verdict == "equivalent")
        #expect(m.parts.first { $0.part == "region" }?.verdict == "equivalent")
    }

    @Test func aBranchIsNotItsHeadOffice() {
        let m = NameMatcher.match(query: "郴州市宏达商贸有限公司北湖分公司", name: "郴州市宏达商贸有限公司", formerNames: [])
        #expect(m.score < 0.9)
        #expect(m.parts.contains { $0.part == "branch" && $0.verdict == "different" })
        let same = NameMatcher.match(query: "郴州市宏达商贸有限公司（北湖区分公司）", name: "郴州市宏达商贸有限公司北湖分公司", formerNames: [])
        #expect(same.score == 1)
    }

    @Test func formerNamesMatchWithANote() {
        let m = NameMatcher.match(query: "郴州市旧名商贸有限公司", name: "郴州市新名科技有限公司", formerNames: ["郴州市旧名商贸有限公司"])
        #expect(m.score == 0.98)
        #expect(m.viaFormerName)
    }

    @Test func widthsBracketsAndSpacesNormalise() {
        #expect(OrganisationName.normalize("郴州市 ＡＢＣ【宏达】商贸 有限公司") == "郴州市ABC(宏达)商贸有限公司")
        let m = NameMatcher.match(query: "郴州市ＡＢＣ科技有限公司", name: "郴州市abc科技有限公司", formerNames: [])
        #expect(m.score == 1)
    }

    @Test func oddInputNeitherCrashesNorMatches() {
        for text in ["", "（", "()()", "((郴州))", "郴州市", "有限公司", "分公司", String(repeating: "（郴", count: 300), "\u{0}\t\n"] {
            let n = OrganisationName(text)
            #expect(n.indexKey.count <= text.count + 1)
            #expect(NameMatcher.match(query: text, name: "郴州市宏达商贸有限公司", formerNames: []).score < NameMatcher.defaultThreshold, "\(text)")
        }
    }

    /// An autonomous prefecture is written by its place name alone, whatever nationalities its full name carries,
    /// or with them and without 自治州; two such prefectures stay apart.
    @Test func autonomousPrefecturesAreWrittenShort() {
        for (full, short) in [("阿坝藏族羌族自治州", "阿坝"), ("红河哈尼族彝族自治州", "红河"), ("博尔塔拉蒙古自治州", "博尔塔拉"),
                              ("克孜勒苏柯尔克孜自治州", "克孜勒苏"), ("海西蒙古族藏族自治州", "海西"), ("西双版纳傣族自治州", "西双版纳"),
                              ("文山壮族苗族自治州", "文山壮族苗族"), ("湘西土家族苗族自治州", "湘西")] {
            let m = NameMatcher.match(query: short + "天顺茶业有限公司", name: full + "天顺茶业有限公司", formerNames: [])
            #expect(m.isSame(threshold: NameMatcher.defaultThreshold), "\(short) / \(full): \(m.score)")
        }
        #expect(NameMatcher.match(query: "红河天顺茶业有限公司", name: "大理白族自治州天顺茶业有限公司", formerNames: []).score
                < NameMatcher.defaultThreshold)
        // 内蒙古 is not 内 plus the Mongols.
        #expect(RegionNames.shipped.codes("内", shortFormsAllowed: true) == nil)
        #expect(RegionNames.shipped.codes("内蒙古", shortFormsAllowed: true) == ["150000"])
    }

    @Test func otherFirmsStayDifferent() {
        for (a, b) in [("郴州市宏达商贸有限公司", "郴州市宏达物流有限公司"), ("北湖区宏达商贸有限公司", "苏仙区宏达商贸有限公司"),
                       ("郴州市宏达商贸有限公司", "郴州市宏达商贸股份有限公司"), ("郴州市宏达商贸有限公司", "郴州市鑫盛商贸有限公司")] {
            #expect(NameMatcher.match(query: a, name: b, formerNames: []).score < NameMatcher.defaultThreshold, "\(a) / \(b)")
        }
    }
}

@Suite struct MeasureCatalogTests {
    func membership(_ type: String, list: CreditList, start: String = "2025-01-01", end: String = "2027-01-01") -> ListMembership {
        ListMembership(list: list, subjectID: "S", recordID: "R-\(type)", recordType: type, departmentID: "D", documentNumber: "N",
                       legalBasis: "B", start: CivilDate(start)!, end: CivilDate(end)!)
    }

    @Test func shippedCatalogueIsConsistent() {
        let c = MeasureCatalog.shipped
        #expect(c.problems().isEmpty)
        #expect(c.memoranda.count >= 8)
        #expect(c.measures.contains { $0.kind == .incentive && $0.programme == "信易贷" })
        #expect(c.memoranda.contains { $0.documentNumber == "发改财金〔2016〕141号" })
        #expect(c.memoranda.contains { $0.documentNumber == "发改财金〔2016〕1467号" })
    }

    @Test func measuresFollowDepartmentScenarioSourceAndDates() {
        let c = MeasureCatalog.shipped
        let today = CivilDate("2026-06-01")!
        let defaulter = membership("judgment_defaulter", list: .black)
        let bidding = c.applicable(to: [defaulter], departmentCategory: "housing", scenario: "bidding", on: today, sourceCategory: { _ in "court" })
        #expect(bidding.map(\.measure.id) == ["jd-bidding"])
        #expect(bidding.first?.basisRecordIDs == ["R-judgment_defaulter"])
        // The tax memorandum covers only serious dishonesty that the tax bureau founded.
        let dishonest = membership("serious_dishonesty", list: .black)
        let byTax = c.applicable(to: [dishonest], departmentCategory: "tax", scenario: "tax_services", on: today, sourceCategory: { _ in "tax" })
        let byMarket = c.applicable(to: [dishonest], departmentCategory: "tax", scenario: "tax_services", on: today, sourceCategory: { _ in "market_regulation" })
        #expect(byTax.map(\.measure.id).contains("tax-invoice"))
        #expect(byMarket.isEmpty)
        // A membership not yet or no longer in force triggers nothing.
        let ended = membership("judgment_defaulter", list: .black, end: "2026-05-01")
        #expect(c.applicable(to: [ended], departmentCategory: "housing", scenario: "bidding", on: today, sourceCategory: { _ in "court" }).isEmpty)
        // Red list: incentives only.
        let taxA = membership("tax_grade_a", list: .red)
        let financing = c.applicable(to: [taxA], departmentCategory: "development_reform", scenario: "financing", on: today, sourceCategory: { _ in "tax" })
        #expect(!financing.isEmpty && financing.allSatisfy { $0.measure.kind == .incentive })
    }
}
