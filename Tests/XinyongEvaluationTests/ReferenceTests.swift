import Crypto
import Foundation
import Testing
import XinyongDemo
import XinyongModel
import XinyongStore

/// The engine against the independent Python reference (scripts/evaluation_reference.py): a demo city is
/// generated and evaluated, and the reference scores 1,000 random subjects with scored records again from
/// the database and the stored model, and must agree on every score, grade, contribution, veto and reason.
@Suite struct ReferenceTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func theReferenceAgreesOnAThousandRandomSubjects() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("xinyong-eval-\(UUID().uuidString).sqlite").path
        let store = try await Store.open(.sqlite(path: path))
        try await store.bootstrap()
        let options = DemoGenerator.Options(subjects: 6_000, seed: 12, asOf: CivilDate("2026-06-30")!, recordScale: 2)
        let summary = try await DemoGenerator(options: options, personKey: SymmetricKey(size: .bits256)).run(into: store)
        await store.close()
        #expect(summary.grades.values.reduce(0, +) == 6_000)
        #expect(Set(summary.grades.keys) == Set(Grade.allCases), "the demo should hold every grade: \(summary.grades)")

        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", Self.root.appendingPathComponent("scripts/evaluation_reference.py").path, path, "--sample", "1000"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "\(text.suffix(3000))")
        #expect(text.contains("1000 of 1000 sampled subjects agree"), "\(text.suffix(3000))")
        for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
    }
}
