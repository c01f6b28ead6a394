import ArgumentParser
import Foundation
import Logging

/// `xinyong`: the platform's one executable.
public struct XinyongCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "xinyong",
        abstract: "Xinyong (信用): a city's public credit information platform.",
        subcommands: [ServeCommand.self, MigrateCommand.self, DemoCommand.self, CodeCommand.self, ImportCommand.self, DepartmentCommand.self, AgencyCommand.self, KeyCommand.self, UserCommand.self, BenchCommand.self, MonitorCommand.self, VerifyReportCommand.self, AuditCommand.self, DatabaseCommand.self, CheckCommand.self, MatchNamesCommand.self, WebhookCommand.self, EvaluateCommand.self, InspectionsCommand.self])

    public init() {}
}

/// Flags every command that touches the database shares. Each overrides its environment variable.
struct CommonOptions: ParsableArguments {
    @Option(name: .customLong("database-url"), help: "Database: sqlite:PATH or postgres://… (env DATABASE_URL; default sqlite:data/xinyong.sqlite).")
    var databaseURL: String?

    @Option(name: .customLong("migration-database-url"), help: "PostgreSQL only: the tables' owner, for migrations; DATABASE_URL is then the server's restricted role (env MIGRATION_DATABASE_URL).")
    var migrationDatabaseURL: String?

    @Option(name: .customLong("data-dir"), help: "Directory for the platform's keys (env DATA_DIR; default data).")
    var dataDirectory: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (env LOG_LEVEL; default info).")
    var logLevel: String?

    func settings(host: String? = nil, port: Int? = nil, requireTOTP: String? = nil, cookieSecure: String? = nil) throws -> Settings {
        let settings = try Settings.resolve(.init(databaseURL: databaseURL, migrationDatabaseURL: migrationDatabaseURL, host: host, port: port, logLevel: logLevel,
                                                  dataDirectory: dataDirectory, requireTOTP: requireTOTP, cookieSecure: cookieSecure))
        LogSetup.bootstrapOnce(level: settings.logLevel)
        return settings
    }
}

enum LogSetup {
    nonisolated(unsafe) private static var level: Logger.Level = .info

    /// swift-log allows one bootstrap per process.
    static func bootstrapOnce(level: Logger.Level) {
        Self.level = level
        _ = bootstrapped
    }

    private static let bootstrapped: Void = {
        let chosen = level
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = chosen
            return LazyMetadataLogHandler(writer: handler)
        }
    }()

    static func logger(_ label: String) -> Logger { Logger(label: label) }
}

/// Writes lines through `StreamLogHandler`, keeping the logger's metadata aside until a line is written.
/// `StreamLogHandler` formats all its metadata whenever one key is set, and the server sets two on every request
/// (the request id, the caller) while writing a line for few of them.
struct LazyMetadataLogHandler: LogHandler {
    var writer: StreamLogHandler
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider? {
        get { writer.metadataProvider }
        set { writer.metadataProvider = newValue }
    }
    var logLevel: Logger.Level {
        get { writer.logLevel }
        set { writer.logLevel = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var event = event
        event.metadata = metadata.merging(event.metadata ?? [:]) { $1 }
        writer.log(event: event)
    }
}

/// Errors that end a command with one line on standard error and exit status 1.
struct Failure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description.replacingOccurrences(of: "\n", with: " ") }
}
