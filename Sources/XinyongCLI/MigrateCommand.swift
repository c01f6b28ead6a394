import ArgumentParser
import XinyongStore

/// `xinyong migrate`: brings the schema up to date and loads the shipped reference data.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate", abstract: "Create or update the database schema and load regions and the catalogue.")

    @OptionGroup var options: CommonOptions

    func run() async throws {
        let settings = try options.settings()
        try await prepareSchema(settings)
        print("database \(settings.migrationDatabase ?? settings.database) is up to date")
    }
}

/// Migrates and loads the reference data: through `MIGRATION_DATABASE_URL` (the owner) when it is set,
/// then grants `DATABASE_URL`'s role what the server needs and no more (``AppRole``); else through
/// `DATABASE_URL` itself. Grants are renewed on every run, since a migration may add tables.
/// `serving` is the store already open on `DATABASE_URL`, used when there is no owner's URL.
func prepareSchema(_ settings: Settings, serving: Store? = nil) async throws {
    let url = settings.migrationDatabase ?? settings.database
    let setting = settings.migrationDatabase == nil ? "DATABASE_URL" : "MIGRATION_DATABASE_URL"
    let owned = settings.migrationDatabase == nil ? serving : nil
    let store: Store
    if let owned { store = owned } else { store = try await openStore(url, setting: setting) }
    do {
        try await store.bootstrap()
        if let owner = settings.migrationDatabase, let role = Store.userName(of: settings.database), role != Store.userName(of: owner) {
            try await store.grantAppRole(role)
        }
    } catch {
        if owned == nil { await store.close() }
        // A role without rights to the schema (the server's restricted one) cannot migrate.
        // PostgreSQL's errors say what happened only when reflected.
        let detail = String(String(reflecting: error).prefix(400))
        let hint = url.isPostgres && settings.migrationDatabase == nil && detail.contains("permission denied")
            ? " (if this role may not change the schema, set MIGRATION_DATABASE_URL to the tables' owner)" : ""
        throw Failure("\(setting): migration of \(url) failed\(hint): \(detail)")
    }
    if owned == nil { await store.close() }
}

/// Opens the configured database, turning a connection failure into a one-line message naming the setting.
func openStore(_ settings: Settings) async throws -> Store {
    try await openStore(settings.database, setting: "DATABASE_URL")
}

func openStore(_ url: DatabaseURL, setting: String) async throws -> Store {
    do {
        return try await Store.open(url, logger: LogSetup.logger("xinyong.store"))
    } catch let error as Store.Unavailable {
        // Store's messages name DATABASE_URL; the owner's URL has a setting of its own.
        throw Failure(setting == "DATABASE_URL" ? error.description : error.description.replacingOccurrences(of: "DATABASE_URL", with: setting))
    }
}
