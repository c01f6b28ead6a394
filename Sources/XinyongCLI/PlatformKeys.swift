import Crypto
import XinyongStore

/// Loads the platform's keys from DATA_DIR for a command. A key is created only beside a database that
/// holds nothing bound to it: the person key while there is no subject, record or issued report; the
/// report key while no report has been issued; the audit key while no checkpoint has been signed. Otherwise a missing key stops the command with one line
/// asking for it to be restored from the backup, since a new key would orphan what is stored.
enum PlatformKeys {
    static func person(store: Store, settings: Settings) async throws -> SymmetricKey {
        let held = try await store.holdsData()
        return try oneLine { try PersonKeyFile.load(dataDirectory: settings.dataDirectory, createIfMissing: !held.any) }
    }

    static func report(store: Store, settings: Settings) async throws -> Curve25519.Signing.PrivateKey {
        let held = try await store.holdsData()
        return try oneLine { try ReportKeyFile.load(dataDirectory: settings.dataDirectory, createIfMissing: !held.issuedReports) }
    }

    static func audit(store: Store, settings: Settings) async throws -> Curve25519.Signing.PrivateKey {
        let signed = try await store.holdsAuditCheckpoints()
        return try oneLine { try AuditKeyFile.load(dataDirectory: settings.dataDirectory, createIfMissing: !signed) }
    }

    /// A key problem ends the command as a `Failure`: one line on standard error.
    static func oneLine<T>(_ body: () throws -> T) throws -> T {
        do {
            return try body()
        } catch let error as Store.Unavailable {
            throw Failure(error.description)
        }
    }
}
