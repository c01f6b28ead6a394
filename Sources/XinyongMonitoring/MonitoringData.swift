/// Everything the engine reads: monthly values by indicator, city and month, and the events.
public struct MonitoringData: Sendable {
    /// indicator code → city code → month → value.
    public private(set) var values: [String: [String: [Month: Double]]] = [:]
    /// indicator code → the months in which any city reported it (the months "collected").
    public private(set) var collectedMonths: [String: Set<Month>] = [:]
    public private(set) var events: [MonitoringEvent] = []
    /// city code → its events, for quick look-up.
    public private(set) var eventsByCity: [String: [MonitoringEvent]] = [:]
    /// city code → the months in which it reported any value: a city with none in a month's window
    /// has no data for that month and is neither scored nor ranked.
    public private(set) var monthsByCity: [String: Set<Month>] = [:]

    public init() {}

    public init(values: [IndicatorValue], events: [MonitoringEvent]) {
        for v in values { set(v) }
        for e in events { add(e) }
    }

    public mutating func set(_ v: IndicatorValue) {
        values[v.indicator, default: [:]][v.city, default: [:]][v.month] = v.value
        collectedMonths[v.indicator, default: []].insert(v.month)
        monthsByCity[v.city, default: []].insert(v.month)
    }

    public mutating func add(_ event: MonitoringEvent) {
        events.append(event)
        eventsByCity[event.city, default: []].append(event)
    }

    public func value(_ indicator: String, city: String, month: Month) -> Double? { values[indicator]?[city]?[month] }

    /// The months for which any value exists, oldest first.
    public var months: [Month] {
        Array(collectedMonths.values.reduce(into: Set<Month>()) { $0.formUnion($1) }).sorted()
    }

    /// Whether the city reported any value in the window.
    public func hasValues(city: String, in window: ClosedRange<Month>) -> Bool {
        monthsByCity[city]?.contains { window.contains($0) } ?? false
    }

    /// A fingerprint of every value and event, independent of their order: stored results carry the
    /// fingerprint of the inputs they were computed from, so that results of other inputs are never shown.
    public var fingerprint: String {
        var hash: UInt64 = 0, count: UInt64 = 0
        for (indicator, cities) in values {
            for (city, series) in cities {
                for (month, value) in series {
                    hash &+= Self.fnv("v|\(indicator)|\(city)|\(month.index)|\(value.bitPattern)")
                    count &+= 1
                }
            }
        }
        for e in events {
            hash &+= Self.fnv("e|\(e.id)|\(e.city)|\(e.kind.rawValue)|\(e.occurredOn)|\(e.expiresOn?.description ?? "")|\(e.source.rawValue)|\(e.severity)|\(e.indicator)")
            count &+= 1
        }
        return String(format: "%016llx-%llu", hash, count)
    }

    static func fnv(_ text: String) -> UInt64 {
        text.utf8.reduce(0xCBF2_9CE4_8422_2325) { ($0 ^ UInt64($1)) &* 0x100_0000_01B3 }
    }

    public var valueCount: Int { values.values.reduce(0) { $0 + $1.values.reduce(0) { $0 + $1.count } } }

    /// The mean of a city's values inside the window, with how many months it reported and how many
    /// months the indicator was collected at all in the window.
    func windowMean(_ indicator: String, city: String, window: ClosedRange<Month>) -> (mean: Double?, reported: Int, collected: Int) {
        let collected = collectedMonths[indicator]?.filter { window.contains($0) }.count ?? 0
        guard let series = values[indicator]?[city] else { return (nil, 0, collected) }
        var sum = 0.0, n = 0
        for month in window.months {
            if let v = series[month] {
                sum += v
                n += 1
            }
        }
        return (n > 0 ? sum / Double(n) : nil, n, collected)
    }

    /// The city's latest value at or before `month`, with the month it is from.
    func lastValue(_ indicator: String, city: String, atOrBefore month: Month) -> (Month, Double)? {
        guard let series = values[indicator]?[city] else { return nil }
        return series.filter { $0.key <= month }.max { $0.key < $1.key }.map { ($0.key, $0.value) }
    }
}
