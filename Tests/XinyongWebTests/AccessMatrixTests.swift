import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import Testing
import Crypto
import XinyongAccess
import XinyongDemo
import XinyongModel
import XinyongStore
import XinyongTestSupport
@testable import XinyongWeb

/// The role × route matrix: every route the router has, asked by every kind of caller over real HTTP,
/// against the answer written down here by hand. A route without a row fails the test, so a new route
/// cannot slip in without someone deciding who may call it.
///
/// Cells, in the order of `Caller.allCases`: `.` the edge lets the caller through (the handler's answer,
/// whatever it is, is not 401 or 403), `U` 401, `F` 403.
@Suite(.serialized) struct AccessMatrixTests {
    enum Caller: CaseIterable {
        case anonymous, departmentA, departmentB, recipient, adminKey, clerkA, countyOther, reviewer, admin, auditor, association, agency
    }

    static let open = ". . . . . . . . . . . ."
    static let department = "U . . F . . F F . F F F"
    static let source = "U . . F . . F F . F . F"
    static let office = "U F F F . F . . . F F F"
    static let admin = "U F F F . F F F . F F F"
    static let audit = "U F F F . F F F . . F F"
    static let feed = "U . . . . . F F . F . ."
    static let signedIn = "U F F F F . . . . . . F"
    static let agency = "U F F F F F F F F F F ."
    /// Agency routes that read one subject under a consent: the edge admits the agency, and its handler then
    /// refuses it 403 (consent-required), since the matrix names no consent. AgencyWebTests covers the reads.
    static let agencyConsent = "U F F F F F F F F F F F"

    /// Method, path, then the cells. Paths use the router's `{parameters}`.
    static let rows: [(String, String, String)] = [
        ("GET", "/", open), ("GET", "/subjects", open), ("GET", "/subjects/{code}", open), ("GET", "/static/site.css", open),
        ("GET", "/search", open), ("GET", "/api/v1/search", open),
        ("GET", "/publicity", open), ("GET", "/publicity/{kind}", open), ("GET", "/records/{id}", open),
        ("GET", "/lists", open), ("GET", "/lists/{list}", open),
        ("GET", "/reports/public-key", open), ("GET", "/reports/issued/{number}", open), ("GET", "/reports/{code}", open),
        ("POST", "/reports/{code}", open), ("GET", "/verify", open), ("POST", "/verify", open), ("POST", "/api/v1/reports/verify", open),
        ("GET", "/audit/checkpoints", open),
        ("GET", "/records/{id}/objection", open), ("POST", "/records/{id}/objection", open), ("GET", "/records/{id}/repair", open),
        ("POST", "/records/{id}/repair", open), ("GET", "/objections/{number}", open), ("POST", "/objections/{number}", open),
        ("GET", "/repairs/{number}", open), ("POST", "/repairs/{number}", open),
        ("GET", "/office/objections", office), ("GET", "/office/repairs", office),
        ("POST", "/office/objections/{number}/accept", office), ("POST", "/office/objections/{number}/decision", office),
        ("POST", "/office/repairs/{number}/forward", office), ("POST", "/office/repairs/{number}/decision", office),
        ("GET", "/office/evidence/{owner}/{seq}", office),
        ("GET", "/office/evaluation", office), ("GET", "/office/evaluation/explain", office), ("POST", "/office/evaluation/public", admin),
        ("GET", "/subjects/{code}/evaluation", open), ("GET", "/api/v1/subjects/{code}/evaluation", department), ("GET", "/api/v1/evaluation", office),
        ("GET", "/api/v1/objections", source), ("POST", "/api/v1/objections/{number}/decision", source),
        ("GET", "/api/v1/repairs", source), ("POST", "/api/v1/repairs/{number}/decision", source),
        ("GET", "/health", open), ("GET", "/metrics", admin), ("GET", "/openapi.json", open), ("GET", "/api/v1/ping", open),
        ("GET", "/api/v1/subjects/{code}", open),
        ("GET", "/monitoring", open), ("GET", "/monitoring/cities/{code}", open), ("GET", "/monitoring/bulletin.csv", open), ("GET", "/static/monitoring.css", open),
        ("GET", "/api/v1/monitoring/editions", open), ("GET", "/api/v1/monitoring/editions/{id}", open),
        ("POST", "/api/v1/monitoring/editions", admin), ("GET", "/api/v1/monitoring/months", open),
        ("GET", "/api/v1/monitoring/scores", open), ("GET", "/api/v1/monitoring/cities/{code}", open),
        ("GET", "/api/v1/monitoring/cities/{code}/trend", open), ("GET", "/api/v1/monitoring/cities/{code}/sensitivity", open),
        ("GET", "/api/v1/monitoring/cities/{code}/what-if", open),
        ("POST", "/api/v1/monitoring/values", admin), ("POST", "/api/v1/monitoring/events", admin),
        ("POST", "/api/v1/checks", department), ("GET", "/api/v1/checks/{id}", department),
        ("POST", "/api/v1/checks/{id}/feedback", department), ("GET", "/api/v1/measures", open),
        ("GET", "/api/v1/admin/checks/report", office), ("GET", "/api/v1/admin/name-overrides", admin),
        ("POST", "/api/v1/admin/name-overrides", admin), ("GET", "/api/v1/admin/joint-settings", admin),
        ("PUT", "/api/v1/admin/joint-settings", admin),
        ("GET", "/checks", department), ("POST", "/checks", department), ("POST", "/checks/{id}/feedback", department),
        ("GET", "/office/checks", office),
        ("GET", "/api/v1/notices", department), ("GET", "/notices", department), ("GET", "/notices/{id}", department),
        ("GET", "/office/notices", office), ("GET", "/office/notices/{id}", office),
        ("GET", "/inspections", open), ("GET", "/inspections/{id}", open), ("GET", "/api/v1/inspections/{id}", open),
        ("GET", "/api/v1/risk-mapping", department), ("PUT", "/api/v1/risk-mapping", department),
        ("POST", "/api/v1/inspections", department), ("POST", "/api/v1/inspections/{id}/draw", department),
        ("POST", "/api/v1/inspections/{id}/results", department),
        ("GET", "/parks", open), ("GET", "/parks/{id}", open), ("GET", "/api/v1/parks", open), ("GET", "/api/v1/parks/{id}", open),
        ("POST", "/api/v1/parks", admin), ("POST", "/api/v1/parks/{id}/members", admin), ("POST", "/api/v1/parks/{id}/reviews", admin),
        ("GET", "/office/parks", admin), ("POST", "/office/parks/{id}/members", admin), ("POST", "/office/parks/{id}/reviews", admin),
        ("GET", "/associations", open), ("GET", "/associations/{id}", open),
        ("GET", "/xinyi", open), ("GET", "/commitments/sign", open), ("POST", "/commitments/sign", open), ("GET", "/commitments/{id}", open),
        ("GET", "/api/v1/commitments/{id}", department), ("POST", "/api/v1/commitments/{id}/fulfilment", department),
        ("POST", "/api/v1/commitments/{id}/breach", department),
        ("POST", "/api/v1/batches", source), ("GET", "/api/v1/batches/{id}", source), ("GET", "/api/v1/changes", feed),
        ("POST", "/api/v1/records/{id}/withdraw", source), ("GET", "/api/v1/quality", office),
        ("POST", "/api/v1/admin/departments", admin), ("GET", "/api/v1/admin/keys", admin), ("POST", "/api/v1/admin/keys", admin),
        ("POST", "/api/v1/admin/keys/{id}/revoke", admin),
        ("GET", "/submit", source), ("POST", "/submit", source), ("GET", "/office/quality", office),
        ("GET", "/api/v1/admin/users", admin), ("POST", "/api/v1/admin/users", admin),
        ("POST", "/api/v1/admin/users/{name}/disable", admin), ("POST", "/api/v1/admin/users/{name}/reset-password", admin),
        ("GET", "/office/users", admin), ("POST", "/office/users", admin), ("POST", "/office/users/{name}/disable", admin),
        ("POST", "/office/users/{name}/reset-password", admin),
        ("GET", "/office/audit", audit), ("GET", "/api/v1/admin/audit", audit),
        ("GET", "/office/deliveries", office), ("GET", "/office/deliveries/{seq}", office), ("GET", "/api/v1/admin/deliveries", admin),
        ("GET", "/api/v1/admin/webhooks", admin), ("PUT", "/api/v1/admin/departments/{id}/webhook", admin),
        ("POST", "/api/v1/admin/departments/{id}/webhook/remove", admin),
        ("GET", "/cases", open), ("GET", "/cases/{id}", open), ("GET", "/news", open), ("GET", "/news/{id}", open),
        ("GET", "/policies", open), ("GET", "/policies/{id}", open), ("GET", "/feed.atom", open),
        ("GET", "/office/articles", office), ("GET", "/office/articles/new", office), ("POST", "/office/articles", office),
        ("GET", "/office/articles/{id}", office), ("POST", "/office/articles/{id}", office),
        ("POST", "/office/articles/{id}/publish", admin), ("POST", "/office/articles/{id}/withdraw", admin),
        ("POST", "/api/v1/admin/agencies", admin), ("GET", "/api/v1/admin/agencies", admin),
        ("GET", "/api/v1/agency/subjects/{code}", agencyConsent), ("POST", "/api/v1/agency/subjects/{code}/report", agencyConsent),
        ("GET", "/api/v1/agency/lending/{code}", agencyConsent), ("GET", "/api/v1/agency/export", agency),
        ("GET", "/consents/new", open), ("POST", "/consents/new", open), ("GET", "/consents/{number}", open),
        ("POST", "/consents/{number}", open), ("POST", "/consents/{number}/revoke", open),
        // The login form refuses a post without its own form token, whoever sends it: never 401.
        ("GET", "/login", open), ("GET", "/repair", open), ("GET", "/objections", open), ("POST", "/login", "F F F F F F F F F F F F"),
        ("GET", "/account", signedIn), ("GET", "/account/password", signedIn), ("POST", "/account/password", signedIn),
        ("GET", "/account/totp", signedIn), ("POST", "/account/totp", signedIn),
        // Last: it ends the sessions the rows above used.
        ("POST", "/logout", signedIn),
    ]

    /// Rows a county office of another county asks with a region outside its own: refused, while the
    /// city's people see any region.
    static let regionRows: [(String, String, String)] = [
        ("GET", "/office/quality?region=431002", "U F F F . F F . . F F F"),
        ("GET", "/api/v1/quality?region=431002", "U F F F . F F . . F F F"),
        ("GET", "/office/checks?region=431002", "U F F F . F F . . F F F"),
        ("GET", "/office/notices?region=431002", "U F F F . F F . . F F F"),
        ("GET", "/api/v1/admin/checks/report?region=431002", "U F F F . F F . . F F F"),
        ("GET", "/office/deliveries?region=431002", "U F F F . F F . . F F F"),
        ("GET", "/api/v1/quality?region=\(Callers.otherCounty)", office),
    ]

    /// The API description names the refusals the matrix gives, so that a client generated from it expects
    /// them (schemathesis found 41 operations without their 401), and every operation has an id of its own.
    @Test func theAPIDescriptionDeclaresTheRefusalsOfEachRoute() throws {
        let spec = try #require(try JSONSerialization.jsonObject(with: Data(Platform.resource("openapi.json"))) as? [String: Any])
        let paths = try #require(spec["paths"] as? [String: [String: Any]])
        var missing: [String] = [], ids: [String: Int] = [:]
        for (method, path, cells) in Self.rows {
            guard let operation = paths[path]?[method.lowercased()] as? [String: Any] else { continue }
            let responses = operation["responses"] as? [String: Any] ?? [:]
            for status in ["U": "401", "F": "403"] where cells.contains(status.key) && responses[status.value] == nil {
                missing.append("\(method) \(path) \(status.value)")
            }
        }
        for operation in paths.values.flatMap(\.values) {
            ids[(operation as? [String: Any])?["operationId"] as? String ?? "(none)", default: 0] += 1
        }
        #expect(missing.isEmpty, "refusals the description does not declare: \(missing)")
        #expect(ids.filter { $0.value > 1 || $0.key == "(none)" }.isEmpty, "operation ids missing or repeated: \(ids.filter { $0.value > 1 })")
    }

    @Test(arguments: Backend.allCases) func everyRouteAnswersEveryCallerAsWrittenDown(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let platform = try await WebBackend.platform(store)
            let edge = buildRouter(platform: platform)
            let declared = Set(edge.routes.map { "\($0.method) \($0.path)" })
            let written = Set(Self.rows.map { "\($0.0) \($0.1)" })
            #expect(declared.subtracting(written).isEmpty, "routes without a row in the matrix: \(declared.subtracting(written).sorted())")
            #expect(written.subtracting(declared).isEmpty, "rows for routes that do not exist: \(written.subtracting(declared).sorted())")

            let callers = try await Callers.make(platform)
            let app = buildApplication(platform: platform, host: "127.0.0.1", port: 0)
            try await app.test(.live) { client in
                let fixtures = try await MatrixFixtures.make(platform, callers: callers, client: client)
                var logins: [Caller: Login] = [:]
                for (caller, person) in [(Caller.clerkA, callers.clerkA), (.countyOther, callers.countyOther), (.reviewer, callers.reviewer),
                                         (.admin, callers.admin), (.auditor, callers.auditor),
                                         (.association, callers.association)] {
                    logins[caller] = try await Login.of(person, client: client)
                }
                var mismatches: [String] = []
                for (method, path, cells) in Self.regionRows + Self.rows {
                    let expected = cells.split(separator: " ")
                    #expect(expected.count == Caller.allCases.count, "row \(method) \(path) has \(expected.count) cells")
                    for (caller, cell) in zip(Caller.allCases, expected) {
                        var headers: HTTPFields = [.contentType: "application/json", .accept: "application/json"]
                        switch caller {
                        case .anonymous: break
                        case .departmentA: headers[.authorization] = "Bearer \(callers.departmentA)"
                        case .departmentB: headers[.authorization] = "Bearer \(callers.departmentB)"
                        case .recipient: headers[.authorization] = "Bearer \(callers.recipient)"
                        case .adminKey: headers[.authorization] = "Bearer \(callers.adminKey)"
                        case .agency: headers[.authorization] = "Bearer \(callers.agency)"
                        default: headers = logins[caller]!.headers(headers)
                        }
                        let uri = fixtures.fill(path)
                        let status = try await client.execute(uri: uri, method: HTTPRequest.Method(method)!, headers: headers,
                                                              body: ByteBuffer(string: "{}")) { $0.status.code }
                        let ok = switch cell {
                        case "U": status == 401
                        case "F": status == 403
                        default: status != 401 && status != 403 && status < 500
                        }
                        if !ok { mismatches.append("\(method) \(uri) as \(caller): \(status), expected \(cell)") }
                    }
                }
                #expect(mismatches.isEmpty, "\(mismatches.count) cells differ:\n\(mismatches.joined(separator: "\n"))")
            }
        }
    }
}

/// A small platform over a test database: the shipped departments of the city and a few records, so
/// that the matrix runs on SQLite and PostgreSQL alike in seconds.
enum WebBackend {
    static func platform(_ store: Store) async throws -> Platform {
        let options = DemoGenerator.Options(subjects: 60, seed: 11, asOf: .today(), recordScale: 1)
        let key = SymmetricKey(size: .bits256)
        _ = try await DemoGenerator(options: options, personKey: key).run(into: store)
        return try await Platform.load(store: store, personKey: key, reportKey: .init())
    }
}

struct IDAndCode: Decodable { let id: String; let code: String }

/// Real ids for the matrix's path parameters: a batch and a check of department A, a public record and
/// subject, an issued report, a user and a key that may be disabled and revoked.
struct MatrixFixtures {
    let code, record, number, batch, check, key, victim: String

    /// The path with its parameters filled in; `{id}` and `{code}` mean different things under different prefixes.
    func fill(_ path: String) -> String {
        let id = path.contains("/batches/") ? batch : path.contains("/checks/") ? check : path.contains("/records/") ? record
            : path.contains("/keys/") ? key : path.contains("/editions/") ? "2020" : path.contains("/departments/") ? Callers.departmentBID : path.contains("/notices/") ? "GZ20260101-0000000000"
            : path.contains("/commitments/") ? "CN20260101-0000000000"
            : ["/cases/", "/news/", "/policies/", "/articles/"].contains(where: path.contains) ? "WZ20260101-0000000000"
            : path.contains("/inspections/") ? "CC20260101-00000000" : path.contains("/parks/") ? "gaoxin"
            : path.contains("/associations/") ? "431000-association-construction" : ""
        let code = path.contains("/monitoring/") ? "431000" : self.code
        return path.replacingOccurrences(of: "{id}", with: id).replacingOccurrences(of: "{code}", with: code)
            .replacingOccurrences(of: "{kind}", with: "penalties").replacingOccurrences(of: "{list}", with: "black")
            .replacingOccurrences(of: "{number}", with: number).replacingOccurrences(of: "{name}", with: victim)
            .replacingOccurrences(of: "{owner}", with: "none").replacingOccurrences(of: "{seq}", with: "1")
    }

    static func make(_ platform: Platform, callers: Callers, client: some TestClientProtocol) async throws -> MatrixFixtures {
        let today = CivilDate.today().description
        let record = try #require(try await platform.store.sql.raw("""
            SELECT r.id, s.code FROM credit_records r JOIN subjects s ON s.id = r.subject_id
            WHERE s.code IS NOT NULL AND r.status = 'active' AND r.publicity_start <= \(bind: today) AND r.publicity_end > \(bind: today)
            AND s.kind <> 'natural_person' ORDER BY r.id LIMIT 1
            """).first(decoding: IDAndCode.self))
        let subject = try #require(try await platform.store.repositories.subjects.find(code: SocialCreditCode.verify(record.code).code!))
        let report = try await platform.site.issueReport(for: subject)
        let actor = Actor("test", reason: "matrix fixtures")
        let victim = "t-victim-\(UUID().uuidString.prefix(6).lowercased())"
        _ = try await platform.accounts.add(name: victim, role: .reviewer, department: nil, region: nil, by: actor)
        let key = try await platform.keys.issue(.recipient, name: "to revoke", by: actor)
        let auth: HTTPFields = [.authorization: "Bearer \(callers.departmentA)"]
        let csv = ExchangeWebTests.penaltyHeader + "\n" + ExchangeWebTests.penaltyRow(Int.random(in: 1000...9999)) + "\n"
        var csvHeaders = auth
        csvHeaders[.contentType] = "text/csv"
        let batch = try await client.execute(uri: "/api/v1/batches?type=admin_penalty", method: .post, headers: csvHeaders,
                                             body: ByteBuffer(string: csv)) { response in
            try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])["batch"]
                .flatMap { ($0 as? [String: Any])?["id"] as? String } ?? ""
        }
        var jsonHeaders = auth
        jsonHeaders[.contentType] = "application/json"
        let check = try await client.execute(uri: "/api/v1/checks", method: .post, headers: jsonHeaders,
                                             body: ByteBuffer(string: #"{"code":"\#(record.code)","scenario":"bidding"}"#)) { response in
            (try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])?["check_id"] as? String ?? ""
        }
        #expect(!batch.isEmpty && !check.isEmpty, "the matrix needs a batch and a check of department A")
        return MatrixFixtures(code: record.code, record: record.id, number: report.report.number, batch: batch, check: check,
                              key: key.id, victim: victim)
    }
}
