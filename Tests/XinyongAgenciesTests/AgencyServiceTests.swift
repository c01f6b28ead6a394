import Crypto
import Foundation
import Testing
import XinyongAgencies
import XinyongModel
import XinyongPublication
import XinyongStore
import XinyongTestSupport

/// A town with an agency, a bank, two organisations and a person, and records public and not.
struct AgencyTown {
    let service: AgencyService
    let store: Store
    static let today = CivilDate.today()
    static let actor = Actor("test", reason: "agency test")
    static let market = Department(id: "431000-market", name: "郴州市市场监督管理局", category: "market_regulation", regionCode: "431000", level: .city)
    static let court = Department(id: "431000-court", name: "郴州市中级人民法院", category: "court", regionCode: "431000", level: .city)
    static let builder = Subject.organisation(code: SocialCreditCode.completing("91431002MA4L0001")!, name: "郴州市某某建设工程有限公司",
                                              regionCode: "431002")
    static let trader = Subject.organisation(code: SocialCreditCode.completing("91431021MA4L0002")!, name: "桂阳县另一商贸有限公司",
                                             regionCode: "431021")
    static let person = Subject.person(PersonIdentity(idHash: "hash-1", maskedID: "4310**********1234"), name: "张某某", regionCode: "431002")
    static let agency = Agency(id: "agency-1", name: "郴州某信用服务有限公司", kind: .agency, scopes: Set(AgencyScope.allCases), requestsPerMinute: 60)
    static let bank = Agency(id: "bank-1", name: "郴州某银行", kind: .bank, scopes: [.lending], requestsPerMinute: 60)
    static let asker = AgencyService.Asker(agencyID: agency.id, keyID: "key-1", route: "GET /api/v1/agency/subjects/{code}")

    init(_ store: Store) async throws {
        self.store = store
        let catalog = Catalog.shipped
        service = AgencyService(site: PublicSite(store: store, catalogs: [1: catalog], regions: .shipped, reportKey: .init()))
        func record(_ id: String, _ subject: Subject, _ type: String, _ department: Department, tier: Tier? = nil, daysAgo: Int,
                    fields: [String: String] = [:]) throws -> CreditRecord {
            let recordType = catalog.recordType(type)!
            let decided = Self.today.adding(days: -daysAgo)
            return CreditRecord(
                id: id, subjectID: subject.id, recordType: type, catalogVersion: 1, departmentID: department.id, regionCode: subject.regionCode,
                documentNumber: "郴文〔2026〕\(id)号", tier: tier, decisionDate: decided, legalBasis: recordType.legalBasis,
                schedule: try catalog.schedule(for: recordType, tier: tier, decisionDate: decided, fields: fields, calendar: .china),
                fields: fields.merging(["subject_name": subject.name]) { a, _ in a })
        }
        let records = [
            try record("r-pen", Self.builder, "admin_penalty", Self.market, tier: .general, daysAgo: 30),
            try record("r-expired", Self.builder, "admin_penalty", Self.market, tier: .general, daysAgo: 1_200),
            try record("r-lic", Self.builder, "admin_licence", Self.market, daysAgo: 5),
            try record("r-tax", Self.trader, "admin_licence", Self.market, daysAgo: 20),
            try record("r-defaulter", Self.person, "judgment_defaulter", Self.court, daysAgo: 15,
                       fields: ["end_date": Self.today.adding(days: 700).description]),
            try record("r-person-lic", Self.person, "admin_licence", Self.market, daysAgo: 2),
        ]
        try await store.transaction { repos in
            try await repos.departments.insert([Self.market, Self.court], by: Self.actor)
            try await repos.subjects.insert([Self.builder, Self.trader, Self.person], by: Self.actor)
            try await repos.records.insert(records, by: Self.actor)
            try await repos.agencies.create(Self.agency, by: Self.actor)
            try await repos.agencies.create(Self.bank, by: Self.actor)
        }
    }

    func grant(_ subject: Subject = builder, agency: Agency = agency, scopes: [String] = ["consented", "lending"],
               today: CivilDate = today, months: Int = 3) async throws -> (consent: Consent, followUpCode: String) {
        try await service.grant(.init(agencyID: agency.id, subjectCode: subject.code!.value, subjectName: subject.name, signer: "王经理",
                                      purpose: "出具信用报告", scopes: scopes, expiresOn: today.adding(months: months).description), today: today)
    }

    func refusal(_ body: () async throws -> Void) async -> String? {
        do {
            try await body()
            return nil
        } catch let refusal as AgencyService.Refusal {
            return refusal.field.map { "\(refusal.code) \($0)" } ?? refusal.code
        } catch {
            return "\(error)"
        }
    }

    func log(of consent: Consent) async throws -> [String] {
        try await service.accesses(under: consent).map { "\($0.outcome.rawValue) \($0.detail) \($0.records)" }
    }
}

@Suite("Agencies: registration and consent", .serialized)
struct AgencyConsentTests {
    @Test("registration names the bad field", arguments: Backend.allCases)
    func registration(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let town = try await AgencyTown(store)
            func register(id: String = "new-1", name: String = "某征信公司", kind: String = "agency", scopes: [String] = ["public_data"],
                          rate: Int = 10) async -> String? {
                await town.refusal {
                    _ = try await AgencyService.register(.init(id: id, name: name, kind: kind, scopes: scopes, requestsPerMinute: rate),
                                                         in: store, by: AgencyTown.actor)
                }
            }
            #expect(await register(name: " ") == "invalid-field name")
            #expect(await register(scopes: ["everything"]) == "invalid-field scopes")
            #expect(await register(scopes: []) == "invalid-field scopes")
            #expect(await register(rate: 0) == "invalid-field requests_per_minute")
            #expect(await register(kind: "broker") == "invalid-field kind")
            #expect(await register(id: "agency-1") == "duplicate id")
            #expect(await register() == nil)
            #expect(try await store.repositories.agencies.find("new-1")?.scopes == [.publicData])
        }
    }

    @Test("a consent is granted with a number and a code, checked, and revoked", arguments: Backend.allCases)
    func grantAndRevoke(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let town = try await AgencyTown(store)
            let (consent, code) = try await town.grant()
            #expect(consent.id.hasPrefix("SQ") && consent.state(on: AgencyTown.today) == .inForce)
            #expect(try await town.service.consent(consent.id.lowercased(), followUpCode: code.lowercased()).id == consent.id)
            #expect(await town.refusal { _ = try await town.service.consent(consent.id, followUpCode: "WRONG") } == "wrong-code code")
            #expect(await town.refusal { _ = try await town.service.revoke(consent.id, followUpCode: "WRONG") } == "wrong-code code")
            #expect(try await town.service.revoke(consent.id, followUpCode: code).state(on: AgencyTown.today) == .revoked)
            let entries = try await store.repositories.audit.entries(entity: "consents")
            #expect(Set(entries.map(\.action)) == ["grant", "revoke"])
        }
    }

    @Test("a grant names its bad field: name, person, scope, expiry", arguments: Backend.allCases)
    func badGrants(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let town = try await AgencyTown(store)
            let g = AgencyService.Grant(agencyID: AgencyTown.agency.id, subjectCode: AgencyTown.builder.code!.value, subjectName: "别的公司",
                                        signer: "王经理", purpose: "授信", scopes: ["consented"], expiresOn: AgencyTown.today.adding(days: 30).description)
            func refused(_ change: (inout AgencyService.Grant) -> Void) async -> String? {
                var grant = g
                change(&grant)
                return await town.refusal { _ = try await town.service.grant(grant) }
            }
            #expect(await refused { _ in } == "name-mismatch subject_name")
            #expect(await refused { $0.subjectName = AgencyTown.builder.name; $0.scopes = ["public_data"] } == "invalid-field scopes")
            #expect(await refused { $0.subjectName = AgencyTown.builder.name; $0.scopes = ["consented", "bogus"] } == "invalid-field scopes")
            #expect(await refused { $0.subjectName = AgencyTown.builder.name; $0.agencyID = AgencyTown.bank.id } == "invalid-field scopes")
            #expect(await refused { $0.subjectName = AgencyTown.builder.name; $0.expiresOn = AgencyTown.today.adding(months: 13).description }
                    == "invalid-field expires_on")
            #expect(await refused { $0.subjectName = AgencyTown.builder.name; $0.expiresOn = "tomorrow" } == "invalid-field expires_on")
            #expect(await refused { $0.subjectName = AgencyTown.builder.name; $0.signer = "" } == "invalid-field signer")
            #expect(await refused { $0.subjectName = AgencyTown.builder.name; $0.purpose = "" } == "invalid-field purpose")
            #expect(await refused { $0.subjectCode = "123" } == "invalid-field subject_code")
            #expect(await refused { $0.subjectName = AgencyTown.builder.name } == nil)
        }
    }
}

@Suite("Agencies: consented reads, lending, reports, export", .serialized)
struct AgencyReadTests {
    @Test("a consented read gives every record, public or not, and is logged; refusals are logged too", arguments: Backend.allCases)
    func consentedRead(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let town = try await AgencyTown(store)
            let code = AgencyTown.builder.code!.value
            let (consent, followUp) = try await town.grant()
            let file = try await town.service.consentedRecords(AgencyTown.asker, subjectCode: code, consent: consent.id)
            #expect(file.count == 3)
            #expect(await town.refusal { _ = try await town.service.consentedRecords(AgencyTown.asker, subjectCode: code, consent: nil) }
                    == "consent-required consent")
            let other = AgencyService.Asker(agencyID: AgencyTown.bank.id, keyID: "key-2", route: AgencyTown.asker.route)
            #expect(await town.refusal { _ = try await town.service.lendingCheck(other, subjectCode: code, consent: consent.id) }
                    == "consent-mismatch consent")
            let traderConsent = try await town.grant(AgencyTown.trader).consent
            #expect(await town.refusal { _ = try await town.service.consentedRecords(AgencyTown.asker, subjectCode: code, consent: traderConsent.id) }
                    == "consent-mismatch consent")
            _ = try await town.service.revoke(consent.id, followUpCode: followUp)
            #expect(await town.refusal { _ = try await town.service.consentedRecords(AgencyTown.asker, subjectCode: code, consent: consent.id) }
                    == "consent-revoked consent")
            #expect(try await town.log(of: consent).sorted() == ["granted  3", "refused consent-mismatch 0", "refused consent-required 0",
                                                                "refused consent-revoked 0"])
            let refusals = try await store.repositories.audit.entries(entity: "route").filter { $0.action == "refused" }
            #expect(refusals.count == 4)
        }
    }

    @Test("past its expiry or outside its scope a consent lets nothing through", arguments: Backend.allCases)
    func expiryAndScope(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let town = try await AgencyTown(store)
            let code = AgencyTown.builder.code!.value
            let old = try await town.grant(today: AgencyTown.today.adding(days: -400), months: 12).consent
            #expect(await town.refusal { _ = try await town.service.consentedRecords(AgencyTown.asker, subjectCode: code, consent: old.id) }
                    == "consent-expired consent")
            let lendingOnly = try await town.grant(scopes: ["lending"]).consent
            #expect(await town.refusal { _ = try await town.service.consentedRecords(AgencyTown.asker, subjectCode: code, consent: lendingOnly.id) }
                    == "outside-consent-scope consent")
            let check = try await town.service.lendingCheck(AgencyTown.asker, subjectCode: code, consent: lendingOnly.id)
            #expect(try JSONSerialization.jsonObject(with: JSONEncoder().encode(check)) is [String: Any])
            #expect(try await town.log(of: old).sorted() == ["granted  0", "refused consent-expired 0", "refused outside-consent-scope 0"])
        }
    }

    @Test("a report obtained under a consent is one /verify knows", arguments: Backend.allCases)
    func report(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let town = try await AgencyTown(store)
            let consent = try await town.grant().consent
            let signed = try await town.service.report(AgencyTown.asker, subjectCode: AgencyTown.builder.code!.value, consent: consent.id)
            #expect(try await town.service.site.checkReport(number: signed.report.number).outcome == .genuine)
            #expect(try await town.service.accesses(under: consent).first?.detail == signed.report.number)
        }
    }

    @Test("the export holds public records only, each once across pages", arguments: Backend.allCases)
    func export(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let town = try await AgencyTown(store)
            var ids: [String] = [], cursor = "", pages = 0
            while true {
                let end = try await town.service.export(after: cursor, limit: 2) { lines in
                    ids += try lines.map { try #require(JSONSerialization.jsonObject(with: JSONEncoder().encode($0)) as? [String: Any])["id"] as! String }
                }
                pages += 1
                cursor = end.nextCursor
                if end.end { break }
            }
            #expect(ids == ["r-defaulter", "r-lic", "r-pen", "r-tax"])
            #expect(pages == 3)
            let tag = try await town.service.exportTag(after: "", limit: 2)
            #expect(try await town.service.exportTag(after: "", limit: 2) == tag)
            #expect(try await town.service.exportTag(after: "r-lic", limit: 2) != tag)
        }
    }
}
