import Foundation
import XinyongModel

/// A calendar month, the unit the monitoring is published in. Text form `YYYY-MM`.
public struct Month: Hashable, Comparable, Sendable, Codable, CustomStringConvertible {
    /// Months since year 0: arithmetic is plain integer arithmetic.
    public let index: Int

    public init(index: Int) { self.index = index }

    public init?(year: Int, month: Int) {
        guard (1...12).contains(month), (1900...9999).contains(year) else { return nil }
        index = year * 12 + month - 1
    }

    public init?(_ text: String) {
        let parts = text.trimmingCharacters(in: .whitespaces).split(separator: "-")
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 2, let y = Int(parts[0]), let m = Int(parts[1]) else { return nil }
        self.init(year: y, month: m)
    }

    public init(_ date: CivilDate) {
        let c = date.components
        index = c.year * 12 + c.month - 1
    }

    public var year: Int { index / 12 }
    public var month: Int { index % 12 + 1 }
    public var description: String { String(format: "%04d-%02d", year, month) }
    public static func < (a: Month, b: Month) -> Bool { a.index < b.index }
    public func adding(_ months: Int) -> Month { Month(index: index + months) }
    public var firstDay: CivilDate { CivilDate(year: year, month: month, day: 1)! }
    public var lastDay: CivilDate { adding(1).firstDay.adding(days: -1) }

    /// The rolling window ending with this month.
    public func window(_ months: Int) -> ClosedRange<Month> { adding(-(months - 1))...self }

    public init(from decoder: any Decoder) throws {
        let text = try decoder.singleValueContainer().decode(String.self)
        guard let month = Month(text) else {
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: "'\(text)' is not a month YYYY-MM"))
        }
        self = month
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }
}

extension ClosedRange where Bound == Month {
    public var months: [Month] { (lowerBound.index...upperBound.index).map(Month.init(index:)) }
}

/// The three groups cities are ranked in separately.
public enum CityGroup: String, Codable, Sendable, CaseIterable {
    case major, prefecture, county

    public var label: String {
        switch self {
        case .major: "副省级及以上城市"
        case .prefecture: "地级市"
        case .county: "县级市"
        }
    }
}

/// A city the national monitoring ranks.
public struct MonitoredCity: Hashable, Codable, Sendable {
    public let code: String
    public let name: String
    public let province: String
    public let group: CityGroup

    public init(code: String, name: String, province: String, group: CityGroup) {
        self.code = code
        self.name = name
        self.province = province
        self.group = group
    }

    /// Today's members of each group, shipped as `Resources/monitoring_groups.csv` (source in
    /// `monitoring_groups-SOURCE.md`).
    public static let shipped: [MonitoredCity] = {
        guard let url = Bundle.module.url(forResource: "monitoring_groups", withExtension: "csv", subdirectory: "Resources"),
            let text = try? String(contentsOf: url, encoding: .utf8)
        else { preconditionFailure("monitoring_groups.csv is missing from the bundle") }
        return text.split(whereSeparator: \.isNewline).dropFirst().map { line in
            let f = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            guard f.count == 4, let group = CityGroup(rawValue: f[3]) else { preconditionFailure("bad row in monitoring_groups.csv: \(line)") }
            return MonitoredCity(code: f[0], name: f[1], province: f[2], group: group)
        }
    }()
}

/// One monthly value of one leaf indicator for one city.
public struct IndicatorValue: Hashable, Codable, Sendable {
    public let city: String
    public let month: Month
    public let indicator: String
    public let value: Double

    public init(city: String, month: Month, indicator: String, value: Double) {
        self.city = city
        self.month = month
        self.indicator = indicator
        self.value = value
    }
}

public enum EventKind: String, Codable, Sendable, CaseIterable {
    /// A serious dishonesty event: deducts points.
    case dishonesty
    /// An integrity case (诚信典型): adds points.
    case integrity

    public var label: String { self == .dishonesty ? "失信事件" : "诚信案例" }
}

/// Where the monitoring learned of an event.
public enum EventSource: String, Codable, Sendable, CaseIterable {
    case creditWebsite = "credit_website"
    case officialWebsite = "official_website"
    case mainstreamMedia = "mainstream_media"
    case localMedia = "local_media"
    case sesameCredit = "sesame_credit"
    case investigation

    public var label: String {
        switch self {
        case .creditWebsite: "信用网站"
        case .officialWebsite: "政府官方网站"
        case .mainstreamMedia: "主流媒体"
        case .localMedia: "地方媒体"
        case .sesameCredit: "芝麻信用"
        case .investigation: "调查举报"
        }
    }

    /// Used when an edition names no factor for the source.
    public var defaultFactor: Double {
        switch self {
        case .creditWebsite, .officialWebsite, .mainstreamMedia, .investigation: 1.0
        case .localMedia: 0.5
        case .sesameCredit: 0.5
        }
    }
}

/// A serious dishonesty event or an integrity case that moves a city's score while it is in force.
public struct MonitoringEvent: Hashable, Codable, Sendable {
    public let id: String
    public let city: String
    public let kind: EventKind
    public let occurredOn: CivilDate
    /// First day the event no longer counts; nil = the edition's default period.
    public let expiresOn: CivilDate?
    public let source: EventSource
    public let severity: String
    /// The indicator whose points it moves (usually a level-2 or level-3 indicator).
    public let indicator: String
    public let title: String

    public init(id: String, city: String, kind: EventKind, occurredOn: CivilDate, expiresOn: CivilDate?, source: EventSource,
                severity: String, indicator: String, title: String) {
        self.id = id
        self.city = city
        self.kind = kind
        self.occurredOn = occurredOn
        self.expiresOn = expiresOn
        self.source = source
        self.severity = severity
        self.indicator = indicator
        self.title = title
    }

    public func expiry(defaultMonths: Int) -> CivilDate { expiresOn ?? occurredOn.adding(months: defaultMonths) }

    /// In force for a month's score: it happened inside the window and has not expired by the month's end.
    public func counts(in window: ClosedRange<Month>, defaultExpiryMonths: Int) -> Bool {
        occurredOn >= window.lowerBound.firstDay && occurredOn <= window.upperBound.lastDay
            && expiry(defaultMonths: defaultExpiryMonths) > window.upperBound.lastDay
    }
}
