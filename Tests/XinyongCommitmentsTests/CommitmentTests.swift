import Crypto
import Foundation
import SQLKit
import Testing
import XinyongCommitments
import XinyongExchange
import XinyongJoint
import XinyongModel
import XinyongStore
import XinyongTestSupport

/// A city with the departments that accept approval-on-commitment matters (with unified codes, which the
/// published records need), a court that lists judgment defaulters and a tax office that grades taxpayers.
struct CommitmentHarness {
    let store: Store
    let importer: BatchImporter
    let service: CommitmentService
    let joint: JointService
    static let today = CivilDate.today()
    static let policy = CommitmentPolicy.shipped
    static let food = policy.matter("food_business_licence")!

    static func departmentCode(_ n: Int) -> SocialCreditCode { SocialCreditCode.completing("11431000MB1C" + String(format: "%04d", n))! }
    static func code(_ n: Int) -> String { SocialCreditCode.completing("91431002MA4K" + String(format: "%04d", n))!.value }

    static func make(_ store: Store) async throws -> CommitmentHarness {
        try await store.transaction { repos in
            try await repos.departments.insert([
                Department(id: "431000-court", name: "郴州市中级人民法院", category: "court", regionCode: "431000", level: .city),
                Department(id: "431000-tax", name: "国家税务总局郴州市税务局", category: "tax", regionCode: "431000", level: .city,
                           code: departmentCode(1)),
                Department(id: "431000-market_regulation", name: "郴州市市场监督管理局", category: "market_regulation", regionCode: "431000",
                           level: .city, code: departmentCode(2)),
                Department(id: "431000-housing", name: "郴州市住房和城乡建设局", category: "housing", regionCode: "431000", level: .city,
                           code: departmentCode(3)),
                Department(id: "431000-development_reform", name: "郴州市发展和改革委员会", category: "development_reform",
                           regionCode: "431000", level: .city, code: departmentCode(4)),
            ], by: Actor("test", reason: "commitment test"))
        }
        let importer = BatchImporter(store: store, catalog: .shipped, personKey: SymmetricKey(size: .bits256))
        return CommitmentHarness(store: store, importer: importer, service: CommitmentService(store: store, importer: importer),
                                 joint: JointService(store: store))
    }

    func submit(_ type: String, department: String, _ values: [String: String]) async throws {
        let summary = try await importer.run(BatchRequest(departmentID: department, recordType: type, source: "test", submittedBy: "test"),
                                             source: ListSource([InputRow(number: 1, values: values)]))
        let issues = try await store.repositories.batches.issues(batch: summary.id)
        #expect(summary.status == "accepted", "\(issues)")
    }

    /// A subject the platform knows, on no list: one licence-free fact (a commitment taken at a counter).
    func knownSubject(_ n: Int, name: String) async throws -> String {
        try await submit("credit_commitment", department: "431000-market_regulation", [
            "subject_name": name, "subject_code": Self.code(n), "document_no": "市监诺字〔2026〕\(n)号", "commitment_type": "主动型",
            "content": "依法诚信经营", "matter": "主动承诺", "legal_basis": "国办发〔2019〕35号",
            "decision_date": Self.today.adding(days: -100).description, "fulfilment": "履约中", "authority": "郴州市市场监督管理局",
            "authority_code": Self.departmentCode(2).value,
        ])
        return try #require(try await store.repositories.subjects.find(code: SocialCreditCode.verify(Self.code(n)).code!)).id
    }

    func defaulter(_ n: Int, name: String) async throws {
        try await submit("judgment_defaulter", department: "431000-court", [
            "subject_name": name, "subject_code": Self.code(n), "document_no": "（2026）湘10执\(n)号", "basis_document": "（2025）湘1002民初1号",
            "court": "郴州市中级人民法院", "obligation": "给付欠款", "performance": "全部未履行", "circumstances": "有履行能力而拒不履行",
            "legal_basis": "《最高人民法院关于公布失信被执行人名单信息的若干规定》第一条",
            "decision_date": Self.today.adding(days: -30).description, "end_date": Self.today.adding(days: 365).description,
        ])
    }

    func taxGradeA(_ n: Int, name: String) async throws {
        try await submit("tax_grade_a", department: "431000-tax", [
            "subject_name": name, "subject_code": Self.code(n), "document_no": "郴税信评〔2026〕\(n)号", "assessment_year": "2025", "grade": "A",
            "legal_basis": "《纳税信用管理办法（试行）》", "decision_date": Self.today.adding(days: -20).description,
            "authority": "国家税务总局郴州市税务局", "authority_code": Self.departmentCode(1).value,
        ])
    }

    func signing(_ n: Int, name: String, signer: String = "张三", matter: CommitmentPolicy.Matter = food) -> CommitmentService.Signing {
        .init(matter: matter.code, subjectCode: Self.code(n), subjectName: name, signer: signer, accepted: true,
              textHash: CommitmentPolicy.hash(Self.policy.text(for: matter)))
    }

    func breachEntry(_ document: String = "郴市监认〔2026〕1号", tier: String = "general", decided: CivilDate = today) -> CommitmentService.BreachEntry {
        .init(documentNumber: document, breach: "未在承诺期限内补齐申请材料", legalBasis: "国办发〔2020〕42号", decisionDate: decided.description, tier: tier)
    }

    func refusal(_ body: () async throws -> Void) async -> CommitmentService.Refusal? {
        do {
            try await body()
            return nil
        } catch let refusal as CommitmentService.Refusal {
            return refusal
        } catch {
            Issue.record("unexpected \(error)")
            return nil
        }
    }

    func check(_ n: Int, scenario: String, department: String = "431000-market_regulation") async throws -> CheckAnswer {
        try await joint.check(CheckRequest(code: Self.code(n), scenario: scenario, departmentID: department, askedBy: "test"), today: Self.today)
    }
}

@Suite struct CommitmentTests {
    @Test(arguments: Backend.allCases)
    func signingOnlineKeepsNameTimeAndHashAndPublishesTheCommitment(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let h = try await CommitmentHarness.make(store)
            let subject = try await h.knownSubject(1, name: "郴州市甲商贸有限公司")
            let before = Date()
            let c = try await h.service.sign(h.signing(1, name: "郴州市甲商贸有限公司", signer: " 张三 "))
            #expect(c.subjectID == subject && c.signer == "张三" && c.channel == "online")
            #expect(c.textHash == SHA256.hash(data: Data(CommitmentHarness.policy.text(for: CommitmentHarness.food).utf8)).hexEncoded)
            let signedAt = try #require(Timestamp.parse(c.signedAt))
            #expect(abs(signedAt.timeIntervalSince(before)) < 60)
            #expect(c.termFrom == CommitmentHarness.today && c.termTo == CommitmentHarness.today.adding(months: CommitmentHarness.food.termMonths))
            #expect(c.state(on: CommitmentHarness.today) == .inForce)
            // Published as a credit_commitment record of the accepting department, whose document number is the commitment's.
            let record = try #require(try await store.repositories.records.find(id: c.recordID))
            #expect(record.recordType == "credit_commitment" && record.documentNumber == c.id && record.departmentID == "431000-market_regulation")
            #expect(record.fields["fulfilment"] == "履约中" && record.fields["commitment_type"] == "审批替代型")
            #expect(record.fields["content"]?.contains(c.textHash) == true)
            let feed = try await store.repositories.changes.since(0, limit: 1000, visibility: nil).changes
            #expect(feed.contains { $0.record_id == c.recordID && $0.change == .created })
            let audited = try await store.sql.raw("SELECT COUNT(*) AS n FROM audit_log WHERE entity = 'commitments' AND action = 'sign' AND entity_id = \(bind: c.id)").first(decoding: Count.self)
            #expect(audited?.n == 1)
            #expect(try await h.service.commitment(c.id.lowercased()) == c)
        }
    }

    struct Count: Decodable { let n: Int }

    @Test(arguments: Backend.allCases)
    func fulfilmentClosesOnceAndCorrectsThePublishedRecord(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let h = try await CommitmentHarness.make(store)
            _ = try await h.knownSubject(2, name: "郴州市乙商贸有限公司")
            let c = try await h.service.sign(h.signing(2, name: "郴州市乙商贸有限公司"))
            let other = await h.refusal { _ = try await h.service.fulfil(c.id, department: "431000-housing", by: "test") }
            #expect(other?.code == "other-department")
            let done = try await h.service.fulfil(c.id, department: "431000-market_regulation", by: "key:test")
            #expect(done.state(on: CommitmentHarness.today) == .fulfilled && done.closedAt != nil)
            let record = try #require(try await store.repositories.records.find(id: c.recordID))
            #expect(record.fields["fulfilment"] == "已履约" && record.version == 2)
            let again = await h.refusal { _ = try await h.service.fulfil(c.id, department: "431000-market_regulation", by: "test") }
            #expect(again?.code == "already-closed")
            let breach = await h.refusal { _ = try await h.service.breach(c.id, h.breachEntry(), department: "431000-market_regulation", by: "test") }
            #expect(breach?.code == "already-closed")
        }
    }

    @Test func aCommitmentExpiresWhenItsTermEndsWithNothingEntered() {
        let day = CivilDate("2026-01-10")!
        var c = Commitment(id: "CN1", subjectID: "s", departmentID: "d", recordID: "r", commitmentType: "审批替代型", matters: ["m"],
                           termFrom: day, termTo: day.adding(months: 6), signer: "张三", signedAt: "2026-01-10T01:00:00.000Z",
                           textHash: "h", channel: "online")
        #expect(c.state(on: day.adding(months: 6)) == .inForce)
        #expect(c.state(on: day.adding(months: 6).adding(days: 1)) == .expired)
        #expect(c.isOpen)
        c.stored = .fulfilled
        #expect(c.state(on: day.adding(months: 7)) == .fulfilled)
    }

    @Test(arguments: Backend.allCases)
    func aBreachBecomesARecordLinkedToTheCommitmentAndBarsApprovalOnCommitment(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let h = try await CommitmentHarness.make(store)
            _ = try await h.knownSubject(3, name: "郴州市丙建材有限公司")
            let c = try await h.service.sign(h.signing(3, name: "郴州市丙建材有限公司"))
            let clear = try await h.check(3, scenario: CommitmentPolicy.scenario)
            #expect(clear.commitment?.eligible == true && clear.commitment?.reasons.isEmpty == true)
            #expect(clear.commitment?.lookbackYears == CommitmentHarness.policy.breachLookbackYears)

            // Bad entries are refused naming the field, and nothing is written.
            let badTier = await h.refusal { _ = try await h.service.breach(c.id, h.breachEntry(tier: "minor"), department: "431000-market_regulation", by: "test") }
            #expect(badTier?.code == "invalid-record" && badTier?.field == "tier")
            let early = await h.refusal {
                _ = try await h.service.breach(c.id, h.breachEntry(decided: CommitmentHarness.today.adding(days: -1)), department: "431000-market_regulation", by: "test")
            }
            #expect(early?.code == "before-commitment" && early?.field == "decision_date")
            let missing = await h.refusal { _ = try await h.service.breach("CN00000000-NOPE", h.breachEntry(), department: "431000-market_regulation", by: "test") }
            #expect(missing?.code == "not-found")
            #expect(try await store.repositories.commitments.find(id: c.id)?.stored == .inForce)

            let (breached, breachID) = try await h.service.breach(c.id, h.breachEntry(), department: "431000-market_regulation", by: "key:test")
            #expect(breached.stored == .breached && breached.breachRecordID == breachID)
            let record = try #require(try await store.repositories.records.find(id: breachID))
            #expect(record.recordType == "commitment_breach" && record.fields["commitment_no"] == c.id && record.subjectID == c.subjectID)
            #expect(try await store.repositories.records.find(id: c.recordID)?.fields["fulfilment"] == "未履约")

            let barred = try await h.check(3, scenario: CommitmentPolicy.scenario)
            let reason = try #require(barred.commitment?.reasons.first)
            #expect(barred.commitment?.eligible == false && reason.code == "commitment_breach" && reason.recordId == breachID)
            #expect(barred.encoded.contains("\"commitment\":{\"eligible\":false"))
            // Other scenarios carry no commitment part.
            #expect(try await h.check(3, scenario: "licences_approvals").commitment == nil)
            // Signing again is refused with the reason.
            let refused = await h.refusal { _ = try await h.service.sign(h.signing(3, name: "郴州市丙建材有限公司")) }
            #expect(refused?.code == "not-eligible" && refused?.reasons.first?.recordID == breachID)
        }
    }

    @Test(arguments: Backend.allCases)
    func aSubjectOnTheBlackListMayNotUseApprovalOnCommitment(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let h = try await CommitmentHarness.make(store)
            try await h.defaulter(4, name: "郴州市丁贸易有限公司")
            let answer = try await h.check(4, scenario: CommitmentPolicy.scenario)
            let reason = try #require(answer.commitment?.reasons.first)
            #expect(answer.commitment?.eligible == false && reason.code == "black_list" && reason.recordType == "judgment_defaulter")
            #expect(answer.measures.contains { $0.id == "jd-licences" }, "the memoranda's 不适用告知承诺制 apply in this scenario too")
            let decoded = try CheckAnswer.decoder.decode(CheckAnswer.self, from: Data(answer.encoded.utf8))
            #expect(decoded.commitment?.reasons.first?.recordId == reason.recordId)
            let refused = await h.refusal { _ = try await h.service.sign(h.signing(4, name: "郴州市丁贸易有限公司")) }
            #expect(refused?.code == "not-eligible" && refused?.chinese.contains("黑名单") == true)
        }
    }

    @Test func breachesCountOnlyWithinTheLookbackYears() {
        let today = CivilDate("2026-06-01")!
        let old = ApprovalEligibility.Breach(recordID: "r1", documentNumber: "d1", commitmentNumber: "CN1", decisionDate: today.adding(months: -37))
        let recent = ApprovalEligibility.Breach(recordID: "r2", documentNumber: "d2", commitmentNumber: "CN2", decisionDate: today.adding(months: -35))
        #expect(ApprovalEligibility.decide(memberships: [], breaches: [old], on: today, lookbackYears: 3).eligible)
        let barred = ApprovalEligibility.decide(memberships: [], breaches: [old, recent], on: today, lookbackYears: 3)
        #expect(!barred.eligible && barred.reasons.map(\.recordID) == ["r2"])
    }

    @Test(arguments: Backend.allCases)
    func badSigningsAreRefusedNamingTheField(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let h = try await CommitmentHarness.make(store)
            _ = try await h.knownSubject(5, name: "郴州市戊餐饮有限公司")
            let good = h.signing(5, name: "郴州市戊餐饮有限公司")
            var cases: [(CommitmentService.Signing, String, String)] = []
            var s = good; s.matter = "no_such_matter"; cases.append((s, "unknown-matter", "matter"))
            s = good; s.subjectCode = "91431002MA4K00XYZ"; cases.append((s, "invalid-code", "subject_code"))
            s = good; s.subjectCode = CommitmentHarness.code(99); cases.append((s, "unknown-subject", "subject_code"))
            s = good; s.subjectName = "郴州市己餐饮有限公司"; cases.append((s, "name-mismatch", "subject_name"))
            s = good; s.signer = " "; cases.append((s, "invalid-signer", "signer"))
            s = good; s.accepted = false; cases.append((s, "not-accepted", "agree"))
            s = good; s.textHash = String(repeating: "0", count: 64); cases.append((s, "text-changed", "text_hash"))
            for (signing, code, field) in cases {
                let refusal = await h.refusal { _ = try await h.service.sign(signing) }
                #expect(refusal?.code == code && refusal?.field == field, "\(code)")
                #expect(refusal?.chinese.isEmpty == false)
            }
            let n = try await store.sql.raw("SELECT COUNT(*) AS n FROM commitments").first(decoding: Count.self)
            #expect(n?.n == 0)
        }
    }
}

@Suite struct XinyiTests {
    static let day = CivilDate("2026-06-01")!

    func membership(_ list: CreditList, _ type: String, id: String) -> ListMembership {
        ListMembership(list: list, subjectID: "s", recordID: id, recordType: type, departmentID: "d", documentNumber: id,
                       legalBasis: "b", start: Self.day.adding(days: -10), end: Self.day.adding(days: 300))
    }

    @Test func theShippedCatalogueLoadsAndNamesItsCriteria() {
        let catalog = XinyiCatalog.shipped
        #expect(catalog.programmes.count >= 5)
        #expect(Set(catalog.programmes.map(\.name)).isSuperset(of: ["信易贷", "信易批", "信易租", "信易行", "信易游"]))
        #expect(catalog.programmes.allSatisfy { !$0.howToUse.isEmpty && !$0.legalBasis.isEmpty && !$0.department.isEmpty })
    }

    @Test func aDefectiveCatalogueIsRefusedWithEveryDefect() throws {
        var catalog = XinyiCatalog.shipped
        catalog.programmes[0].qualifies = [XinyiCriterion(kind: .recordType, value: "no_such_type"), XinyiCriterion(kind: .list, value: "grey")]
        catalog.programmes[1].code = catalog.programmes[0].code
        catalog.programmes[2].scenarios = ["nowhere"]
        let problems = catalog.problems(catalog: .shipped, scenarios: Set(MeasureCatalog.shipped.scenarios.map(\.code)))
        #expect(problems.count == 4, "\(problems)")
    }

    @Test func qualificationFollowsListsGradeAndExclusions() {
        let catalog = XinyiCatalog.shipped
        let codes = { (standing: XinyiStanding) in Set(catalog.qualifying(standing, on: Self.day).map(\.programme.code)) }
        let taxA = XinyiStanding(kind: .enterprise, memberships: [membership(.red, "tax_grade_a", id: "t1")], grade: nil)
        #expect(codes(taxA).isSuperset(of: ["xinyi_dai", "xinyi_pi", "xinyi_bao"]))
        #expect(!codes(taxA).contains("xinyi_jian"), "fewer inspections needs the grade")
        let dai = catalog.qualifying(taxA, on: Self.day).first { $0.programme.code == "xinyi_dai" }!
        #expect(dai.grounds.flatMap(\.recordIDs).contains("t1"))
        let gradeA = XinyiStanding(kind: .enterprise, memberships: [], grade: .a)
        #expect(codes(gradeA).contains("xinyi_jian"))
        #expect(codes(XinyiStanding(kind: .enterprise, memberships: [], grade: .b)).isEmpty)
        // The black list excludes whatever else qualifies.
        let both = XinyiStanding(kind: .enterprise, memberships: [membership(.red, "tax_grade_a", id: "t1"), membership(.black, "judgment_defaulter", id: "j1")], grade: .a)
        #expect(codes(both).isEmpty)
        // A natural person is not offered enterprise loans.
        #expect(!codes(XinyiStanding(kind: .naturalPerson, memberships: [], grade: .a)).contains("xinyi_dai"))
    }

    @Test(arguments: Backend.allCases)
    func checkAnswersCarryTheQualifyingIncentivesOfTheScenario(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let h = try await CommitmentHarness.make(store)
            try await h.taxGradeA(6, name: "郴州市庚科技有限公司")
            let financing = try await h.check(6, scenario: "financing", department: "431000-development_reform")
            #expect(financing.xinyi.map(\.code) == ["xinyi_dai"])
            #expect(financing.encoded.contains("\"xinyi\":[{\"code\":\"xinyi_dai\""))
            // A department that does not grant it, or another scenario, gets none.
            #expect(try await h.check(6, scenario: "financing", department: "431000-housing").xinyi.isEmpty)
            // The grade counts: grade A brings fewer inspections.
            let subject = try #require(try await store.repositories.subjects.find(code: SocialCreditCode.verify(CommitmentHarness.code(6)).code!))
            try await store.sql.raw("""
                INSERT INTO evaluation_results (subject_id, model_version, as_of, score, grade, veto, reasons, evaluated_at)
                VALUES (\(bind: subject.id), 1, \(bind: CommitmentHarness.today.description), 95, 'A', NULL, '[]', \(bind: Timestamp.now()))
                """).run()
            let supervision = try await h.check(6, scenario: "supervision", department: "431000-market_regulation")
            #expect(supervision.xinyi.map(\.code) == ["xinyi_jian"])
            #expect(supervision.xinyi.first?.grounds.first?.criterion == "grade_at_least")
        }
    }
}
