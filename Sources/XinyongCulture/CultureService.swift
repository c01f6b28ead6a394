import Foundation
import XinyongModel
import XinyongStore

/// Writing, publishing and reading the honesty culture's articles. The office writes (administrators,
/// reviewers and county offices alike: the whole city's culture is one office's voice), administrators
/// publish and withdraw; the web layer enforces who, this checks what.
public struct CultureService: Sendable {
    let store: Store

    public init(store: Store) { self.store = store }

    /// Why an article was refused: a stable code and field for the API, a sentence for the page.
    public struct Refusal: Error, Sendable, Equatable {
        public let code: String
        public let field: String
        public let detail: String
        public let chinese: String
    }

    /// What the office typed: lists as codes (`red`, `black`, `watch`), records as ids.
    public struct Draft: Sendable {
        public var section: Article.Section
        public var verdict: String?
        public var title, summary, body: String
        public var recordIDs: [String]
        public var lists: [String]

        public init(section: Article.Section, verdict: String? = nil, title: String, summary: String = "", body: String,
                    recordIDs: [String] = [], lists: [String] = []) {
            (self.section, self.verdict, self.title, self.summary, self.body) = (section, verdict, title, summary, body)
            (self.recordIDs, self.lists) = (recordIDs, lists)
        }
    }

    /// A new draft, seen by the office only until an administrator publishes it.
    public func create(_ draft: Draft, by actor: Actor) async throws -> Article {
        let checked = try await check(draft)
        let now = Timestamp.now()
        let article = Article(
            id: ReceiptNumber.make("WZ", on: .today()), section: draft.section, verdict: checked.verdict, title: checked.title,
            summary: checked.summary, body: draft.body, recordIDs: checked.recordIDs, lists: checked.lists, state: .draft,
            author: actor.name, createdAt: now, updatedAt: now, publishedAt: nil)
        try await store.transaction { try await $0.articles.insert(article, by: actor) }
        return article
    }

    /// New words or links for an article, whatever its state (a published one changes in public at once).
    public func update(_ id: String, _ draft: Draft, by actor: Actor) async throws -> Article {
        var article = try await find(id)
        let checked = try await check(Draft(section: article.section, verdict: draft.verdict, title: draft.title, summary: draft.summary,
                                            body: draft.body, recordIDs: draft.recordIDs, lists: draft.lists))
        (article.verdict, article.title, article.summary, article.body) = (checked.verdict, checked.title, checked.summary, draft.body)
        (article.recordIDs, article.lists, article.author, article.updatedAt) = (checked.recordIDs, checked.lists, actor.name, Timestamp.now())
        try await store.transaction { [article] repos in try await repos.articles.update(article, by: actor) }
        return article
    }

    public func publish(_ id: String, by actor: Actor) async throws -> Article { try await move(id, to: .published, by: actor) }

    public func withdraw(_ id: String, by actor: Actor) async throws -> Article { try await move(id, to: .withdrawn, by: actor) }

    private func move(_ id: String, to state: Article.State, by actor: Actor) async throws -> Article {
        var article = try await find(id)
        guard article.state != state else {
            throw Refusal(code: "already-\(state.rawValue)", field: "id", detail: "article \(id) is already \(state.rawValue)",
                          chinese: "该文章已是“\(state.label)”状态。")
        }
        try await store.transaction { try await $0.articles.setState(id, to: state, by: actor) }
        article.state = state
        return article
    }

    /// Any article, for the office.
    public func find(_ id: String) async throws -> Article {
        guard let article = try await store.repositories.articles.find(id: String(id.prefix(40))) else {
            throw Refusal(code: "not-found", field: "id", detail: "no article has the number \(id.prefix(40))",
                          chinese: "未找到编号为 \(id.prefix(40)) 的文章。")
        }
        return article
    }

    /// A published article of the section, for the public; nil for drafts, withdrawn ones and other sections.
    public func published(_ id: String, in section: Article.Section) async throws -> Article? {
        guard let article = try await store.repositories.articles.find(id: String(id.prefix(40))),
            article.state == .published, article.section == section
        else { return nil }
        return article
    }

    /// Published articles newest first.
    public func latest(_ section: Article.Section? = nil, verdict: Article.Verdict? = nil, limit: Int = 50) async throws -> [Article] {
        try await store.repositories.articles.list(section: section, states: [.published], verdict: verdict, limit: limit)
    }

    private struct Checked { let verdict: Article.Verdict?; let title, summary: String; let recordIDs: [String]; let lists: [CreditList] }

    /// The draft's words within their limits, a case's verdict, and links to records and lists that exist.
    private func check(_ d: Draft) async throws -> Checked {
        let title = d.title.trimmingCharacters(in: .whitespacesAndNewlines)
        let summary = d.summary.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !title.isEmpty else { throw Refusal(code: "empty-title", field: "title", detail: "the title is empty", chinese: "请填写标题。") }
        try within(title, Article.Limits.title, field: "title", name: "标题")
        try within(summary, Article.Limits.summary, field: "summary", name: "摘要")
        guard !d.body.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw Refusal(code: "empty-body", field: "body", detail: "the body is empty", chinese: "请填写正文。")
        }
        try within(d.body, Article.Limits.body, field: "body", name: "正文")
        let verdict = try self.verdict(d)
        let recordIDs = try await records(d)
        let lists = try d.lists.map { code in
            guard let list = CreditList(rawValue: code) else {
                throw Refusal(code: "unknown-list", field: "lists", detail: "'\(code.prefix(40))' is not a list; known: red, black, watch",
                              chinese: "没有名为“\(code.prefix(40))”的名单，可选：红名单、黑名单、重点关注名单。")
            }
            return list
        }
        guard d.section == .cases || (recordIDs.isEmpty && lists.isEmpty) else {
            throw Refusal(code: "links-on-non-case", field: "records", detail: "only typical cases link to records and lists",
                          chinese: "只有典型案例可以关联信用记录和名单。")
        }
        return Checked(verdict: verdict, title: title, summary: summary, recordIDs: recordIDs, lists: Array(Set(lists)).sorted())
    }

    private func within(_ text: String, _ limit: Int, field: String, name: String) throws {
        guard text.count <= limit else {
            throw Refusal(code: "too-long", field: field, detail: "\(field) has \(text.count) characters; at most \(limit)",
                          chinese: "\(name)过长：共 \(text.count) 字，最多 \(limit) 字。")
        }
    }

    private func verdict(_ d: Draft) throws -> Article.Verdict? {
        guard d.section == .cases else { return nil }
        guard let verdict = d.verdict.flatMap(Article.Verdict.init) else {
            throw Refusal(code: "invalid-verdict", field: "verdict", detail: "a typical case is 'good' or 'bad'",
                          chinese: "请选择典型案例的类别：守信典型或失信典型。")
        }
        return verdict
    }

    /// The linked records, each of which must exist; duplicates dropped, order kept.
    private func records(_ d: Draft) async throws -> [String] {
        var ids: [String] = []
        for id in d.recordIDs where !ids.contains(id) { ids.append(id) }
        guard ids.count <= Article.Limits.links else {
            throw Refusal(code: "too-many-records", field: "records", detail: "at most \(Article.Limits.links) records",
                          chinese: "最多关联 \(Article.Limits.links) 条信用记录。")
        }
        for id in ids {
            guard try await store.repositories.records.find(id: String(id.prefix(80))) == nil else { continue }
            throw Refusal(code: "unknown-record", field: "records", detail: "no credit record has the id \(id.prefix(80))",
                          chinese: "未找到编号为 \(id.prefix(80)) 的信用记录。")
        }
        return ids
    }
}
