import Foundation
import Testing
import XinyongStore

/// The databases a store test runs on: a fresh SQLite file always, and a fresh PostgreSQL database when
/// `XINYONG_TEST_POSTGRES_URL` names a server. Under CI (`CI` set) a missing server is a failure, not a skip.
public enum Backend: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite, postgres

    public var testDescription: String { rawValue }

    public static var postgresURL: String? { ProcessInfo.processInfo.environment["XINYONG_TEST_POSTGRES_URL"] }

    /// Runs `body` on a new, migrated database of this kind, then throws it away.
    public func withStore(_ body: (Store) async throws -> Void) async throws {
        switch self {
        case .sqlite:
            let directory = FileManager.default.temporaryDirectory.appendingPathComponent("xinyong-test-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: directory) }
            let store = try await Store.open(.sqlite(path: directory.appendingPathComponent("test.sqlite").path))
            try await run(store, body)
        case .postgres:
            guard let admin = Self.postgresURL else {
                if ProcessInfo.processInfo.environment["CI"] != nil {
                    Issue.record("CI is set but XINYONG_TEST_POSTGRES_URL is not: the PostgreSQL tests cannot run")
                }
                return
            }
            let name = "xinyong_test_\(UUID().uuidString.prefix(8).lowercased())"
            let server = try await Store.open(DatabaseURL(admin))
            try await server.sql.raw("CREATE DATABASE \(unsafeRaw: name)").run()
            var components = URLComponents(string: admin)!
            components.path = "/\(name)"
            do {
                let store = try await Store.open(DatabaseURL(components.string!))
                try await run(store, body)
            } catch {
                try? await server.sql.raw("DROP DATABASE \(unsafeRaw: name)").run()
                await server.close()
                throw error
            }
            try await server.sql.raw("DROP DATABASE \(unsafeRaw: name)").run()
            await server.close()
        }
    }

    private func run(_ store: Store, _ body: (Store) async throws -> Void) async throws {
        do {
            try await store.bootstrap()
            try await body(store)
        } catch {
            await store.close()
            throw error
        }
        await store.close()
    }
}
