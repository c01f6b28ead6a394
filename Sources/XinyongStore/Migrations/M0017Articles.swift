import FluentKit
import SQLKit

/// Honesty culture's articles: typical cases, news and policies as the office wrote them (Markdown, never
/// rendered HTML, so that a better sanitiser applies to old articles too), with a case's links to records and
/// lists as JSON arrays of ids and list codes. Small and city-wide: keyed by its own id.
struct M0017Articles: AsyncMigration {
    var name: String { "0017_articles" }

    func prepare(on database: any FluentKit.Database) async throws {
        let sql = database as! any SQLDatabase
        let statements = [
            """
            CREATE TABLE articles (
                id TEXT PRIMARY KEY, section TEXT NOT NULL, verdict TEXT, title TEXT NOT NULL, summary TEXT NOT NULL,
                body TEXT NOT NULL, record_ids TEXT NOT NULL, lists TEXT NOT NULL, state TEXT NOT NULL, author TEXT NOT NULL,
                created_at TEXT NOT NULL, updated_at TEXT NOT NULL, published_at TEXT)
            """,
            "CREATE INDEX articles_section ON articles (section, state, published_at)",
        ]
        for statement in statements {
            try await sql.raw(SQLQueryString(statement)).run()
        }
    }

    func revert(on database: any FluentKit.Database) async throws {
        try await (database as! any SQLDatabase).drop(table: "articles").run()
    }
}
