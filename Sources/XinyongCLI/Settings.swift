import Configuration
import Logging
import XinyongStore
import XinyongWeb

/// The platform's settings: a command-line flag wins, then the environment variable, then the default.
/// A bad value stops the program with a message naming the setting.
public struct Settings: Sendable {
    public var database: DatabaseURL
    /// `MIGRATION_DATABASE_URL`: the tables' owner on PostgreSQL. When set, migrations run through it and
    /// the server works through `DATABASE_URL` as a role that cannot change the audit trail.
    public var migrationDatabase: DatabaseURL?
    public var host: String
    public var port: Int
    public var logLevel: Logger.Level
    /// Where the platform keeps its secrets (the personal-id hashing key) next to a SQLite database.
    public var dataDirectory: String
    /// `OFFICE_REQUIRE_TOTP`: administrators must add a TOTP second factor before anything else.
    public var requireTOTP: Bool
    /// `COOKIE_SECURE`: the session cookie is sent over HTTPS only (set it behind TLS).
    public var cookieSecure: Bool
    /// `BATCH_MAX_BYTES`, `BATCH_CONCURRENCY_PER_CALLER`, `BATCH_IDLE_TIMEOUT`.
    public var batchLimits = BatchLimits()

    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    /// Flags given on the command line, by configuration key; nil where the flag was not given.
    public struct Flags {
        var databaseURL: String?
        var migrationDatabaseURL: String? = nil
        var host: String?
        var port: Int?
        var logLevel: String?
        var dataDirectory: String?
        var requireTOTP: String?
        var cookieSecure: String?
    }

    public static func resolve(_ flags: Flags, environment: [String: String]? = nil) throws -> Settings {
        var values: [AbsoluteConfigKey: ConfigValue] = [:]
        if let v = flags.databaseURL { values["database.url"] = .init(.string(v), isSecret: true) }
        if let v = flags.migrationDatabaseURL { values["migration.database.url"] = .init(.string(v), isSecret: true) }
        if let v = flags.host { values["http.host"] = .init(.string(v), isSecret: false) }
        if let v = flags.port { values["http.port"] = .init(.string(String(v)), isSecret: false) }
        if let v = flags.logLevel { values["log.level"] = .init(.string(v), isSecret: false) }
        if let v = flags.dataDirectory { values["data.dir"] = .init(.string(v), isSecret: false) }
        if let v = flags.requireTOTP { values["office.require.totp"] = .init(.string(v), isSecret: false) }
        if let v = flags.cookieSecure { values["cookie.secure"] = .init(.string(v), isSecret: false) }
        let env = environment.map { EnvironmentVariablesProvider(environmentVariables: $0) } ?? EnvironmentVariablesProvider()
        let config = ConfigReader(providers: [InMemoryProvider(name: "flags", values: values), env])

        let database: DatabaseURL
        do {
            database = try DatabaseURL(config.string(forKey: "database.url", isSecret: true, default: DatabaseURL.defaultValue))
        } catch {
            throw Invalid(description: error.description)
        }
        let migrationDatabase = try Self.migrationDatabase(config.string(forKey: "migration.database.url", isSecret: true), database: database)
        let portText = config.string(forKey: "http.port", default: "8080")
        guard let port = Int(portText), (1...65535).contains(port) else {
            throw Invalid(description: "HTTP_PORT '\(portText)' must be a port number from 1 to 65535")
        }
        let host = config.string(forKey: "http.host", default: "127.0.0.1")
        guard !host.isEmpty, !host.contains(where: \.isWhitespace) else {
            throw Invalid(description: "HTTP_HOST '\(host)' must be a host name or IP address")
        }
        let levelText = config.string(forKey: "log.level", default: "info")
        guard let level = Logger.Level(rawValue: levelText.lowercased()) else {
            throw Invalid(description: "LOG_LEVEL '\(levelText)' must be one of trace, debug, info, notice, warning, error, critical")
        }
        let dataDirectory = config.string(forKey: "data.dir", default: "data")
        func boolean(_ key: ConfigKey, _ name: String) throws -> Bool {
            let text = config.string(forKey: key, default: "false").lowercased()
            guard let value = ["true": true, "false": false, "1": true, "0": false][text] else {
                throw Invalid(description: "\(name) '\(text.prefix(20))' must be true or false")
            }
            return value
        }
        func count(_ key: ConfigKey, _ name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
            let text = config.string(forKey: key, default: String(value))
            guard let n = Int(text), range.contains(n) else {
                throw Invalid(description: "\(name) '\(text.prefix(20))' must be a whole number from \(range.lowerBound) to \(range.upperBound)")
            }
            return n
        }
        let defaults = BatchLimits()
        var settings = Settings(database: database, migrationDatabase: migrationDatabase, host: host, port: port, logLevel: level,
                                dataDirectory: dataDirectory, requireTOTP: try boolean("office.require.totp", "OFFICE_REQUIRE_TOTP"),
                                cookieSecure: try boolean("cookie.secure", "COOKIE_SECURE"))
        settings.batchLimits = BatchLimits(
            maxBytes: try count("batch.max.bytes", "BATCH_MAX_BYTES", default: defaults.maxBytes, range: 1024...(4 << 30)),
            perCaller: try count("batch.concurrency.per.caller", "BATCH_CONCURRENCY_PER_CALLER", default: defaults.perCaller, range: 1...64),
            idleTimeoutSeconds: try count("batch.idle.timeout", "BATCH_IDLE_TIMEOUT", default: defaults.idleTimeoutSeconds, range: 1...3600))
        return settings
    }

    /// The owner's URL, which only makes sense beside a PostgreSQL `DATABASE_URL` on the same kind of server.
    static func migrationDatabase(_ text: String?, database: DatabaseURL) throws -> DatabaseURL? {
        guard let text, !text.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
        let url: DatabaseURL
        do {
            url = try DatabaseURL(text)
        } catch {
            throw Invalid(description: "MIGRATION_DATABASE_URL: " + error.description.replacingOccurrences(of: "DATABASE_URL ", with: ""))
        }
        guard url.isPostgres, database.isPostgres else {
            throw Invalid(description: "MIGRATION_DATABASE_URL is for PostgreSQL (migrations as the owner, the server as a restricted role); with SQLite leave it unset")
        }
        return url
    }
}
