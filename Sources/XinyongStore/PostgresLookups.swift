import Logging
import NIOCore
import PostgresKit
import SQLKit
import Synchronization

/// Short indexed reads on a hot path (a check before handling, a profile page) on PostgreSQL, as statements
/// prepared once per pooled connection.
///
/// SQLKit sends every statement unnamed, so PostgreSQL parses and plans it again on every call: for a check's
/// first read, planning took three times as long as running it (0.34–0.54 ms against 0.15 ms). Here a read whose
/// values are all text is prepared with SQL's own PREPARE the first time a connection sees it, and then run as
/// `EXECUTE name($v$value$v$, …)`, which PostgreSQL parses in microseconds and runs from the kept plan. EXECUTE takes
/// no bound parameters, so the values go in as dollar-quoted literals, and a value containing `$` (or NUL) goes
/// the plain way: nothing in a value can then end its literal. (PostgresNIO's protocol-level preparation is not used:
/// it reads binary results as text.) Any other read, and a statement that cannot be prepared with text
/// parameters, goes through the pool unprepared as before.
final class PostgresLookups: SQLDatabase {
    private let pool: any SQLDatabase
    private let postgres: any PostgresDatabase
    /// Each connection's statement names by SQL (nil: run that SQL unprepared). An entry keeps its connection
    /// alive, so that a closed connection's address cannot come back as another's.
    private let prepared = Mutex<[ObjectIdentifier: Statements]>([:])
    /// Statements kept per connection; SQL with a varying number of values would otherwise grow without end.
    static let keptStatements = 64

    private final class Statements: @unchecked Sendable {  // only touched under `prepared`'s lock
        let connection: PostgresConnection
        var names: [String: String?] = [:]
        init(_ connection: PostgresConnection) { self.connection = connection }
    }

    /// Where a read goes on a connection.
    private enum Route { case execute(String), prepareThenExecute(String), unprepared }

    /// `pool` is fluent's PostgreSQL database, which is both an SQL and a Postgres database.
    init(pool: any SQLDatabase & PostgresDatabase) {
        self.pool = pool
        self.postgres = pool
    }

    var logger: Logger { pool.logger }
    var eventLoop: any EventLoop { pool.eventLoop }
    var dialect: any SQLDialect { pool.dialect }
    var queryLogLevel: Logger.Level? { nil }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) -> EventLoopFuture<Void> {
        let (sql, binds) = serialize(query)
        let texts = binds.compactMap { $0 as? String }
        // A value with `$` could end its literal; one with NUL would cut the statement short (PostgreSQL reads a
        // statement up to NUL and would refuse it then; the plain path refuses it plainly). Bytes, not characters:
        // a `$` inside a grapheme cluster (after a prepending mark, before a combining one) is no `$` Character.
        guard texts.count == binds.count, !texts.contains(where: { $0.utf8.contains { $0 == UInt8(ascii: "$") || $0 == 0 } }) else {
            return pool.execute(sql: query, onRow)
        }
        return postgres.withConnection { connection in
            let db = connection.sql(queryLogLevel: nil)
            switch self.route(sql, on: connection) {
            case .execute(let name):
                return db.execute(sql: Self.call(name, texts), onRow).flatMapError { error in
                    // Gone from the session (a pooler in transaction mode hands out another server connection, or
                    // someone ran DEALLOCATE): nothing was read, so run it plainly, and plainly from now on.
                    guard (error as? PSQLError)?.serverInfo?[.sqlState] == Self.missingStatement else {
                        return connection.eventLoop.makeFailedFuture(error)
                    }
                    self.remember(nil, for: sql, on: connection)
                    return db.execute(sql: query, onRow)
                }
            case .unprepared:
                return db.execute(sql: query, onRow)
            case .prepareThenExecute(let name):
                let types = Array(repeating: "text", count: texts.count).joined(separator: ", ")
                let statement = "PREPARE \(name)\(texts.isEmpty ? "" : " (\(types))") AS \(sql)"
                // A statement that cannot be prepared with text parameters is run unprepared on this connection from now on.
                return db.execute(sql: SQLRaw(statement)) { _ in }.map { true }.recover { _ in false }.flatMap { ok in
                    self.remember(ok ? name : nil, for: sql, on: connection)
                    return ok ? db.execute(sql: Self.call(name, texts), onRow) : db.execute(sql: query, onRow)
                }
            }
        }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) async throws {
        try await (execute(sql: query, onRow) as EventLoopFuture<Void>).get()
    }

    /// SQLSTATE invalid_sql_statement_name: EXECUTE of a statement this session does not have.
    static let missingStatement = "26000"

    /// `EXECUTE name($v$value$v$, …)`; the values contain no `$` and no NUL, so none can close its quotes.
    private static func call(_ name: String, _ values: [String]) -> SQLRaw {
        SQLRaw(values.isEmpty ? "EXECUTE \(name)" : "EXECUTE \(name)(" + values.map { "$v$\($0)$v$" }.joined(separator: ", ") + ")")
    }

    private func route(_ sql: String, on connection: PostgresConnection) -> Route {
        prepared.withLock { all in
            let names = all[ObjectIdentifier(connection)]?.names ?? [:]
            if let known = names[sql] { return known.map(Route.execute) ?? .unprepared }
            return names.count < Self.keptStatements ? .prepareThenExecute("xy_lookup_\(names.count)") : .unprepared
        }
    }

    private func remember(_ name: String?, for sql: String, on connection: PostgresConnection) {
        prepared.withLock { all in
            let key = ObjectIdentifier(connection)
            if all[key] == nil {
                all = all.filter { !$0.value.connection.isClosed }
                all[key] = Statements(connection)
            }
            all[key]!.names[sql] = .some(name)
        }
    }
}
