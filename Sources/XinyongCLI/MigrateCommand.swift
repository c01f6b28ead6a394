import ArgumentParser
import XinyongStore

/// `xinyong migrate`: brings the schema up to date and loads the shipped reference data.
struct MigrateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migrate", abstract: "Create or update the database schema and load regions and the catalogue.")

    @OptionGroup var options: CommonOptions

    func run() async throws {
        let settings = try options.settings()
        let store = try await openStore(settings)
        do {
            try await store.bootstrap()
        } catch {
            await store.close()
            throw Failure("DATABASE_URL: migration of \(settings.database) failed: \(error)")
        }
        print("database \(settings.database) is up to date")
        await store.close()
    }
}

/// Opens the configured database, turning a connection failure into a one-line message naming the setting.
func openStore(_ settings: Settings) async throws -> Store {
    do {
        return try await Store.open(settings.database, logger: LogSetup.logger("xinyong.store"))
    } catch let error as Store.Unavailable {
        throw Failure(error.description)
    }
}
