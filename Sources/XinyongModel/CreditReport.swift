import Crypto
import Foundation

/// What the public sees of one subject, as a document: the profile page, the JSON API's profile and
/// the signed credit report all render this one structure.
public struct ProfileDocument: Codable, Sendable, Equatable {
    public struct SubjectPart: Codable, Sendable, Equatable {
        public var name: String
        public var identifier: String
        public var codeCheckFailed: Bool
        public var kind: String
        public var region: String
        public var status: String
        public var registeredOn: String?
        public var formerNames: [String]
    }

    public struct Membership: Codable, Sendable, Equatable {
        public var list: String
        public var listName: String
        public var basis: String
        /// Id of the basis record. (Property names avoid acronyms: the JSON keys are snake_case and must
        /// read back to the same names.)
        public var basisRecord: String
        public var documentNumber: String
        public var department: String
        public var legalBasis: String
        public var start: String
        public var end: String
    }

    public struct Field: Codable, Sendable, Equatable {
        public var label: String
        public var value: String
    }

    public struct Record: Codable, Sendable, Equatable {
        public var id: String
        public var type: String
        public var typeName: String
        public var documentNumber: String
        public var decisionDate: String
        public var department: String
        public var legalBasis: String
        public var tier: String?
        public var publicityEnds: String?
        public var repairEligibleFrom: String?
        public var negative: Bool
        public var underObjection: Bool
        public var fields: [Field]
        /// True for a business association's record (absent otherwise, so reports signed before it existed
        /// read the same).
        public var fromAssociation: Bool?
    }

    public struct Section: Codable, Sendable, Equatable {
        public var code: String
        public var title: String
        public var records: [Record]
    }

    public var subject: SubjectPart
    public struct Label: Codable, Sendable, Equatable {
        /// red, black, watch, or the registration status (operating, deregistered, revoked).
        public var code: String
        public var text: String
    }

    /// 守信激励对象, 失信惩戒对象, 重点关注对象 where the subject is on that list today, then the registration status.
    public var labels: [Label]
    public var lists: [Membership]
    public var sections: [Section]

    /// Fields already shown in their own place, or identifying the subject, are left out of a record's details.
    static let shownElsewhere: Set<String> = [
        "subject_name", "subject_kind", "subject_code", "document_no", "decision_date", "legal_basis", "tier",
        "source_department", "source_department_code", "authority_code",
    ]

    /// - Parameters:
    ///   - departments: department names by id.
    ///   - underObjection: ids of the records with an open objection.
    ///   - regionName: the subject's region as words.
    public init(profile: PublicProfile, departments: [String: String], underObjection: Set<String>, regionName: String) {
        let s = profile.subject
        subject = SubjectPart(
            name: s.displayName, identifier: s.displayIdentifier, codeCheckFailed: s.codeCheckFailed, kind: s.kind.label,
            region: regionName, status: s.status.label, registeredOn: s.registeredOn?.description,
            formerNames: s.kind == .naturalPerson ? [] : s.formerNames)
        func department(_ id: String) -> String { departments[id] ?? id }
        let records = profile.sections.flatMap { $0.groups.flatMap { group in group.records.map { (group.type, $0) } } }
        lists = records.compactMap { type, record in
            guard let m = record.listMembership, m.isActive(on: profile.asOf) else { return nil }
            return Membership(
                list: m.list.rawValue, listName: m.list.name, basis: type.name, basisRecord: m.recordID,
                documentNumber: m.documentNumber, department: department(m.departmentID), legalBasis: m.legalBasis,
                start: m.start.description, end: m.end.description)
        }.sorted { ($0.list, $0.start) < ($1.list, $1.start) }
        let onLists = Set(lists.compactMap { CreditList(rawValue: $0.list) })
        labels = [(CreditList.red, "守信激励对象"), (.black, "失信惩戒对象"), (.watch, "重点关注对象")]
            .filter { onLists.contains($0.0) }.map { Label(code: $0.0.rawValue, text: $0.1) }
            + [Label(code: s.status.rawValue, text: s.status.label)]
        sections = profile.sections.map { section in
            Section(code: section.section.rawValue, title: section.section.title, records: section.groups.flatMap { group in
                group.records.map {
                    Record($0, type: group.type, department: department($0.departmentID), underObjection: underObjection.contains($0.id))
                }
            })
        }
    }
}

extension ProfileDocument.Record {
    /// A record already cut to its public view (`PublicProfile.publicView`), as the public reads it.
    public init(_ r: CreditRecord, type: RecordType, department: String, underObjection: Bool) {
        self.init(
            id: r.id, type: type.code, typeName: type.name, documentNumber: r.documentNumber,
            decisionDate: r.decisionDate.description, department: department, legalBasis: r.legalBasis,
            tier: r.tier?.label, publicityEnds: r.schedule.end?.description,
            repairEligibleFrom: type.polarity == .negative ? r.schedule.repairEligibleFrom?.description : nil,
            negative: type.polarity == .negative, underObjection: underObjection,
            fields: type.fields.compactMap { spec in
                guard !ProfileDocument.shownElsewhere.contains(spec.code), let value = r.fields[spec.code], !value.isEmpty
                else { return nil }
                return ProfileDocument.Field(label: spec.label, value: value)
            },
            fromAssociation: type.isFromAssociation ? true : nil)
    }
}

/// A credit report (信用报告): a profile document with a number, the moment it was issued and the data
/// cut-off, signed by the platform so that a bank or procurement office can check it is genuine.
public struct CreditReport: Codable, Sendable, Equatable {
    public var number: String
    public var issuer: String
    /// ISO 8601 UTC instant.
    public var issuedAt: String
    /// The day whose publicity rules the report applies (Asia/Shanghai).
    public var cutOff: String
    public var profile: ProfileDocument
    public var notice: String

    public init(number: String, issuer: String, issuedAt: String, cutOff: String, profile: ProfileDocument, notice: String) {
        self.number = number
        self.issuer = issuer
        self.issuedAt = issuedAt
        self.cutOff = cutOff
        self.profile = profile
        self.notice = notice
    }

    /// The bytes that are signed: sorted keys, snake_case, no insignificant whitespace. Decoding a
    /// report and encoding it again gives the same bytes, so any verifier can rebuild them.
    public var canonicalJSON: Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return try! encoder.encode(self)
    }

    public var digest: String { SHA256.hash(data: canonicalJSON).hexEncoded }

    /// A new report number: issue date and 50 random bits in Crockford base-32, e.g. XY20261121-7K3M9Q2PXA.
    public static func newNumber(on date: CivilDate) -> String { ReceiptNumber.make("XY", on: date) }
}

/// A report with its Ed25519 signature over `CreditReport.canonicalJSON`: the JSON form people download.
public struct SignedCreditReport: Codable, Sendable, Equatable {
    public struct Signature: Codable, Sendable, Equatable {
        public var algorithm: String
        /// `ReportKey.id` of the signing key.
        public var keyFingerprint: String
        /// Base64 of the 64-byte signature.
        public var value: String
    }

    public var report: CreditReport
    public var signature: Signature

    public init(report: CreditReport, signature: Signature) {
        self.report = report
        self.signature = signature
    }

    public init(signing report: CreditReport, with key: Curve25519.Signing.PrivateKey) throws {
        let signature = try key.signature(for: report.canonicalJSON)
        self.init(report: report, signature: Signature(
            algorithm: "Ed25519", keyFingerprint: ReportKey.id(of: key.publicKey), value: signature.base64EncodedString()))
    }

    /// Reads the JSON form (`json`).
    public static func decode(_ data: Data) throws -> SignedCreditReport {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(SignedCreditReport.self, from: data)
    }

    public var json: Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
        encoder.keyEncodingStrategy = .convertToSnakeCase
        return try! encoder.encode(self)
    }

    /// What checking a downloaded report found.
    public enum Verdict: Sendable, Equatable {
        /// The signature is the platform's and the content is exactly what was signed.
        case genuine(CreditReport)
        /// Well-formed, but the content is not what was signed (or signed by another key).
        case altered(String)
        /// Not a report document at all.
        case malformed(String)
    }

    /// Checks a downloaded report against the platform's public key.
    public static func verify(_ data: Data, publicKey: Curve25519.Signing.PublicKey) -> Verdict {
        let signed: SignedCreditReport
        do {
            signed = try decode(data)
        } catch {
            return .malformed("not a credit report JSON document: \(describe(error))")
        }
        guard signed.signature.algorithm == "Ed25519" else {
            return .malformed("signature algorithm \(signed.signature.algorithm) is not Ed25519")
        }
        guard signed.signature.keyFingerprint == ReportKey.id(of: publicKey) else {
            return .altered("signed with key \(signed.signature.keyFingerprint), not the platform's key \(ReportKey.id(of: publicKey))")
        }
        guard let signature = Data(base64Encoded: signed.signature.value) else {
            return .malformed("the signature value is not base64")
        }
        guard publicKey.isValidSignature(signature, for: signed.report.canonicalJSON) else {
            return .altered("the signature does not match the content: the report was changed after it was issued")
        }
        // Typed decoding ignores keys it does not know; content added to a signed report is an alteration too.
        func normalized(_ object: Any) -> Data? {
            try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes])
        }
        guard let uploaded = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any],
            let uploadedReport = uploaded["report"].flatMap(normalized),
            let canonical = (try? JSONSerialization.jsonObject(with: signed.report.canonicalJSON)).flatMap(normalized),
            uploadedReport == canonical
        else {
            return .altered("the report contains content that was not signed")
        }
        return .genuine(signed.report)
    }

    private static func describe(_ error: any Error) -> String {
        switch error {
        case DecodingError.keyNotFound(let key, let context):
            return "missing \((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))"
        case DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context):
            return "wrong type at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        case DecodingError.dataCorrupted(let context):
            return context.codingPath.isEmpty ? "invalid JSON" : "invalid value at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        default:
            return "\(error)"
        }
    }
}

/// The platform's report-signing key as it is published: raw 32-byte Ed25519 public key in base64.
public enum ReportKey {
    /// First 16 hex digits of the SHA-256 of the raw public key.
    public static func id(of key: Curve25519.Signing.PublicKey) -> String {
        String(SHA256.hash(data: key.rawRepresentation).hexEncoded.prefix(16))
    }

    public static func published(_ key: Curve25519.Signing.PublicKey) -> String { key.rawRepresentation.base64EncodedString() }

    /// Reads a published key; nil unless it is base64 of 32 bytes.
    public static func parse(_ text: String) -> Curve25519.Signing.PublicKey? {
        guard let data = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)), data.count == 32 else { return nil }
        return try? Curve25519.Signing.PublicKey(rawRepresentation: data)
    }
}
