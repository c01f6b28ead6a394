import Crypto
import Foundation
import Testing
import XinyongTestSupport
import XinyongDemo
import XinyongModel
@testable import XinyongStore

@Suite struct StoreTests {
    let actor = Actor("test", reason: "store test")

    @Test(arguments: Backend.allCases)
    func bootstrapLoadsReferenceDataOnceAndIsRepeatable(_ backend: Backend) async throws {
        try await backend.withStore { store in
            try await store.bootstrap()  // a second run changes nothing
            #expect(try await store.repositories.regions.count() == 3427)
            #expect(try await store.repositories.regions.find("431081")?.name == "资兴市")
            let catalog = try #require(try await store.repositories.catalog.current())
            #expect(catalog == Catalog.shipped)
            #expect(try await store.repositories.catalog.version(2) == nil)
            let installs = try await store.repositories.audit.entries(entity: "catalog_versions")
            #expect(installs.count == 1)
        }
    }

    @Test(arguments: Backend.allCases)
    func subjectsRoundTripAndPersonsKeepNoIdNumber(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let code = SocialCreditCode.verify("91350200M000000510").code!
            let org = Subject.organisation(code: code, checkFailed: true, name: "厦门某某有限公司", regionCode: "350200",
                                           registeredOn: CivilDate("2015-06-01"), legalRepresentative: "王五")
            let id = ResidentIdentityNumber("431002198506121230")!
            let person = Subject.person(PersonIdentity(id, key: SymmetricKey(size: .bits256)), name: "张三", regionCode: "431002")
            var legacy = Subject(id: "R431000000012345", kind: .enterprise, name: "郴州老字号商店",
                                 legacyRegistrationNumber: LegacyRegistrationNumber("431000000012345"), regionCode: "431000")
            legacy.formerNames = ["郴州市老字号商店"]
            let subjects = [org, person, legacy]
            try await store.transaction { try await $0.subjects.insert(subjects, by: actor) }

            let repo = store.repositories.subjects
            #expect(try await repo.find(code: code) == org)
            #expect(try await repo.find(id: person.id) == person)
            #expect(try await repo.find(legacy: LegacyRegistrationNumber("431000000012345")!) == legacy)
            #expect(try await repo.count() == 3)
            // The id number appears nowhere in the table, only its hash and masked form.
            let leaks = try await store.sql.raw("SELECT COUNT(*) AS n FROM subjects WHERE \(unsafeRaw: SubjectRepository.columns.filter { $0 != "code_check_failed" }.map { "COALESCE(\($0), '')" }.joined(separator: " || ")) LIKE '%198506121230%'").first(decoding: Count.self)
            #expect(leaks?.n == 0)
        }
    }

    @Test(arguments: Backend.allCases)
    func recordsShowOnlyWhilePublicAndNaturalKeyIsUnique(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let (subject, department) = try await seedSubjectAndDepartment(store)
            let catalog = Catalog.shipped
            let penalty = catalog.recordType("admin_penalty")!
            func record(_ n: Int, tier: Tier, decided: String, status: CreditRecord.Status = .active) throws -> CreditRecord {
                let date = CivilDate(decided)!
                let schedule = try catalog.schedule(for: penalty, tier: tier, decisionDate: date, fields: [:], calendar: .china)
                return CreditRecord(id: "rec-\(n)", subjectID: subject.id, recordType: "admin_penalty", catalogVersion: 1,
                                    departmentID: department.id, regionCode: "431002", documentNumber: "郴市监罚〔2025〕\(n)号",
                                    tier: tier, decisionDate: date, legalBasis: "《中华人民共和国食品安全法》第一百二十四条",
                                    schedule: schedule, status: status, fields: ["content": "罚款"])
            }
            let records = [
                try record(1, tier: .general, decided: "2025-03-10"),  // public until 2026-03-10
                try record(2, tier: .minor, decided: "2025-03-10"),  // never published
                try record(3, tier: .serious, decided: "2025-03-10", status: .repaired),
                try record(4, tier: .general, decided: "2024-01-05"),  // ended 2025-01-05
            ]
            try await store.transaction { try await $0.records.insert(records, by: actor) }
            let repo = store.repositories.records
            #expect(try await repo.find(id: "rec-1") == records[0])
            #expect(try await repo.forSubject(subject.id).count == 4)
            let shown = try await repo.publicForSubject(subject.id, on: CivilDate("2025-12-01")!)
            #expect(shown.map(\.id) == ["rec-1"])
            #expect(try await repo.publicForSubject(subject.id, on: CivilDate("2026-03-10")!).isEmpty)
            #expect(try await repo.countsByType() == ["admin_penalty": 4])

            // Same department, type and document number: refused, and the batch leaves nothing behind.
            var duplicate = try record(1, tier: .general, decided: "2025-03-10")
            duplicate.id = "rec-dup"
            let batch = [try record(9, tier: .general, decided: "2025-04-01"), duplicate]
            await #expect(throws: (any Error).self) {
                try await store.transaction { try await $0.records.insert(batch, by: actor) }
            }
            #expect(try await repo.count() == 4)
            #expect(try await repo.find(id: "rec-9") == nil)
        }
    }

    @Test(arguments: Backend.allCases)
    func auditTrailRecordsWritesAndRefusesChanges(_ backend: Backend) async throws {
        try await backend.withStore { store in
            _ = try await seedSubjectAndDepartment(store)
            let entries = try await store.repositories.audit.entries(entity: "subjects")
            #expect(entries.count == 1)
            #expect(entries[0].actor == "test" && entries[0].reason == "store test" && entries[0].action == "create")
            await #expect(throws: (any Error).self) {
                try await store.sql.raw("UPDATE audit_log SET actor = 'someone else'").run()
            }
            await #expect(throws: (any Error).self) {
                try await store.sql.raw("DELETE FROM audit_log").run()
            }
            #expect(try await store.repositories.audit.entries(entity: "subjects").first?.actor == "test")
        }
    }

    @Test(arguments: Backend.allCases)
    func demoIsDeterministicAndWellFormed(_ backend: Backend) async throws {
        let key = SymmetricKey(data: Array(repeating: UInt8(7), count: 32))
        let options = DemoGenerator.Options(subjects: 2_000, seed: 99, asOf: CivilDate("2026-06-30")!, recordScale: 3)
        var first = Snapshot(subjects: [], records: [])
        try await backend.withStore { store in
            let summary = try await DemoGenerator(options: options, personKey: key).run(into: store)
            #expect(summary.subjects == 2_000)
            #expect(summary.departments == 12 * 12)
            #expect(try await store.repositories.records.count() == summary.records)
            // Every catalogue type occurs, and licences outnumber penalties as they do in real data.
            let counts = try await store.repositories.records.countsByType()
            #expect(Set(counts.keys) == Set(Catalog.shipped.recordTypes.map(\.code)))
            #expect(counts["admin_licence"]! > counts["admin_penalty"]!)
            // Records stay within the three years before the as-of date, and never before the subject existed.
            let bounds = try await store.sql.raw("SELECT MIN(decision_date) AS lo, MAX(decision_date) AS hi FROM credit_records")
                .first(decoding: Bounds.self)
            #expect(bounds!.lo >= "2023-06-30" && bounds!.hi <= "2026-06-30")
            let early = try await store.sql.raw("""
                SELECT COUNT(*) AS n FROM credit_records r JOIN subjects s ON s.id = r.subject_id
                WHERE s.registered_on IS NOT NULL AND r.decision_date < s.registered_on
                """).first(decoding: Count.self)
            #expect(early?.n == 0)
            // Publicity that ended before the demo's day was never news: a first start announces nothing.
            #expect(try await store.repositories.records.expiredUnannounced(on: options.asOf, limit: 1).isEmpty)
            let ended = try await store.sql.raw("SELECT COUNT(*) AS n FROM credit_records WHERE publicity_end <= '2026-06-30'").first(decoding: Count.self)
            #expect((ended?.n ?? 0) > 0, "the demo has records whose publicity ended")
            first = try await Snapshot.take(store)
            // Codes: well-formed; the few with a failing check are flagged.
            let subjects = try await store.sql.raw("SELECT code, code_check_failed FROM subjects WHERE code IS NOT NULL")
                .all(decoding: CodeRow.self)
            var failing = 0
            for row in subjects {
                switch SocialCreditCode.verify(row.code) {
                case .valid: #expect(!row.code_check_failed)
                case .checkFailed: failing += 1; #expect(row.code_check_failed)
                case .invalid(let reason): Issue.record("demo made an invalid code \(row.code): \(reason)")
                }
            }
            #expect(failing == summary.checkFailedCodes)
        }
        try await backend.withStore { store in
            _ = try await DemoGenerator(options: options, personKey: key).run(into: store)
            #expect(try await Snapshot.take(store) == first)
            await #expect(throws: DemoGenerator.NotEmpty.self) {
                _ = try await DemoGenerator(options: options, personKey: key).run(into: store)
            }
        }
    }

    private func seedSubjectAndDepartment(_ store: Store) async throws -> (Subject, Department) {
        let department = Department(id: "431000-market_regulation", name: "郴州市市场监督管理局", category: "market_regulation",
                                    regionCode: "431000", level: .city)
        let subject = Subject.organisation(code: SocialCreditCode.completing("91431002MA4L0001")!, name: "郴州市测试有限公司",
                                           regionCode: "431002")
        try await store.transaction { repos in
            try await repos.departments.insert([department], by: actor)
            try await repos.subjects.insert([subject], by: actor)
        }
        return (subject, department)
    }
}

struct Count: Decodable { let n: Int }

/// Everything the demo wrote, in key order, to compare two runs.
struct Snapshot: Equatable {
    struct SubjectRow: Decodable, Equatable { let id, name, kind, region_code: String; let code, registered_on, person_id_hash: String? }
    struct RecordRow: Decodable, Equatable { let id, subject_id, record_type, department_id, document_no, decision_date, status, fields: String }
    let subjects: [SubjectRow]
    let records: [RecordRow]

    static func take(_ store: Store) async throws -> Snapshot {
        Snapshot(
            subjects: try await store.sql.raw("SELECT id, name, kind, region_code, code, registered_on, person_id_hash FROM subjects ORDER BY id")
                .all(decoding: SubjectRow.self),
            records: try await store.sql.raw("SELECT id, subject_id, record_type, department_id, document_no, decision_date, status, fields FROM credit_records ORDER BY id")
                .all(decoding: RecordRow.self))
    }
}
struct Bounds: Decodable { let lo: String; let hi: String }
struct CodeRow: Decodable { let code: String; let code_check_failed: Bool }

@Suite struct DatabaseURLTests {
    @Test func parsesBothKinds() throws {
        #expect(try DatabaseURL("sqlite:data/x.sqlite") == .sqlite(path: "data/x.sqlite"))
        #expect(try DatabaseURL("sqlite:///tmp/x.sqlite") == .sqlite(path: "/tmp/x.sqlite"))
        #expect(try DatabaseURL("postgres://u:secret@localhost:5432/db").isPostgres)
        #expect(try DatabaseURL("postgres://u:secret@localhost:5432/db").description == "postgres://u:***@localhost:5432/db")
    }

    @Test func badURLsNameTheSetting() {
        for bad in ["mysql://x/y", "sqlite:", "postgres://", "postgres://host-only"] {
            #expect(throws: DatabaseURL.Invalid.self) { try DatabaseURL(bad) }
            #expect((try? DatabaseURL(bad)) == nil)
            do { _ = try DatabaseURL(bad) } catch { #expect(error.description.hasPrefix("DATABASE_URL")) }
        }
    }

    @Test func unreachablePostgresFailsWithTheSettingsName() async {
        do {
            _ = try await Store.open(DatabaseURL("postgres://nobody:x@127.0.0.1:1/nothing"))
            Issue.record("opening an unreachable database succeeded")
        } catch let error as Store.Unavailable {
            #expect(error.description.hasPrefix("DATABASE_URL"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }
}
