import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import Testing
import XinyongAccess
import XinyongModel
import XinyongStore
@testable import XinyongWeb

/// Everyone who may ask, made once per platform: keys for systems, users for people (with passwords
/// they need not change, so that a login is one request).
struct Callers: Sendable {
    struct Person: Sendable { let name, password: String }

    let departmentA, departmentB, recipient, adminKey, agency: String
    let clerkA, countyOther, reviewer, admin, auditor, association: Person

    /// Department A is the city's market regulation; B the city's tax bureau; the county office is
    /// Yongxing county's (431023), which the city departments are not in.
    static let departmentAID = "431000-market_regulation"
    static let departmentBID = "431000-tax"
    static let otherCounty = "431023"

    /// One set for the shared demo platform: bcrypt makes each user cost a second in a debug build.
    static let fixture = Task { () throws -> Callers in try await make(try await Fixture.platform.value) }

    static func make(_ platform: Platform) async throws -> Callers {
        let actor = Actor("test", reason: "callers for web tests")
        let suffix = UUID().uuidString.prefix(6).lowercased()
        func key(_ role: KeyRole, _ department: String? = nil, agency: String? = nil) async throws -> String {
            try await platform.keys.issue(role, department: department, agency: agency, name: "test \(role.rawValue) \(suffix)", by: actor).secret
        }
        func person(_ role: Role, department: String? = nil, region: String? = nil) async throws -> Person {
            let name = "t-\(role.rawValue)-\(suffix)"
            _ = try await platform.accounts.add(name: name, role: role, department: department, region: region, by: actor)
            return Person(name: name, password: try await platform.accounts.setPassword(name: name, by: actor))
        }
        let association = Department(id: "assoc-\(suffix)", name: "郴州市测试行业协会", category: Department.associationCategory,
                                     regionCode: "431000", level: .city)
        let agency = Agency(id: "agy-\(suffix)", name: "测试信用服务机构", kind: .agency, scopes: Set(AgencyScope.allCases), requestsPerMinute: 600)
        try await platform.store.transaction { repos in
            try await repos.departments.insert([association], by: actor)
            try await repos.agencies.create(agency, by: actor)
        }
        return Callers(
            departmentA: try await key(.department, departmentAID), departmentB: try await key(.department, departmentBID),
            recipient: try await key(.recipient), adminKey: try await key(.admin), agency: try await key(.agency, agency: agency.id),
            clerkA: try await person(.clerk, department: departmentAID), countyOther: try await person(.county, region: otherCounty),
            reviewer: try await person(.reviewer), admin: try await person(.admin), auditor: try await person(.auditor),
            association: try await person(.association, department: association.id))
    }
}

/// A logged-in browser: the session cookie and the CSRF token its forms carry.
struct Login: Sendable {
    let cookie: String
    let csrf: String

    /// Logs in through the real form: the form's own token, then the post, then the first page for the token.
    static func of(_ person: Callers.Person, client: some TestClientProtocol) async throws -> Login {
        let (loginCookie, token) = try await client.execute(uri: "/login", method: .get) { response in
            let cookie = try #require(response.headers[values: .setCookie].first { $0.hasPrefix("xy_login=") })
            return (String(cookie.prefix { $0 != ";" }), try #require(htmlValue(named: "token", in: String(buffer: response.body))))
        }
        let body = "name=\(person.name)&password=\(person.password.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)&token=\(token)"
        let session = try await client.execute(uri: "/login", method: .post,
                                               headers: [.contentType: "application/x-www-form-urlencoded", .cookie: loginCookie],
                                               body: ByteBuffer(string: body)) { response in
            #expect(response.status == .seeOther, "login of \(person.name) answered \(response.status)")
            let cookie = try #require(response.headers[values: .setCookie].first { $0.hasPrefix("xy_session=") })
            #expect(cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"))
            return String(cookie.prefix { $0 != ";" })
        }
        let csrf = try await client.execute(uri: "/account", method: .get, headers: [.cookie: session]) { response in
            try #require(htmlValue(named: "csrf", in: String(buffer: response.body)))
        }
        return Login(cookie: session, csrf: csrf)
    }

    /// Headers of a request in this session; with `csrf` the token goes in `X-CSRF-Token`, as scripts send it.
    func headers(csrf sendToken: Bool = true, _ extra: HTTPFields = [:]) -> HTTPFields {
        var fields = extra
        fields[.cookie] = cookie
        if sendToken { fields[HTTPField.Name("X-CSRF-Token")!] = csrf }
        return fields
    }
}

/// The value of a hidden input in a page.
func htmlValue(named name: String, in html: String) -> String? {
    guard let range = html.range(of: "name=\"\(name)\" value=\"") else { return nil }
    return String(html[range.upperBound...].prefix { $0 != "\"" })
}
