/// The kinds of credit subject (信用主体).
public enum SubjectKind: String, Sendable, Codable, CaseIterable {
    case enterprise
    case individualBusiness = "individual_business"
    case socialOrganisation = "social_organisation"
    case governmentBody = "government_body"
    case publicInstitution = "public_institution"
    case judicialBody = "judicial_body"
    case naturalPerson = "natural_person"
    case other

    public var label: String {
        switch self {
        case .enterprise: "企业"
        case .individualBusiness: "个体工商户"
        case .socialOrganisation: "社会组织"
        case .governmentBody: "机关"
        case .publicInstitution: "事业单位"
        case .judicialBody: "司法机构"
        case .naturalPerson: "自然人"
        case .other: "其他组织"
        }
    }
}

public enum SubjectStatus: String, Sendable, Codable, CaseIterable {
    case operating, deregistered, revoked

    public var label: String {
        switch self {
        case .operating: "存续"
        case .deregistered: "注销"
        case .revoked: "吊销"
        }
    }
}

/// One credit subject. `id` is the key every hot table is keyed (and can be distributed) by: the
/// unified code for organisations, `R` + the legacy number for those that only have one, and
/// ``PersonIdentity/subjectID`` for natural persons.
public struct Subject: Sendable, Codable, Equatable {
    public var id: String
    public var kind: SubjectKind
    public var name: String
    public var formerNames: [String]
    public var code: SocialCreditCode?
    /// Set when the code is well-formed but a check character is wrong (kept, flagged).
    public var codeCheckFailed: Bool
    public var legacyRegistrationNumber: LegacyRegistrationNumber?
    public var person: PersonIdentity?
    public var regionCode: String
    public var status: SubjectStatus
    public var registeredOn: CivilDate?
    public var legalRepresentative: String?

    public init(
        id: String, kind: SubjectKind, name: String, formerNames: [String] = [], code: SocialCreditCode? = nil,
        codeCheckFailed: Bool = false, legacyRegistrationNumber: LegacyRegistrationNumber? = nil,
        person: PersonIdentity? = nil, regionCode: String, status: SubjectStatus = .operating,
        registeredOn: CivilDate? = nil, legalRepresentative: String? = nil
    ) {
        self.id = id
        self.kind = kind
        self.name = name
        self.formerNames = formerNames
        self.code = code
        self.codeCheckFailed = codeCheckFailed
        self.legacyRegistrationNumber = legacyRegistrationNumber
        self.person = person
        self.regionCode = regionCode
        self.status = status
        self.registeredOn = registeredOn
        self.legalRepresentative = legalRepresentative
    }

    /// An organisation known by its unified code.
    public static func organisation(
        code: SocialCreditCode, checkFailed: Bool = false, kind: SubjectKind? = nil, name: String,
        regionCode: String? = nil, registeredOn: CivilDate? = nil, legalRepresentative: String? = nil
    ) -> Subject {
        Subject(id: code.value, kind: kind ?? code.impliedKind, name: name, code: code, codeCheckFailed: checkFailed,
                regionCode: regionCode ?? code.regionCode, registeredOn: registeredOn, legalRepresentative: legalRepresentative)
    }

    /// A natural person, held by keyed hash and masked id only.
    public static func person(_ identity: PersonIdentity, name: String, regionCode: String) -> Subject {
        Subject(id: identity.subjectID, kind: .naturalPerson, name: name, person: identity, regionCode: regionCode)
    }

    /// The name as the public may see it: a natural person's is masked.
    public var displayName: String { kind == .naturalPerson ? maskedPersonName(name) : name }

    /// The identifier as the public may see it.
    public var displayIdentifier: String {
        code?.value ?? legacyRegistrationNumber?.value ?? person?.maskedID ?? id
    }
}

/// A source or implementing department (e.g. 郴州市市场监督管理局), at city or county level.
public struct Department: Sendable, Codable, Equatable {
    public enum Level: String, Sendable, Codable { case province, city, county }

    public var id: String
    public var name: String
    /// Kind of department (market_regulation, tax, court, …): what the catalogue authorises it to submit.
    public var category: String
    public var regionCode: String
    public var level: Level
    public var code: SocialCreditCode?

    public init(id: String, name: String, category: String, regionCode: String, level: Level, code: SocialCreditCode? = nil) {
        self.id = id
        self.name = name
        self.category = category
        self.regionCode = regionCode
        self.level = level
        self.code = code
    }

    /// The category of a business association (行业协会商会). It submits only the catalogue's types that name
    /// it; a type open to any source (`*`) means any government department, never an association.
    public static let associationCategory = "association"

    public var isAssociation: Bool { category == Self.associationCategory }
}
