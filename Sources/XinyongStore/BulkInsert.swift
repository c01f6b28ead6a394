import FluentPostgresDriver
import FluentSQLiteDriver
import NIOCore
import SQLKit

/// One column value of a bulk write. The fast paths bind these straight into the drivers' own types, where
/// SQLKit would box every value as `any Encodable` and serialise it through a generic encoder: for imports
/// of hundreds of thousands of rows that alone took a fifth of the time.
enum BulkValue: Sendable {
    case text(String)
    case integer(Int)
    case bool(Bool)
    case null

    /// Text, or NULL for nil.
    static func nullable(_ value: String?) -> BulkValue { value.map(BulkValue.text) ?? .null }
}

/// A table's rows as bulk values, with what to do when a row's key already exists.
struct BulkRows: Sendable {
    let table: String
    let columns: [String]
    var rows: [[BulkValue]]
    /// When set, rows whose key is already there are skipped (ON CONFLICT DO NOTHING), and the rows are
    /// inserted in the order of these columns, so that concurrent batches naming the same keys take their
    /// locks in one order and cannot deadlock.
    let skippingExisting: [String]?

    init(into table: String, columns: [String], rows: [[BulkValue]], skippingExisting key: [String]? = nil) {
        self.table = table
        self.columns = columns
        self.rows = rows
        skippingExisting = key
    }
}

extension SQLDatabase {
    /// Inserts many rows by the database's own fastest route: on SQLite, statements of as many rows as its
    /// bound-value limit allows, bound as `SQLiteData` on the transaction's connection; on PostgreSQL,
    /// `COPY … FROM STDIN` (through a temporary staging table when existing keys are to be skipped).
    func bulkInsert(_ batch: BulkRows) async throws {
        guard !batch.rows.isEmpty else { return }
        if let sqlite = self as? any SQLiteDatabase {
            try await SQLiteBulk.insert(batch, on: sqlite)
        } else if let postgres = self as? any PostgresDatabase {
            try await postgres.withConnection { connection in
                connection.eventLoop.makeFutureWithTask { try await PostgresBulk.insert(batch, on: connection) }
            }.get()
        } else {
            try await insertRowsThroughSQLKit(into: batch.table, columns: batch.columns, rows: batch.rows.map { $0.map(\.encodable) },
                                              ignoringConflicts: batch.skippingExisting != nil)
        }
    }
}

extension BulkValue {
    /// The value for SQLKit's generic path (small writes, other databases).
    var encodable: any Encodable & Sendable {
        switch self {
        case .text(let s): s
        case .integer(let i): i
        case .bool(let b): b
        case .null: String?.none
        }
    }

    /// The bulk value of a generic one, for the types the repositories write; nil for any other type.
    init?(_ value: any Encodable & Sendable) {
        switch value {
        case let optional as any OptionalValue where optional.isNone: self = .null
        case let s as String: self = .text(s)
        case let i as Int: self = .integer(i)
        case let b as Bool: self = .bool(b)
        default: return nil
        }
    }

    /// Rows of generic values as bulk values, or nil if any value is of another type.
    static func rows(_ rows: [[any Encodable & Sendable]]) -> [[BulkValue]]? {
        var out: [[BulkValue]] = []
        out.reserveCapacity(rows.count)
        for row in rows {
            var values: [BulkValue] = []
            values.reserveCapacity(row.count)
            for value in row {
                guard let v = BulkValue(value) else { return nil }
                values.append(v)
            }
            out.append(values)
        }
        return out
    }
}

/// Lets a boxed `Optional` say that it is empty (a cast to `String` fails for nil and for non-strings alike).
private protocol OptionalValue { var isNone: Bool { get } }
extension Optional: OptionalValue { var isNone: Bool { self == nil } }

enum SQLiteBulk {
    /// SQLite binds at most 32,766 values per statement; stay below it.
    static let maxValues = 30_000

    static func insert(_ batch: BulkRows, on db: any SQLiteDatabase) async throws {
        let perStatement = max(1, maxValues / batch.columns.count)
        var start = 0
        while start < batch.rows.count {
            let rows = batch.rows[start..<min(start + perStatement, batch.rows.count)]
            var binds: [SQLiteData] = []
            binds.reserveCapacity(rows.count * batch.columns.count)
            for row in rows {
                for value in row { binds.append(value.sqlite) }
            }
            try await db.query(statement(batch, rows: rows.count), binds) { _ in }
            start += rows.count
        }
    }

    /// `INSERT INTO t (a, b) VALUES (?, ?), (?, ?) …` for `rows` rows.
    static func statement(_ batch: BulkRows, rows: Int) -> String {
        let tuple = "(" + Array(repeating: "?", count: batch.columns.count).joined(separator: ",") + ")"
        var sql = "INSERT INTO \(quoted(batch.table)) (\(batch.columns.map(quoted).joined(separator: ", "))) VALUES "
        sql.reserveCapacity(sql.utf8.count + rows * (tuple.utf8.count + 1) + 32)
        for i in 0..<rows {
            if i > 0 { sql += "," }
            sql += tuple
        }
        if batch.skippingExisting != nil { sql += " ON CONFLICT DO NOTHING" }
        return sql
    }
}

extension BulkValue {
    /// Booleans as 0 and 1, as SQLiteKit stores them.
    var sqlite: SQLiteData {
        switch self {
        case .text(let s): .text(s)
        case .integer(let i): .integer(i)
        case .bool(let b): .integer(b ? 1 : 0)
        case .null: .null
        }
    }
}

enum PostgresBulk {
    static func insert(_ batch: BulkRows, on connection: PostgresConnection) async throws {
        guard let key = batch.skippingExisting else {
            return try await copy(batch.rows, into: batch.table, columns: batch.columns, on: connection)
        }
        // COPY cannot skip existing keys: copy into a staging table, then insert from it with ON CONFLICT,
        // which waits for a concurrent transaction inserting the same key instead of failing. The staging
        // table lives as long as the connection's session and is emptied before each use, so that rows left
        // by a failed statement outside a transaction are never inserted twice.
        let stage = quoted("bulk_stage_" + batch.table)
        let columns = batch.columns.map(quoted).joined(separator: ", ")
        try await run("""
            CREATE TEMPORARY TABLE IF NOT EXISTS \(stage) AS SELECT \(columns) FROM \(quoted(batch.table)) WITH NO DATA
            """, on: connection)
        try await run("TRUNCATE \(stage)", on: connection)
        try await copy(batch.rows, into: "bulk_stage_" + batch.table, columns: batch.columns, on: connection)
        try await run("""
            INSERT INTO \(quoted(batch.table)) (\(columns)) SELECT \(columns) FROM \(stage)
            ORDER BY \(key.map(quoted).joined(separator: ", ")) ON CONFLICT DO NOTHING
            """, on: connection)
    }

    private static func run(_ sql: String, on connection: PostgresConnection) async throws {
        try await connection.query(PostgresQuery(unsafeSQL: sql), logger: connection.logger)
    }

    /// COPY in PostgreSQL's text format, sent in pieces of about 1 MiB.
    static func copy(_ rows: [[BulkValue]], into table: String, columns: [String], on connection: PostgresConnection) async throws {
        try await connection.copyFrom(table: table, columns: columns, logger: connection.logger) { writer in
            var buffer = ByteBuffer()
            buffer.reserveCapacity(1 << 20 + 65_536)
            for row in rows {
                for (i, value) in row.enumerated() {
                    if i > 0 { buffer.writeInteger(UInt8(ascii: "\t")) }
                    value.writeCopyText(to: &buffer)
                }
                buffer.writeInteger(UInt8(ascii: "\n"))
                if buffer.readableBytes >= 1 << 20 {
                    try await writer.write(buffer)
                    buffer.clear()
                }
            }
            if buffer.readableBytes > 0 { try await writer.write(buffer) }
        }
    }
}

extension BulkValue {
    /// The value in COPY's text format: `\N` for NULL, and backslash, tab, newline and carriage return escaped.
    func writeCopyText(to buffer: inout ByteBuffer) {
        switch self {
        case .null: buffer.writeStaticString("\\N")
        case .integer(let i): buffer.writeString(String(i))
        case .bool(let b): buffer.writeInteger(UInt8(ascii: b ? "t" : "f"))
        case .text(let s):
            // Most text has nothing to escape: copy it whole rather than byte by byte.
            guard s.utf8.contains(where: { $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\n") || $0 == UInt8(ascii: "\r") }) else {
                buffer.writeString(s)
                return
            }
            for byte in s.utf8 {
                switch byte {
                case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
                case UInt8(ascii: "\t"): buffer.writeStaticString("\\t")
                case UInt8(ascii: "\n"): buffer.writeStaticString("\\n")
                case UInt8(ascii: "\r"): buffer.writeStaticString("\\r")
                default: buffer.writeInteger(byte)
                }
            }
        }
    }
}

/// A table or column name in double quotes, as both databases accept it.
private func quoted(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }

/// The secondary indexes and foreign keys of some tables, as PostgreSQL itself prints them, so that a load
/// into empty tables can drop them and build each once at the end, as pg_restore does. Maintaining seven
/// B-trees row by row (random UUID keys among them), a GIN index and a foreign-key lookup per row is what
/// made the demo's COPY slow; one sort per index at the end is many times cheaper.
struct DeferredIndexes: Sendable {
    struct Definition: Decodable, Sendable {
        let table, name, definition: String
    }

    let indexes: [Definition]
    let foreignKeys: [Definition]

    /// Reads the definitions, then drops them, in one transaction: a failure part-way drops none.
    /// Indexes that back a constraint (primary keys, unique constraints, the target of a foreign key) stay.
    static func drop(on tables: [String], store: Store) async throws -> DeferredIndexes {
        try await store.transaction { try await drop(on: tables, db: $0.db) }
    }

    private static func drop(on tables: [String], db: any SQLDatabase) async throws -> DeferredIndexes {
        let indexes = try await db.raw("""
            SELECT c.relname AS "table", i.relname AS name, pg_get_indexdef(x.indexrelid) AS definition
            FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid JOIN pg_class c ON c.oid = x.indrelid
            JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = current_schema() AND c.relname IN (\(binds: tables))
            AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = x.indexrelid)
            ORDER BY c.relname, i.relname
            """).all(decoding: Definition.self)
        let foreignKeys = try await db.raw("""
            SELECT c.relname AS "table", k.conname AS name, pg_get_constraintdef(k.oid) AS definition
            FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
            WHERE n.nspname = current_schema() AND k.contype = 'f' AND c.relname IN (\(binds: tables))
            ORDER BY c.relname, k.conname
            """).all(decoding: Definition.self)
        for key in foreignKeys {
            try await db.raw("ALTER TABLE \(unsafeRaw: quoted(key.table)) DROP CONSTRAINT \(unsafeRaw: quoted(key.name))").run()
        }
        for index in indexes { try await db.raw("DROP INDEX \(unsafeRaw: quoted(index.name))").run() }
        return DeferredIndexes(indexes: indexes, foreignKeys: foreignKeys)
    }

    /// Builds the indexes again, then adds the foreign keys back (each checked in one pass over its table),
    /// and refreshes the planner's statistics of the tables.
    func restore(on store: Store) async throws {
        for index in indexes {
            try await store.transaction { repos in
                // A sort in memory instead of on disk; LOCAL ends with this transaction.
                try await repos.db.raw("SET LOCAL maintenance_work_mem = '512MB'").run()
                try await repos.db.raw("\(unsafeRaw: index.definition)").run()
            }
        }
        for key in foreignKeys {
            try await store.sql.raw("""
                ALTER TABLE \(unsafeRaw: quoted(key.table)) ADD CONSTRAINT \(unsafeRaw: quoted(key.name)) \(unsafeRaw: key.definition)
                """).run()
        }
        for table in Set(indexes.map(\.table) + foreignKeys.map(\.table)).sorted() {
            try await store.sql.raw("ANALYZE \(unsafeRaw: quoted(table))").run()
        }
    }
}

extension Store {
    /// Runs `load`, a bulk load into empty `tables`, with their secondary indexes and foreign keys dropped
    /// on PostgreSQL, and builds them again afterwards, also when the load fails (so a failed load leaves the
    /// schema whole). On SQLite it just runs `load`: its indexes are cheap to keep, and it cannot drop a
    /// foreign key.
    public func withIndexesDeferred<T: Sendable>(on tables: [String], _ load: () async throws -> T) async throws -> T {
        guard url.isPostgres else { return try await load() }
        let deferred = try await DeferredIndexes.drop(on: tables, store: self)
        let result: T
        do {
            result = try await load()
        } catch {
            try? await deferred.restore(on: self)
            throw error
        }
        try await deferred.restore(on: self)
        return result
    }
}
