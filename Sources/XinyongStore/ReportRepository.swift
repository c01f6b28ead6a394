import Crypto
import Foundation
import SQLKit
import XinyongModel

/// The credit reports the platform has issued: kept whole, so that `/verify` can answer for a number.
public struct ReportRepository: Sendable {
    let db: any SQLDatabase

    public struct Issued: Sendable, Equatable {
        public let number: String
        public let subjectID: String
        public let issuedAt: String
        public let cutOff: String
        public let keyID: String
        public let digest: String
        /// The signed report as it was downloaded (JSON).
        public let document: String
    }

    private struct Row: Codable {
        let number, subject_id, issued_at, cut_off, key_id, digest, document: String
    }

    public func insert(_ signed: SignedCreditReport, subjectID: String) async throws {
        let r = signed.report
        try await db.insert(into: "credit_reports").model(Row(
            number: r.number, subject_id: subjectID, issued_at: r.issuedAt, cut_off: r.cutOff,
            key_id: signed.signature.keyFingerprint, digest: r.digest, document: String(decoding: signed.json, as: UTF8.self))).run()
    }

    public func find(number: String) async throws -> Issued? {
        try await db.raw("""
            SELECT number, subject_id, issued_at, cut_off, key_id, digest, document FROM credit_reports
            WHERE number = \(bind: number)
            """).first(decoding: Row.self).map {
            Issued(number: $0.number, subjectID: $0.subject_id, issuedAt: $0.issued_at, cutOff: $0.cut_off,
                   keyID: $0.key_id, digest: $0.digest, document: $0.document)
        }
    }
}

/// The platform's Ed25519 report-signing key, a file in the data directory created on first run
/// (owner-readable only). Its public half is published; losing the file means reports issued earlier
/// can still be checked with the published key, but new ones carry a new key id.
public enum ReportKeyFile {
    public static let fileName = "report-signing.key"

    /// Reads the key; creates it only when it is missing and `createIfMissing` (no report issued yet). A
    /// missing key beside issued reports, or a key file open to group or others, stops with one line.
    public static func load(dataDirectory: String, createIfMissing: Bool) throws -> Curve25519.Signing.PrivateKey {
        let data = try SecretFile.load(
            fileName, in: dataDirectory, expected: "a 32-byte Ed25519 private key",
            isValid: { (try? Curve25519.Signing.PrivateKey(rawRepresentation: $0)) != nil }, createIfMissing: createIfMissing,
            orphans: "every issued credit report (none could be verified against the new key)",
            create: { Curve25519.Signing.PrivateKey().rawRepresentation })
        return try Curve25519.Signing.PrivateKey(rawRepresentation: data)
    }
}
