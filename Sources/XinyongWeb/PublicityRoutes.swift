import Foundation
import Hummingbird
import XinyongModel
import XinyongPublication

/// Double publicity (双公示) listings, one page per record, and the red, black and watch lists.
struct PublicityRoutes {
    let platform: Platform

    func register(on edge: Edge) {
        edge.get("/publicity", .open) { _, _ in Response(status: .seeOther, headers: [.location: "/publicity/penalties"]) }
        edge.get("/publicity/{kind}", .open, use: publicity)
        edge.get("/records/{id}", .open, use: record)
        edge.get("/lists", .open) { _, _ in Response(status: .seeOther, headers: [.location: "/lists/black"]) }
        edge.get("/lists/{list}", .open, use: list)
    }

    @Sendable func publicity(_ request: Request, context: AppRequestContext) async throws -> Response {
        // `/publicity/penalties.csv` (or `?format=csv`) downloads what the page lists, with its filters.
        let name = try context.parameters.require("kind")
        let query = PublicQuery(request: request)
        let csv = name.hasSuffix(".csv") || query.text("format") == "csv"
        guard let kind = PublicSite.PublicityKind(rawValue: name.hasSuffix(".csv") ? String(name.dropLast(4)) : name) else {
            return try platform.message("未找到该页面", detail: "双公示分为 licences（行政许可）与 penalties（行政处罚）。", context: context, status: .notFound)
        }
        if csv { return try await export(kind, query: query) }
        let tabs = PublicSite.PublicityKind.allCases.map { Tab(href: "/publicity/\($0.rawValue)", label: $0.title, current: $0 == kind) }
        return try await render(query: query, title: "双公示 · \(kind.title)", heading: "双公示 · \(kind.title)",
                                intro: "各部门依法公示的\(kind.title)决定，按决定日期由近及远排列；已过公示期的信息不再显示。",
                                tabs: tabs, showMembership: false, export: Self.exportLink(kind, query: query), context: context) { filter in
            try await platform.site.doublePublicity(kind, filter)
        }
    }

    /// The CSV link of a listing: the same filters, without the page.
    static func exportLink(_ kind: PublicSite.PublicityKind, query: PublicQuery) -> String {
        var components = URLComponents()
        components.path = "/publicity/\(kind.rawValue).csv"
        let items = (URLComponents(string: query.request.uri.description)?.queryItems ?? [])
            .filter { !["page", "size", "format"].contains($0.name) && !($0.value ?? "").isEmpty }
        components.queryItems = items.isEmpty ? nil : items
        return components.string ?? components.path
    }

    /// The listing as CSV (UTF-8 with a byte-order mark, so that Excel reads the Chinese; Chinese headers),
    /// written chunk by chunk as the store reads it: memory stays flat however long the file. Above
    /// `PublicSite.exportLimit` records the answer is a refusal that says how to narrow the filters.
    private func export(_ kind: PublicSite.PublicityKind, query: PublicQuery) async throws -> Response {
        let export: ListingExport
        do {
            export = try await platform.site.exportDoublePublicity(kind, try query.publicityFilter(), limit: platform.site.exportLimit)
        } catch let error as PublicQueryError {
            throw Problem(.badRequest, type: "invalid-listing", title: "Invalid listing filter", detail: error.description,
                          extra: ["parameter": error.parameter], page: error.message)
        } catch let error as ExportTooLarge {
            throw Problem(.unprocessableContent, type: "export-too-large", title: "Export too large",
                          detail: "more than \(error.limit) records match; narrow the filters (from/to, region, department, q, doc)",
                          extra: ["limit": String(error.limit)],
                          page: "符合条件的\(kind.title)信息超过 \(error.limit) 条，一次最多导出 \(error.limit) 条。"
                              + "请缩小筛选范围后再导出：例如把决定日期限定在一个月内，或选择地区、部门，或输入主体名称、文书号。")
        }
        let chunkSize = platform.site.exportChunkSize
        let labels = kind == .licences
            ? ["行政相对人名称", "统一社会信用代码", "行政许可决定文书号", "许可类别", "许可机关", "许可决定日期", "公示截止期", "信息地址"]
            : ["行政相对人名称", "统一社会信用代码", "行政处罚决定书文号", "处罚类别", "处罚等级", "处罚机关", "处罚决定日期", "公示截止期", "信息地址"]
        let body = ResponseBody { writer in
            var head = ByteBuffer(bytes: [0xEF, 0xBB, 0xBF])
            head.writeString(ListingCSV.line(labels))
            try await writer.write(head)
            try await export.forEachChunk(size: chunkSize) { entries in
                var chunk = ByteBuffer()
                for entry in entries {
                    let r = entry.record
                    var cells = [entry.subject.displayName, entry.subject.displayIdentifier, r.documentNumber, entry.category ?? ""]
                    if kind == .penalties { cells.append(r.tier ?? "") }
                    cells += [r.department, r.decisionDate, r.publicityEnds ?? "", "/records/\(r.id)"]
                    chunk.writeString(ListingCSV.line(cells))
                }
                try await writer.write(chunk)
            }
            try await writer.finish(nil)
        }
        let day = CivilDate.today().description.replacingOccurrences(of: "-", with: "")
        return Response(status: .ok, headers: [
            .contentType: "text/csv; charset=utf-8",
            .contentDisposition: "attachment; filename=\"\(kind.rawValue)-\(day).csv\"",
        ], body: body)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        guard let list = CreditList(rawValue: try context.parameters.require("list")) else {
            return try platform.message("未找到该名单", detail: "名单分为 red（红名单）、black（黑名单）与 watch（重点关注名单）。", context: context, status: .notFound)
        }
        let query = PublicQuery(request: request)
        let tabs = CreditList.allCases.map { Tab(href: "/lists/\($0.rawValue)", label: $0.name, current: $0 == list) }
        let types = list.recordTypes.compactMap { platform.currentCatalog?.recordType($0)?.name }.joined(separator: "、")
        return try await render(query: query, title: list.name, heading: list.name,
                                intro: "由以下信用记录自动认定：\(types)。每条列入均注明认定依据、列入日期与移出日期；记录到期、修复或撤销后自动移出。",
                                tabs: tabs, showMembership: true, export: nil, context: context) { filter in
            try await platform.site.members(of: list, filter)
        }
    }

    private func render(
        query: PublicQuery, title: String, heading: String, intro: String, tabs: [Tab], showMembership: Bool, export: String?,
        context: AppRequestContext,
        load: (ListingFilter) async throws -> Listing
    ) async throws -> Response {
        var view = ListingView(title: "\(title) · 信用郴州", heading: heading, intro: intro, tabs: tabs,
                               showMembership: showMembership, export: export, query: query,
                               options: FilterOptions(platform: platform, query: query),
                               departments: try await departmentOptions(selected: query.text("department")))
        do {
            let listing = try await load(try query.publicityFilter())
            view.show(listing, query: query)
        } catch let error as PublicQueryError {
            view.error = error.message
            return try platform.html("listing", view, context: context, status: .badRequest)
        }
        return try platform.html("listing", view, context: context)
    }

    private func departmentOptions(selected: String?) async throws -> [FilterOptions.Option] {
        try await platform.store.repositories.departments.all()
            .map { FilterOptions.Option(value: $0.id, label: $0.name, selected: $0.id == selected) }
    }

    @Sendable func record(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = String(try context.parameters.require("id").prefix(80))
        guard let entry = try await platform.site.record(id: id) else {
            return try platform.message("未找到该信息", detail: "该信息不存在，或已过公示期、已修复、已撤销而不再公示。", input: id, context: context, status: .notFound)
        }
        return try platform.html("record", RecordView(entry: entry), context: context)
    }
}

struct Tab { let href, label: String; let current: Bool }

/// One record with its subject, as the listings and the record page show it.
struct EntryView {
    let record: ProfileDocument.Record
    let subjectName: String
    let subjectIdentifier: String
    let profileCode: String?
    let membershipStart: String?
    let membershipEnd: String?
    /// 许可类别 or 处罚类别, else the record type's name.
    let category: String

    init(_ entry: ListingEntry) {
        record = entry.record
        subjectName = entry.subject.displayName
        subjectIdentifier = entry.subject.displayIdentifier
        profileCode = entry.profileCode
        membershipStart = entry.membership?.start.description
        membershipEnd = entry.membership?.end.description
        category = entry.category ?? entry.record.typeName
    }
}

struct ListingView {
    let title, heading, intro: String
    let tabs: [Tab]
    let showMembership: Bool
    let options: FilterOptions
    let departments: [FilterOptions.Option]
    let from, to, q, doc: String
    /// The CSV of the same filters (double publicity only).
    let export: String?
    let exportLimit = ListingExport.maximumRows
    var error: String?
    var entries: [EntryView] = []
    var empty = false
    var listed = false
    var summary = ""
    var notices: [String] = []
    var pager = Pager()

    init(title: String, heading: String, intro: String, tabs: [Tab], showMembership: Bool, export: String?, query: PublicQuery,
         options: FilterOptions, departments: [FilterOptions.Option]) {
        self.title = title
        self.heading = heading
        self.intro = intro
        self.tabs = tabs
        self.showMembership = showMembership
        self.export = export
        self.options = options
        self.departments = departments
        from = String((query.text("from") ?? "").prefix(20))
        to = String((query.text("to") ?? "").prefix(20))
        q = String((query.text("q") ?? "").prefix(SearchText.maximumQueryLength))
        doc = String((query.text("doc") ?? "").prefix(100))
    }

    mutating func show(_ listing: Listing, query: PublicQuery) {
        listed = true
        entries = listing.entries.map(EntryView.init)
        empty = entries.isEmpty
        summary = listing.totalCapped
            ? "共 \(Listing.countBound) 条以上，按决定日期由近及远，可翻阅最新 \(ListingFilter.deepestRecord) 条"
            : "共 \(listing.total) 条"
        if listing.totalCapped {
            notices.append("查看更早的信息，请按名称、文书号、地区、部门或决定日期缩小范围。")
        }
        if listing.subjectsCapped {
            notices.append("名称匹配的主体超过 \(Listing.subjectBound) 个，仅列出其中 \(Listing.subjectBound) 个主体的信息，请输入更完整的名称。")
        }
        if listing.requestedPage != listing.page {
            notices.append("第 \(listing.requestedPage) 页超出范围，以下为最后一页（第 \(listing.page) 页）。")
        }
        pager = Pager(page: listing.page, pageCount: listing.pageCount, query: query)
    }
}

/// A pager: previous, next, the first and last pages and those around the current one.
struct Pager {
    struct Link { let number: Int; let href: String; let current: Bool; let gap: Bool }
    var show = false
    var previous: String?
    var next: String?
    var links: [Link] = []
    var page = 1
    var pageCount = 1

    init() {}

    init(page: Int, pageCount: Int, query: PublicQuery) {
        self.page = page
        self.pageCount = pageCount
        show = pageCount > 1
        previous = page > 1 ? query.link(page: page - 1) : nil
        next = page < pageCount ? query.link(page: page + 1) : nil
        for number in Self.numbers(page: page, pageCount: pageCount) {
            if let last = links.last, number > last.number + 1 {
                links.append(Link(number: 0, href: "", current: false, gap: true))
            }
            links.append(Link(number: number, href: query.link(page: number), current: number == page, gap: false))
        }
    }

    /// 1, the pages within two of the current one, and the last page, in order.
    static func numbers(page: Int, pageCount: Int) -> [Int] {
        Set([1, pageCount] + Array((page - 2)...(page + 2))).filter { (1...pageCount).contains($0) }.sorted()
    }
}

/// Cells of the CSV exports: quoted where needed (RFC 4180), and a cell that a spreadsheet would read as
/// a formula (=, +, -, @ first) is prefixed with an apostrophe.
enum ListingCSV {
    static func line(_ cells: [String]) -> String { cells.map(cell).joined(separator: ",") + "\r\n" }

    static func cell(_ value: String) -> String {
        var value = value
        if let first = value.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) { value = "'" + value }
        // By scalar: "\r\n" is one Character, equal to neither "\r" nor "\n".
        guard value.unicodeScalars.contains(where: { ",\"\r\n".unicodeScalars.contains($0) }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

extension PublicQuery {
    /// The listing filters with the search by name or code (`q`) and by document number (`doc`).
    func publicityFilter() throws -> ListingFilter {
        var filter = try listingFilter()
        filter.subjectText = text("q")
        filter.documentNumber = text("doc")
        return filter
    }
}

struct RecordView {
    let title: String
    let entry: EntryView
    /// The record page offers the objection and repair buttons.
    let actions = true

    init(entry: ListingEntry) {
        self.entry = EntryView(entry)
        title = "\(entry.record.typeName) \(entry.record.documentNumber) · 信用郴州"
    }
}
