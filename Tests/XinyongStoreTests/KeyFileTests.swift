import Crypto
import Foundation
import Testing
import XinyongModel
import XinyongTestSupport
@testable import XinyongStore

#if canImport(Glibc)
import Glibc
#endif

/// The platform's key files: created owner-only, refused when others may read them, never silently remade.
@Suite struct KeyFileTests {
    static func directory() -> URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("xinyong-keys-\(UUID().uuidString)")
    }

    static func mode(_ path: String) throws -> UInt32 {
        var info = stat()
        try #require(stat(path, &info) == 0)
        return UInt32(info.st_mode) & 0o777
    }

    static func refusal(_ body: () throws -> Void) -> String {
        do {
            try body()
            return ""
        } catch {
            return "\(error)"
        }
    }

    @Test func keysAreCreatedOwnerOnlyAndReadBack() throws {
        let dir = Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let person = try PersonKeyFile.load(dataDirectory: dir.path, createIfMissing: true)
        let report = try ReportKeyFile.load(dataDirectory: dir.path, createIfMissing: true)
        #expect(try Self.mode(dir.appendingPathComponent("person-id.key").path) == 0o600)
        #expect(try Self.mode(dir.appendingPathComponent("report-signing.key").path) == 0o600)
        // Present keys are read, not remade, whatever createIfMissing says.
        #expect(try PersonKeyFile.load(dataDirectory: dir.path, createIfMissing: false) == person)
        #expect(try ReportKeyFile.load(dataDirectory: dir.path, createIfMissing: false).rawRepresentation == report.rawRepresentation)
    }

    @Test(arguments: [0o644, 0o640, 0o604, 0o620, 0o602])
    func aKeyOthersMayReadOrWriteIsRefused(_ mode: Int) throws {
        let dir = Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        _ = try PersonKeyFile.load(dataDirectory: dir.path, createIfMissing: true)
        let path = dir.appendingPathComponent("person-id.key").path
        try #require(chmod(path, mode_t(mode)) == 0)
        let message = Self.refusal { _ = try PersonKeyFile.load(dataDirectory: dir.path, createIfMissing: true) }
        #expect(message.hasPrefix("DATA_DIR: "), "\(message)")
        #expect(message.contains(path) && message.contains("0" + String(mode, radix: 8)) && message.contains("chmod 600 \(path)"), "\(message)")
        #expect(!message.contains("\n"))
        try #require(chmod(path, 0o400) == 0)
        _ = try PersonKeyFile.load(dataDirectory: dir.path, createIfMissing: false)  // owner read-only is fine
    }

    @Test func aMissingKeyIsNotRemadeWhenCreationIsNotAllowed() throws {
        let dir = Self.directory()
        defer { try? FileManager.default.removeItem(at: dir) }
        for load in [{ _ = try PersonKeyFile.load(dataDirectory: dir.path, createIfMissing: false) },
                     { _ = try ReportKeyFile.load(dataDirectory: dir.path, createIfMissing: false) }] as [() throws -> Void] {
            let message = Self.refusal(load)
            #expect(message.hasPrefix("DATA_DIR: ") && message.contains("missing") && message.contains("backup"), "\(message)")
            #expect(!message.contains("\n"))
        }
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("person-id.key").path))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("report-signing.key").path))
    }

    @Test(arguments: Backend.allCases)
    func holdsDataSeesSubjectsRecordsAndReports(_ backend: Backend) async throws {
        try await backend.withStore { store in
            #expect(try await store.holdsData() == HeldData(subjectsOrRecords: false, issuedReports: false))
            let code = SocialCreditCode.verify("91350200M000000510").code!
            try await store.transaction { repos in
                try await repos.subjects.insert([Subject.organisation(code: code, name: "厦门某某有限公司")], by: Actor("test", reason: "keys"))
            }
            let held = try await store.holdsData()
            #expect(held == HeldData(subjectsOrRecords: true, issuedReports: false) && held.any)
            try await store.sql.raw("""
                INSERT INTO credit_reports (number, subject_id, issued_at, cut_off, key_id, digest, document)
                VALUES ('R1', \(bind: code.value), '2025-12-01T00:00:00Z', '2025-12-01', 'k', 'd', '{}')
                """).run()
            #expect(try await store.holdsData().issuedReports)
        }
    }
}
