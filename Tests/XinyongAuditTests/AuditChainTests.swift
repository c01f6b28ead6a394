import Crypto
import Foundation
import SQLKit
import Testing
import XinyongAudit
import XinyongModel
import XinyongStore
import XinyongTestSupport

/// The audit trail's hash chain on both databases: sealing, signed checkpoints, and the verifier naming
/// each kind of tampering by row id.
@Suite struct AuditChainTests {
    let actor = Actor("test", reason: "audit chain test")
    let key = Curve25519.Signing.PrivateKey()

    /// Ten more audit rows, sealed and signed; returns the ids of all rows, oldest first.
    func sealedTrail(_ store: Store) async throws -> (AuditTrail, [Int]) {
        for n in 1...10 {
            try await store.repositories.audit.append(actor, action: "read", entity: "route", entityID: "/office/\(n)",
                                                      detail: ["line": "two\nlines \(n)"])
        }
        let trail = AuditTrail(store: store, key: key)
        try await trail.seal()
        #expect(try await trail.checkpoint() != nil)
        let ids = try await store.repositories.auditChain.entries(after: 0, limit: 10_000).map(\.id)
        return (trail, ids)
    }

    func verify(_ store: Store, checkpoints: [AuditChainRepository.Checkpoint]? = nil) async throws -> AuditVerifier.Report {
        var held = checkpoints ?? []
        if checkpoints == nil { held = try await store.repositories.auditChain.checkpoints() }
        return try await AuditVerifier(store: store).verify(checkpoints: held, key: key.publicKey)
    }

    /// Runs `statement` the way someone who gets past the append-only triggers would: on PostgreSQL as a
    /// superuser with triggers off for the transaction, on SQLite by dropping them.
    func tamper(_ store: Store, _ statements: String...) async throws {
        if store.url.isPostgres {
            try await store.transaction { repos in
                try await repos.db.raw("SET LOCAL session_replication_role = replica").run()
                for statement in statements { try await repos.db.raw(SQLQueryString(statement)).run() }
            }
        } else {
            for trigger in ["audit_log_no_update", "audit_log_no_delete", "audit_chain_no_update", "audit_chain_no_delete"] {
                try await store.sql.raw("DROP TRIGGER IF EXISTS \(unsafeRaw: trigger)").run()
            }
            for statement in statements { try await store.sql.raw(SQLQueryString(statement)).run() }
        }
    }

    @Test(arguments: Backend.allCases)
    func sealedTrailVerifiesAndNewRowsWaitToBeSealed(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let (trail, ids) = try await sealedTrail(store)
            try await store.repositories.audit.append(actor, action: "read", entity: "route")
            let report = try await verify(store)
            #expect(report.intact, "\(report.problems)")
            #expect(report.length == ids.count && report.lastID == ids.last && report.unsealed == 1)
            #expect(report.checkpointsChecked == 1)
            // Nothing new: no second checkpoint. One more row sealed: a second one.
            try await trail.finish()
            #expect(try await trail.checkpoint() == nil)
            let checkpoints = try await store.repositories.auditChain.checkpoints()
            #expect(checkpoints.map(\.length) == [ids.count, ids.count + 1])
            #expect(checkpoints.allSatisfy { CheckpointSignature.isValid($0, key: key.publicKey) })
            #expect(try await verify(store).intact)
        }
    }

    @Test(arguments: Backend.allCases)
    func alteredRowIsNamed(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let (_, ids) = try await sealedTrail(store)
            try await tamper(store, "UPDATE audit_log SET reason = 'nothing happened' WHERE id = \(ids[4])")
            let report = try await verify(store)
            #expect(report.problems == ["row \(ids[4]) was altered: its content no longer has the hash it was sealed with"])
        }
    }

    @Test(arguments: Backend.allCases)
    func alterationAfterDroppingTheTriggerIsNamed(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let (_, ids) = try await sealedTrail(store)
            let drop = store.url.isPostgres ? "DROP TRIGGER audit_log_no_change ON audit_log" : "DROP TRIGGER audit_log_no_update"
            try await store.sql.raw(SQLQueryString(drop)).run()
            try await store.sql.raw("UPDATE audit_log SET actor = 'someone else' WHERE id = \(unsafeRaw: String(ids[2]))").run()
            #expect(try await verify(store).problems.first?.hasPrefix("row \(ids[2]) was altered") == true)
        }
    }

    @Test(arguments: Backend.allCases)
    func removedRowIsNamed(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let (_, ids) = try await sealedTrail(store)
            try await tamper(store, "DELETE FROM audit_log WHERE id = \(ids[6])")
            #expect(try await verify(store).problems == ["row \(ids[6]) was removed: the chain links it at position 7"])
            // Its link removed as well: the next row's link no longer follows the one before.
            try await tamper(store, "DELETE FROM audit_chain WHERE id = \(ids[6])")
            #expect(try await verify(store).problems.first?.hasPrefix("a row between id \(ids[5]) and id \(ids[7]) was removed") == true)
        }
    }

    @Test(arguments: Backend.allCases)
    func insertedRowIsNamed(_ backend: Backend) async throws {
        try await backend.withStore { store in
            _ = try await sealedTrail(store)
            let overriding = store.url.isPostgres ? "OVERRIDING SYSTEM VALUE" : ""
            try await store.sql.raw("""
                INSERT INTO audit_log (id, at, actor, action, entity, reason) \(unsafeRaw: overriding)
                VALUES (0, '2020-01-01T00:00:00.000Z', 'user:ghost', 'read', 'route', 'backdated')
                """).run()
            // The sealer never links a row below the chain's head, so it stays out and is named.
            try await AuditTrail(store: store, key: key).seal()
            #expect(try await verify(store).problems.first?.hasPrefix("row 0 was inserted") == true)
        }
    }

    @Test(arguments: Backend.allCases)
    func truncatedTailIsNamedAgainstACheckpoint(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let (_, ids) = try await sealedTrail(store)
            let cut = ids[ids.count - 3]
            try await tamper(store, "DELETE FROM audit_log WHERE id >= \(cut)", "DELETE FROM audit_chain WHERE id >= \(cut)")
            let checkpoints = try await store.repositories.auditChain.checkpoints()
            // Without a checkpoint a cut tail leaves a consistent chain: that is what checkpoints are for.
            #expect(try await verify(store, checkpoints: []).intact)
            let problems = try await verify(store, checkpoints: checkpoints).problems
            #expect(problems.count == 1)
            #expect(problems.first?.hasPrefix("truncated: the chain has \(ids.count - 3) rows (up to id \(ids[ids.count - 4]))") == true)
            #expect(problems.first?.hasSuffix("rows after id \(ids[ids.count - 4]) were removed") == true)
        }
    }

    @Test(arguments: Backend.allCases)
    func rewrittenChainDiffersFromTheCheckpointAndForgedOnesFail(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let (trail, ids) = try await sealedTrail(store)
            // The owner alters a row and re-seals from there: a consistent chain, but not the signed one.
            try await tamper(store, "UPDATE audit_log SET reason = 'rewritten' WHERE id = \(ids[3])", "DELETE FROM audit_chain WHERE id >= \(ids[3])")
            try await trail.seal()
            let problems = try await verify(store).problems
            #expect(problems.count == 1)
            #expect(problems.first?.contains("differs from the checkpoint") == true)
            // A checkpoint signed by another key is refused, not believed.
            let forged = try CheckpointSignature.sign(length: 1, lastID: ids[0], head: "0", at: Timestamp.now(), with: .init())
            #expect(try await verify(store, checkpoints: [forged]).problems.first?.contains("is not signed by key") == true)
        }
    }

    /// An audited transaction still open holds back the sealer (PostgreSQL, where ids commit out of order):
    /// the later row that committed first is not linked before the earlier one.
    @Test func sealerWaitsForOpenTransactionsOnPostgres() async throws {
        try await Backend.postgres.withStore { store in
            let (trail, _) = try await sealedTrail(store)
            let (inserted, insertedSignal) = AsyncStream.makeStream(of: Void.self)
            let (release, releaseSignal) = AsyncStream.makeStream(of: Void.self)
            let open = Task {
                try await store.transaction { repos in
                    try await repos.audit.append(actor, action: "create", entity: "slow", entityID: "earlier id")
                    insertedSignal.yield()
                    for await _ in release { break }
                }
            }
            for await _ in inserted { break }
            try await store.repositories.audit.append(actor, action: "read", entity: "route", entityID: "later id")
            #expect(try await trail.seal() == 0)
            releaseSignal.yield()
            try await open.value
            #expect(try await trail.seal() == 2)
            let report = try await verify(store)
            #expect(report.intact && report.unsealed == 0, "\(report.problems)")
        }
    }

    /// The server's own role may read and add to the audit trail, seal and sign it, and do its other work,
    /// but cannot change, delete or truncate the trail.
    @Test func restrictedRoleCannotRewriteTheTrailButServes() async throws {
        try await Backend.postgres.withStore { owner in
            guard case .postgres(let text) = owner.url else { return }
            let role = "xinyong_app_\(UUID().uuidString.prefix(6).lowercased())"
            try await owner.sql.raw("CREATE ROLE \(unsafeRaw: role) LOGIN").run()
            try await owner.grantAppRole(role)
            var components = URLComponents(string: text)!
            components.user = role
            let app = try await Store.open(DatabaseURL(components.string!))
            do {
                try await app.ping()
                let department = Department(id: "431000-market_regulation", name: "郴州市市场监督管理局", category: "market_regulation",
                                            regionCode: "431000", level: .city)
                try await app.transaction { try await $0.departments.insert([department], by: actor) }
                try await app.sql.raw("UPDATE departments SET name = '郴州市市场监管局' WHERE id = \(bind: department.id)").run()
                let trail = AuditTrail(store: app, key: key)
                try await trail.seal()
                #expect(try await trail.checkpoint() != nil)
                #expect(try await AuditVerifier(store: app).verify(checkpoints: try await app.repositories.auditChain.checkpoints(),
                                                                   key: key.publicKey).intact)
                for statement in ["UPDATE audit_log SET actor = 'x'", "DELETE FROM audit_log", "TRUNCATE audit_log",
                                  "UPDATE audit_chain SET hash = 'x'", "DELETE FROM audit_checkpoints", "TRUNCATE audit_chain",
                                  "DROP TRIGGER audit_log_no_change ON audit_log", "ALTER TABLE audit_log DISABLE TRIGGER ALL"] {
                    await #expect(throws: (any Error).self, "\(statement)") { try await app.sql.raw(SQLQueryString(statement)).run() }
                    let denied = await Self.error { try await app.sql.raw(SQLQueryString(statement)).run() }
                    #expect(denied.contains("permission denied") || denied.contains("must be owner"), "\(statement): \(denied)")
                }
            } catch {
                await app.close()
                throw error
            }
            await app.close()
            try await owner.sql.raw("DROP OWNED BY \(unsafeRaw: role)").run()
            try await owner.sql.raw("DROP ROLE \(unsafeRaw: role)").run()
        }
    }

    static func error(_ body: () async throws -> Void) async -> String {
        do {
            try await body()
            return "no error"
        } catch {
            return String(reflecting: error)
        }
    }
}
