import Foundation
import Hummingbird
import XinyongModel
import XinyongMonitoring
import XinyongMonitoringService

/// The dashboard pages: the national table and a city's page (score, trend charts, breakdown, events,
/// rank interval, sensitivity, what-if). Server-rendered; the charts are inline SVG, no JavaScript.
extension MonitoringRoutes {
    @Sendable func tablePage(_ request: Request, context: AppRequestContext) async throws -> Response {
        do {
            let query = try Query(request)
            let month = try await resolveMonth(query)
            let scores = try await service.scores(edition: query.edition, month: month)
            let intervals = try await intervalsByCity(query.edition, month)
            let months = try await service.months(edition: query.edition)
            let rows = scores.results.filter { query.matches($0.city) }
                .sorted { ($0.city.group.rawValue, $0.rank) < ($1.city.group.rawValue, $1.rank) }
            return try platform.html("monitoring-table", context: context, MonitoringTableView(
                query: query, month: month, window: windowText(scores), months: months, provinces: provinces(),
                rows: rows.map { TableRow($0, interval: intervals[$0.city.code], province: provinceName($0.city.province), edition: query.edition, month: month) }))
        } catch {
            throw problem(error)
        }
    }

    @Sendable func cityPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        do {
            let query = try Query(request)
            let code = try context.parameters.require("code")
            let month = try await resolveMonth(query)
            let explanation = try await service.explain(edition: query.edition, month: month, city: code)
            let trend = try await service.trend(edition: query.edition, city: code)
            let interval = try await intervalsByCity(query.edition, month)[code]
            let sensitivity = try await service.sensitivity(edition: query.edition, month: month, city: code)
            let edition = try await service.edition(query.edition)
            var whatIf: MonitoringEngine.WhatIf?
            var whatIfError: String?
            if request.uri.queryParameters["indicator"] != nil {
                do {
                    let (indicator, value) = try whatIfParameters(request)
                    whatIf = try await service.whatIf(edition: query.edition, month: month, city: code, indicator: indicator, value: value)
                } catch let p as Problem { whatIfError = p.detail } catch let e as MonitoringEngine.UnknownLeaf { whatIfError = e.description }
            }
            return try platform.html("monitoring-city", context: context, MonitoringCityView(
                explanation: explanation, trend: trend, interval: interval, sensitivity: sensitivity, edition: edition,
                months: try await service.months(edition: query.edition), province: provinceName(explanation.city.province),
                whatIf: whatIf, whatIfError: whatIfError, requestedIndicator: request.uri.queryParameters["indicator"].map(String.init),
                requestedValue: request.uri.queryParameters["value"].map(String.init)))
        } catch {
            throw problem(error)
        }
    }

    func provinceName(_ code: String) -> String { platform.regions[code]?.name ?? code }

    func provinces() -> [(String, String)] {
        Array(Set(service.cities.map(\.province))).sorted().map { ($0, provinceName($0)) }
    }
}

// MARK: - View models

struct Option { let value, label: String; let selected: Bool }

enum Format {
    static func points(_ v: Double) -> String { String(format: "%.2f", v) }
    static func signed(_ v: Double?) -> String { v.map { String(format: "%+.2f", $0) } ?? "—" }
    static func rankChange(_ v: Int?) -> String {
        guard let v else { return "—" }
        return v > 0 ? "↑\(v)" : v < 0 ? "↓\(-v)" : "→"
    }
    static func interval(_ i: RankInterval?) -> String {
        guard let i else { return "—" }
        return "\(Int(i.low.rounded()))–\(Int(i.high.rounded()))"
    }
    static func value(_ v: Double?) -> String {
        guard let v else { return "—" }
        return abs(v - v.rounded()) < 1e-9 ? String(Int(v.rounded())) : String(format: "%.2f", v)
    }
}

struct TableRow {
    let rank, provinceRank: Int
    let code, name, province, group, score, change, rankChange, interval, link: String
    let up, down, vetoed: Bool

    init(_ s: CityScore, interval: RankInterval?, province: String, edition: String, month: Month) {
        rank = s.rank
        provinceRank = s.provinceRank
        code = s.city.code
        name = s.city.name
        self.province = province
        group = s.city.group.label
        score = Format.points(s.score)
        change = Format.signed(s.scoreChange)
        rankChange = Format.rankChange(s.rankChange)
        self.interval = Format.interval(interval)
        link = "/monitoring/cities/\(s.city.code)?edition=\(edition)&month=\(month)"
        up = (s.rankChange ?? 0) > 0
        down = (s.rankChange ?? 0) < 0
        vetoed = !s.vetoes.isEmpty
    }
}

struct MonitoringTableView {
    let title: String
    let edition, month, window, search: String
    let months, groups, provinces: [Option]
    let rows: [TableRow]
    let count: Int

    init(query: MonitoringRoutes.Query, month: Month, window: String, months: [Month], provinces: [(String, String)], rows: [TableRow]) {
        title = "城市信用监测 \(month) · 信用郴州"
        edition = query.edition
        self.month = month.description
        self.window = window
        search = query.search ?? ""
        self.months = months.reversed().map { Option(value: $0.description, label: $0.description, selected: $0 == month) }
        groups = [Option(value: "", label: "全部分组", selected: query.group == nil)]
            + CityGroup.allCases.map { Option(value: $0.rawValue, label: $0.label, selected: query.group == $0) }
        self.provinces = [Option(value: "", label: "全部省份", selected: query.province == nil)]
            + provinces.map { Option(value: $0.0, label: $0.1, selected: query.province == $0.0) }
        self.rows = rows
        count = rows.count
    }
}

struct MonitoringCityView {
    struct Line {
        let code, name, indent, points, earned, share, groupShare, value, groupValue, origin, method, route: String
        let isLeaf, behind: Bool
    }
    struct Event { let date, kind, title, source, severity, indicator, points, expires: String; let negative: Bool }
    struct Factor { let code, name, first, firstRange, total, totalRange: String; let bar: Int }

    let title, name, code, group, province, month, window, edition, editionName: String
    let score, indicatorPoints, eventPoints, scoreChange, rankChange: String
    let rank, groupSize, provinceRank, provinceSize: Int
    let interval, intervalMedian, scoreRange: String
    let scoreChart, rankChart: String
    let lines: [Line]
    let strengths, weaknesses: [Line]
    let events: [Event]
    let noEvents: Bool
    let vetoes: [String]
    let factors: [Factor]
    let months: [Option]
    let leaves: [Option]
    let whatIfValue: String
    let whatIf: [String: String]?
    let whatIfError: String?

    init(explanation e: Explanation, trend: [MonitoringService.TrendPoint], interval: RankInterval?, sensitivity: [Sobol.Index], edition: Edition,
         months: [Month], province: String, whatIf: MonitoringEngine.WhatIf?, whatIfError: String?,
         requestedIndicator: String?, requestedValue: String?) {
        let s = e.score
        title = "\(e.city.name) 城市信用监测 \(e.month) · 信用郴州"
        name = e.city.name
        code = e.city.code
        group = e.city.group.label
        self.province = province
        month = e.month.description
        window = e.window
        self.edition = edition.id
        editionName = edition.name
        score = Format.points(s.score)
        indicatorPoints = Format.points(s.indicatorPoints)
        eventPoints = Format.signed(s.eventPoints)
        scoreChange = Format.signed(s.scoreChange)
        rankChange = Format.rankChange(s.rankChange)
        rank = s.rank
        groupSize = s.groupSize
        provinceRank = s.provinceRank
        provinceSize = s.provinceSize
        self.interval = Format.interval(interval)
        intervalMedian = interval.map { Format.value($0.median) } ?? "—"
        scoreRange = interval.map { "\(Format.points($0.scoreLow))–\(Format.points($0.scoreHigh))" } ?? "—"
        scoreChart = SVGChart.line(trend.map { ($0.month.description, $0.score.score) }, title: "得分 Score",
                                   inverted: false, format: Format.points)
        rankChart = SVGChart.line(trend.map { ($0.month.description, Double($0.score.rank)) },
                                  title: "组内排名 Rank in group (1 = top)", inverted: true, format: { String(Int($0)) })
        let toLine = { (l: Explanation.Line) in
            Line(code: l.code, name: l.name, indent: "level-\(l.level)", points: Format.value(l.points), earned: Format.points(l.earned),
                 share: String(format: "%.1f%%", l.share * 100), groupShare: String(format: "%.1f%%", l.groupShare * 100),
                 value: Format.value(l.value) + (l.unit.map { l.value == nil ? "" : " \($0)" } ?? ""),
                 groupValue: Format.value(l.groupMeanValue), origin: l.origin.map(Self.originLabel) ?? "",
                 method: l.method.map(Self.methodLabel) ?? "", route: l.isLeaf ? l.route.label : "",
                 isLeaf: l.isLeaf, behind: l.share + 1e-9 < l.groupShare)
        }
        lines = e.lines.map(toLine)
        strengths = e.strengths.map(toLine)
        weaknesses = e.weaknesses.map(toLine)
        events = e.events.map { effect in
            Event(date: effect.event.occurredOn.description, kind: effect.event.kind.label, title: effect.event.title,
                  source: effect.event.source.label, severity: effect.event.severity, indicator: effect.event.indicator,
                  points: Format.signed(effect.points), expires: effect.expiresOn, negative: effect.points < 0)
        }
        noEvents = events.isEmpty
        vetoes = e.vetoes.map(\.description)
        let names = Dictionary(edition.allIndicators.map { ($0.indicator.code, $0.indicator.name) }, uniquingKeysWith: { a, _ in a })
        factors = sensitivity.sorted { $0.total > $1.total }.map { f in
            Factor(code: f.factor, name: names[f.factor] ?? f.factor, first: String(format: "%.3f", f.first),
                   firstRange: String(format: "%.3f–%.3f", f.firstLow, f.firstHigh), total: String(format: "%.3f", f.total),
                   totalRange: String(format: "%.3f–%.3f", f.totalLow, f.totalHigh), bar: Int((max(0, min(1, f.total)) * 200).rounded()))
        }
        self.months = months.reversed().map { Option(value: $0.description, label: $0.description, selected: $0 == e.month) }
        leaves = edition.leaves.map { Option(value: $0.code, label: "\($0.code) \($0.name)", selected: $0.code == requestedIndicator) }
        whatIfValue = requestedValue ?? ""
        self.whatIf = whatIf.map { w in
            ["indicator": w.indicator, "before": Format.value(w.before), "after": Format.value(w.after),
             "scoreBefore": Format.points(w.scoreBefore), "scoreAfter": Format.points(w.scoreAfter),
             "scoreChange": Format.signed(w.scoreAfter - w.scoreBefore), "rankBefore": String(w.rankBefore),
             "rankAfter": String(w.rankAfter), "groupSize": String(w.groupSize)]
        }
        self.whatIfError = whatIfError
    }

    static func originLabel(_ o: ValueOrigin) -> String {
        switch o {
        case .reported: "报送"
        case .groupMean: "数据不足，取组均值"
        case .lastValue: "数据不足，取最近值"
        case .whatIf: "假设"
        }
    }

    static func methodLabel(_ m: Normalization.Method) -> String {
        switch m {
        case .minMax: "极差"
        case .zScore: "Z分数"
        case .rank: "排序"
        case .goalposts: "阈值"
        case .distanceToTarget: "目标距离"
        }
    }
}

/// Line charts as inline SVG: numbers and month labels only, so nothing needs escaping.
enum SVGChart {
    static func line(_ points: [(String, Double)], title: String, inverted: Bool, format: (Double) -> String) -> String {
        let width = 640.0, height = 200.0, left = 48.0, right = 12.0, top = 16.0, bottom = 28.0
        let values = points.map(\.1), labels = points.map(\.0)
        guard let lo = values.min(), let hi = values.max() else {
            return "<svg class=\"chart\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\"><title>\(title)</title></svg>"
        }
        let pad = max((hi - lo) * 0.1, inverted ? 1 : 0.5)
        let yMin = inverted ? max(lo - pad, 0.5) : lo - pad, yMax = hi + pad
        let x = { (i: Int) in left + (values.count == 1 ? (width - left - right) / 2 : Double(i) * (width - left - right) / Double(values.count - 1)) }
        let y = { (v: Double) -> Double in
            let t = (v - yMin) / (yMax - yMin)
            return inverted ? top + t * (height - top - bottom) : height - bottom - t * (height - top - bottom)
        }
        var svg = "<svg class=\"chart\" viewBox=\"0 0 \(Int(width)) \(Int(height))\" role=\"img\" xmlns=\"http://www.w3.org/2000/svg\"><title>\(title)</title>"
        for tick in [yMin, (yMin + yMax) / 2, yMax] {
            let ty = String(format: "%.1f", y(tick))
            svg += "<line x1=\"\(Int(left))\" x2=\"\(Int(width - right))\" y1=\"\(ty)\" y2=\"\(ty)\" class=\"grid\"/>"
            svg += "<text x=\"\(Int(left - 4))\" y=\"\(ty)\" class=\"tick\" text-anchor=\"end\" dominant-baseline=\"middle\">\(format(tick))</text>"
        }
        let f = { (v: Double) in String(format: "%.1f", v) }
        let path = values.indices.map { "\($0 == 0 ? "M" : "L")\(f(x($0))),\(f(y(values[$0])))" }.joined(separator: " ")
        svg += "<path d=\"\(path)\" class=\"series\"/>"
        let every = max(1, values.count / 8)
        for i in values.indices {
            svg += "<circle cx=\"\(f(x(i)))\" cy=\"\(f(y(values[i])))\" r=\"3\" class=\"dot\"><title>\(labels[i]): \(format(values[i]))</title></circle>"
            if i % every == 0 || i == values.count - 1 {
                svg += "<text x=\"\(f(x(i)))\" y=\"\(f(height - 8))\" class=\"tick\" text-anchor=\"middle\">\(labels[i])</text>"
            }
        }
        return svg + "</svg>"
    }
}
