import Crypto
import Foundation
import XinyongModel
import XinyongStore

/// What an audit row's hash is made of. The canonical serialisation (version 1) is UTF-8 text: the line
/// `xinyong-audit-v1`, then one line per field in this order: id, at, actor, action, entity, entity_id,
/// reason, detail, department_id, subject_id. A line is `name=~` for NULL, else `name=LENGTH:VALUE` with
/// LENGTH the value's byte count in UTF-8 (so a value may hold any character, newlines included, and no two
/// rows serialise alike); id is written in decimal. Every line ends with `\n`.
///
/// `content_hash` = SHA-256 of that text; `hash` = SHA-256 of the ASCII text `prev_hash` followed by
/// `content_hash` (both 64 lower-case hex digits); the first row's `prev_hash` is 64 zeros.
public enum AuditHash {
    public static let genesis = String(repeating: "0", count: 64)

    public static func canonical(_ e: AuditLog.Entry) -> String {
        let fields: [(String, String?)] = [
            ("id", String(e.id)), ("at", e.at), ("actor", e.actor), ("action", e.action), ("entity", e.entity),
            ("entity_id", e.entity_id), ("reason", e.reason), ("detail", e.detail), ("department_id", e.department_id),
            ("subject_id", e.subject_id),
        ]
        return "xinyong-audit-v1\n" + fields.map { name, value in
            value.map { "\(name)=\($0.utf8.count):\($0)\n" } ?? "\(name)=~\n"
        }.joined()
    }

    public static func content(_ e: AuditLog.Entry) -> String { sha256(canonical(e)) }

    public static func link(prev: String, content: String) -> String { sha256(prev + content) }

    /// The links that append `entries` (ascending ids) to the chain ending at `head`.
    public static func links(_ entries: [AuditLog.Entry], after head: AuditChainRepository.Link?, sealedAt: String) -> [AuditChainRepository.Link] {
        var prev = head?.hash ?? genesis
        var position = head?.position ?? 0
        var links: [AuditChainRepository.Link] = []
        for e in entries {
            let content = content(e)
            let hash = link(prev: prev, content: content)
            position += 1
            links.append(.init(id: e.id, position: position, contentHash: content, prevHash: prev, hash: hash, sealedAt: sealedAt))
            prev = hash
        }
        return links
    }

    static func sha256(_ text: String) -> String { SHA256.hash(data: Data(text.utf8)).hexEncoded }
}

/// A checkpoint's signed text (version 1): `xinyong-audit-checkpoint-v1\nlength=N\nlast_id=ID\nhead=HEX\nat=INSTANT\n`,
/// signed with Ed25519; the signature is published in base64.
public enum CheckpointSignature {
    public static func message(length: Int, lastID: Int, head: String, at: String) -> Data {
        Data("xinyong-audit-checkpoint-v1\nlength=\(length)\nlast_id=\(lastID)\nhead=\(head)\nat=\(at)\n".utf8)
    }

    public static func sign(length: Int, lastID: Int, head: String, at: String, with key: Curve25519.Signing.PrivateKey) throws
        -> AuditChainRepository.Checkpoint
    {
        let signature = try key.signature(for: message(length: length, lastID: lastID, head: head, at: at))
        return .init(length: length, lastID: lastID, head: head, at: at, keyID: ReportKey.id(of: key.publicKey),
                     signature: signature.base64EncodedString())
    }

    public static func isValid(_ c: AuditChainRepository.Checkpoint, key: Curve25519.Signing.PublicKey) -> Bool {
        guard let signature = Data(base64Encoded: c.signature) else { return false }
        return key.isValidSignature(signature, for: message(length: c.length, lastID: c.last_id, head: c.head, at: c.at))
    }
}

/// What `GET /audit/checkpoints` answers and what `xinyong audit verify --checkpoints` reads: outsiders keep
/// copies, so that a chain later cut short or rewritten no longer matches what they hold.
public struct PublishedCheckpoints: Codable, Sendable {
    public var format = "xinyong-audit-checkpoints-v1"
    public var algorithm = "Ed25519"
    /// base64 of the raw 32-byte public key.
    public let public_key: String
    public let key_id: String
    /// Oldest first.
    public let checkpoints: [AuditChainRepository.Checkpoint]

    public init(publicKey: Curve25519.Signing.PublicKey, checkpoints: [AuditChainRepository.Checkpoint]) {
        public_key = ReportKey.published(publicKey)
        key_id = ReportKey.id(of: publicKey)
        self.checkpoints = checkpoints
    }
}
