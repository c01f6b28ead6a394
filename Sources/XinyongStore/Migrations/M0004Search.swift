import FluentKit
import SQLKit

/// The public website: the name search index, objections (so that a disputed record can carry its
/// flag) and the credit reports the platform has issued and signed.
struct M0004Search: AsyncMigration {
    var name: String { "0004_search" }

    func prepare(on database: any FluentKit.Database) async throws {
        let sql = database as! any SQLDatabase
        let sqlite = sql.dialect.name == "sqlite"
        var statements = [
            // `names` is the folded current and former names (the exact substring test); `grams` their
            // bigrams, which the database indexes (SearchText says how).
            "CREATE TABLE subject_search (subject_id TEXT PRIMARY KEY REFERENCES subjects (id), names TEXT NOT NULL, grams TEXT NOT NULL)",
            """
            CREATE TABLE objections (
                subject_id TEXT NOT NULL, id TEXT NOT NULL, record_id TEXT NOT NULL, ground TEXT NOT NULL,
                status TEXT NOT NULL, filed_at TEXT NOT NULL, due_on TEXT NOT NULL, decided_at TEXT, outcome TEXT,
                PRIMARY KEY (subject_id, id))
            """,
            "CREATE INDEX objections_record ON objections (record_id, status)",
            """
            CREATE TABLE credit_reports (
                number TEXT PRIMARY KEY, subject_id TEXT NOT NULL, issued_at TEXT NOT NULL, cut_off TEXT NOT NULL,
                key_id TEXT NOT NULL, digest TEXT NOT NULL, document TEXT NOT NULL)
            """,
            "CREATE INDEX credit_reports_subject ON credit_reports (subject_id, issued_at)",
            "CREATE INDEX credit_records_region_type_date ON credit_records (record_type, region_code, decision_date)",
        ]
        if sqlite {
            // An external-content FTS5 index over subject_search's bigram words, kept in step by triggers.
            statements += [
                "CREATE VIRTUAL TABLE subject_search_fts USING fts5(grams, content='subject_search', content_rowid='rowid', tokenize='unicode61')",
                """
                CREATE TRIGGER subject_search_ai AFTER INSERT ON subject_search BEGIN
                  INSERT INTO subject_search_fts (rowid, grams) VALUES (new.rowid, new.grams); END
                """,
                """
                CREATE TRIGGER subject_search_ad AFTER DELETE ON subject_search BEGIN
                  INSERT INTO subject_search_fts (subject_search_fts, rowid, grams) VALUES ('delete', old.rowid, old.grams); END
                """,
                """
                CREATE TRIGGER subject_search_au AFTER UPDATE ON subject_search BEGIN
                  INSERT INTO subject_search_fts (subject_search_fts, rowid, grams) VALUES ('delete', old.rowid, old.grams);
                  INSERT INTO subject_search_fts (rowid, grams) VALUES (new.rowid, new.grams); END
                """,
            ]
        } else {
            // PostgreSQL: a GIN index over the bigram words as an array; a text_pattern_ops index for
            // code prefixes whatever the database's collation.
            statements += [
                "CREATE INDEX subject_search_grams ON subject_search USING gin (string_to_array(grams, ' '))",
                "CREATE INDEX subjects_code_prefix ON subjects (code text_pattern_ops)",
            ]
        }
        for statement in statements {
            try await sql.raw(SQLQueryString(statement)).run()
        }
        try await SubjectRepository(db: sql).indexAllForSearch()
    }

    func revert(on database: any FluentKit.Database) async throws {
        let sql = database as! any SQLDatabase
        if sql.dialect.name == "sqlite" { try await sql.raw("DROP TABLE subject_search_fts").run() }
        for table in ["credit_reports", "objections", "subject_search"] {
            try await sql.drop(table: table).run()
        }
    }
}
