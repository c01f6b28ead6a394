import Foundation
import Testing
import XinyongModel
import XinyongStore
import XinyongTestSupport

/// `Store.withIndexesDeferred`: the demo's bulk load drops secondary indexes and foreign keys on PostgreSQL and
/// must leave the schema exactly as the migrations made it, whether the load succeeds or fails.
@Suite struct DeferredIndexTests {
    struct Line: Decodable { let line: String }
    struct Failed: Error {}

    static let tables = ["subjects", "credit_records", "subject_search"]

    /// Every index and constraint of the schema, as the database prints it.
    static func schema(_ store: Store) async throws -> [String] {
        guard store.url.isPostgres else {
            return try await store.sql.raw("SELECT sql AS line FROM sqlite_master WHERE sql IS NOT NULL ORDER BY 1")
                .all(decoding: Line.self).map(\.line)
        }
        return try await store.sql.raw("""
            SELECT tablename || ' ' || indexdef AS line FROM pg_indexes WHERE schemaname = current_schema()
            UNION ALL SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid)
            FROM pg_constraint WHERE connamespace = current_schema()::regnamespace ORDER BY 1
            """).all(decoding: Line.self).map(\.line)
    }

    @Test(arguments: Backend.allCases)
    func aLoadLeavesTheSchemaAsItWas(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let before = try await Self.schema(store)
            let during = try await store.withIndexesDeferred(on: Self.tables) {
                let subject = Subject.organisation(code: SocialCreditCode.completing("91431002MA4L0001")!, name: "郴州市测试有限公司",
                                                   regionCode: "431002")
                try await store.transaction { try await $0.subjects.insert([subject], by: Actor("test", reason: "deferred indexes")) }
                return try await Self.schema(store)
            }
            if store.url.isPostgres {
                #expect(!during.contains { $0.contains("credit_records_natural_key") }, "secondary indexes are dropped during the load")
                #expect(!during.contains { $0.contains("credit_records_subject_id_fkey") }, "foreign keys are dropped during the load")
                #expect(during.contains { $0.contains("credit_records_pkey") }, "primary keys stay")
            }
            #expect(try await Self.schema(store) == before)
            #expect(try await store.repositories.subjects.count() == 1)
        }
    }

    @Test(arguments: Backend.allCases)
    func aFailedLoadRestoresTheSchemaAndSaysWhy(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let before = try await Self.schema(store)
            await #expect(throws: Failed.self) {
                try await store.withIndexesDeferred(on: Self.tables) { throw Failed() }
            }
            #expect(try await Self.schema(store) == before)
        }
    }
}
