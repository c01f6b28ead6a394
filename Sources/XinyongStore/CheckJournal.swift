import Foundation
import SQLKit

/// Checks stored while SQLite's one writer is held by someone else, until they reach the main tables.
///
/// A department's batch holds the writer while its rows are written. A check must be stored before it is
/// answered, yet must not wait behind someone else's batch: when the writer has been held too long, the check
/// is written to a database file of its own beside the main one (`…sqlite.checks`), whose writer nobody else
/// holds, answered, and forgotten here once its write to the main tables (`checks`, `check_measures`,
/// `audit_log`, recipients) has landed. The file is as durable as the main one (WAL, same synchronous setting);
/// whatever a crash leaves in it is moved at the next start. PostgreSQL needs no journal: its writers do not
/// wait for each other.
public struct CheckJournal: Sendable {
    let db: any SQLDatabase

    /// The journal's file for a main database file.
    static func path(beside main: String) -> String { main + ".checks" }

    func prepare() async throws {
        try await db.raw("CREATE TABLE IF NOT EXISTS waiting_checks (id TEXT PRIMARY KEY, entry TEXT NOT NULL)").run()
    }

    /// Stores checks durably; each commit is one group of checks.
    public func append(_ entries: [CheckEntry]) async throws {
        try await db.insertRows(into: "waiting_checks", columns: ["id", "entry"], rows: entries.map { [$0.id, jsonText($0)] })
    }

    /// The oldest checks not yet moved.
    public func waiting(limit: Int) async throws -> [CheckEntry] {
        struct Row: Decodable { let entry: String }
        return try await db.raw("SELECT entry FROM waiting_checks ORDER BY rowid LIMIT \(bind: limit)").all(decoding: Row.self)
            .map { try JSONDecoder().decode(CheckEntry.self, from: Data($0.entry.utf8)) }
    }

    /// Forgets checks once the main tables hold them.
    public func remove(_ ids: [String]) async throws {
        guard !ids.isEmpty else { return }
        try await db.delete(from: "waiting_checks").where("id", .in, ids).run()
    }
}

extension CheckRepository {
    /// Moves journal entries in: checks already stored (moved by another process, or before a crash that
    /// came between this commit and the journal's delete) are skipped, so moving twice stores once.
    public func insertMissing(_ entries: [CheckEntry]) async throws {
        guard !entries.isEmpty else { return }
        struct Row: Decodable { let id: String }
        let stored = Set(try await db.select().column("id").from("checks").where("id", .in, entries.map(\.id))
            .all(decoding: Row.self).map(\.id))
        try await insert(entries.filter { !stored.contains($0.id) })
    }
}
