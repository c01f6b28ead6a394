import Logging
import NIOCore
import SQLKit
import SQLiteKit
import Synchronization
import VaporCSQLite

/// Short indexed reads on a hot path (a check before handling), served on the caller's thread through
/// statements prepared once per connection.
///
/// Through SQLiteNIO every query is parsed again and hops to a thread pool and back, which cost a check more
/// than the reads themselves. Here a read borrows one of a few read-only connections of the same SQLite
/// library (the one SQLiteNIO vendors, so the process keeps one set of file locks), steps its statement and
/// gives it back. The caller's thread blocks for the read, so only lookups by key belong here, never scans.
final class SQLiteLookups: SQLDatabase {
    let path: String
    let logger: Logger
    let eventLoop: any EventLoop
    var dialect: any SQLDialect { SQLiteDialect() }
    var queryLogLevel: Logger.Level? { nil }
    private let encoder = SQLiteDataEncoder()
    /// Connections not in use; nil once the store is closed.
    private let idle = Mutex<[LookupConnection]?>([])
    /// Connections kept open between reads: one per thread that reads at once on two to eight cores.
    static let kept = 8

    init(path: String, logger: Logger, eventLoop: any EventLoop) {
        self.path = path
        self.logger = logger
        self.eventLoop = eventLoop
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) -> EventLoopFuture<Void> {
        do {
            try run(query, onRow)
            return eventLoop.makeSucceededVoidFuture()
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
    }

    func execute(sql query: any SQLExpression, _ onRow: @escaping @Sendable (any SQLRow) -> ()) async throws {
        try run(query, onRow)
    }

    private func run(_ query: any SQLExpression, _ onRow: (any SQLRow) -> ()) throws {
        let (sql, binds) = serialize(query)
        let values = try binds.map { try encoder.encode($0) }
        let connection = try checkOut()
        defer { checkIn(connection) }
        try connection.run(sql, values, onRow)
    }

    private func checkOut() throws -> LookupConnection {
        let reused = try idle.withLock { idle -> LookupConnection? in
            guard idle != nil else { throw LookupError(description: "the store is closed") }
            return idle!.popLast()
        }
        return try reused ?? LookupConnection(path: path)
    }

    private func checkIn(_ connection: LookupConnection) {
        let surplus = idle.withLock { idle -> Bool in
            guard idle != nil, idle!.count < Self.kept else { return true }
            idle!.append(connection)
            return false
        }
        if surplus { connection.close() }
    }

    /// Closes the idle connections; reads after this fail, and connections in use close when given back.
    func close() {
        for connection in idle.withLock({ idle in defer { idle = nil }; return idle ?? [] }) { connection.close() }
    }
}

struct LookupError: Error, CustomStringConvertible {
    let description: String
}

/// One read-only connection and its prepared statements; used by one thread at a time (checked out of the pool).
private final class LookupConnection: @unchecked Sendable {
    private var handle: OpaquePointer?
    private var statements: [String: Statement] = [:]
    /// Statements kept per connection; queries with a varying number of binds would otherwise grow the cache.
    static let keptStatements = 64

    final class Statement {
        let handle: OpaquePointer
        let columns: LookupRow.Columns

        init(handle: OpaquePointer) {
            self.handle = handle
            let names = (0..<sqlite_nio_sqlite3_column_count(handle)).map { String(cString: sqlite_nio_sqlite3_column_name(handle, $0)) }
            columns = LookupRow.Columns(names: names)
        }
    }

    init(path: String) throws {
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX
        let opened = sqlite_nio_sqlite3_open_v2(path, &handle, flags, nil)
        guard opened == SQLITE_OK else {
            defer { close() }
            throw LookupError(description: "cannot open \(path) for reading: \(message(opened))")
        }
        // Reads only; wait for a checkpoint or recovery rather than fail; the same page cache as the other connections.
        for pragma in ["PRAGMA query_only=1", "PRAGMA busy_timeout=60000", "PRAGMA cache_size=-65536"] {
            let status = sqlite_nio_sqlite3_exec(handle, pragma, nil, nil, nil)
            guard status == SQLITE_OK else {
                defer { close() }
                throw LookupError(description: "\(pragma) failed on \(path): \(message(status))")
            }
        }
    }

    func run(_ sql: String, _ values: [SQLiteData], _ onRow: (any SQLRow) -> ()) throws {
        let statement = try prepared(sql)
        // Every parameter is bound again on each run. sqlite3_clear_bindings is not called: it marks a statement
        // whose plan depends on a parameter as expired, and SQLite would parse it again on every read.
        defer { sqlite_nio_sqlite3_reset(statement.handle) }
        guard values.count == Int(sqlite_nio_sqlite3_bind_parameter_count(statement.handle)) else {
            throw LookupError(description: "\(sql): \(values.count) values for \(sqlite_nio_sqlite3_bind_parameter_count(statement.handle)) parameters")
        }
        for (index, value) in values.enumerated() {
            let status = bind(value, at: Int32(index + 1), in: statement.handle)
            guard status == SQLITE_OK else { throw LookupError(description: "binding \(index + 1) of \(sql): \(message(status))") }
        }
        while true {
            let status = sqlite_nio_sqlite3_step(statement.handle)
            if status == SQLITE_DONE { return }
            guard status == SQLITE_ROW else { throw LookupError(description: "\(sql): \(message(status))") }
            let count = statement.columns.names.count
            onRow(LookupRow(columns: statement.columns, values: (0..<count).map { value(at: Int32($0), of: statement.handle) }))
        }
    }

    private func prepared(_ sql: String) throws -> Statement {
        if let statement = statements[sql] { return statement }
        var raw: OpaquePointer?
        let status = sqlite_nio_sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &raw, nil)
        guard status == SQLITE_OK, let raw else { throw LookupError(description: "\(sql): \(message(status))") }
        if statements.count >= Self.keptStatements { finalizeAll() }
        let statement = Statement(handle: raw)
        statements[sql] = statement
        return statement
    }

    private func bind(_ value: SQLiteData, at index: Int32, in statement: OpaquePointer) -> Int32 {
        switch value {
        case .integer(let n): sqlite_nio_sqlite3_bind_int64(statement, index, Int64(n))
        case .float(let x): sqlite_nio_sqlite3_bind_double(statement, index, x)
        case .text(let text): sqlite_nio_sqlite3_bind_text64(statement, index, text, UInt64(text.utf8.count), transient, UInt8(SQLITE_UTF8))
        case .blob(let bytes):
            bytes.withUnsafeReadableBytes { sqlite_nio_sqlite3_bind_blob64(statement, index, $0.baseAddress, UInt64($0.count), transient) }
        case .null: sqlite_nio_sqlite3_bind_null(statement, index)
        }
    }

    private func value(at column: Int32, of statement: OpaquePointer) -> SQLiteData {
        switch sqlite_nio_sqlite3_column_type(statement, column) {
        case SQLITE_INTEGER: return .integer(.init(sqlite_nio_sqlite3_column_int64(statement, column)))
        case SQLITE_FLOAT: return .float(sqlite_nio_sqlite3_column_double(statement, column))
        case SQLITE_TEXT:
            let count = Int(sqlite_nio_sqlite3_column_bytes(statement, column))
            guard let text = sqlite_nio_sqlite3_column_text(statement, column) else { return .text("") }
            return .text(String(decoding: UnsafeBufferPointer(start: text, count: count), as: UTF8.self))
        case SQLITE_BLOB:
            let count = Int(sqlite_nio_sqlite3_column_bytes(statement, column))
            let bytes = sqlite_nio_sqlite3_column_blob(statement, column)
            return .blob(ByteBuffer(bytes: UnsafeRawBufferPointer(start: bytes, count: bytes == nil ? 0 : count)))
        default: return .null
        }
    }

    private func message(_ status: Int32) -> String {
        if let handle, let text = sqlite_nio_sqlite3_errmsg(handle) { return String(cString: text) }
        return String(cString: sqlite_nio_sqlite3_errstr(status))
    }

    private func finalizeAll() {
        for statement in statements.values { sqlite_nio_sqlite3_finalize(statement.handle) }
        statements = [:]
    }

    func close() {
        finalizeAll()
        sqlite_nio_sqlite3_close_v2(handle)
        handle = nil
    }
}

/// SQLite's own destructor value telling it to copy a bound text or blob before the call returns.
private let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

/// A row read by ``SQLiteLookups``, decoded the way SQLiteKit decodes SQLiteNIO's rows.
struct LookupRow: SQLRow {
    final class Columns: Sendable {
        let names: [String]
        let index: [String: Int]

        init(names: [String]) {
            self.names = names
            index = Dictionary(names.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        }
    }

    let columns: Columns
    let values: [SQLiteData]
    /// One decoder for every row, as SQLiteKit keeps one per database: each holds a JSONDecoder, too costly
    /// to make for every column read.
    private static let decoder = SQLiteDataDecoder()

    var allColumns: [String] { columns.names }
    func contains(column: String) -> Bool { columns.index[column] != nil }

    func decodeNil(column: String) throws -> Bool {
        guard let i = columns.index[column] else { return true }
        return values[i] == .null
    }

    func decode<D: Decodable>(column: String, as: D.Type) throws -> D {
        guard let i = columns.index[column] else { throw LookupError(description: "no column '\(column)' in the row (\(columns.names))") }
        return try Self.decoder.decode(D.self, from: values[i])
    }
}
