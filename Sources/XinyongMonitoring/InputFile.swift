import Foundation
import XinyongModel

/// One thing wrong with one row of an input file: the row (its line in the file, header = 1), the
/// field, the value as given and why it cannot be taken.
public struct RowIssue: Error, Codable, Sendable, Equatable, CustomStringConvertible {
    public let row: Int
    public let field: String?
    public let value: String?
    public let reason: String

    public var description: String {
        "row \(row)" + (field.map { ", \($0)" } ?? "") + (value.map { " '\($0)'" } ?? "") + ": \(reason)"
    }
}

/// Reads monthly values and events from CSV (or from rows already split, as the JSON API gives them)
/// and checks every field, so that a file is taken whole or refused with every defect named.
public struct InputFile: Sendable {
    public let edition: Edition
    public let cities: [String: MonitoredCity]
    private let leafUnits: [String: String?]
    private let indicatorCodes: Set<String>

    public init(edition: Edition, cities: [MonitoredCity] = MonitoredCity.shipped) {
        self.edition = edition
        self.cities = Dictionary(cities.map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
        leafUnits = Dictionary(uniqueKeysWithValues: edition.leaves.map { ($0.code, $0.unit) })
        indicatorCodes = Set(edition.allIndicators.map(\.indicator.code))
    }

    public static let valueColumns = ["city", "month", "indicator", "value"]
    public static let eventColumns = ["id", "city", "kind", "occurred_on", "expires_on", "source", "severity", "indicator", "title"]

    public struct Parsed<T: Sendable>: Sendable {
        public let rows: [T]
        public let issues: [RowIssue]
    }

    // MARK: Values

    public func values(csv text: String) -> Parsed<IndicatorValue> {
        switch CSV.records(text, required: Self.valueColumns) {
        case .failure(let issue): return Parsed(rows: [], issues: [issue])
        case .success(let rows): return values(rows: rows)
        }
    }

    /// Rows as field → text, numbered by their line (or position + 1 for JSON).
    public func values(rows: [(row: Int, fields: [String: String])]) -> Parsed<IndicatorValue> {
        var out: [IndicatorValue] = [], issues: [RowIssue] = []
        var seen: [String: Int] = [:]
        for (row, f) in rows {
            var rowIssues: [RowIssue] = []
            let city = check(row, "city", f["city"], &rowIssues) { cities[$0] == nil ? "is not a city the monitoring ranks (monitoring_groups.csv)" : nil }
            let month = check(row, "month", f["month"], &rowIssues) { Month($0) == nil ? "is not a month YYYY-MM" : nil }
            let indicator = check(row, "indicator", f["indicator"], &rowIssues) { code in
                leafUnits[code] != nil ? nil : indicatorCodes.contains(code)
                    ? "is not a leaf indicator of edition \(edition.id): values go to its lowest level"
                    : "is not an indicator of edition \(edition.id)"
            }
            let value = check(row, "value", f["value"], &rowIssues) { text in
                guard let v = Double(text), v.isFinite else { return "is not a number" }
                if v < 0 { return "is negative; monitoring values are counts, shares or amounts" }
                if let code = f["indicator"], leafUnits[code] == "%", v > 100 { return "is a percentage above 100" }
                return nil
            }
            if let city, let month, let indicator, let value, rowIssues.isEmpty {
                let key = "\(city)|\(month)|\(indicator)"
                if let first = seen[key] {
                    rowIssues.append(RowIssue(row: row, field: nil, value: nil, reason: "repeats row \(first) (same city, month and indicator)"))
                } else {
                    seen[key] = row
                    out.append(IndicatorValue(city: city, month: Month(month)!, indicator: indicator, value: Double(value)!))
                }
            }
            issues += rowIssues
        }
        return Parsed(rows: out, issues: issues)
    }

    // MARK: Events

    public func events(csv text: String) -> Parsed<MonitoringEvent> {
        switch CSV.records(text, required: Self.eventColumns.filter { $0 != "expires_on" && $0 != "title" }) {
        case .failure(let issue): return Parsed(rows: [], issues: [issue])
        case .success(let rows): return events(rows: rows)
        }
    }

    public func events(rows: [(row: Int, fields: [String: String])]) -> Parsed<MonitoringEvent> {
        var out: [MonitoringEvent] = [], issues: [RowIssue] = []
        var seen: [String: Int] = [:]
        let severities = Set(edition.events.severities)
        for (row, f) in rows {
            var rowIssues: [RowIssue] = []
            let id = check(row, "id", f["id"], &rowIssues) { $0.count > 100 ? "is longer than 100 characters" : nil }
            let city = check(row, "city", f["city"], &rowIssues) { cities[$0] == nil ? "is not a city the monitoring ranks" : nil }
            let kind = check(row, "kind", f["kind"], &rowIssues) { EventKind(rawValue: $0) == nil ? "must be dishonesty or integrity" : nil }
            let occurred = check(row, "occurred_on", f["occurred_on"], &rowIssues) { CivilDate($0) == nil ? "is not a date YYYY-MM-DD" : nil }
            let source = check(row, "source", f["source"], &rowIssues) { EventSource(rawValue: $0) == nil
                ? "must be one of " + EventSource.allCases.map(\.rawValue).joined(separator: ", ") : nil }
            let severity = check(row, "severity", f["severity"], &rowIssues) { severities.contains($0) ? nil
                : "must be one of " + severities.sorted().joined(separator: ", ") }
            let indicator = check(row, "indicator", f["indicator"], &rowIssues) { indicatorCodes.contains($0) ? nil : "is not an indicator of edition \(edition.id)" }
            var expires: CivilDate?
            if let text = f["expires_on"]?.trimmingCharacters(in: .whitespaces), !text.isEmpty {
                expires = CivilDate(text)
                if expires == nil { rowIssues.append(RowIssue(row: row, field: "expires_on", value: text, reason: "is not a date YYYY-MM-DD")) }
                if let e = expires, let o = occurred.flatMap { CivilDate($0) }, e <= o {
                    rowIssues.append(RowIssue(row: row, field: "expires_on", value: text, reason: "is not after occurred_on"))
                }
            }
            if let id, let city, let kind, let occurred, let source, let severity, let indicator, rowIssues.isEmpty {
                if let first = seen[id] {
                    rowIssues.append(RowIssue(row: row, field: "id", value: id, reason: "repeats row \(first)"))
                } else {
                    seen[id] = row
                    out.append(MonitoringEvent(id: id, city: city, kind: EventKind(rawValue: kind)!, occurredOn: CivilDate(occurred)!,
                                               expiresOn: expires, source: EventSource(rawValue: source)!, severity: severity,
                                               indicator: indicator, title: f["title"] ?? ""))
                }
            }
            issues += rowIssues
        }
        return Parsed(rows: out, issues: issues)
    }

    /// A required field, trimmed; nil (with an issue) when missing or when `defect` names a problem.
    private func check(_ row: Int, _ field: String, _ text: String?, _ issues: inout [RowIssue], _ defect: (String) -> String?) -> String? {
        let value = text?.trimmingCharacters(in: .whitespaces) ?? ""
        guard !value.isEmpty else {
            issues.append(RowIssue(row: row, field: field, value: nil, reason: "is required"))
            return nil
        }
        if let reason = defect(value) {
            issues.append(RowIssue(row: row, field: field, value: String(value.prefix(100)), reason: reason))
            return nil
        }
        return value
    }
}

/// RFC 4180 CSV: quoted fields with commas, doubled quotes and line breaks; a UTF-8 BOM and CRLF allowed.
public enum CSV {
    public static func parse(_ text: String) -> [[String]] {
        var rows: [[String]] = [], row: [String] = [], field = ""
        var quoted = false, afterQuote = false
        var chars = Substring(text)
        if chars.first == "\u{FEFF}" { chars = chars.dropFirst() }
        for ch in chars {
            if quoted {
                if ch == "\"" { quoted = false; afterQuote = true } else { field.append(ch) }
                continue
            }
            switch ch {
            case "\"":
                if afterQuote { field.append("\"") }
                quoted = true
                afterQuote = false
            case ",": row.append(field); field = ""; afterQuote = false
            case "\n", "\r\n", "\r":
                row.append(field)
                rows.append(row)
                row = []; field = ""; afterQuote = false
            default: field.append(ch); afterQuote = false
            }
        }
        if !field.isEmpty || !row.isEmpty { row.append(field); rows.append(row) }
        return rows
    }

    /// Data rows keyed by the header's (lower-cased, trimmed) names, numbered by line; blank lines skipped.
    public static func records(_ text: String, required: [String]) -> Result<[(row: Int, fields: [String: String])], RowIssue> {
        let rows = parse(text)
        guard let header = rows.first?.map({ $0.trimmingCharacters(in: .whitespaces).lowercased() }) else {
            return .failure(RowIssue(row: 1, field: nil, value: nil, reason: "the file is empty; the header must name " + required.joined(separator: ", ")))
        }
        let missing = required.filter { !header.contains($0) }
        guard missing.isEmpty else {
            return .failure(RowIssue(row: 1, field: nil, value: nil, reason: "the header lacks " + missing.joined(separator: ", ")))
        }
        var out: [(row: Int, fields: [String: String])] = []
        for (i, row) in rows.enumerated().dropFirst() where !(row.count == 1 && row[0].trimmingCharacters(in: .whitespaces).isEmpty) {
            var fields: [String: String] = [:]
            for (k, name) in header.enumerated() where k < row.count { fields[name] = row[k] }
            out.append((row: i + 1, fields: fields))
        }
        return .success(out)
    }
}
