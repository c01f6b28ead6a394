import FluentKit
import FluentPostgresDriver
import FluentSQLiteDriver
import Foundation
import Logging
import NIOCore
import NIOPosix
import SQLKit
import Synchronization

/// The platform's database: FluentKit's `Databases` for connections and migrations, SQLKit for every
/// query. One code path for SQLite and PostgreSQL.
public final class Store: Sendable {
    public let url: DatabaseURL
    /// Reads go through this handle; writes through ``transaction(_:)``.
    public let sql: any SQLDatabase
    let fluent: any FluentKit.Database
    /// Where checks wait for the main writer (SQLite only; see ``CheckJournal``).
    public let checkJournal: CheckJournal?
    /// Key lookups on a hot path through statements prepared once per connection: ``SQLiteLookups``, ``PostgresLookups``.
    private let lookupDB: any SQLDatabase
    /// The running transaction and when it began, until its COMMIT has returned (SQLite runs one at a time).
    private let writer = Mutex<(transaction: Int, since: ContinuousClock.Instant)?>(nil)
    private let transactions = Atomic<Int>(0)
    private let databases: Databases
    private let threadPool: NIOThreadPool

    public struct Unavailable: Error, CustomStringConvertible {
        public let description: String
    }

    /// Opens the database. SQLite files run in WAL mode with two connections: one for transactions (SQLite
    /// allows one writer, so writes queue there instead of contending for locks) and one for reads, which
    /// in WAL mode never wait for a writer, so pages answer while a large batch is being imported.
    public static func open(_ url: DatabaseURL, logger: Logger = Logger(label: "xinyong.store")) async throws -> Store {
        // SQLite calls block, so they run on threads of their own: enough for the read and write
        // connections to work at once without waiting behind other blocking work of the process.
        let threadPool = NIOThreadPool(numberOfThreads: 4)
        threadPool.start()
        let databases = Databases(threadPool: threadPool, on: MultiThreadedEventLoopGroup.singleton)
        switch url {
        case .sqlite(let path):
            let directory = URL(fileURLWithPath: path).deletingLastPathComponent()
            do {
                try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            } catch {
                try? await threadPool.shutdownGracefully()
                throw Unavailable(description: "DATABASE_URL: cannot create directory \(directory.path) for \(url): \(error.localizedDescription)")
            }
            // A write may wait behind a long import holding the one write connection: let it wait (5 min)
            // rather than fail. Reads never wait for a writer in WAL mode.
            databases.use(.sqlite(SQLiteConfiguration(storage: .file(path: path)), connectionPoolTimeout: .minutes(5), sqlLogLevel: nil), as: .sqlite)
            databases.use(.sqlite(SQLiteConfiguration(storage: .file(path: path)), connectionPoolTimeout: .seconds(60), sqlLogLevel: nil), as: Self.sqliteReader)
            databases.use(.sqlite(SQLiteConfiguration(storage: .file(path: CheckJournal.path(beside: path))), connectionPoolTimeout: .seconds(60), sqlLogLevel: nil),
                          as: Self.checkJournal)
        case .postgres(let text):
            let factory: DatabaseConfigurationFactory
            do {
                factory = try .postgres(url: text, maxConnectionsPerEventLoop: 8, sqlLogLevel: .trace)
            } catch {
                try? await threadPool.shutdownGracefully()
                throw Unavailable(description: "DATABASE_URL '\(url)' is not usable: \(error)")
            }
            databases.use(factory, as: .psql)
        }
        // One fixed event loop: with SQLite that means exactly one pooled connection per database id.
        let eventLoop = MultiThreadedEventLoopGroup.singleton.any()
        let writer = databases.database(logger: logger, on: eventLoop)!
        let reader = url.isPostgres ? writer : databases.database(Self.sqliteReader, logger: logger, on: eventLoop)!
        let journal = url.isPostgres ? nil : CheckJournal(db: databases.database(Self.checkJournal, logger: logger, on: eventLoop) as! any SQLDatabase)
        let lookups: any SQLDatabase = switch url {
        case .sqlite(let path): SQLiteLookups(path: path, logger: logger, eventLoop: eventLoop)
        case .postgres: PostgresLookups(pool: reader as! any SQLDatabase & PostgresDatabase)
        }
        let store = Store(url: url, fluent: writer, reader: reader as! any SQLDatabase, lookups: lookups, journal: journal, databases: databases,
                          threadPool: threadPool)
        do {
            // The first connection is tried with a silent logger: if it fails, the caller gets one clear
            // error naming the setting rather than the pool's log lines as well.
            var quiet = logger
            quiet.logLevel = .critical
            try await store.configureConnection(databases.database(logger: quiet, on: eventLoop) as! any SQLDatabase)
            if let journal {
                try await store.configureConnection(databases.database(Self.sqliteReader, logger: quiet, on: eventLoop) as! any SQLDatabase)
                try await store.configureConnection(journal.db)
                try await journal.prepare()
            }
        } catch {
            await store.close()
            throw Unavailable(description: "DATABASE_URL: cannot reach \(url): \(Self.describe(error))")
        }
        return store
    }

    static let sqliteReader = DatabaseID(string: "sqlite-read")
    static let checkJournal = DatabaseID(string: "sqlite-checks")

    private init(url: DatabaseURL, fluent: any FluentKit.Database, reader: any SQLDatabase, lookups: any SQLDatabase, journal: CheckJournal?,
                 databases: Databases, threadPool: NIOThreadPool) {
        self.checkJournal = journal
        self.lookupDB = lookups
        self.threadPool = threadPool
        self.url = url
        self.fluent = fluent
        self.sql = reader
        self.databases = databases
    }

    private func configureConnection(_ sql: any SQLDatabase) async throws {
        switch url {
        case .sqlite:
            try await sql.raw("PRAGMA journal_mode=WAL").run()
            // NORMAL is durable in WAL mode across an application crash (kill -9); only an OS crash or power
            // loss can lose the last transactions, which the operator trades for write speed.
            try await sql.raw("PRAGMA synchronous=NORMAL").run()
            // 64 MiB of page cache per connection instead of the 2 MiB default: bulk loads and indexes of
            // millions of rows otherwise thrash the disk.
            try await sql.raw("PRAGMA cache_size=-65536").run()
            // Another process (a CLI command beside the server) waits for the writer instead of failing at once.
            try await sql.raw("PRAGMA busy_timeout=60000").run()
        case .postgres:
            try await sql.raw("SELECT 1").run()
        }
    }

    public func close() async {
        (lookupDB as? SQLiteLookups)?.close()
        await databases.shutdownAsync()
        try? await threadPool.shutdownGracefully()
    }

    /// Brings the schema up to date. Safe to run on every start.
    public func migrate() async throws {
        let migrations = Migrations()
        migrations.add(Schema.migrations)
        let migrator = Migrator(
            databaseFactory: { [fluent] _ in fluent }, migrations: migrations, on: fluent.eventLoop, migrationLogLevel: .debug)
        try await migrator.setupIfNeeded().get()
        try await migrator.prepareBatch().get()
    }

    /// Answers whether the database is reachable and migrated, for `/health`.
    public func ping() async throws {
        _ = try await sql.raw("SELECT COUNT(*) AS n FROM regions").first()
    }

    /// Runs `body` in one transaction: everything it writes lands together or not at all.
    public func transaction<T: Sendable>(_ body: @escaping @Sendable (Repositories) async throws -> T) async throws -> T {
        let id = transactions.wrappingAdd(1, ordering: .relaxed).newValue
        // The writer counts as held until the COMMIT has returned: on SQLite a commit may run a WAL checkpoint of
        // hundreds of milliseconds, and checks waiting meanwhile must go to the journal. Only this transaction's
        // own mark is cleared, since the next one may have begun by then.
        defer { writer.withLock { if $0?.transaction == id { $0 = nil } } }
        return try await fluent.transaction { db in
            self.writer.withLock { $0 = (id, .now) }
            return try await body(Repositories(db: db as! any SQLDatabase))
        }
    }

    /// Whether a transaction has held SQLite's one writer for at least `duration`. Always false on
    /// PostgreSQL, where transactions run side by side.
    public func writerHeld(atLeast duration: Duration) -> Bool {
        guard !url.isPostgres else { return false }
        return writer.withLock { $0.map { ContinuousClock.now - $0.since >= duration } ?? false }
    }

    /// Repositories outside a transaction (each statement commits on its own).
    public var repositories: Repositories { Repositories(db: sql) }

    /// Repositories for reads by key on a hot path (a check's subject, notices, grade). On SQLite they run
    /// on the caller's thread with prepared statements (``SQLiteLookups``), so never use them for scans.
    public var lookups: Repositories { Repositories(db: lookupDB) }

    static func describe(_ error: any Error) -> String {
        let text = String(reflecting: error)
        return text.count > 300 ? String(text.prefix(300)) + "…" : text
    }
}

/// The tables as typed access. Works on the store itself or inside a transaction.
public struct Repositories: Sendable {
    public let db: any SQLDatabase

    public var regions: RegionRepository { .init(db: db) }
    public var departments: DepartmentRepository { .init(db: db) }
    public var subjects: SubjectRepository { .init(db: db) }
    public var catalog: CatalogRepository { .init(db: db) }
    public var records: RecordRepository { .init(db: db) }
    public var audit: AuditLog { .init(db: db) }
    public var reports: ReportRepository { .init(db: db) }
}

/// Who is writing and why: every write carries one, and it lands in the audit trail.
public struct Actor: Sendable {
    public let name: String
    public let reason: String
    /// The department the actor acts for, so that the office can search the trail by department.
    public let departmentID: String?

    public init(_ name: String, reason: String, department: String? = nil) {
        self.name = name
        self.reason = reason
        self.departmentID = department
    }

    public static func system(_ reason: String) -> Actor { Actor("system", reason: reason) }
}

extension SQLDatabase {
    /// Multi-row INSERT in chunks that stay under both databases' limits on bound parameters; with
    /// `ignoringConflicts`, rows whose key already exists are skipped (ON CONFLICT DO NOTHING).
    func insertRows(into table: String, columns: [String], rows: [[any Encodable & Sendable]], ignoringConflicts: Bool = false) async throws {
        guard !rows.isEmpty else { return }
        // Many rows take the drivers' bulk path when every value is of a type it binds directly.
        if rows.count >= 100, let values = BulkValue.rows(rows) {
            return try await bulkInsert(BulkRows(into: table, columns: columns, rows: values,
                                                 skippingExisting: ignoringConflicts ? columns : nil))
        }
        try await insertRowsThroughSQLKit(into: table, columns: columns, rows: rows, ignoringConflicts: ignoringConflicts)
    }

    /// SQLKit's multi-row INSERT: any value type, any database.
    func insertRowsThroughSQLKit(into table: String, columns: [String], rows: [[any Encodable & Sendable]],
                                 ignoringConflicts: Bool) async throws {
        let perChunk = max(1, 30_000 / columns.count)
        var start = 0
        while start < rows.count {
            let end = min(start + perChunk, rows.count)
            let builder = insert(into: table).columns(columns)
            for row in rows[start..<end] { builder.values(row) }
            if ignoringConflicts { builder.ignoringConflicts() }
            try await builder.run()
            start = end
        }
    }
}
