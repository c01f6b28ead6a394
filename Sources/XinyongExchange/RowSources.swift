import Foundation
import XinyongModel
import XinyongStore

/// Maps the column names departments use (field codes, the national double-publicity labels and their
/// small variations) to catalogue field codes.
public struct FieldMap: Sendable {
    private let byName: [String: String]

    public init(_ type: RecordType) {
        var map: [String: String] = [:]
        for spec in type.fields {
            for name in [spec.code, spec.label] + (spec.aliases ?? []) { map[Self.normalize(name)] = spec.code }
        }
        for name in ["region_code", "行政区划代码", "所属区域代码"] { map[Self.normalize(name)] = "region_code" }
        byName = map
    }

    public func field(for header: String) -> String? { byName[Self.normalize(header)] }

    /// `行政相对人代码-1(统一社会信用代码) ` and `行政相对人代码_1（统一社会信用代码）` are the same column.
    static func normalize(_ name: String) -> String {
        SocialCreditCode.normalize(name)
            .replacingOccurrences(of: "-", with: "_")
            .filter { !$0.isWhitespace }
            .lowercased()
    }
}

/// Turns a CSV byte stream into input rows: detects the encoding, maps the header, decodes each field.
public struct CSVRowReader {
    public private(set) var encoding: TextEncoding?
    /// Problems with the file as a whole (row 0): unknown columns, missing required columns.
    public private(set) var fileIssues: [BatchIssue] = []
    public private(set) var fatal: String?

    private let map: FieldMap
    private let type: RecordType
    private var parser = CSVParser()
    private var sample: [UInt8] = []
    private var columns: [String?]?
    private var rowNumber = 0
    private var pending: [UInt8] = []

    public init(type: RecordType) {
        self.type = type
        map = FieldMap(type)
    }

    /// Feeds bytes; returns the data rows they complete.
    public mutating func feed(_ bytes: [UInt8]) -> [InputRow] {
        guard fatal == nil else { return [] }
        if encoding == nil {
            sample += bytes
            guard sample.count >= 65_536 else { return [] }
            return startParsing()
        }
        return rows(parser.feed(bytes))
    }

    public mutating func finish() -> [InputRow] {
        guard fatal == nil else { return [] }
        var out: [InputRow] = []
        if encoding == nil {
            if sample.isEmpty {
                fatal = "the file is empty"
                return []
            }
            out += startParsing()
        }
        if let last = parser.finish() { out += rows([last]) }
        if columns == nil && fatal == nil { fatal = "the file has no header row" }
        return out
    }

    private mutating func startParsing() -> [InputRow] {
        do {
            encoding = try TextEncoding.detect(sample)
        } catch {
            fatal = error.description
            return []
        }
        var bytes = sample
        sample = []
        if encoding == .utf8BOM { bytes.removeFirst(3) }
        return rows(parser.feed(bytes))
    }

    private mutating func rows(_ parsed: [CSVParser.Row]) -> [InputRow] {
        var out: [InputRow] = []
        for row in parsed {
            guard let columns else {
                readHeader(row)
                if fatal != nil { return [] }
                continue
            }
            rowNumber += 1
            out.append(inputRow(row, columns: columns))
        }
        return out
    }

    private mutating func readHeader(_ row: CSVParser.Row) {
        if row.tooManyColumns {
            fatal = "the header has more than \(parser.maxColumns) columns; a \(type.name) file has \(type.fields.count)"
            return
        }
        let names = row.fields.map { encoding?.decode($0) ?? "" }
        let mapped = names.map { map.field(for: $0) }
        for (name, field) in zip(names, mapped) where field == nil && !name.isEmpty {
            fileIssues.append(BatchIssue(row: 0, severity: .warning, field: nil, value: String(name.prefix(60)),
                                         reason: "column '\(name.prefix(60))' is not a field of \(type.name) (\(type.code)); it was ignored"))
        }
        let present = Set(mapped.compactMap { $0 })
        let missing = type.fields.filter { $0.required && !present.contains($0.code) }
        if !missing.isEmpty && present.isEmpty {
            fatal = "the first row is not a header of \(type.name) (\(type.code)): none of its columns is a field; expected columns such as \(type.fields.prefix(4).map(\.label).joined(separator: ", "))"
            return
        }
        for spec in missing {
            fileIssues.append(BatchIssue(row: 0, severity: .error, field: spec.code, value: nil,
                                         reason: "the required column \(spec.label) (\(spec.code)) is missing; every row will be rejected"))
        }
        columns = mapped
    }

    private func inputRow(_ row: CSVParser.Row, columns: [String?]) -> InputRow {
        var values: [String: String] = [:]
        var errors: [BatchIssue.Draft] = []
        for (index, bytes) in row.fields.enumerated() where index < columns.count {
            guard let field = columns[index] else { continue }
            guard let text = encoding?.decode(bytes) else {
                errors.append(.error(field, nil, "the value is not valid \(encoding?.rawValue ?? "text") (line \(row.line))"))
                continue
            }
            values[field] = text
        }
        if let oversized = row.oversizedField {
            let field = oversized < columns.count ? columns[oversized] : nil
            errors.append(.error(field, nil, "a value on line \(row.line) is longer than \(parser.maxFieldBytes) bytes"))
        }
        if row.tooManyColumns || row.fields.count > columns.count {
            errors.append(.error(nil, nil, "line \(row.line) has more values than the header has columns (a stray comma or an unquoted field?)"))
        }
        if row.unterminatedQuote {
            errors.append(.error(nil, nil, "a quoted value that starts on line \(row.line) is never closed"))
        }
        return InputRow(number: rowNumber, values: values, readErrors: errors)
    }
}

/// JSON rows: an array of objects, or one object per line (NDJSON). Keys are field codes or labels;
/// numbers and booleans are taken as their text.
public enum JSONRows {
    public struct Invalid: Error, CustomStringConvertible { public let description: String }

    public static func array(_ data: Data, type: RecordType) throws(Invalid) -> [InputRow] {
        let parsed: Any
        do {
            parsed = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw Invalid(description: "the body is not valid JSON: \(error.localizedDescription)")
        }
        guard let array = parsed as? [Any] else { throw Invalid(description: "the body must be a JSON array of objects, one per record") }
        let map = FieldMap(type)
        return array.enumerated().map { index, element in row(element, number: index + 1, map: map) }
    }

    public static func line(_ bytes: [UInt8], number: Int, type map: FieldMap) -> InputRow {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) else {
            return InputRow(number: number, values: [:], readErrors: [.error(nil, nil, "line \(number) is not a JSON object")])
        }
        return row(object, number: number, map: map)
    }

    static func row(_ element: Any, number: Int, map: FieldMap) -> InputRow {
        guard let object = element as? [String: Any] else {
            return InputRow(number: number, values: [:], readErrors: [.error(nil, nil, "row \(number) is not a JSON object")])
        }
        var values: [String: String] = [:]
        var errors: [BatchIssue.Draft] = []
        for (key, value) in object {
            guard let field = map.field(for: key) else {
                errors.append(.warning(nil, String(key.prefix(60)), "'\(key.prefix(60))' is not a field of this record type; it was ignored"))
                continue
            }
            switch value {
            case let s as String: values[field] = s
            case is NSNull: continue
            case let n as NSNumber: values[field] = n.stringValue
            default: errors.append(.error(field, nil, "\(field) must be text, a number or null"))
            }
        }
        // Unknown keys are reported with the row but do not reject it; malformed values do.
        var row = InputRow(number: number, values: values, readErrors: errors.filter { $0.severity == .error })
        row.readWarnings = errors.filter { $0.severity == .warning }
        return row
    }
}
