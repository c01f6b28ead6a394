import Foundation
import Hummingbird
import XinyongModel
import XinyongStore

/// Notices before listing (告知): departments read their own (JSON, and a page to print and deliver),
/// the credit office sees which are waiting, have a statement under review, or are due to be listed.
/// County offices see the notices of their region and below.
struct NoticeRoutes {
    let platform: Platform

    func register(on edge: Edge) {
        edge.get("/api/v1/notices", .department, use: list)
        edge.get("/notices", .department, use: departmentPage)
        edge.get("/notices/{id}", .department, use: departmentNotice)
        edge.get("/office/notices", .office, use: officePage)
        edge.get("/office/notices/{id}", .office, use: officeNotice)
    }

    // MARK: API

    struct ListBody: Encodable { let notices: [Notice] }

    /// A department's notices, newest first (`state` filters; an administrator may name `department` or read all).
    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        let q = PublicQuery(request: request)
        var query = NoticeRepository.Query(departmentID: try department(asked: q.text("department"), context: context),
                                           limit: try limit(q))
        if let text = q.text("state") {
            guard let state = Notice.State(rawValue: text) else {
                throw Problem.invalidField("state", "'\(text.prefix(40))' is not a notice state; known: \(Notice.State.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            query.states = [state]
        }
        return try JSONBody.response(ListBody(notices: try await platform.store.repositories.notices.search(query)))
    }

    private func department(asked: String?, context: AppRequestContext) throws -> String? {
        guard let own = context.caller.departmentID else { return asked }
        if let asked, asked != own {
            throw Problem(.forbidden, type: "other-department", title: "Not your department",
                          detail: "this caller acts for \(own); it cannot read the notices of \(asked.prefix(60))")
        }
        return own
    }

    private func limit(_ q: PublicQuery) throws -> Int {
        let limit = try q.int("limit", default: 200)
        guard (1...1000).contains(limit) else { throw Problem.invalidField("limit", "must be from 1 to 1000") }
        return limit
    }

    // MARK: Pages

    struct ListView {
        struct Line { let id, href, addressee, type, department, issuedOn, graceUntil, state: String }
        let title: String
        let heading: String
        let sections: [Section]
        struct Section { let heading, none: String; let lines: [Line] }
    }

    /// The department's notices, to print and deliver.
    @Sendable func departmentPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        let notices = try await platform.store.repositories.notices.search(
            .init(departmentID: try department(asked: PublicQuery(request: request).text("department"), context: context)))
        let lines = try await self.lines(notices, href: "/notices/")
        return try platform.html("notices", ListView(
            title: "列入前告知书 · 信用郴州", heading: "列入前告知书",
            sections: [.init(heading: "本部门的告知书", none: "本部门没有告知书。", lines: lines)]), context: context)
    }

    /// Open notices of the region: in their statement period, due to be listed, or with a statement under review.
    @Sendable func officePage(_ request: Request, context: AppRequestContext) async throws -> Response {
        let region = try context.region(requested: PublicQuery(request: request).text("region"), regions: platform.regions)
        let open = try await platform.store.repositories.notices.search(
            .init(regionPrefix: region.map(Region.codePrefix), states: Notice.State.allCases.filter(\.isOpen), limit: 1000))
        let today = CivilDate.today()
        func section(_ heading: String, _ empty: String, _ keep: (Notice) -> Bool) async throws -> ListView.Section {
            .init(heading: heading, none: empty, lines: try await lines(open.filter(keep), href: "/office/notices/"))
        }
        let sections = [
            try await section("期满待列入（平台每小时处理）", "没有期满待列入的告知。") { $0.isDue(on: today) },
            try await section("陈述申辩期内", "没有陈述申辩期内的告知。") { $0.state == .pending && !$0.isDue(on: today) },
            try await section("陈述申辩处理中", "没有待处理的陈述申辩。") { $0.state == .statementFiled },
        ]
        return try platform.html("notices", ListView(title: "列入前告知 · 信用郴州", heading: "列入前告知", sections: sections),
                                 context: context)
    }

    private func lines(_ notices: [Notice], href: String) async throws -> [ListView.Line] {
        let names = try await platform.store.repositories.departments.names(Array(Set(notices.map(\.departmentID))))
        return notices.map { n in
            .init(id: n.id, href: href + n.id, addressee: n.addressee, type: typeName(n.recordType),
                  department: names[n.departmentID] ?? n.departmentID, issuedOn: n.issuedOn.chineseText,
                  graceUntil: n.graceUntil.chineseText, state: n.state.label)
        }
    }

    struct NoticeView {
        struct Consequence { let title, kind, memorandum: String }
        let title: String
        let id, state, addressee, department, listName, typeName, basis, statementRight, issuedOn, graceUntil: String
        /// Where the subject may make its statement online (a statement is a kind of objection).
        let statementLink: String
        let facts: [Notice.Fact]
        let consequences: [Consequence]
        let listedOn, closedOn: String?
    }

    @Sendable func departmentNotice(_ request: Request, context: AppRequestContext) async throws -> Response {
        let notice = try await find(context)
        guard context.caller.isAdmin || context.caller.departmentID == notice.departmentID else { throw notFound(notice.id) }
        return try await page(notice, context: context)
    }

    @Sendable func officeNotice(_ request: Request, context: AppRequestContext) async throws -> Response {
        let notice = try await find(context)
        if let scope = context.caller.regionScope, !platform.regions.isWithin(notice.regionCode, scope) { throw notFound(notice.id) }
        return try await page(notice, context: context)
    }

    private func find(_ context: AppRequestContext) async throws -> Notice {
        let id = try context.parameters.require("id")
        guard let notice = try await platform.store.repositories.notices.find(id: id) else { throw notFound(id) }
        return notice
    }

    private func notFound(_ id: String) -> Problem {
        Problem.notFound("no notice \(id.prefix(40)) for this caller", page: "未找到该告知书，或它不属于本部门、本辖区。")
    }

    /// The notice as it is printed and delivered (告知书).
    private func page(_ n: Notice, context: AppRequestContext) async throws -> Response {
        let department = try await platform.store.repositories.departments.find(n.departmentID)?.name ?? n.departmentID
        let view = NoticeView(
            title: "告知书 \(n.id) · 信用郴州", id: n.id, state: n.state.label, addressee: n.addressee, department: department,
            listName: n.list.name, typeName: typeName(n.recordType), basis: n.basis, statementRight: n.statementRight,
            issuedOn: n.issuedOn.chineseText, graceUntil: n.graceUntil.chineseText, statementLink: "/records/\(n.recordID)/objection",
            facts: n.facts,
            consequences: n.consequences.map { .init(title: $0.title, kind: $0.mandatory ? "应当采取" : "可以采取", memorandum: $0.memorandum) },
            listedOn: n.listedOn?.chineseText, closedOn: n.closedOn?.chineseText)
        return try platform.html("notice", view, context: context)
    }

    private func typeName(_ code: String) -> String { platform.currentCatalog?.recordType(code)?.name ?? code }
}
