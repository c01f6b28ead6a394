import Crypto
import Foundation
import Testing
import XinyongModel
import XinyongStore
import XinyongTestSupport
@testable import XinyongExchange

/// A city market-regulation bureau submitting penalties, as in the national double-publicity format.
struct PenaltyFile {
    static let header = "行政相对人名称,行政相对人代码_1（统一社会信用代码）,行政处罚决定书文号,违法行为类型,违法事实,处罚依据,处罚类别,处罚内容,处罚决定日期,失信程度,处罚机关,处罚机关统一社会信用代码"
    static let authority = "郴州市市场监督管理局,\(SocialCreditCode.completing("11431000MB1C2D3E")!.value)"

    static func code(_ n: Int) -> String { SocialCreditCode.completing("91431002MA4L" + String(format: "%04d", n))!.value }

    static func row(_ n: Int, code: String? = nil, date: String = "2025-06-0\(1)", tier: String = "一般", facts: String = "销售过期食品") -> String {
        "郴州市测试\(n)有限公司,\(code ?? Self.code(n)),郴市监罚〔2025〕\(n)号,食品安全,\(facts),《中华人民共和国食品安全法》第一百二十四条,罚款,罚款人民币5000元,\(date),\(tier),\(authority)"
    }

    static func csv(_ rows: [String]) -> [UInt8] { Array(([header] + rows).joined(separator: "\r\n").utf8) + [0x0D, 0x0A] }
}

func source(_ bytes: [UInt8], type: String = "admin_penalty", chunk: Int = 1 << 16) -> ByteStreamSource {
    let state = ChunkState(bytes: bytes, size: chunk)
    // An unknown type is refused by the importer before any row is read; the reader just needs some type.
    let recordType = Catalog.shipped.recordType(type) ?? Catalog.shipped.recordType("admin_penalty")!
    return ByteStreamSource(type: recordType, format: .csv) { state.next() }
}

final class ChunkState: @unchecked Sendable {
    let bytes: [UInt8]
    let size: Int
    var offset = 0
    let lock = NSLock()
    init(bytes: [UInt8], size: Int) { self.bytes = bytes; self.size = size }
    func next() -> [UInt8]? {
        lock.withLock {
            guard offset < bytes.count else { return nil }
            defer { offset += size }
            return Array(bytes[offset..<min(offset + size, bytes.count)])
        }
    }
}

struct Harness {
    let store: Store
    let importer: BatchImporter
    static let today = CivilDate("2025-12-01")!

    static func make(_ store: Store) async throws -> Harness {
        let actor = Actor("test", reason: "exchange test")
        try await store.transaction { repos in
            try await repos.departments.insert([
                Department(id: "431000-market_regulation", name: "郴州市市场监督管理局", category: "market_regulation", regionCode: "431000", level: .city),
                Department(id: "431002-market_regulation", name: "北湖区市场监督管理局", category: "market_regulation", regionCode: "431002", level: .county),
                Department(id: "431000-tax", name: "国家税务总局郴州市税务局", category: "tax", regionCode: "431000", level: .city),
            ], by: actor)
        }
        return Harness(store: store, importer: BatchImporter(store: store, catalog: .shipped, personKey: SymmetricKey(size: .bits256)))
    }

    func submit(_ bytes: [UInt8], mode: BatchRequest.Mode = .allOrNothing, type: String = "admin_penalty",
                department: String = "431000-market_regulation", key: String? = nil) async throws -> (BatchSummary, [BatchIssue]) {
        let request = BatchRequest(departmentID: department, recordType: type, mode: mode, source: "test", idempotencyKey: key,
                                   requestHash: key.map { _ in SHA256.hash(data: Data(bytes)).description }, submittedBy: "test")
        let summary = try await importer.run(request, source: source(bytes, type: type), today: Self.today)
        return (summary, try await store.repositories.batches.issues(batch: summary.id))
    }

    func recordCount() async throws -> Int { try await store.repositories.records.count() }
}

@Suite struct ImporterTests {
    /// A department's ordinary export has no 失信程度: the catalogue's simple-procedure rule gives the tier,
    /// and the report names each row whose tier was derived; a sent column still decides.
    @Test func aFileWithoutTheTierColumnIsAcceptedWithDerivedTiers() async throws {
        try await Backend.sqlite.withStore { store in
            let h = try await Harness.make(store)
            let header = "行政相对人名称,行政相对人类别,行政相对人代码_1（统一社会信用代码）,行政处罚决定书文号,违法行为类型,违法事实,处罚依据,处罚类别,处罚内容,罚款金额（万元）,处罚决定日期,处罚机关,处罚机关统一社会信用代码"
            func row(_ n: Int, kind: String = "法人及非法人组织", code: String? = nil, category: String, amount: String) -> String {
                "郴州市测试\(n)有限公司,\(kind),\(code ?? PenaltyFile.code(n)),郴市监罚〔2025〕\(n)号,食品安全,销售过期食品,《中华人民共和国食品安全法》第一百二十四条,\(category),处罚内容,\(amount),2025-06-01,\(PenaltyFile.authority)"
            }
            let person = "431002199001011233"
            let rows = [row(1, category: "警告", amount: ""), row(2, category: "罚款", amount: "0.3"), row(3, category: "罚款", amount: "0.5"),
                        row(4, category: "吊销许可证件", amount: ""), row(5, kind: "法人及非法人组织", code: person, category: "罚款", amount: "0.01")]
            let bytes = Array(([header] + rows).joined(separator: "\r\n").utf8) + [0x0D, 0x0A]
            let (summary, issues) = try await h.submit(bytes)
            #expect(summary.created == 5 && summary.rejected == 0)
            let tiers = try await store.repositories.records.byDocumentNumbers(
                department: "431000-market_regulation", type: "admin_penalty", (1...5).map { "郴市监罚〔2025〕\($0)号" })
                .mapValues { $0.record.tier }
            #expect(tiers["郴市监罚〔2025〕1号"] == .minor)    // a warning
            #expect(tiers["郴市监罚〔2025〕2号"] == .minor)    // 3,000 yuan for an organisation
            #expect(tiers["郴市监罚〔2025〕3号"] == .general)  // 5,000 yuan
            #expect(tiers["郴市监罚〔2025〕4号"] == .general)  // a licence revoked
            #expect(tiers["郴市监罚〔2025〕5号"] == .minor)    // 100 yuan for a citizen
            #expect(Set(issues.filter { $0.field == "tier" }.map(\.row_number)) == [1, 2, 3, 4, 5])
            let kind = try #require(issues.first { $0.field == "subject_kind" })
            #expect(kind.row_number == 5 && kind.reason.contains("resident id number") && kind.value == "法人及非法人组织")
        }
    }

    /// Eight departments' batches at the same moment, all naming the same new subjects (each with its own
    /// document numbers): every batch lands with its report; each subject is created once.
    @Test(arguments: Backend.allCases)
    func concurrentBatchesNamingTheSameNewSubjectsAllLand(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let h = try await Harness.make(store)
            let subjects = 1...150
            let summaries = try await withThrowingTaskGroup(of: BatchSummary.self) { group in
                for batch in 1...8 {
                    let rows = subjects.map { PenaltyFile.row($0).replacingOccurrences(of: "〔2025〕\($0)号", with: "〔2025〕\(batch)-\($0)号") }
                    group.addTask { try await h.submit(PenaltyFile.csv(rows)).0 }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(summaries.count == 8)
            #expect(summaries.allSatisfy { $0.created == subjects.count && $0.rejected == 0 })
            for summary in summaries { #expect(try await store.repositories.batches.find(id: summary.id) != nil) }
            #expect(try await store.repositories.subjects.count() == subjects.count)
            #expect(try await h.recordCount() == 8 * subjects.count)
        }
    }

    @Test(arguments: Backend.allCases)
    func allOrNothingStoresNothingWhenOneRowIsBad(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let h = try await Harness.make(store)
            let (summary, issues) = try await h.submit(PenaltyFile.csv([
                PenaltyFile.row(1), PenaltyFile.row(2, date: "2025-13-01"), PenaltyFile.row(3, code: "91431002MA4L0003I0"),
            ]))
            #expect(summary.status == "rejected" && summary.rows_total == 3 && summary.rejected == 2 && summary.created == 0)
            #expect(try await h.recordCount() == 0)
            #expect(try await store.repositories.subjects.count() == 0)
            let dateIssue = try #require(issues.first { $0.row_number == 2 })
            #expect(dateIssue.field == "decision_date" && dateIssue.value == "2025-13-01")
            #expect(dateIssue.reason.contains("is not a date"))
            #expect(issues.contains { $0.row_number == 3 && $0.field == "subject_code" && $0.reason.contains("'I' at position 17") })
        }
    }

    @Test(arguments: Backend.allCases)
    func acceptValidStoresTheGoodRowsAndReportsTheRest(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let h = try await Harness.make(store)
            let checkFailed = String(PenaltyFile.code(4).dropLast()) + (PenaltyFile.code(4).last == "0" ? "1" : "0")
            let (summary, issues) = try await h.submit(PenaltyFile.csv([
                PenaltyFile.row(1), PenaltyFile.row(2, date: "2026-01-01"), PenaltyFile.row(3, tier: "很严重"), PenaltyFile.row(4, code: checkFailed),
            ]), mode: .acceptValid)
            #expect(summary.status == "partially_accepted")
            #expect(summary.created == 2 && summary.rejected == 2 && summary.warned == 1)
            #expect(try await h.recordCount() == 2)
            #expect(issues.contains { $0.row_number == 2 && $0.reason.contains("in the future") })
            #expect(issues.contains { $0.row_number == 3 && $0.field == "tier" })
            let warning = try #require(issues.first { $0.severity == .warning })
            #expect(warning.row_number == 4 && warning.reason.contains("expected"))
            let flagged = try #require(try await store.repositories.subjects.find(id: checkFailed))
            #expect(flagged.codeCheckFailed)
            #expect(try await store.repositories.changes.since(0, limit: 10, visibility: nil).changes.map(\.change) == [.created, .created])
        }
    }

    @Test(arguments: Backend.allCases)
    func resubmissionIsANoOpOrANewVersion(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let h = try await Harness.make(store)
            let file = PenaltyFile.csv([PenaltyFile.row(1), PenaltyFile.row(2)])
            _ = try await h.submit(file)
            let (same, _) = try await h.submit(file)
            #expect(same.status == "accepted" && same.unchanged == 2 && same.created == 0 && same.corrected == 0)
            let (fixed, _) = try await h.submit(PenaltyFile.csv([PenaltyFile.row(2, facts: "销售超过保质期的食品")]))
            #expect(fixed.corrected == 1)
            let stored = try #require(try await store.repositories.records.byDocumentNumbers(
                department: "431000-market_regulation", type: "admin_penalty", ["郴市监罚〔2025〕2号"]).values.first)
            #expect(stored.record.version == 2 && stored.record.fields["violation_facts"] == "销售超过保质期的食品")
            let history = try await store.repositories.changes.history(of: stored.record.id)
            #expect(history.map(\.version) == [1] && history[0].fields["violation_facts"] == "销售过期食品")
            let feed = try await store.repositories.changes.since(0, limit: 10, visibility: nil).changes
            #expect(feed.map(\.change) == [.created, .created, .corrected])
            #expect(try await store.repositories.changes.since(feed[1].seq, limit: 10, visibility: nil).changes.map(\.record_id) == [stored.record.id])
        }
    }

    /// Text goes through the bulk path (COPY's text format on PostgreSQL) unchanged, whatever it holds.
    @Test(arguments: Backend.allCases)
    func tabsBackslashesAndLineBreaksAreStoredAsSent(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let h = try await Harness.make(store)
            let facts = "第一行\t制表符\\反斜杠\\N\n第二行\r\n第三行 \"引号\""
            let quoted = "\"" + facts.replacingOccurrences(of: "\"", with: "\"\"") + "\""
            let (summary, _) = try await h.submit(PenaltyFile.csv([PenaltyFile.row(1, facts: quoted)]))
            #expect(summary.created == 1)
            let stored = try #require(try await store.repositories.records.byDocumentNumbers(
                department: "431000-market_regulation", type: "admin_penalty", ["郴市监罚〔2025〕1号"]).values.first)
            #expect(stored.record.fields["violation_facts"] == facts && stored.record.tier == .general)
            #expect(try await store.repositories.subjects.find(id: PenaltyFile.code(1))?.legalRepresentative == nil)
        }
    }

    /// A batch of several chunks, validated while the chunk before is written: every row lands once, and
    /// the rejected rows of every chunk are reported in row order.
    @Test(arguments: Backend.allCases)
    func aBatchOfSeveralChunksIsWrittenInOrder(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let h = try await Harness.make(store)
            let count = BatchImporter.chunkSize * 2 + 345
            let bad: Set<Int> = [7, BatchImporter.chunkSize + 1, count]
            let rows = (1...count).map { bad.contains($0) ? PenaltyFile.row($0, date: "2025-02-30") : PenaltyFile.row($0) }
            let (summary, issues) = try await h.submit(PenaltyFile.csv(rows), mode: .acceptValid)
            #expect(summary.rows_total == count && summary.created == count - bad.count && summary.rejected == bad.count)
            #expect(issues.filter { $0.severity == .error }.map(\.row_number) == bad.sorted())
            #expect(try await h.recordCount() == count - bad.count)
            #expect(try await store.repositories.subjects.count() == count - bad.count)
            #expect(try await store.repositories.changes.since(0, limit: count, visibility: nil).changes.count == count - bad.count)
        }
    }

    @Test(arguments: Backend.allCases)
    func idempotencyKeyReturnsTheFirstAnswer(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let h = try await Harness.make(store)
            let file = PenaltyFile.csv([PenaltyFile.row(1)])
            let (first, _) = try await h.submit(file, key: "k-1")
            let request = BatchRequest(departmentID: "431000-market_regulation", recordType: "admin_penalty", source: "test",
                                       idempotencyKey: "k-1", requestHash: SHA256.hash(data: Data(file)).description, submittedBy: "test")
            #expect(try await h.importer.previous(request) == first)
            var other = request
            other.requestHash = "something else"
            await #expect(throws: BatchRefused.self) { _ = try await h.importer.previous(other) }
        }
    }

    @Test func departmentsOnlySubmitWhatTheCatalogueAllows() async throws {
        try await Backend.sqlite.withStore { store in
            let h = try await Harness.make(store)
            let cases: [(String, String, BatchRefused.Kind)] = [
                ("431000-tax", "abnormal_operation", .notAuthorised),
                ("nobody", "admin_penalty", .unknownDepartment),
                ("431000-market_regulation", "parking_ticket", .unknownType),
            ]
            for (department, type, kind) in cases {
                do {
                    _ = try await h.submit(PenaltyFile.csv([PenaltyFile.row(1)]), type: type, department: department)
                    Issue.record("\(department) submitting \(type) was accepted")
                } catch let refused as BatchRefused {
                    #expect(refused.kind == kind)
                }
            }
            // A county bureau may not file a record for another county.
            let row = PenaltyFile.row(1)
            let header = PenaltyFile.header + ",行政区划代码"
            let bytes = Array("\(header)\n\(row),431081\n".utf8)
            let (summary, issues) = try await h.submit(bytes, department: "431002-market_regulation")
            #expect(summary.status == "rejected")
            #expect(issues.first?.field == "region_code" && issues.first?.reason.contains("北湖区") == true)
        }
    }

    @Test func gb18030FileWithLabelVariationsImports() async throws {
        try await Backend.sqlite.withStore { store in
            let h = try await Harness.make(store)
            let header = PenaltyFile.header.replacingOccurrences(of: "行政相对人代码_1（统一社会信用代码）", with: "行政相对人代码-1(统一社会信用代码) ")
            let fullWidthCode = String(PenaltyFile.code(7).unicodeScalars.map { Character(Unicode.Scalar($0.value + 0xFEE0)!) })
            let text = header + "\r\n" + PenaltyFile.row(7, code: fullWidthCode) + "\r\n"
            let bytes = try #require(GB18030.encode(text))
            let (summary, issues) = try await h.submit(bytes)
            #expect(summary.status == "accepted", "\(issues)")
            #expect(summary.encoding == "GB18030")
            #expect(try await store.repositories.subjects.find(id: PenaltyFile.code(7))?.name == "郴州市测试7有限公司")
        }
    }

    @Test func hostileFilesGetClearErrorsAndChangeNothing() async throws {
        try await Backend.sqlite.withStore { store in
            let h = try await Harness.make(store)
            _ = try await h.submit(PenaltyFile.csv([PenaltyFile.row(1)]))
            var random = SystemRandomNumberGenerator()
            let garbage = (0..<100_000).map { _ in UInt8.random(in: 0...255, using: &random) }
            let tenMB = PenaltyFile.row(2, facts: String(repeating: "假", count: 3_500_000))
            let wide = Array(repeating: "列", count: 100_000).joined(separator: ",") + "\n"
            let cases: [([UInt8], String)] = [
                (garbage, "neither UTF-8 nor GB18030"),
                (PenaltyFile.csv([tenMB]), "longer than"),
                (Array(wide.utf8), "more than 512 columns"),
                (PenaltyFile.csv([PenaltyFile.row(5), PenaltyFile.row(5)]), "also appears in row 1"),
                (Array((PenaltyFile.header + "\n" + PenaltyFile.row(6) + ",\"unclosed\n").utf8), "never closed"),
                (Array("".utf8), "empty"),
                (Array("a,b,c\n1,2,3\n".utf8), "not a header"),
            ]
            for (bytes, reason) in cases {
                let (summary, issues) = try await h.submit(bytes)
                #expect(summary.status == "rejected", "expected a rejection mentioning '\(reason)'")
                #expect(issues.contains { $0.reason.contains(reason) }, "no issue mentions '\(reason)': \(issues.map(\.reason))")
            }
            #expect(try await h.recordCount() == 1)
        }
    }

    @Test func naturalPersonsAreStoredWithoutTheirIdNumber() async throws {
        try await Backend.sqlite.withStore { store in
            let h = try await Harness.make(store)
            let (summary, issues) = try await h.submit(PenaltyFile.csv([
                PenaltyFile.row(1, code: "431002198506121230").replacingOccurrences(of: "郴州市测试1有限公司", with: "张三"),
            ]))
            #expect(summary.status == "accepted", "\(issues)")
            let records = try await store.sql.raw("SELECT fields, subject_id FROM credit_records").all(decoding: FieldsRow.self)
            #expect(records.count == 1 && !records[0].fields.contains("198506121230"))
            #expect(records[0].fields.contains("4310**********1230"))
            #expect(try await store.repositories.subjects.find(id: records[0].subject_id)?.kind == .naturalPerson)
        }
    }
}

@Suite struct LifecycleTests {
    @Test(arguments: Backend.allCases)
    func withdrawalsAndExpiriesReachTheChangeFeedOnce(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let h = try await Harness.make(store)
            _ = try await h.submit(PenaltyFile.csv([PenaltyFile.row(1), PenaltyFile.row(2, date: "2025-01-02")]))
            let records = try await store.repositories.records.byDocumentNumbers(
                department: "431000-market_regulation", type: "admin_penalty", ["郴市监罚〔2025〕1号", "郴市监罚〔2025〕2号"])
            let first = try #require(records["郴市监罚〔2025〕1号"]).record
            await #expect(throws: RecordLifecycle.NotFound.self) {
                _ = try await RecordLifecycle.withdraw(recordID: first.id, department: "431000-tax", reason: "not ours", store: store, by: Actor("t", reason: "t"))
            }
            _ = try await RecordLifecycle.withdraw(recordID: first.id, department: "431000-market_regulation", reason: "issued in error",
                                                   store: store, by: Actor("t", reason: "t"))
            #expect(try await store.repositories.records.find(id: first.id)?.status == .withdrawn)
            // General penalties of 2025-01-02 end on 2026-01-02; the withdrawn one is not announced again.
            #expect(try await RecordLifecycle.announceExpiries(store: store, on: CivilDate("2026-01-01")!) == 0)
            #expect(try await RecordLifecycle.announceExpiries(store: store, on: CivilDate("2026-01-02")!) == 1)
            #expect(try await RecordLifecycle.announceExpiries(store: store, on: CivilDate("2026-06-02")!) == 0)
            let feed = try await store.repositories.changes.since(0, limit: 10, visibility: nil).changes
            #expect(feed.map(\.change) == [.created, .created, .withdrawn, .expired])
            #expect(feed[3].record_id == records["郴市监罚〔2025〕2号"]?.record.id)
        }
    }
}

struct FieldsRow: Decodable { let fields: String; let subject_id: String }
