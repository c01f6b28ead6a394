import Crypto
import Foundation
import XinyongExchange
import XinyongModel
import XinyongPublication
import XinyongStore

/// Third-party credit agencies and banks (第三方信用服务机构, 信易贷): the office registers them, subjects
/// grant and revoke consents, and agencies read through those consents. Every agency request, granted or
/// refused, goes to the access log the subject reads; refusals also go to the audit trail (the edge audits
/// the granted reads).
public struct AgencyService: Sendable {
    public let site: PublicSite
    let publicTypes: [String]
    let naturalPersonTypes: [String]

    public init(site: PublicSite) {
        self.site = site
        (publicTypes, naturalPersonTypes) = ChangeFeedAccess.publicity(site.catalogs.values)
    }

    var store: Store { site.store }

    /// A request refused: a stable code, the field it concerns, English for the API and Chinese for the page.
    public struct Refusal: Error, Sendable, Equatable, CustomStringConvertible {
        public let code: String
        public let field: String?
        public let detail: String
        public let chinese: String

        init(_ code: String, field: String?, _ detail: String, chinese: String) {
            (self.code, self.field, self.detail, self.chinese) = (code, field, detail, chinese)
        }

        public var description: String { "\(code): \(detail)" }
    }

    // MARK: Registration

    public struct Registration: Sendable {
        public var id, name, kind: String
        public var scopes: [String]
        public var requestsPerMinute: Int

        public init(id: String, name: String, kind: String, scopes: [String], requestsPerMinute: Int) {
            (self.id, self.name, self.kind, self.scopes, self.requestsPerMinute) = (id, name, kind, scopes, requestsPerMinute)
        }
    }

    /// Static, so that the CLI registers agencies without the report key a ``PublicSite`` needs.
    public static func register(_ r: Registration, in store: Store, by actor: Actor) async throws -> Agency {
        let agency = try Self.validated(r)
        guard try await store.repositories.agencies.find(agency.id) == nil else {
            throw Refusal("duplicate", field: "id", "an agency '\(agency.id)' is already registered", chinese: "该机构编号已被使用。")
        }
        try await store.transaction { try await $0.agencies.create(agency, by: actor) }
        return agency
    }

    static func validated(_ r: Registration) throws -> Agency {
        let id = r.id.trimmingCharacters(in: .whitespaces), name = r.name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard (2...40).contains(id.count), id.allSatisfy({ ($0.isASCII && ($0.isLetter || $0.isNumber)) || $0 == "-" }) else {
            throw Refusal("invalid-field", field: "id", "2 to 40 letters, digits or hyphens", chinese: "机构编号应为 2 至 40 位字母、数字或连字符。")
        }
        guard (2...100).contains(name.count) else {
            throw Refusal("invalid-field", field: "name", "the name is required (2 to 100 characters)", chinese: "请填写机构名称。")
        }
        guard let kind = Agency.Kind(rawValue: r.kind) else {
            throw Refusal("invalid-field", field: "kind", "'\(r.kind.prefix(30))' is not agency or bank", chinese: "机构类型应为第三方信用服务机构或银行。")
        }
        var scopes: Set<AgencyScope> = []
        for text in r.scopes {
            guard let scope = AgencyScope(rawValue: text) else {
                throw Refusal("invalid-field", field: "scopes", "unknown scope '\(text.prefix(30))'; known: \(AgencyScope.allCases.map(\.rawValue).joined(separator: ", "))",
                              chinese: "未知的权限范围。")
            }
            scopes.insert(scope)
        }
        guard !scopes.isEmpty else { throw Refusal("invalid-field", field: "scopes", "name at least one scope", chinese: "请至少选择一项权限范围。") }
        guard r.requestsPerMinute > 0 else {
            throw Refusal("invalid-field", field: "requests_per_minute", "must be a positive number of requests", chinese: "每分钟请求上限应为正数。")
        }
        return Agency(id: id, name: name, kind: kind, scopes: scopes, requestsPerMinute: r.requestsPerMinute)
    }
}
