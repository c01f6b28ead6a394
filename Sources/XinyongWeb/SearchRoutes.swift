import Foundation
import Hummingbird
import XinyongModel
import XinyongPublication

/// Search by name or code: the page `/search` and `GET /api/v1/search`, one service call behind both.
struct SearchRoutes {
    let platform: Platform

    func register(on edge: Edge) {
        edge.get("/search", .open, use: page)
        edge.get("/api/v1/search", .open, use: api)
    }

    /// Reads the request's search; a bad parameter is named.
    private func searchRequest(_ query: PublicQuery) throws -> SearchRequest? {
        guard let text = query.text("q") else { return nil }
        var kind: SubjectKind?
        if let value = query.text("kind") {
            guard let parsed = SubjectKind(rawValue: value), parsed != .naturalPerson else {
                throw PublicQueryError(parameter: "kind", reason: "'\(value.prefix(30))' is not one of \(SubjectKind.allCases.filter { $0 != .naturalPerson }.map(\.rawValue).joined(separator: ", "))",
                                       message: "主体类型有误")
            }
            kind = parsed
        }
        var list: CreditList?
        if let value = query.text("list") {
            guard let parsed = CreditList(rawValue: value) else {
                throw PublicQueryError(parameter: "list", reason: "'\(value.prefix(30))' is not one of red, black, watch", message: "名单应为红名单、黑名单或重点关注名单")
            }
            list = parsed
        }
        return SearchRequest(text: text, regionCode: query.text("region"), kind: kind, list: list,
                             page: try query.int("page", default: 1), pageSize: try query.int("size", default: 20))
    }

    @Sendable func page(_ request: Request, context: AppRequestContext) async throws -> Response {
        let query = PublicQuery(request: request)
        var view = SearchView(query: query, options: FilterOptions(platform: platform, query: query))
        do {
            if let search = try searchRequest(query) {
                view.show(try await platform.site.search(search), query: query, regions: platform.site)
            } else if ["region", "kind", "list"].contains(where: { query.text($0) != nil }) {
                view.error = "请输入企业名称（至少两个字）或统一社会信用代码的开头，再按地区、类型或名单筛选；名单全貌见红名单、黑名单页面。"
            }
        } catch let error as PublicQueryError {
            view.error = error.message
            return try platform.html("search", view, context: context, status: .badRequest)
        }
        return try platform.html("search", view, context: context)
    }

    @Sendable func api(_ request: Request, context: AppRequestContext) async throws -> Response {
        let query = PublicQuery(request: request)
        do {
            guard let search = try searchRequest(query) else {
                throw PublicQueryError(parameter: "q", reason: "required: a name fragment or the start of a code", message: "请输入名称或代码")
            }
            let results = try await platform.site.search(search)
            return try JSONBody.response(SearchBody(results, site: platform.site))
        } catch let error as PublicQueryError {
            throw Problem(.badRequest, type: "invalid-search", title: "Invalid search", detail: error.description,
                          extra: ["parameter": error.parameter])
        }
    }
}

/// The search answer as JSON.
struct SearchBody: Encodable {
    struct Part: Encodable { let text: String; let hit: Bool }
    struct Hit: Encodable {
        let code: String?
        let name: String
        let matchedName: String
        let matchedFormerName: Bool
        let highlight: [Part]
        let kind: String
        let region: String
        let regionName: String
        let status: String
        let lists: [String]
        let profile: String?
    }

    let matchedBy: String
    let total: Int
    let capped: Bool
    let page: Int
    let pageSize: Int
    let results: [Hit]

    init(_ results: SearchResults, site: PublicSite) {
        if case .codePrefix = results.match { matchedBy = "code_prefix" } else { matchedBy = "name" }
        total = results.total
        capped = results.capped
        page = results.page
        pageSize = results.pageSize
        self.results = results.hits.map { hit in
            let code = hit.subject.code?.value ?? hit.subject.legacyRegistrationNumber?.value
            return Hit(
                code: code, name: hit.subject.name, matchedName: hit.matchedName, matchedFormerName: hit.matchedFormerName,
                highlight: hit.parts.map { Part(text: $0.text, hit: $0.hit) }, kind: hit.subject.kind.rawValue,
                region: hit.subject.regionCode, regionName: site.regionName(hit.subject.regionCode),
                status: hit.subject.status.rawValue, lists: hit.lists.sorted().map(\.rawValue), profile: code.map { "/subjects/\($0)" })
        }
    }
}

/// The choices of the filter forms: the city's regions, subject kinds, lists and departments.
struct FilterOptions {
    struct Option { let value, label: String; let selected: Bool }
    let regions: [Option]
    let kinds: [Option]
    let lists: [Option]

    init(platform: Platform, query: PublicQuery) {
        let city = platform.regions.chain(PublicSite.cityCode).first
        let regionCodes = city.map { [$0] + platform.regions.children(of: $0.code) } ?? []
        regions = regionCodes.map { Option(value: $0.code, label: $0.name, selected: query.text("region") == $0.code) }
        kinds = SubjectKind.allCases.filter { $0 != .naturalPerson }
            .map { Option(value: $0.rawValue, label: $0.label, selected: query.text("kind") == $0.rawValue) }
        lists = CreditList.allCases.map { Option(value: $0.rawValue, label: $0.name, selected: query.text("list") == $0.rawValue) }
    }
}

struct SearchView {
    struct Part { let text: String; let hit: Bool }
    struct Hit {
        let name: String
        let parts: [Part]
        let formerName: Bool
        let currentName: String
        let code: String?
        let kind, region, status: String
        let lists: [ListBadge]
    }
    struct ListBadge { let code, name: String }

    let title = "信用信息查询 · 信用郴州"
    let q: String
    let options: FilterOptions
    var error: String?
    var searched = false
    var hits: [Hit] = []
    var summary = ""
    var capped = false
    var notice: String?
    var pager = Pager()

    init(query: PublicQuery, options: FilterOptions) {
        q = String((query.text("q") ?? "").prefix(SearchText.maximumQueryLength))
        self.options = options
    }

    mutating func show(_ results: SearchResults, query: PublicQuery, regions: PublicSite) {
        searched = true
        capped = results.capped
        summary = results.capped
            ? "匹配的主体超过 \(SearchResults.cap) 个，显示最相关的前 \(SearchResults.cap) 个（共 \(results.pageCount) 页）。请输入更多字，或按地区、类型筛选，缩小范围。"
            : "共 \(results.total) 个主体"
        hits = results.hits.map { hit in
            Hit(name: hit.matchedName, parts: hit.parts.map { Part(text: $0.text, hit: $0.hit) }, formerName: hit.matchedFormerName,
                currentName: hit.subject.name, code: hit.subject.code?.value ?? hit.subject.legacyRegistrationNumber?.value,
                kind: hit.subject.kind.label, region: regions.regionName(hit.subject.regionCode), status: hit.subject.status.label,
                lists: hit.lists.sorted().map { ListBadge(code: $0.rawValue, name: $0.name) })
        }
        if results.requestedPage != results.page, results.total > 0 {
            notice = "第 \(results.requestedPage) 页超出范围（共 \(results.pageCount) 页），以下为最后一页。"
        }
        pager = Pager(page: results.page, pageCount: results.pageCount, query: query)
    }
}
