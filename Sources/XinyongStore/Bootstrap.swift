import Crypto
import Foundation
import XinyongModel

extension Store {
    /// Everything a fresh database needs before it can take records: the schema, the region list and
    /// the shipped catalogue. Idempotent, so `serve` and `migrate` run it on every start.
    public func bootstrap() async throws {
        try await migrate()
        let actor = Actor.system("bootstrap: shipped reference data")
        try await transaction { repos in
            try await repos.regions.seedIfEmpty(.shipped, by: actor)
            try await repos.catalog.installIfMissing(.shipped, by: actor)
            try await repos.measures.installIfMissing(.shipped, by: actor)
        }
    }
}

/// The platform's secret for keyed hashes of personal id numbers, kept as a file in the data directory
/// (created on first use, readable by the owner only). Losing it means the same person can no longer
/// be matched to their earlier records, so it belongs in the backup with the database.
public enum PersonKeyFile {
    public static func load(dataDirectory: String) throws -> SymmetricKey {
        SymmetricKey(data: try SecretFile.loadOrCreate(
            "person-id.key", in: dataDirectory, expected: "32 bytes", isValid: { $0.count == 32 },
            create: { SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) } }))
    }
}

/// A secret kept as a file in the data directory: read if present, else created, owner-readable only.
enum SecretFile {
    static func loadOrCreate(
        _ name: String, in dataDirectory: String, expected: String, isValid: (Data) -> Bool, create: () -> Data
    ) throws -> Data {
        let url = URL(fileURLWithPath: dataDirectory).appendingPathComponent(name)
        if let data = try? Data(contentsOf: url) {
            guard isValid(data) else {
                throw Store.Unavailable(description: "DATA_DIR: \(url.path) must hold \(expected), it holds \(data.count) bytes")
            }
            return data
        }
        let data = create()
        do {
            try FileManager.default.createDirectory(atPath: dataDirectory, withIntermediateDirectories: true)
            try data.write(to: url, options: .withoutOverwriting)
            try FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: url.path)
        } catch {
            throw Store.Unavailable(description: "DATA_DIR: cannot create \(url.path): \(error.localizedDescription)")
        }
        return data
    }
}
