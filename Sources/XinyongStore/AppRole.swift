import Foundation
import SQLKit

/// The PostgreSQL role the server runs as when migrations run as the owner (`MIGRATION_DATABASE_URL`):
/// it reads and writes the platform's tables, but may only INSERT and SELECT the audit trail, its chain
/// and checkpoints: no UPDATE, DELETE or TRUNCATE there, and no DDL anywhere.
public enum AppRole {
    public static let insertOnlyTables = ["audit_log", "audit_chain", "audit_checkpoints"]

    /// The statements the owner runs (after every migration, as new tables need grants too).
    public static func grants(to role: String) -> [String] {
        let name = quoted(role)
        return [
            "GRANT USAGE ON SCHEMA public TO \(name)",
            "GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO \(name)",
            "REVOKE UPDATE, DELETE, TRUNCATE ON \(insertOnlyTables.joined(separator: ", ")) FROM \(name)",
            "REVOKE INSERT, UPDATE, DELETE ON _fluent_migrations FROM \(name)",
            "GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO \(name)",
        ]
    }

    static func quoted(_ identifier: String) -> String { "\"" + identifier.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
}

extension Store {
    /// Grants `role` what the server needs (``AppRole``). PostgreSQL only; run as the tables' owner.
    public func grantAppRole(_ role: String) async throws {
        guard url.isPostgres else { throw Unavailable(description: "roles exist on PostgreSQL only; SQLite has one file and one user") }
        // One transaction: the role never holds the broad grant without the audit tables' revocation.
        try await transaction { repos in
            for statement in AppRole.grants(to: role) {
                try await repos.db.raw(SQLQueryString(statement)).run()
            }
        }
    }

    /// The user name in a postgres:// URL.
    public static func userName(of url: DatabaseURL) -> String? {
        guard case .postgres(let text) = url, let user = URLComponents(string: text)?.user, !user.isEmpty else { return nil }
        return user.removingPercentEncoding ?? user
    }
}
