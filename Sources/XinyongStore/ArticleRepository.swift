import SQLKit
import XinyongModel

extension Repositories {
    public var articles: ArticleRepository { .init(db: db) }
}

public struct ArticleRepository: Sendable {
    let db: any SQLDatabase

    struct Row: Codable {
        let id, section: String
        let verdict: String?
        let title, summary, body, record_ids, lists, state, author, created_at, updated_at: String
        let published_at: String?
    }

    public func insert(_ a: Article, by actor: Actor) async throws {
        try await db.insertRows(
            into: "articles",
            columns: ["id", "section", "verdict", "title", "summary", "body", "record_ids", "lists", "state", "author", "created_at",
                      "updated_at", "published_at"],
            rows: [[a.id, a.section.rawValue, a.verdict?.rawValue, a.title, a.summary, a.body, jsonText(a.recordIDs),
                    jsonText(a.lists.map(\.rawValue)), a.state.rawValue, a.author, a.createdAt, a.updatedAt, a.publishedAt]])
        try await audit.append(actor, action: "create", entity: "articles", entityID: a.id,
                               detail: ["section": a.section.rawValue, "title": String(a.title.prefix(80))])
    }

    /// Replaces what the office may edit: the words and the links (the section and the state stay).
    public func update(_ a: Article, by actor: Actor) async throws {
        try await db.update("articles")
            .set("verdict", to: a.verdict?.rawValue).set("title", to: a.title).set("summary", to: a.summary).set("body", to: a.body)
            .set("record_ids", to: jsonText(a.recordIDs)).set("lists", to: jsonText(a.lists.map(\.rawValue)))
            .set("author", to: a.author).set("updated_at", to: a.updatedAt)
            .where("id", .equal, a.id).run()
        try await audit.append(actor, action: "update", entity: "articles", entityID: a.id,
                               detail: ["title": String(a.title.prefix(80))])
    }

    /// Publishes or withdraws; the first publication's instant is kept (the feed's `published`).
    public func setState(_ id: String, to state: Article.State, by actor: Actor) async throws {
        let now = Timestamp.now()
        var update = db.update("articles").set("state", to: state.rawValue).set("updated_at", to: now)
        if state == .published {
            update = update.set(SQLIdentifier("published_at"), to: SQLFunction("COALESCE", args: SQLIdentifier("published_at"), SQLBind(now)))
        }
        try await update.where("id", .equal, id).run()
        try await audit.append(actor, action: state == .published ? "publish" : "withdraw", entity: "articles", entityID: id, detail: [:])
    }

    public func find(id: String) async throws -> Article? {
        try await db.select().column("*").from("articles").where("id", .equal, id).first(decoding: Row.self).map(Self.article)
    }

    /// Articles newest first: the public's published ones of a section, or everything for the office.
    public func list(section: Article.Section? = nil, states: [Article.State] = Article.State.allCases, verdict: Article.Verdict? = nil,
                     limit: Int = 100) async throws -> [Article] {
        var query = db.select().column("*").from("articles").where("state", .in, states.map(\.rawValue))
        if let section { query = query.where("section", .equal, section.rawValue) }
        if let verdict { query = query.where("verdict", .equal, verdict.rawValue) }
        return try await query.orderBy(SQLFunction("COALESCE", args: SQLIdentifier("published_at"), SQLIdentifier("updated_at")), SQLDirection.descending)
            .orderBy("id").limit(limit).all(decoding: Row.self).map(Self.article)
    }

    private var audit: AuditLog { AuditLog(db: db) }

    static func article(_ r: Row) throws -> Article {
        guard let section = Article.Section(rawValue: r.section), let state = Article.State(rawValue: r.state) else {
            throw StoredDataError(description: "article \(r.id) has unknown section \(r.section) or state \(r.state)")
        }
        let lists = try decodeJSON([String].self, r.lists, column: "articles.lists").map { code in
            guard let list = CreditList(rawValue: code) else { throw StoredDataError(description: "article \(r.id) names list \(code)") }
            return list
        }
        return Article(
            id: r.id, section: section, verdict: r.verdict.flatMap(Article.Verdict.init), title: r.title, summary: r.summary, body: r.body,
            recordIDs: try decodeJSON([String].self, r.record_ids, column: "articles.record_ids"), lists: lists, state: state,
            author: r.author, createdAt: r.created_at, updatedAt: r.updated_at, publishedAt: r.published_at)
    }
}
