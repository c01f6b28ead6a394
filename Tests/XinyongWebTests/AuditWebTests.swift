import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import XinyongAudit
import XinyongModel
import XinyongStore
import XinyongTestSupport
@testable import XinyongWeb

/// The audit chain's signed checkpoints, published for outsiders to keep.
@Suite struct AuditWebTests {
    @Test(arguments: Backend.allCases)
    func checkpointsAreServedSignedAndHoldTheChain(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let platform = try await WebBackend.platform(store)
            try await platform.auditTrail.finish()
            let app = buildApplication(platform: platform, host: "127.0.0.1", port: 0)
            try await app.test(.live) { client in
                let published = try await client.execute(uri: "/audit/checkpoints", method: .get) { response in
                    #expect(response.status == .ok)
                    #expect(response.headers[.contentType]?.hasPrefix("application/json") == true)
                    return try JSONDecoder().decode(PublishedCheckpoints.self, from: Data(buffer: response.body))
                }
                let key = try #require(ReportKey.parse(published.public_key))
                #expect(key.rawRepresentation == platform.auditTrail.publicKey.rawRepresentation)
                #expect(published.key_id == ReportKey.id(of: key) && published.algorithm == "Ed25519")
                let checkpoint = try #require(published.checkpoints.last)
                #expect(CheckpointSignature.isValid(checkpoint, key: key))
                #expect(checkpoint.length == (try await store.repositories.auditChain.head())?.position)
                // The copy holds the chain: intact now, and a forged head is caught.
                let report = try await AuditVerifier(store: store).verify(checkpoints: published.checkpoints, key: key)
                #expect(report.intact, "\(report.problems)")
                let forged = AuditChainRepository.Checkpoint(length: checkpoint.length, lastID: checkpoint.last_id, head: AuditHash.genesis,
                                                             at: checkpoint.at, keyID: checkpoint.key_id, signature: checkpoint.signature)
                #expect(!CheckpointSignature.isValid(forged, key: key))
            }
            let spec = try JSONSerialization.jsonObject(with: Data(Platform.resource("openapi.json"))) as? [String: Any]
            #expect((spec?["paths"] as? [String: Any])?["/audit/checkpoints"] != nil, "openapi.json does not describe /audit/checkpoints")
        }
    }
}
