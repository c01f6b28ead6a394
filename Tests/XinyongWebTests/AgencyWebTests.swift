import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import Testing
import XinyongModel
import XinyongStore
@testable import XinyongWeb

/// Agencies over real HTTP on the demo city: a consent granted through the form, reads under it (and
/// refused ones) in the log the subject reads, the rate limit, and the public NDJSON export.
@Suite(.serialized) struct AgencyWebTests {
    func withServer(_ body: @Sendable (any TestClientProtocol, Platform) async throws -> Void) async throws {
        let platform = try await Fixture.platform.value
        try await buildApplication(platform: platform, host: "127.0.0.1", port: 0).test(.live) { client in
            try await body(client, platform)
        }
    }

    /// A new agency with every scope and one key.
    static func agency(_ platform: Platform, rate: Int = 600) async throws -> (id: String, key: String) {
        let id = "t-agency-\(UUID().uuidString.prefix(6).lowercased())"
        let actor = Actor("test", reason: "agency web test")
        try await platform.store.transaction {
            try await $0.agencies.create(Agency(id: id, name: "测试征信公司", kind: .agency, scopes: Set(AgencyScope.allCases), requestsPerMinute: rate),
                                         by: actor)
        }
        return (id, try await platform.keys.issue(.agency, department: nil, agency: id, name: "test", by: actor).secret)
    }

    struct Organisation: Decodable { let name, code: String }

    /// An organisation with a record the public no longer sees (its publicity ended), so that a consented read shows more.
    static func organisation(_ platform: Platform, offset: Int) async throws -> Organisation {
        let today = CivilDate.today().description
        return try #require(try await platform.store.sql.raw("""
            SELECT s.name, s.code FROM subjects s WHERE s.kind <> 'natural_person' AND s.code IS NOT NULL AND s.code_check_failed = \(bind: false)
            AND EXISTS (SELECT 1 FROM credit_records r WHERE r.subject_id = s.id AND r.publicity_end <= \(bind: today))
            ORDER BY s.id LIMIT 1 OFFSET \(bind: offset)
            """).first(decoding: Organisation.self))
    }

    /// Grants a consent through the public form and returns its number and follow-up code.
    static func grant(_ client: some TestClientProtocol, agency: String, to o: Organisation, scopes: [String] = ["consented", "lending"],
                      status: HTTPResponse.Status = .created) async throws -> (number: String, code: String) {
        var fields = ["agency": agency, "subject_code": o.code, "subject_name": o.name, "signer": "王经理", "purpose": "授信审查",
                      "expires_on": CivilDate.today().adding(months: 2).description]
        var body = CommitmentWebTests.form(fields)
        for scope in scopes { body.writeString("&scopes=\(scope)") }
        fields = [:]
        return try await client.execute(uri: "/consents/new", method: .post, headers: CommitmentWebTests.formHeaders, body: body) { response in
            let html = String(buffer: response.body)
            #expect(response.status == status, "\(html.prefix(2000))")
            return (Self.element("consent-number", html), Self.element("follow-up-code", html))
        }
    }

    static func element(_ id: String, _ html: String) -> String {
        guard let range = html.range(of: "id=\"\(id)\">") else { return "" }
        return String(html[range.upperBound...].prefix { $0 != "<" })
    }

    /// A consent that ended ten days ago, written straight to the store (the form takes no past dates).
    static func expiredConsent(_ platform: Platform, agency: String, subjectCode: String) async throws -> String {
        let code = try #require(SocialCreditCode.verify(subjectCode).code)
        let subject = try #require(try await platform.store.repositories.subjects.find(code: code))
        let today = CivilDate.today()
        let consent = Consent(id: Consent.newNumber(on: today.adding(days: -40)), agencyID: agency, subjectID: subject.id, scopes: [.consented],
                              purpose: "授信", signer: "王经理", grantedAt: Timestamp.now(), expiresOn: today.adding(days: -10),
                              followUpHash: ReceiptNumber.hash(followUpCode: ReceiptNumber.followUpCode()))
        try await platform.store.transaction { try await $0.consents.insert(consent, by: Actor("test", reason: "expired consent")) }
        return consent.id
    }

    static func bearer(_ key: String, _ extra: HTTPFields = [:]) -> HTTPFields {
        var fields = extra
        fields[.authorization] = "Bearer \(key)"
        return fields
    }

    /// The consent's page as its subject sees it with the code.
    static func page(_ client: some TestClientProtocol, _ number: String, code: String) async throws -> String {
        try await client.execute(uri: "/consents/\(number)", method: .post, headers: CommitmentWebTests.formHeaders,
                                 body: ByteBuffer(string: "code=\(code)")) { response in
            #expect(response.status == .ok)
            return String(buffer: response.body)
        }
    }

    struct File: Decodable {
        struct Record: Decodable { let id: String; let isPublic: Bool }
        let consent: String
        let records: [Record]
    }

    @Test func aConsentedReadIsAnsweredLoggedAndShownToTheSubject() async throws {
        try await withServer { client, platform in
            let (agency, key) = try await Self.agency(platform)
            let o = try await Self.organisation(platform, offset: 0)
            let (number, code) = try await Self.grant(client, agency: agency, to: o)
            #expect(number.hasPrefix("SQ") && code.count == 12)
            let file = try await client.execute(uri: "/api/v1/agency/subjects/\(o.code)?consent=\(number)", method: .get,
                                                headers: Self.bearer(key)) { response in
                #expect(response.status == .ok)
                let d = JSONDecoder()
                d.keyDecodingStrategy = .convertFromSnakeCase
                return try d.decode(File.self, from: Data(buffer: response.body))
            }
            #expect(file.consent == number && file.records.contains { !$0.isPublic })
            try await client.execute(uri: "/api/v1/agency/lending/\(o.code)?consent=\(number)", method: .get, headers: Self.bearer(key)) { response in
                #expect(response.status == .ok)
                #expect(String(buffer: response.body).contains("\"programmes\""))
            }
            let report = try await client.execute(uri: "/api/v1/agency/subjects/\(o.code)/report?consent=\(number)", method: .post,
                                                  headers: Self.bearer(key)) { response in
                #expect(response.status == .created)
                return try #require(try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])["number"] as? String
            }
            try await client.execute(uri: "/verify", method: .post, headers: CommitmentWebTests.formHeaders,
                                     body: ByteBuffer(string: "number=\(try #require(report))")) { response in
                #expect(String(buffer: response.body).contains("本报告由本平台签发"))
            }
            let html = try await Self.page(client, number, code: code)
            for words in ["查询记录", "查询非公开信用信息", "信易贷授信核查", "获取平台信用报告", "已提供", "\(file.records.count)", "撤回授权"] {
                #expect(html.contains(words), "\(words)")
            }
            try await client.execute(uri: "/consents/\(number)", method: .get) { response in
                let html = String(buffer: response.body)
                #expect(response.status == .ok && html.contains("name=\"code\"") && !html.contains("access-log"))
            }
        }
    }

    @Test func withoutConsentAfterRevocationPastExpiryOrOutsideScopeTheAgencyIsRefusedAndLogged() async throws {
        try await withServer { client, platform in
            let (agency, key) = try await Self.agency(platform)
            let o = try await Self.organisation(platform, offset: 1)
            func refused(_ uri: String, _ type: String) async throws {
                try await client.execute(uri: uri, method: .get, headers: Self.bearer(key)) { response in
                    #expect(response.status == .forbidden, "\(uri)")
                    #expect(response.headers[.contentType]?.hasPrefix("application/problem+json") == true)
                    #expect(String(buffer: response.body).contains("\"type\":\"/problems/\(type)\""), "\(String(buffer: response.body))")
                }
            }
            try await refused("/api/v1/agency/subjects/\(o.code)", "consent-required")
            let lendingOnly = try await Self.grant(client, agency: agency, to: o, scopes: ["lending"])
            try await refused("/api/v1/agency/subjects/\(o.code)?consent=\(lendingOnly.number)", "outside-consent-scope")
            let (number, code) = try await Self.grant(client, agency: agency, to: o)
            try await client.execute(uri: "/consents/\(number)/revoke", method: .post, headers: CommitmentWebTests.formHeaders,
                                     body: ByteBuffer(string: "code=\(code)")) { response in
                #expect(response.status == .ok && String(buffer: response.body).contains("已撤回"))
            }
            try await refused("/api/v1/agency/subjects/\(o.code)?consent=\(number)", "consent-revoked")
            let old = try await Self.expiredConsent(platform, agency: agency, subjectCode: o.code)
            try await refused("/api/v1/agency/lending/\(o.code)?consent=\(old)", "consent-expired")
            try await refused("/api/v1/agency/subjects/\(o.code)?consent=\(old)", "consent-expired")
            let html = try await Self.page(client, number, code: code)
            for words in ["未出示授权", "超出授权范围", "授权已撤回", "授权已到期", "已撤回"] { #expect(html.contains(words), "\(words)") }
        }
    }

    @Test func anAgencyOverItsRateIsAnswered429WithRetryAfter() async throws {
        try await withServer { client, platform in
            let (_, key) = try await Self.agency(platform, rate: 2)
            for expected in [HTTPResponse.Status.ok, .ok, .tooManyRequests] {
                try await client.execute(uri: "/api/v1/agency/export?limit=1", method: .get, headers: Self.bearer(key)) { response in
                    #expect(response.status == expected)
                    if expected == .tooManyRequests {
                        #expect(Int(response.headers[.retryAfter] ?? "") ?? 0 > 0)
                        #expect(String(buffer: response.body).contains("/problems/rate-limited"))
                    }
                }
            }
        }
    }

    @Test func theExportHoldsEveryPublicRecordOnceAndNothingElseWithAnETag() async throws {
        try await withServer { client, platform in
            let (_, key) = try await Self.agency(platform)
            var ids: [String] = [], cursor = "", last: [String: Any] = [:]
            repeat {
                let lines = try await client.execute(uri: "/api/v1/agency/export?limit=3000&after=\(cursor)", method: .get,
                                                     headers: Self.bearer(key)) { response in
                    #expect(response.status == .ok && response.headers[.contentType]?.hasPrefix("application/x-ndjson") == true)
                    return String(buffer: response.body).split(separator: "\n").map { try! JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any] }
                }
                last = try #require(lines.last)
                ids += lines.dropLast().map { $0["id"] as! String }
                cursor = last["next_cursor"] as! String
            } while last["end"] as? Bool == false
            struct ID: Decodable { let id: String }
            let today = CivilDate.today().description
            let expected = try await platform.store.sql.raw("""
                SELECT r.id FROM credit_records r JOIN subjects s ON s.id = r.subject_id
                WHERE r.status = 'active' AND r.publicity_start <= \(bind: today) AND r.publicity_end > \(bind: today)
                AND (s.kind <> 'natural_person' OR r.record_type IN ('judgment_defaulter', 'serious_dishonesty')) ORDER BY r.id
                """).all(decoding: ID.self).map(\.id)
            #expect(ids.count == Set(ids).count)
            #expect(ids == expected)
            let tag = try await client.execute(uri: "/api/v1/agency/export?limit=5", method: .get, headers: Self.bearer(key)) { response in
                try #require(response.headers[.eTag])
            }
            try await client.execute(uri: "/api/v1/agency/export?limit=5", method: .get, headers: Self.bearer(key, [.ifNoneMatch: tag])) { response in
                #expect(response.status == .notModified && response.body.readableBytes == 0)
            }
        }
    }

    @Test func theChangeFeedGivesAnAgencyThePublicPartAndRecordsItsKey() async throws {
        try await withServer { client, platform in
            let (_, key) = try await Self.agency(platform)
            try await client.execute(uri: "/api/v1/changes?limit=50", method: .get, headers: Self.bearer(key)) { response in
                #expect(response.status == .ok)
            }
            struct Count: Decodable { let n: Int }
            let bogus = try await platform.store.sql.raw("SELECT COUNT(*) AS n FROM feed_cursors WHERE recipient = ''").first(decoding: Count.self)
            #expect(bogus?.n == 0)
        }
    }

    @Test func theOfficeRegistersAgenciesAndBadInputNamesTheField() async throws {
        try await withServer { client, platform in
            let admin = try await Callers.fixture.value.adminKey
            let headers = Self.bearer(admin, [.contentType: "application/json"])
            let id = "t-reg-\(UUID().uuidString.prefix(6).lowercased())"
            for (body, field) in [("{\"id\":\"\(id)\",\"name\":\"\",\"scopes\":[\"public_data\"],\"requests_per_minute\":10}", "name"),
                                  ("{\"id\":\"\(id)\",\"name\":\"某机构\",\"scopes\":[\"all\"],\"requests_per_minute\":10}", "scopes"),
                                  ("{\"id\":\"\(id)\",\"name\":\"某机构\",\"scopes\":[\"lending\"],\"requests_per_minute\":0}", "requests_per_minute")] {
                try await client.execute(uri: "/api/v1/admin/agencies", method: .post, headers: headers, body: ByteBuffer(string: body)) { response in
                    #expect(response.status == .badRequest)
                    #expect(String(buffer: response.body).contains("\"field\":\"\(field)\""))
                }
            }
            try await client.execute(uri: "/api/v1/admin/agencies", method: .post, headers: headers, body: ByteBuffer(string: """
                {"id":"\(id)","name":"某银行","kind":"bank","scopes":["lending"],"requests_per_minute":30}
                """)) { response in #expect(response.status == .created) }
            try await client.execute(uri: "/api/v1/admin/agencies", method: .get, headers: headers) { response in
                #expect(String(buffer: response.body).contains(id))
            }
        }
    }
}
