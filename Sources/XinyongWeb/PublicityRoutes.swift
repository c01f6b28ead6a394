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
        guard let kind = PublicSite.PublicityKind(rawValue: try context.parameters.require("kind")) else {
            return try platform.message("未找到该页面", detail: "双公示分为 licences（行政许可）与 penalties（行政处罚）。", context: context, status: .notFound)
        }
        let query = PublicQuery(request: request)
        let tabs = PublicSite.PublicityKind.allCases.map { Tab(href: "/publicity/\($0.rawValue)", label: $0.title, current: $0 == kind) }
        return try await render(query: query, title: "双公示 · \(kind.title)", heading: "双公示 · \(kind.title)",
                                intro: "各部门依法公示的\(kind.title)决定，按决定日期由近及远排列；已过公示期的信息不再显示。",
                                tabs: tabs, showMembership: false, context: context) { filter in
            try await platform.site.doublePublicity(kind, filter)
        }
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
                                tabs: tabs, showMembership: true, context: context) { filter in
            try await platform.site.members(of: list, filter)
        }
    }

    private func render(
        query: PublicQuery, title: String, heading: String, intro: String, tabs: [Tab], showMembership: Bool, context: AppRequestContext,
        load: (ListingFilter) async throws -> Listing
    ) async throws -> Response {
        var view = ListingView(title: "\(title) · 信用郴州", heading: heading, intro: intro, tabs: tabs,
                               showMembership: showMembership, query: query,
                               options: FilterOptions(platform: platform, query: query),
                               departments: try await departmentOptions(selected: query.text("department")))
        do {
            let listing = try await load(try query.listingFilter())
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

    init(_ entry: ListingEntry) {
        record = entry.record
        subjectName = entry.subject.displayName
        subjectIdentifier = entry.subject.displayIdentifier
        profileCode = entry.profileCode
        membershipStart = entry.membership?.start.description
        membershipEnd = entry.membership?.end.description
    }
}

struct ListingView {
    let title, heading, intro: String
    let tabs: [Tab]
    let showMembership: Bool
    let options: FilterOptions
    let departments: [FilterOptions.Option]
    let from, to: String
    var error: String?
    var entries: [EntryView] = []
    var empty = false
    var previous: String?
    var next: String?
    var page = 1

    init(title: String, heading: String, intro: String, tabs: [Tab], showMembership: Bool, query: PublicQuery,
         options: FilterOptions, departments: [FilterOptions.Option]) {
        self.title = title
        self.heading = heading
        self.intro = intro
        self.tabs = tabs
        self.showMembership = showMembership
        self.options = options
        self.departments = departments
        from = String((query.text("from") ?? "").prefix(20))
        to = String((query.text("to") ?? "").prefix(20))
    }

    mutating func show(_ listing: Listing, query: PublicQuery) {
        entries = listing.entries.map(EntryView.init)
        empty = entries.isEmpty
        page = listing.page
        previous = listing.page > 1 ? query.link(page: listing.page - 1) : nil
        next = listing.hasNextPage ? query.link(page: listing.page + 1) : nil
    }
}

struct RecordView {
    let title: String
    let entry: EntryView

    init(entry: ListingEntry) {
        self.entry = EntryView(entry)
        title = "\(entry.record.typeName) \(entry.record.documentNumber) · 信用郴州"
    }
}
