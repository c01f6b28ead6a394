import Foundation
import Hummingbird
import XinyongCulture
import XinyongModel
import XinyongStore

/// Honesty culture: the public pages of typical cases, news and policies, their Atom feed, and the office's
/// pages to write them. Office users write; administrators publish and withdraw. The public sees published
/// articles only: anything else is "not found".
struct CultureRoutes {
    let platform: Platform
    let service: CultureService

    func register(on edge: Edge) {
        for section in Article.Section.allCases {
            edge.get("/\(section.rawValue)", .open) { try await listPage(section, request: $0, context: $1) }
            edge.get("/\(section.rawValue)/{id}", .open) { try await articlePage(section, context: $1) }
        }
        edge.get("/feed.atom", .open, use: feed)
        edge.get("/office/articles", .office, use: officeList)
        edge.get("/office/articles/new", .office, use: newForm)
        edge.post("/office/articles", .office, use: create)
        edge.get("/office/articles/{id}", .office, use: editForm)
        edge.post("/office/articles/{id}", .office, use: save)
        edge.post("/office/articles/{id}/publish", .admin) { try await move($1, publishing: true) }
        edge.post("/office/articles/{id}/withdraw", .admin) { try await move($1, publishing: false) }
    }

    // MARK: Public

    struct Line { let href, title, date: String; let summary, verdict: String? }

    static func line(_ a: Article) -> Line {
        Line(href: a.path, title: a.title, date: beijingTime(a.publishedAt ?? a.updatedAt), summary: a.summary.isEmpty ? nil : a.summary,
             verdict: a.verdict?.label)
    }

    struct ListView {
        let title, heading: String
        let tabs: [Tab]
        let lines: [Line]
    }

    @Sendable func listPage(_ section: Article.Section, request: Request, context: AppRequestContext) async throws -> Response {
        let asked = PublicQuery(request: request).text("kind")
        let verdict = section == .cases ? asked.flatMap(Article.Verdict.init) : nil
        let tabs = section != .cases ? [] : [Tab(href: "/cases", label: "全部", current: verdict == nil)]
            + Article.Verdict.allCases.map { Tab(href: "/cases?kind=\($0.rawValue)", label: $0.label, current: $0 == verdict) }
        let articles = try await service.latest(section, verdict: verdict, limit: 100)
        return try platform.html("articles", ListView(title: "\(section.label) · 信用郴州", heading: section.label, tabs: tabs,
                                                      lines: articles.map(Self.line)), context: context)
    }

    struct ArticleView {
        struct Linked { let href, label: String }
        let title, heading, sectionLabel, sectionHref, date: String
        let verdict, summary: String?
        /// Sanitised by SafeMarkdown: the one value a template includes unescaped.
        let html: String
        let records: [Linked]
        /// How many linked records the public may no longer see, when there are any.
        let gone: Int?
        let lists: [Linked]
    }

    @Sendable func articlePage(_ section: Article.Section, context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        guard let article = try await service.published(id, in: section) else {
            return try platform.message("未找到该文章", detail: "该文章不存在，或尚未发布、已撤回。", input: String(id.prefix(40)), context: context,
                                        status: .notFound)
        }
        return try platform.html("article", try await view(article), context: context)
    }

    /// The article with the records it links that the public may see today; the others are counted, not shown.
    func view(_ a: Article) async throws -> ArticleView {
        var records: [ArticleView.Linked] = []
        for id in a.recordIDs {
            guard let entry = try await platform.site.record(id: id) else { continue }
            let shown = EntryView(entry)
            records.append(.init(href: "/records/\(id)", label: "\(shown.subjectName) · \(entry.record.typeName) · \(entry.record.documentNumber)"))
        }
        return ArticleView(
            title: "\(a.title) · 信用郴州", heading: a.title, sectionLabel: a.section.label, sectionHref: "/\(a.section.rawValue)",
            date: beijingTime(a.publishedAt ?? a.updatedAt), verdict: a.verdict?.label, summary: a.summary.isEmpty ? nil : a.summary, html: SafeMarkdown.html(a.body),
            records: records, gone: a.recordIDs.count > records.count ? a.recordIDs.count - records.count : nil, lists: a.lists.map { .init(href: "/lists/\($0.rawValue)", label: $0.name) })
    }

    @Sendable func feed(_ request: Request, context: AppRequestContext) async throws -> Response {
        let xml = AtomFeed.xml(try await service.latest(limit: 50), now: Timestamp.now())
        return Response(status: .ok, headers: [.contentType: "application/atom+xml; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(string: xml)))
    }

    // MARK: Office

    struct OfficeListView {
        struct Row { let href, title, section, state, updated, author: String }
        let title = "诚信文化 · 信用郴州"
        let rows: [Row]
        let sections: [Tab]
    }

    @Sendable func officeList(_ request: Request, context: AppRequestContext) async throws -> Response {
        let articles = try await platform.store.repositories.articles.list(limit: 500)
        return try platform.html("office-articles", OfficeListView(
            rows: articles.map { .init(href: "/office/articles/\($0.id)", title: $0.title, section: $0.verdict?.label ?? $0.section.label,
                                       state: $0.state.label, updated: beijingTime($0.updatedAt), author: $0.author) },
            sections: Article.Section.allCases.map { Tab(href: "/office/articles/new?section=\($0.rawValue)", label: "写\($0.label)", current: false) }),
                                 context: context)
    }

    struct FormView {
        struct Choice { let value, label: String; let selected: Bool }
        let title, heading, action, section: String
        let isCase: Bool
        let verdicts, lists: [Choice]
        let articleTitle, summary, body, records: String
        let error, notice, state: String?
        let id: String?
        /// Administrators see the buttons to publish or withdraw.
        let mayPublish, mayWithdraw: Bool
        let publicHref: String?
        let html: String?
    }

    func formView(_ section: Article.Section, draft: CultureService.Draft?, article: Article? = nil, error: String? = nil, notice: String? = nil,
                  context: AppRequestContext) -> FormView {
        let verdict = draft?.verdict ?? article?.verdict?.rawValue
        let lists = draft?.lists ?? article?.lists.map(\.rawValue) ?? []
        let published = article?.state == .published
        return FormView(
            title: "\(article == nil ? "写" : "编辑")\(section.label) · 信用郴州", heading: "\(article == nil ? "写" : "编辑")\(section.label)",
            action: article.map { "/office/articles/\($0.id)" } ?? "/office/articles", section: section.rawValue, isCase: section == .cases,
            verdicts: Article.Verdict.allCases.map { .init(value: $0.rawValue, label: $0.label, selected: $0.rawValue == verdict) },
            lists: CreditList.allCases.map { .init(value: $0.rawValue, label: $0.name, selected: lists.contains($0.rawValue)) },
            articleTitle: draft?.title ?? article?.title ?? "", summary: draft?.summary ?? article?.summary ?? "",
            body: draft?.body ?? article?.body ?? "", records: (draft?.recordIDs ?? article?.recordIDs ?? []).joined(separator: "\n"),
            error: error, notice: notice, state: article?.state.label, id: article?.id,
            mayPublish: context.caller.isAdmin && article != nil && !published, mayWithdraw: context.caller.isAdmin && published,
            publicHref: published ? article?.path : nil, html: article.map { SafeMarkdown.html($0.body) })
    }

    @Sendable func newForm(_ request: Request, context: AppRequestContext) async throws -> Response {
        let section = PublicQuery(request: request).text("section").flatMap(Article.Section.init) ?? .cases
        return try platform.html("article-form", formView(section, draft: nil, context: context), context: context)
    }

    @Sendable func editForm(_ request: Request, context: AppRequestContext) async throws -> Response {
        let article = try await found { try await service.find(try context.parameters.require("id")) }
        let notice = PublicQuery(request: request).text("saved") == nil ? nil : "已保存。"
        return try platform.html("article-form", formView(article.section, draft: nil, article: article, notice: notice, context: context),
                                 context: context)
    }

    /// The form's fields as a draft: record ids one per line (or separated by commas or spaces), lists as
    /// checkboxes named `list_<code>` (a code nobody knows is refused by the service, not dropped here).
    func draft(_ form: FormFields, section: Article.Section) -> CultureService.Draft {
        let records = (form.values["records"] ?? "").split(whereSeparator: { $0.isWhitespace || $0 == "," || $0 == "，" }).map(String.init)
        let lists = form.values.keys.filter { $0.hasPrefix("list_") && form.text($0) != nil }.map { String($0.dropFirst(5)) }.sorted()
        return CultureService.Draft(
            section: section, verdict: form.text("verdict"), title: form.values["title"] ?? "", summary: form.values["summary"] ?? "",
            body: form.values["body"] ?? "", recordIDs: records, lists: lists)
    }

    static let formLimit = 1 << 20

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let form = FormFields(try await request.body.collect(upTo: Self.formLimit))
        guard let section = form.text("section").flatMap(Article.Section.init) else {
            throw Problem.invalidField("section", "must be one of cases, news, policies", page: "请选择栏目：典型案例、信用动态或政策法规。")
        }
        let draft = self.draft(form, section: section)
        do {
            let article = try await service.create(draft, by: context.actor("write an article"))
            return Response(status: .seeOther, headers: [.location: "/office/articles/\(article.id)?saved=1"])
        } catch let refusal as CultureService.Refusal {
            return try platform.html("article-form", formView(section, draft: draft, error: refusal.chinese, context: context), context: context,
                                     status: .unprocessableContent)
        }
    }

    @Sendable func save(_ request: Request, context: AppRequestContext) async throws -> Response {
        let article = try await found { try await service.find(try context.parameters.require("id")) }
        let draft = self.draft(FormFields(try await request.body.collect(upTo: Self.formLimit)), section: article.section)
        do {
            _ = try await service.update(article.id, draft, by: context.actor("edit an article"))
            return Response(status: .seeOther, headers: [.location: "/office/articles/\(article.id)?saved=1"])
        } catch let refusal as CultureService.Refusal {
            return try platform.html("article-form", formView(article.section, draft: draft, article: article, error: refusal.chinese,
                                                               context: context), context: context, status: .unprocessableContent)
        }
    }

    func move(_ context: AppRequestContext, publishing: Bool) async throws -> Response {
        let id = try context.parameters.require("id")
        let article = try await found {
            if publishing { return try await service.publish(id, by: context.actor("publish an article")) }
            return try await service.withdraw(id, by: context.actor("withdraw an article"))
        }
        return Response(status: .seeOther, headers: [.location: "/office/articles/\(article.id)?saved=1"])
    }

    /// The service's refusals as problems: an unknown article is 404, a repeated publication 409.
    func found(_ body: () async throws -> Article) async throws -> Article {
        do {
            return try await body()
        } catch let refusal as CultureService.Refusal {
            let status: HTTPResponse.Status = refusal.code == "not-found" ? .notFound : .conflict
            throw Problem(status, type: refusal.code, title: status == .notFound ? "Not found" : "Conflict", detail: refusal.detail,
                          page: refusal.chinese)
        }
    }
}
