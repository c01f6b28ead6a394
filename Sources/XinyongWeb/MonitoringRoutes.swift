import Foundation
import Hummingbird
import XinyongModel
import XinyongMonitoring
import XinyongMonitoringService
import XinyongStore

/// The city credit monitoring: dashboard pages under `/monitoring` and JSON under `/api/v1/monitoring`.
/// Reads go through the shared ``MonitoringService``; imports take an administrator (key or login).
struct MonitoringRoutes {
    let platform: Platform
    let service: MonitoringService

    init(platform: Platform) {
        self.platform = platform
        self.service = MonitoringServices.service(for: platform.store)
    }

    func register(on edge: Edge) {
        edge.get("/monitoring", .open, use: tablePage)
        edge.get("/monitoring/cities/{code}", .open, use: cityPage)
        edge.get("/monitoring/bulletin.csv", .open, use: bulletin)
        edge.get("/static/monitoring.css", .open) { _, _ in
            Response(status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "max-age=3600"],
                     body: .init(byteBuffer: ByteBuffer(bytes: Platform.resource("monitoring.css"))))
        }
        let api = "/api/v1/monitoring"
        edge.get("\(api)/editions", .open, use: editions)
        edge.get("\(api)/editions/{id}", .open, use: editionFile)
        edge.post("\(api)/editions", .admin, use: importEdition)
        edge.get("\(api)/months", .open, use: months)
        edge.get("\(api)/scores", .open, use: scores)
        edge.get("\(api)/cities/{code}", .open, use: city)
        edge.get("\(api)/cities/{code}/trend", .open, use: trend)
        edge.get("\(api)/cities/{code}/sensitivity", .open, use: sensitivity)
        edge.get("\(api)/cities/{code}/what-if", .open, use: whatIf)
        edge.post("\(api)/values", .admin, use: importValues)
        edge.post("\(api)/events", .admin, use: importEvents)
    }

    // MARK: Query parameters

    struct Query {
        let edition: String
        let month: Month?
        let group: CityGroup?
        let province: String?
        let search: String?
        /// The table's page, from 1.
        let page: Int

        init(_ request: Request) throws {
            let q = request.uri.queryParameters
            edition = q["edition"].map(String.init) ?? MonitoringService.defaultEdition
            if let text = q["month"].map(String.init), !text.isEmpty {
                guard let m = Month(text) else {
                    throw Self.bad("month", text, "is not a month YYYY-MM", page: "月份“\(text.prefix(20))”格式不对，应为 年-月，如 2019-03。")
                }
                month = m
            } else { month = nil }
            if let text = q["group"].map(String.init), !text.isEmpty {
                guard let g = CityGroup(rawValue: text) else {
                    throw Self.bad("group", text, "must be major, prefecture or county", page: "分组无效，应为副省级及以上城市、地级市或县级市。")
                }
                group = g
            } else { group = nil }
            province = q["province"].map(String.init).flatMap { $0.isEmpty ? nil : $0 }
            search = q["q"].map(String.init).flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0.trimmingCharacters(in: .whitespaces) }
            if let text = q["page"].map(String.init), !text.isEmpty {
                guard let n = Int(text), n >= 1 else { throw Self.bad("page", text, "must be a whole number ≥ 1", page: "页码应为不小于 1 的整数。") }
                page = n
            } else { page = 1 }
        }

        static func bad(_ name: String, _ value: String, _ reason: String, page: String? = nil) -> Problem {
            Problem(.badRequest, type: "invalid-parameter", title: "Invalid parameter", detail: "\(name) '\(value.prefix(40))' \(reason)",
                    extra: ["parameter": name], page: page)
        }

        static let unreserved = CharacterSet(charactersIn: "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")

        /// The filters as a query string (without the page), for links that keep them.
        var filterQuery: String {
            var items = [("edition", edition)]
            if let month { items.append(("month", month.description)) }
            if let group { items.append(("group", group.rawValue)) }
            if let province { items.append(("province", province)) }
            if let search { items.append(("q", search)) }
            return items.map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: Self.unreserved) ?? "")" }.joined(separator: "&")
        }

        func matches(_ city: MonitoredCity) -> Bool {
            (group == nil || city.group == group) && (province == nil || city.province == province)
                && (search == nil || city.name.contains(search!) || city.code.hasPrefix(search!))
        }
    }

    /// Service errors as problems: unknown things are 404, refused input 422 with every row. Each carries
    /// a stable type for the API and a Chinese message for the page.
    func problem(_ error: any Error) -> any Error {
        switch error {
        case let e as MonitoringService.NotFound:
            switch e.kind {
            case .edition: return Problem.notFound(e.description, page: e.page)
            case .month:
                return Problem(.notFound, type: "monitoring-month-without-data", title: "No data for this month", detail: e.description, page: e.page)
            case .city: return Problem(.notFound, type: "monitoring-unknown-city", title: "Unknown city", detail: e.description, page: e.page)
            case .noData:
                return Problem(.notFound, type: "monitoring-city-without-data", title: "No data for this city", detail: e.description, page: e.page)
            }
        case let e as MonitoringService.Rejected:
            var problem = Problem(.unprocessableContent, type: "monitoring-import-rejected", title: "Import refused", detail: e.description)
            problem.issues = e.issues
            return problem
        case let e as Edition.Invalid:
            return Problem(.unprocessableContent, type: "invalid-edition", title: "Invalid edition", detail: e.description)
        case let e as MonitoringRepository.EditionConflict:
            return Problem(.conflict, type: "edition-conflict", title: "Edition already installed", detail: e.description)
        case let e as MonitoringEngine.UnknownLeaf:
            return Problem(.badRequest, type: "invalid-parameter", title: "Invalid parameter", detail: e.description, extra: ["parameter": "indicator"],
                           page: "指标 \(e.code.prefix(20)) 不是本版指标体系的末级指标。")
        default: return error
        }
    }

    func answer(_ body: () async throws -> Response) async throws -> Response {
        do { return try await body() } catch { throw problem(error) }
    }

    // MARK: JSON

    @Sendable func editions(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await answer {
            let list = try await service.editions().map {
                EditionSummary(id: $0.id, name: $0.name, issuedOn: $0.issuedOn, effectiveFrom: $0.effectiveFrom,
                               totalPoints: $0.totalPoints, indicatorsPerLevel: $0.countsPerLevel)
            }
            return try JSONBody.response(list)
        }
    }

    /// The edition as a file: what `POST /editions` and `xinyong monitor edition import` read back.
    @Sendable func editionFile(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await answer {
            let edition = try await service.edition(try context.parameters.require("id"))
            return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8",
                                                   .contentDisposition: "attachment; filename=\"edition-\(edition.id).json\""],
                            body: .init(byteBuffer: ByteBuffer(bytes: edition.encoded())))
        }
    }

    @Sendable func months(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await answer {
            let query = try Query(request)
            return try JSONBody.response(["edition": [query.edition], "months": try await service.months(edition: query.edition).map(\.description)])
        }
    }

    @Sendable func scores(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await answer {
            let query = try Query(request)
            let month = try await resolveMonth(query)
            let scores = try await service.scores(edition: query.edition, month: month)
            let intervals = try await intervalsByCity(query.edition, month)
            let rows = scores.results.filter { query.matches($0.city) }.sorted { ($0.city.group.rawValue, $0.rank) < ($1.city.group.rawValue, $1.rank) }
            return try JSONBody.response(ScoresBody(edition: query.edition, month: month.description, window: windowText(scores),
                                                    cities: rows.map { CityScoreBody($0, interval: intervals[$0.city.code]) },
                                                    noData: scores.noData.filter { query.matches($0) }.map(\.code)))
        }
    }

    @Sendable func city(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await answer {
            let query = try Query(request)
            let code = try context.parameters.require("code")
            let month = try await resolveMonth(query)
            let explanation = try await service.explain(edition: query.edition, month: month, city: code)
            let interval = try await intervalsByCity(query.edition, month)[code]
            return try JSONBody.response(CityBody(explanation: explanation, interval: interval))
        }
    }

    @Sendable func trend(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await answer {
            let query = try Query(request)
            let code = try context.parameters.require("code")
            guard service.cities.contains(where: { $0.code == code }) else { throw unknownCity(code) }
            let points = try await service.trend(edition: query.edition, city: code)
            return try JSONBody.response(points.map { TrendBody(month: $0.month.description, city: CityScoreBody($0.score, interval: nil)) })
        }
    }

    @Sendable func sensitivity(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await answer {
            let query = try Query(request)
            let code = try context.parameters.require("code")
            let month = try await resolveMonth(query)
            _ = try await service.explain(edition: query.edition, month: month, city: code)
            return try JSONBody.response(try await service.sensitivity(edition: query.edition, month: month, city: code))
        }
    }

    @Sendable func whatIf(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await answer {
            let query = try Query(request)
            let code = try context.parameters.require("code")
            let month = try await resolveMonth(query)
            let (indicator, value) = try whatIfParameters(request)
            return try JSONBody.response(try await service.whatIf(edition: query.edition, month: month, city: code, indicator: indicator, value: value))
        }
    }

    func whatIfParameters(_ request: Request) throws -> (String, Double) {
        let q = request.uri.queryParameters
        guard let indicator = q["indicator"].map(String.init), !indicator.isEmpty else {
            throw Query.bad("indicator", "", "is required (a leaf indicator code such as 4.1.1)", page: "请选择一个末级指标。")
        }
        let text = (q["value"].map(String.init) ?? "").trimmingCharacters(in: .whitespaces)
        guard let value = Double(text), value.isFinite, value >= 0 else {
            throw Query.bad("value", text, "must be a number ≥ 0",
                            page: text.isEmpty ? "请填写假设的滚动值（不小于 0 的数字）。" : "滚动值“\(text.prefix(20))”不是不小于 0 的数字，请重新填写。")
        }
        return (indicator, value)
    }

    func unknownCity(_ code: String) -> MonitoringService.NotFound {
        .init(.city, description: "\(code) is not a city the monitoring ranks", page: "没有代码为 \(code.prefix(12)) 的监测城市。")
    }

    func resolveMonth(_ query: Query) async throws -> Month {
        if let month = query.month { return month }
        return try await service.latestMonth(edition: query.edition)
    }

    func intervalsByCity(_ edition: String, _ month: Month) async throws -> [String: RankInterval] {
        try await service.intervalsByCity(edition: edition, month: month)
    }

    func windowText(_ scores: MonthScores) -> String { "\(scores.window.lowerBound)–\(scores.window.upperBound)" }

    // MARK: Imports

    @Sendable func importValues(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await answer {
            let actor = context.actor("monitoring import over the API")
            let query = try Query(request)
            let body = try await bodyText(request)
            let summary = try await isJSON(request)
                ? service.importValues(rows: try jsonRows(body), edition: query.edition, source: "api", by: actor)
                : service.importValues(csv: body, edition: query.edition, source: "api", by: actor)
            return try JSONBody.response(summary, status: .created)
        }
    }

    @Sendable func importEvents(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await answer {
            let actor = context.actor("monitoring import over the API")
            let query = try Query(request)
            let body = try await bodyText(request)
            let summary = try await isJSON(request)
                ? service.importEvents(rows: try jsonRows(body), edition: query.edition, by: actor)
                : service.importEvents(csv: body, edition: query.edition, by: actor)
            return try JSONBody.response(summary, status: .created)
        }
    }

    @Sendable func importEdition(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await answer {
            let actor = context.actor("monitoring import over the API")
            let edition = try await service.importEdition(Data(try await bodyText(request).utf8), by: actor)
            return try JSONBody.response(["id": edition.id], status: .created)
        }
    }

    func isJSON(_ request: Request) -> Bool { request.headers[.contentType]?.hasPrefix("application/json") ?? false }

    func bodyText(_ request: Request) async throws -> String {
        let buffer = try await request.body.collect(upTo: 64 << 20)
        return String(buffer: buffer)
    }

    /// A JSON array of objects, numbered from 1 like the rows of a file without a header.
    func jsonRows(_ text: String) throws -> [(row: Int, fields: [String: String])] {
        guard let array = try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [[String: Any]] else {
            throw Problem(.badRequest, type: "invalid-json", title: "Invalid JSON", detail: "the body must be a JSON array of objects")
        }
        return array.enumerated().map { i, object in
            (i + 1, object.mapValues { value in
                if let text = value as? String { return text }
                if let number = value as? NSNumber { return number.stringValue }
                return String(describing: value)
            })
        }
    }
}

// MARK: - JSON bodies

struct EditionSummary: Encodable {
    let id, name, issuedOn, effectiveFrom: String
    let totalPoints: Double
    let indicatorsPerLevel: [Int]
}

struct CityScoreBody: Encodable {
    let code, name, province, group: String
    let score, indicatorPoints, eventPoints: Double
    let rank, groupSize, provinceRank, provinceSize: Int
    let previousScore: Double?
    let previousRank: Int?
    let scoreChange: Double?
    let rankChange: Int?
    let vetoes: [String]
    let interval: RankInterval?

    init(_ s: CityScore, interval: RankInterval?) {
        code = s.city.code
        name = s.city.name
        province = s.city.province
        group = s.city.group.rawValue
        score = s.score
        indicatorPoints = s.indicatorPoints
        eventPoints = s.eventPoints
        rank = s.rank
        groupSize = s.groupSize
        provinceRank = s.provinceRank
        provinceSize = s.provinceSize
        previousScore = s.previousScore
        previousRank = s.previousRank
        scoreChange = s.scoreChange
        rankChange = s.rankChange
        vetoes = s.vetoes
        self.interval = interval
    }
}

struct TrendBody: Encodable {
    let month: String
    let city: CityScoreBody
}

struct ScoresBody: Encodable {
    let edition, month, window: String
    let cities: [CityScoreBody]
    /// Cities (of the filter) with no data in the window: not scored, not ranked.
    let noData: [String]
}

struct CityBody: Encodable {
    let explanation: Explanation
    let interval: RankInterval?
}
