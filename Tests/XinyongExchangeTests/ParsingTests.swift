import Foundation
import Testing
import XinyongModel
@testable import XinyongExchange

@Suite struct CSVParserTests {
    func parse(_ text: String, chunk: Int = 3, parser: CSVParser = CSVParser()) -> [CSVParser.Row] {
        var p = parser
        let bytes = Array(text.utf8)
        var rows: [CSVParser.Row] = []
        var i = 0
        while i < bytes.count {  // small chunks: every state must survive a chunk boundary
            rows += p.feed(bytes[i..<min(i + chunk, bytes.count)])
            i += chunk
        }
        if let last = p.finish() { rows.append(last) }
        return rows
    }

    func strings(_ row: CSVParser.Row) -> [String] { row.fields.map { String(decoding: $0, as: UTF8.self) } }

    @Test func quotedFieldsWithNewlinesQuotesAndCRLF() {
        let rows = parse("a,b,c\r\n\"x, y\",\"say \"\"hi\"\"\",\"line1\nline2\"\r\n\r\nlast,,\n")
        #expect(rows.count == 3)
        #expect(strings(rows[0]) == ["a", "b", "c"])
        #expect(strings(rows[1]) == ["x, y", "say \"hi\"", "line1\nline2"])
        #expect(rows[1].line == 2)
        #expect(strings(rows[2]) == ["last", "", ""])
        #expect(rows[2].line == 5)
    }

    @Test func lastRowWithoutNewlineAndUnterminatedQuote() {
        #expect(strings(parse("a,b\n1,2")[1]) == ["1", "2"])
        let rows = parse("a,b\n1,\"never closed\n")
        #expect(rows.last?.unterminatedQuote == true)
    }

    @Test func hugeFieldsAndTooManyColumnsAreCutAndFlagged() {
        let big = String(repeating: "x", count: 10_000)
        let rows = parse("a,b\n1,\(big)\n", chunk: 4096, parser: CSVParser(maxFieldBytes: 1000, maxColumns: 10))
        #expect(rows[1].fields[1].count == 1000)
        #expect(rows[1].oversizedField == 1)
        let wide = parse(Array(repeating: "c", count: 100_000).joined(separator: ",") + "\n", chunk: 65536,
                         parser: CSVParser(maxColumns: 512))
        #expect(wide[0].tooManyColumns && wide[0].fields.count == 512)
    }

    /// A file's rows are held a chunk at a time, so each field must take its own size, not the size of the
    /// longest field read before it (which made a 1 MB chunk of a real file take 117 MB).
    @Test func fieldsAfterALongOneKeepTheirOwnSize() {
        let long = String(repeating: "长", count: 3_000)
        let rows = parse("a,b\n\(long),x\n" + String(repeating: "1,2\n", count: 100), chunk: 4096)
        #expect(rows.count == 102)
        #expect(rows[1].fields[0].count == 9_000)
        let short = rows.dropFirst(2).flatMap(\.fields)
        #expect(short.count == 200)
        #expect(short.allSatisfy { $0.capacity < 64 }, "largest capacity \(short.map(\.capacity).max() ?? 0)")
    }
}

@Suite struct EncodingTests {
    @Test func detectsUTF8BOMAndGB18030() throws {
        #expect(try TextEncoding.detect(Array("名称,代码\n".utf8)) == .utf8)
        #expect(try TextEncoding.detect([0xEF, 0xBB, 0xBF] + Array("名称".utf8)) == .utf8BOM)
        let gbk = try #require(GB18030.encode("郴州市市场监督管理局,行政处罚\n"))
        #expect(try TextEncoding.detect(gbk) == .gb18030)
        #expect(TextEncoding.gb18030.decode(Array(gbk.dropLast())) == "郴州市市场监督管理局,行政处罚")
        // A sample cut inside a multi-byte character is still recognised.
        let cut = Array("郴州".utf8).dropLast()
        #expect(try TextEncoding.detect(Array(cut)) == .utf8)
    }

    @Test func binaryGarbageIsRefused() {
        var random = SystemRandomNumberGenerator()
        let garbage = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &random) }
        #expect(throws: TextEncoding.Unrecognised.self) { try TextEncoding.detect(garbage) }
    }
}

@Suite struct FieldMapTests {
    @Test func doublePublicityLabelsAndTheirVariationsMap() {
        let map = FieldMap(Catalog.shipped.recordType("admin_penalty")!)
        #expect(map.field(for: "行政相对人代码_1（统一社会信用代码）") == "subject_code")
        #expect(map.field(for: "行政相对人代码-1(统一社会信用代码) ") == "subject_code")
        #expect(map.field(for: "统一社会信用代码") == "subject_code")
        #expect(map.field(for: "处罚决定日期") == "decision_date")
        #expect(map.field(for: "DECISION_DATE") == "decision_date")
        #expect(map.field(for: "罚款金额(万元)") == "fine_amount")
        #expect(map.field(for: "无关列") == nil)
    }

    @Test func datesAsDepartmentsWriteThem() {
        for text in ["2025-03-10", "2025/3/10", "2025.03.10", "20250310", "2025年3月10日", "２０２５-０３-１０"] {
            #expect(RowValidator.parseDate(text)?.description == "2025-03-10", "\(text)")
        }
        for bad in ["2025-13-01", "10/03/2025", "2025-02-30", "yesterday", ""] {
            #expect(RowValidator.parseDate(bad) == nil, "\(bad)")
        }
    }
}
