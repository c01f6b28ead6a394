import Foundation

/// A subject's consent (授权) to one agency: which of its non-public data the agency may read and for
/// what, until when. In force from the grant through `expiresOn` (a calendar day in Asia/Shanghai) unless
/// revoked first. The number is printed; the follow-up code that shows and revokes it is kept as its hash.
public struct Consent: Sendable, Equatable {
    public enum State: String, Sendable {
        case inForce = "in_force", expired, revoked

        public var label: String {
            switch self {
            case .inForce: "有效"
            case .expired: "已到期"
            case .revoked: "已撤回"
            }
        }
    }

    /// What a subject can consent to: never `public_data`, which needs nobody's consent.
    public static let grantableScopes: [AgencyScope] = [.consented, .lending]
    /// The longest a consent may run: a lender's or an agency's need is renewed, not assumed.
    public static let longestMonths = 12

    public var id: String
    public var agencyID: String
    public var subjectID: String
    public var scopes: Set<AgencyScope>
    public var purpose: String
    public var signer: String
    public var grantedAt: String
    public var expiresOn: CivilDate
    public var revokedAt: String?
    public var followUpHash: String

    public init(id: String, agencyID: String, subjectID: String, scopes: Set<AgencyScope>, purpose: String, signer: String,
                grantedAt: String, expiresOn: CivilDate, revokedAt: String? = nil, followUpHash: String) {
        (self.id, self.agencyID, self.subjectID, self.scopes, self.purpose, self.signer) = (id, agencyID, subjectID, scopes, purpose, signer)
        (self.grantedAt, self.expiresOn, self.revokedAt, self.followUpHash) = (grantedAt, expiresOn, revokedAt, followUpHash)
    }

    public static func newNumber(on date: CivilDate) -> String { ReceiptNumber.make("SQ", on: date) }

    public func state(on date: CivilDate) -> State {
        if revokedAt != nil { return .revoked }
        return date <= expiresOn ? .inForce : .expired
    }
}

/// One agency request as the subject sees it: who asked for what, under which consent, and what came back.
public struct AgencyAccess: Sendable, Equatable {
    public enum Outcome: String, Sendable, Codable {
        case granted, refused
    }

    public var agencyID: String
    public var keyID: String
    /// Empty for the bulk export, which concerns no one subject.
    public var subjectID: String
    public var consentID: String?
    public var route: String
    public var outcome: Outcome
    /// The refusal's problem code, or what was handed over beyond records (a report number).
    public var detail: String
    public var records: Int
    public var at: String

    public init(agencyID: String, keyID: String, subjectID: String, consentID: String?, route: String, outcome: Outcome,
                detail: String, records: Int, at: String) {
        (self.agencyID, self.keyID, self.subjectID, self.consentID, self.route) = (agencyID, keyID, subjectID, consentID, route)
        (self.outcome, self.detail, self.records, self.at) = (outcome, detail, records, at)
    }
}

extension AgencyScope {
    /// In Chinese, for the consent form and page.
    public var label: String {
        switch self {
        case .publicData: "批量获取公开信用信息"
        case .consented: "查询非公开信用信息"
        case .lending: "信易贷授信核查"
        }
    }
}
