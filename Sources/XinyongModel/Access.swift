/// Who may do what (DESIGN §4.1): the roles of the office's users, the kinds of API keys, the caller a
/// request carries, and the rule that decides whether a caller may use a route. Pure: the web edge
/// resolves the caller once, then asks these types.

/// The role of a person who logs in.
public enum Role: String, Sendable, Codable, CaseIterable {
    /// Office administrator: everything.
    case admin
    /// Reads office pages; decides objections and repairs with the department.
    case reviewer
    /// A county or district credit office: office pages and decisions for its region and below.
    case county
    /// A department clerk: submits and checks for its department through the web forms.
    case clerk
    /// Reads the audit trail and changes nothing.
    case auditor
    /// A business association (行业协会商会): submits its own kinds of records about its members and answers
    /// objections to them, through the same forms as a department's clerk; never a government department.
    case association

    public var label: String {
        switch self {
        case .admin: "管理员"
        case .reviewer: "审核人员"
        case .county: "县区信用办"
        case .clerk: "部门经办人"
        case .auditor: "审计人员"
        case .association: "行业协会商会"
        }
    }
}

/// What an API key stands for. A key names its department or one of these roles explicitly.
public enum KeyRole: String, Sendable, Codable, CaseIterable {
    /// A department's system: submits its records, checks, reads its batches and its part of the feed.
    case department
    /// The credit office's own automation: everything an administrator may do.
    case admin
    /// A recipient of the whole change feed (county platforms), read-only.
    case recipient
    /// A business association's system: submits the association's own kinds of records.
    case association
    /// A third-party credit agency's or a bank's system: what it may do is its agency's scopes.
    case agency
}

/// What the office lets a third-party credit agency or a bank (信易贷) do.
public enum AgencyScope: String, Sendable, Codable, CaseIterable {
    /// Public records in bulk: the export and the public part of the change feed.
    case publicData = "public_data"
    /// A subject's non-public records, with that subject's consent in force.
    case consented
    /// Lending checks for 信易贷, with the borrower's consent in force.
    case lending
}

/// A person who logged in, as the edge resolved them for this request.
public struct UserIdentity: Sendable, Equatable {
    public let id: String
    public let name: String
    public let role: Role
    public let departmentID: String?
    public let regionCode: String?

    public init(id: String, name: String, role: Role, departmentID: String?, regionCode: String?) {
        self.id = id
        self.name = name
        self.role = role
        self.departmentID = departmentID
        self.regionCode = regionCode
    }
}

/// A system that sent an API key.
public struct KeyIdentity: Sendable, Equatable {
    public let id: String
    public let name: String
    public let role: KeyRole
    public let departmentID: String?
    /// The agency an agency key belongs to, and what the office lets that agency do.
    public let agencyID: String?
    public let scopes: Set<AgencyScope>

    public init(id: String, name: String, role: KeyRole, departmentID: String?, agencyID: String? = nil, scopes: Set<AgencyScope> = []) {
        self.id = id
        self.name = name
        self.role = role
        self.departmentID = departmentID
        self.agencyID = agencyID
        self.scopes = scopes
    }
}

/// Whoever sent the request.
public enum Caller: Sendable, Equatable {
    case anonymous
    case user(UserIdentity)
    case key(KeyIdentity)

    public var isAdmin: Bool {
        switch self {
        case .user(let u): u.role == .admin
        case .key(let k): k.role == .admin
        case .anonymous: false
        }
    }

    /// The source of records this caller acts for, if it is bound to one: a department (its key or clerk)
    /// or a business association (its key or user).
    public var departmentID: String? {
        switch self {
        case .user(let u): u.role == .clerk || u.role == .association ? u.departmentID : nil
        case .key(let k): k.role == .department || k.role == .association ? k.departmentID : nil
        case .anonymous: nil
        }
    }

    /// Whether the caller acts for a business association rather than a government department.
    public var isAssociation: Bool {
        switch self {
        case .user(let u): u.role == .association
        case .key(let k): k.role == .association
        case .anonymous: false
        }
    }

    /// The agency an agency key acts for.
    public var agencyID: String? {
        if case .key(let k) = self, k.role == .agency { return k.agencyID }
        return nil
    }

    /// Whether the caller is an agency the office lets do `scope`.
    public func agencyMay(_ scope: AgencyScope) -> Bool {
        if case .key(let k) = self, k.role == .agency, k.agencyID != nil { return k.scopes.contains(scope) }
        return false
    }

    /// The region a county office is limited to; nil where the caller sees the whole city.
    public var regionScope: String? {
        if case .user(let u) = self, u.role == .county { return u.regionCode }
        return nil
    }

    /// How the audit trail names this caller: `user:NAME`, `key:ID`, or `anonymous`.
    public var auditName: String {
        switch self {
        case .user(let u): "user:\(u.name)"
        case .key(let k): "key:\(k.id)"
        case .anonymous: "anonymous"
        }
    }

    /// Whether the caller may read everything on the change feed, not only its own and public records.
    public var readsWholeFeed: Bool {
        if case .key(let k) = self { return k.role == .admin || k.role == .recipient }
        return isAdmin
    }
}

/// What a route requires of its caller. Every route of the platform declares one.
public enum Access: String, Sendable, CaseIterable {
    /// Anyone, without proving anything.
    case open
    /// A government department: its key, its clerk, or an administrator acting for a named department.
    case department
    /// A source of records: a department as above, or a business association (its key or its user).
    case source
    /// Anyone who logged in (their own account page).
    case signedIn
    /// The credit office's pages: administrators, reviewers and county offices (limited to their region).
    case office
    /// The change feed: departments, recipients and administrators.
    case feed
    /// Office administrators only.
    case admin
    /// The audit trail: auditors and administrators.
    case audit
    /// Agencies with the matching scope; nobody else, administrators included, since what such a route
    /// returns depends on the agency's own consents and counts against its own rate.
    case agencyPublicData, agencyConsented, agencyLending

    public func allows(_ caller: Caller) -> Bool {
        switch self {
        case .open: return true
        case .signedIn: if case .user = caller { return true } else { return false }
        case .admin: return caller.isAdmin
        case .department: return caller.isAdmin || (caller.departmentID != nil && !caller.isAssociation)
        case .source: return caller.isAdmin || caller.departmentID != nil
        case .feed: return caller.readsWholeFeed || caller.departmentID != nil || caller.agencyMay(.publicData)
        case .agencyPublicData: return caller.agencyMay(.publicData)
        case .agencyConsented: return caller.agencyMay(.consented)
        case .agencyLending: return caller.agencyMay(.lending)
        case .office:
            if case .user(let u) = caller { return [.admin, .reviewer, .county].contains(u.role) }
            return caller.isAdmin
        case .audit:
            if case .user(let u) = caller { return u.role == .admin || u.role == .auditor }
            return caller.isAdmin
        }
    }

    /// Whether reading through a route of this kind is a read of non-public data, which the audit trail records.
    public var readsNonPublicData: Bool { self != .open && self != .signedIn }
}

/// A third-party credit agency (第三方信用服务机构) or a bank (信易贷) the office registered, with what it may do.
public struct Agency: Sendable, Codable, Equatable {
    public enum Kind: String, Sendable, Codable, CaseIterable {
        case agency, bank

        public var label: String { self == .agency ? "第三方信用服务机构" : "银行" }
    }

    public var id: String
    public var name: String
    public var kind: Kind
    public var scopes: Set<AgencyScope>
    /// Requests a minute its keys may make together, beyond which it is answered 429.
    public var requestsPerMinute: Int

    public init(id: String, name: String, kind: Kind, scopes: Set<AgencyScope>, requestsPerMinute: Int) {
        self.id = id
        self.name = name
        self.kind = kind
        self.scopes = scopes
        self.requestsPerMinute = requestsPerMinute
    }
}
