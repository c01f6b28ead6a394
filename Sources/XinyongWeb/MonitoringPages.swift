import Foundation
import Hummingbird
import XinyongModel
import XinyongMonitoring
import XinyongMonitoringService

/// The dashboard pages: the national table and a city's page (score, trend charts, breakdown, events,
/// rank interval, sensitivity, what-if). Server-rendered; the charts are inline SVG, no JavaScript.
extension MonitoringRoutes {
    static let pageSize = 50

    @Sendable func tablePage(_ request: Request, context: AppRequestContext) async throws -> Response {
        do {
            let query = try Query(request)
            // Before any month is loaded (a first demo start computes its months in the background) the page
            // says so, rather than answering "not found" for the dashboard itself.
            if query.month == nil, try await service.months(edition: query.edition).isEmpty {
                return try platform.html("message", MessageView(
                    title: "城市信用状况监测 · 信用郴州", heading: "城市信用状况监测",
                    detail: "暂无监测数据：尚未导入任何月份的监测数据，或数据正在计算，请稍后刷新。", input: "", requestID: nil), context: context)
            }
            let month = try await resolveMonth(query)
            let scores = try await service.scores(edition: query.edition, month: month)
            let intervals = try await intervalsByCity(query.edition, month)
            let months = try await service.months(edition: query.edition)
            let computedAt = try await service.computedAt(edition: query.edition, month: month)
            let rows = tableRows(scores, query: query, intervals: intervals)
            let pages = max(1, (rows.count + Self.pageSize - 1) / Self.pageSize)
            let page = min(query.page, pages)
            let shown = Array(rows.dropFirst((page - 1) * Self.pageSize).prefix(Self.pageSize))
            return try platform.html("monitoring-table", context: context, MonitoringTableView(
                query: query, month: month, window: windowText(scores), months: months, provinces: provinces(), rows: shown,
                total: rows.count, page: page, pages: pages, scores: scores,
                unscored: scores.noData.filter { query.matches($0) }.count, computedAt: computedAt.map(beijingTime)))
        } catch {
            throw problem(error)
        }
    }

    /// The table's rows for the filters: ranked cities by group and rank, then the group's cities without
    /// data (never ranked); county-level cities are listed only when they have data.
    func tableRows(_ scores: MonthScores, query: Query, intervals: [String: RankInterval]) -> [TableRow] {
        let order = Dictionary(uniqueKeysWithValues: CityGroup.allCases.enumerated().map { ($1, $0) })
        let ranked = scores.results.filter { query.matches($0.city) }
            .sorted { (order[$0.city.group]!, $0.rank, $0.city.code) < (order[$1.city.group]!, $1.rank, $1.city.code) }
            .map { TableRow($0, interval: intervals[$0.city.code], province: provinceName($0.city.province), edition: query.edition, month: scores.month) }
        let unscored = scores.noData.filter { query.matches($0) && $0.group != .county }
            .map { TableRow(noData: $0, province: provinceName($0.province), edition: query.edition, month: scores.month) }
        return (ranked + unscored).enumerated().sorted { ($0.element.groupOrder, $0.offset) < ($1.element.groupOrder, $1.offset) }.map(\.element)
    }

    @Sendable func cityPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        do {
            let query = try Query(request)
            let code = try context.parameters.require("code")
            guard let city = service.cities.first(where: { $0.code == code }) else { throw unknownCity(code) }
            let month = try await resolveMonth(query)
            let scores = try await service.scores(edition: query.edition, month: month)
            let months = try await service.months(edition: query.edition)
            let trend = try await service.trend(edition: query.edition, city: code)
            guard scores.index(of: code) != nil else {
                return try platform.html("monitoring-nodata", context: context, MonitoringNoDataView(
                    city: city, province: provinceName(city.province), edition: query.edition, month: month, window: windowText(scores),
                    months: months, scoredMonths: trend.map(\.month)))
            }
            let explanation = try await service.explain(edition: query.edition, month: month, city: code)
            let interval = try await intervalsByCity(query.edition, month)[code]
            let sensitivity = try await service.sensitivity(edition: query.edition, month: month, city: code)
            let edition = try await service.edition(query.edition)
            var whatIf: MonitoringEngine.WhatIf?
            var whatIfError: String?
            if request.uri.queryParameters["indicator"] != nil || request.uri.queryParameters["value"] != nil {
                do {
                    let (indicator, value) = try whatIfParameters(request)
                    whatIf = try await service.whatIf(edition: query.edition, month: month, city: code, indicator: indicator, value: value)
                } catch let p as Problem {
                    whatIfError = p.page ?? "假设分析的输入有误。"
                } catch let e as MonitoringEngine.UnknownLeaf {
                    whatIfError = "指标 \(e.code.prefix(20)) 不是本版指标体系的末级指标。"
                }
            }
            return try platform.html("monitoring-city", context: context, MonitoringCityView(
                explanation: explanation, trend: trend, interval: interval, sensitivity: sensitivity, edition: edition,
                months: months, province: provinceName(explanation.city.province),
                whatIf: whatIf, whatIfError: whatIfError, requestedIndicator: request.uri.queryParameters["indicator"].map(String.init),
                requestedValue: request.uri.queryParameters["value"].map(String.init)))
        } catch {
            throw problem(error)
        }
    }

    /// The month's ranking as a CSV file for Excel: UTF-8 with a byte order mark, Chinese headers, CRLF,
    /// ranked cities only (by group and rank), with the filters of the table.
    @Sendable func bulletin(_ request: Request, context: AppRequestContext) async throws -> Response {
        do {
            let query = try Query(request)
            let month = try await resolveMonth(query)
            let scores = try await service.scores(edition: query.edition, month: month)
            let intervals = try await intervalsByCity(query.edition, month)
            let edition = try await service.edition(query.edition)
            let order = Dictionary(uniqueKeysWithValues: CityGroup.allCases.enumerated().map { ($1, $0) })
            let rows = scores.results.filter { query.matches($0.city) }
                .sorted { (order[$0.city.group]!, $0.rank, $0.city.code) < (order[$1.city.group]!, $1.rank, $1.city.code) }
            var lines = [["月份", "指标体系", "滚动窗口", "分组", "组内排名", "组内城市数", "城市代码", "城市", "省份", "省内同组排名",
                          "得分", "指标得分", "事件得分", "环比", "上月排名", "名次变化", "排名区间下限（5%）", "排名区间上限（95%）", "否决"]]
            for s in rows {
                let i = intervals[s.city.code]
                lines.append([
                    month.description, edition.name, windowText(scores), s.city.group.label, String(s.rank), String(s.groupSize), s.city.code,
                    s.city.name, provinceName(s.city.province), String(s.provinceRank), Format.points(s.score), Format.points(s.indicatorPoints),
                    Format.signed(s.eventPoints), s.scoreChange.map { String(format: "%+.2f", $0) } ?? "", s.previousRank.map(String.init) ?? "",
                    s.rankChange.map { String(format: "%+d", $0) } ?? "", i.map { String(Int($0.low.rounded())) } ?? "",
                    i.map { String(Int($0.high.rounded())) } ?? "", s.vetoes.joined(separator: "；"),
                ])
            }
            let text = "\u{FEFF}" + lines.map { $0.map(Self.csvField).joined(separator: ",") + "\r\n" }.joined()
            let name = "monitoring-\(month)\(query.group.map { "-\($0.rawValue)" } ?? "").csv"
            let chinese = "城市信用监测排名-\(month).csv".addingPercentEncoding(withAllowedCharacters: Query.unreserved) ?? name
            return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8",
                                                   .contentDisposition: "attachment; filename=\"\(name)\"; filename*=UTF-8''\(chinese)"],
                            body: .init(byteBuffer: ByteBuffer(string: text)))
        } catch {
            throw problem(error)
        }
    }

    static func csvField(_ text: String) -> String {
        // A leading = + - @ would be a formula in Excel; none of ours starts so except signed numbers, which stay numbers.
        text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) ? "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" : text
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
    let rank, provinceRank: String
    let code, name, province, group, score, change, rankChange, interval, link: String
    let up, down, vetoed, noData: Bool
    let groupOrder: Int

    init(_ s: CityScore, interval: RankInterval?, province: String, edition: String, month: Month) {
        rank = String(s.rank)
        provinceRank = "\(s.provinceRank)/\(s.provinceSize)"
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
        noData = false
        groupOrder = CityGroup.allCases.firstIndex(of: s.city.group) ?? 0
    }

    /// A city with no data in the window: listed, never ranked or scored.
    init(noData city: MonitoredCity, province: String, edition: String, month: Month) {
        rank = "—"
        provinceRank = "—"
        code = city.code
        name = city.name
        self.province = province
        group = city.group.label
        score = "暂无数据"
        change = "—"
        rankChange = "—"
        interval = "—"
        link = "/monitoring/cities/\(city.code)?edition=\(edition)&month=\(month)"
        up = false
        down = false
        vetoed = false
        noData = true
        groupOrder = CityGroup.allCases.firstIndex(of: city.group) ?? 0
    }
}

struct PageLink { let label, link: String; let current: Bool }

struct MonitoringTableView {
    struct GroupCount { let label: String; let count: Int }

    let title: String
    let edition, month, window, search: String
    let months, groups, provinces: [Option]
    let rows: [TableRow]
    let total, page, pages, unscored: Int
    let hasUnscored: Bool
    let ranked: [GroupCount]
    let previous, next: String?
    let pageLinks: [PageLink]
    let bulletin: String
    let computedAt: String?

    init(query: MonitoringRoutes.Query, month: Month, window: String, months: [Month], provinces: [(String, String)], rows: [TableRow],
         total: Int, page: Int, pages: Int, scores: MonthScores, unscored: Int, computedAt: String?) {
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
        self.total = total
        self.page = page
        self.pages = pages
        self.unscored = unscored
        hasUnscored = unscored > 0
        let counts = Dictionary(grouping: scores.results.filter { query.matches($0.city) }, by: \.city.group).mapValues(\.count)
        ranked = CityGroup.allCases.compactMap { g in counts[g].map { GroupCount(label: g.label, count: $0) } }
        var filters = query.filterQuery
        if query.month == nil { filters += "&month=\(month)" }
        let base = "/monitoring?\(filters)"
        previous = page > 1 ? "\(base)&page=\(page - 1)" : nil
        next = page < pages ? "\(base)&page=\(page + 1)" : nil
        pageLinks = pages > 1 ? (1...pages).map { PageLink(label: String($0), link: "\(base)&page=\($0)", current: $0 == page) } : []
        bulletin = "/monitoring/bulletin.csv?\(filters)"
        self.computedAt = computedAt
    }
}

/// A ranked city with no data in the month's window: said plainly, with the months it was scored in.
struct MonitoringNoDataView {
    let title, name, code, group, province, month, window, edition: String
    let months: [Option]
    let scoredMonths: [Option]

    init(city: MonitoredCity, province: String, edition: String, month: Month, window: String, months: [Month], scoredMonths: [Month]) {
        title = "\(city.name) 城市信用监测 \(month) 暂无数据 · 信用郴州"
        name = city.name
        code = city.code
        group = city.group.label
        self.province = province
        self.month = month.description
        self.window = window
        self.edition = edition
        self.months = months.reversed().map { Option(value: $0.description, label: $0.description, selected: $0 == month) }
        self.scoredMonths = scoredMonths.reversed().map { Option(value: "/monitoring/cities/\(city.code)?edition=\(edition)&month=\($0)", label: $0.description, selected: false) }
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
    let scoreChart, rankChart, scoreTitle, rankTitle: String
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
        scoreTitle = "月度得分（分）"
        rankTitle = "组内排名（第 1 名在上）"
        scoreChart = SVGChart.line(trend.map { ($0.month.description, $0.score.score) }, title: "\(e.city.name)月度得分（分）",
                                   inverted: false, format: { String(format: "%.1f", $0) })
        rankChart = SVGChart.line(trend.map { ($0.month.description, Double($0.score.rank)) },
                                  title: "\(e.city.name)组内排名（第 1 名在上）", inverted: true, format: { String(Int($0.rounded())) })
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
