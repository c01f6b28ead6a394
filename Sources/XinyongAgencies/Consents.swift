import Foundation
import XinyongModel
import XinyongStore

/// Granting, showing and revoking consents. The platform has no login for subjects: like a commitment
/// signed online, the grantor names the organisation by its unified social credit code and its registered
/// name, and the person who signs. A real deployment verifies an electronic signature (or the legal
/// person's e-licence) instead; see docs/agencies.md.
extension AgencyService {
    public struct Grant: Sendable {
        public var agencyID, subjectCode, subjectName, signer, purpose: String
        public var scopes: [String]
        /// yyyy-MM-dd, the last day the consent is in force.
        public var expiresOn: String

        public init(agencyID: String, subjectCode: String, subjectName: String, signer: String, purpose: String, scopes: [String],
                    expiresOn: String) {
            (self.agencyID, self.subjectCode, self.subjectName, self.signer, self.purpose) = (agencyID, subjectCode, subjectName, signer, purpose)
            (self.scopes, self.expiresOn) = (scopes, expiresOn)
        }
    }

    /// Records a consent and returns it with its follow-up code, which is shown once and kept only as a hash.
    public func grant(_ g: Grant, today: CivilDate = .today()) async throws -> (consent: Consent, followUpCode: String) {
        guard let agency = try await store.repositories.agencies.find(g.agencyID) else {
            throw Refusal("unknown-agency", field: "agency", "no agency '\(g.agencyID.prefix(40))' is registered", chinese: "请选择被授权机构。")
        }
        let subject = try await grantor(g)
        let signer = g.signer.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (2...50).contains(signer.count) else {
            throw Refusal("invalid-field", field: "signer", "the signer's name is required (2 to 50 characters)", chinese: "请填写签署人姓名（2 至 50 个字）。")
        }
        let purpose = g.purpose.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (2...200).contains(purpose.count) else {
            throw Refusal("invalid-field", field: "purpose", "the purpose is required (2 to 200 characters)", chinese: "请填写授权用途（2 至 200 个字）。")
        }
        let scopes = try grantedScopes(g.scopes, agency: agency)
        let expiresOn = try expiry(g.expiresOn, today: today)
        let code = ReceiptNumber.followUpCode()
        let consent = Consent(id: Consent.newNumber(on: today), agencyID: agency.id, subjectID: subject.id, scopes: scopes, purpose: purpose,
                              signer: signer, grantedAt: Timestamp.now(), expiresOn: expiresOn, followUpHash: ReceiptNumber.hash(followUpCode: code))
        let actor = Actor("public", reason: "consent \(consent.id) granted by \(signer) for \(subject.id) to \(agency.id)")
        try await store.transaction { try await $0.consents.insert(consent, by: actor) }
        return (consent, code)
    }

    /// The organisation named by its code and registered (or former) name; natural persons cannot consent here.
    func grantor(_ g: Grant) async throws -> Subject {
        guard let code = SocialCreditCode.verify(g.subjectCode.trimmingCharacters(in: .whitespaces).uppercased()).code else {
            throw Refusal("invalid-field", field: "subject_code", "not a unified social credit code", chinese: "统一社会信用代码格式不正确。")
        }
        guard let subject = try await store.repositories.subjects.find(code: code), subject.kind != .naturalPerson else {
            throw Refusal("unknown-subject", field: "subject_code", "no organisation with the code \(code.value) is known to the platform",
                          chinese: "平台中没有统一社会信用代码为 \(code.value) 的法人或非法人组织。")
        }
        let name = g.subjectName.trimmingCharacters(in: .whitespacesAndNewlines)
        guard name == subject.name || subject.formerNames.contains(name) else {
            throw Refusal("name-mismatch", field: "subject_name", "the name does not match the subject registered under \(code.value)",
                          chinese: "单位名称与该统一社会信用代码登记的名称不一致。")
        }
        return subject
    }

    /// What the subject consents to: consented data and/or lending checks, each one the agency is registered for.
    func grantedScopes(_ texts: [String], agency: Agency) throws -> Set<AgencyScope> {
        let scopes = Set(texts.compactMap(AgencyScope.init(rawValue:)))
        guard !scopes.isEmpty, scopes.count == Set(texts).count, scopes.isSubset(of: Consent.grantableScopes) else {
            throw Refusal("invalid-field", field: "scopes", "choose consented and/or lending", chinese: "请选择授权范围：非公开信用信息查询和/或信易贷授信核查。")
        }
        guard scopes.isSubset(of: agency.scopes) else {
            throw Refusal("invalid-field", field: "scopes", "the agency is not registered for \(scopes.subtracting(agency.scopes).map(\.rawValue).sorted().joined(separator: ", "))",
                          chinese: "该机构未获准开展所选业务，不能就此授权。")
        }
        return scopes
    }

    func expiry(_ text: String, today: CivilDate) throws -> CivilDate {
        let latest = today.adding(months: Consent.longestMonths)
        guard let day = CivilDate(text.trimmingCharacters(in: .whitespaces)), day >= today, day <= latest else {
            throw Refusal("invalid-field", field: "expires_on", "a day from today to \(latest) (at most \(Consent.longestMonths) months)",
                          chinese: "授权截止日期应在今天至 \(latest) 之间（最长 \(Consent.longestMonths) 个月）。")
        }
        return day
    }

    public func consent(_ number: String) async throws -> Consent {
        let number = String(number.trimmingCharacters(in: .whitespaces).uppercased().prefix(40))
        guard let consent = try await store.repositories.consents.find(number) else {
            throw Refusal("unknown-consent", field: "consent", "no consent has the number \(number)", chinese: "未找到编号为 \(number) 的授权。")
        }
        return consent
    }

    /// The consent, if `code` is its follow-up code.
    public func consent(_ number: String, followUpCode code: String) async throws -> Consent {
        let consent = try await consent(number)
        guard ReceiptNumber.hash(followUpCode: code.trimmingCharacters(in: .whitespaces)) == consent.followUpHash else {
            throw Refusal("wrong-code", field: "code", "the follow-up code does not match", chinese: "查询码不正确。")
        }
        return consent
    }

    /// Ends a consent at once; from then on every read under it is refused (and logged).
    public func revoke(_ number: String, followUpCode code: String) async throws -> Consent {
        let consent = try await consent(number, followUpCode: code)
        let actor = Actor("public", reason: "consent \(consent.id) revoked by its subject")
        _ = try await store.transaction { try await $0.consents.revoke(consent.id, by: actor) }
        return try await self.consent(consent.id)
    }

    /// What the agency asked about the consent's subject, newest first.
    public func accesses(under consent: Consent) async throws -> [AgencyAccess] {
        try await store.repositories.consents.accesses(subjectID: consent.subjectID, agencyID: consent.agencyID)
    }
}
