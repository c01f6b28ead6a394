import Crypto
import Foundation
import Testing
import XinyongModel
import XinyongPublication
import XinyongStore
import XinyongTestSupport

/// A small town with known records, written through the real store on each database.
struct Town {
    let site: PublicSite
    let today = CivilDate.today()
    static let actor = Actor("test", reason: "publication test")

    static let market = Department(id: "431000-market", name: "郴州市市场监督管理局", category: "market_regulation", regionCode: "431000", level: .city)
    static let court = Department(id: "431002-court", name: "北湖区人民法院", category: "court", regionCode: "431002", level: .county)
    static let builder = {
        var subject = Subject.organisation(
            code: SocialCreditCode.completing("91431002MA4L0001")!, name: "郴州市某某建设工程有限公司", regionCode: "431002")
        subject.formerNames = ["郴州恒鸿建筑（集团）有限公司"]
        return subject
    }()
    static let trader = Subject.organisation(
        code: SocialCreditCode.completing("91431021MA4L0002")!, name: "桂阳县另一商贸有限公司", regionCode: "431021")
    static let group = Subject.organisation(
        code: SocialCreditCode.completing("91431022MA4L0003")!, name: "宜章县某某建设（集团）有限公司", regionCode: "431022")
    static let person = Subject.person(PersonIdentity(idHash: "hash-1", maskedID: "4310**********1234"), name: "张某某建设", regionCode: "431002")

    init(_ store: Store) async throws {
        let builder = Self.builder
        let catalog = Catalog.shipped
        site = PublicSite(store: store, catalogs: [1: catalog], regions: .shipped, reportKey: .init())
        let today = self.today
        func record(_ id: String, _ subject: Subject, _ type: String, _ department: Department, tier: Tier? = nil,
                    daysAgo: Int, fields: [String: String] = [:]) throws -> CreditRecord {
            let recordType = catalog.recordType(type)!
            let decided = today.adding(days: -daysAgo)
            return CreditRecord(
                id: id, subjectID: subject.id, recordType: type, catalogVersion: 1, departmentID: department.id,
                regionCode: subject.regionCode, documentNumber: "郴文〔2026〕\(id)号", tier: tier, decisionDate: decided,
                legalBasis: recordType.legalBasis, schedule: try catalog.schedule(
                    for: recordType, tier: tier, decisionDate: decided, fields: fields, calendar: .china),
                fields: fields.merging(["subject_name": subject.name]) { a, _ in a })
        }
        let records = [
            try record("pen-general", builder, "admin_penalty", Self.market, tier: .general, daysAgo: 30,
                       fields: ["legal_representative": "王小明", "content": "罚款"]),
            try record("pen-minor", builder, "admin_penalty", Self.market, tier: .minor, daysAgo: 10),
            try record("pen-expired", builder, "admin_penalty", Self.market, tier: .general, daysAgo: 400),
            try record("dishonest", builder, "serious_dishonesty", Self.market, tier: .serious, daysAgo: 60),
            try record("lic-builder", builder, "admin_licence", Self.market, daysAgo: 5),
            try record("tax-a", Self.trader, "tax_grade_a", Self.market, daysAgo: 20),
            try record("lic-trader", Self.trader, "admin_licence", Self.market, daysAgo: 3),
            try record("defaulter", Self.person, "judgment_defaulter", Self.court, daysAgo: 15,
                       fields: ["end_date": today.adding(days: 700).description]),
            try record("lic-person", Self.person, "admin_licence", Self.market, daysAgo: 2),
        ]
        let objection = Objection(id: "obj-1", subjectID: builder.id, recordID: "pen-general", ground: "金额有误",
                                  filedOn: today, deadlineDays: catalog.deadlines.objectionDays)
        try await store.transaction { [builder] repos in
            try await repos.departments.insert([Self.market, Self.court], by: Self.actor)
            try await repos.subjects.insert([builder, Self.trader, Self.group, Self.person], by: Self.actor)
            try await repos.records.insert(records, by: Self.actor)
            try await repos.objections.insert([ObjectionCase(objection: objection, filer: nil, departmentID: Self.market.id,
                                                             regionCode: "431002", recordVersion: 1, filedAt: Timestamp.now(), followUpHash: nil)],
                                              by: Self.actor)
        }
    }

    func names(_ text: String, region: String? = nil, kind: SubjectKind? = nil, list: CreditList? = nil) async throws -> [String] {
        try await site.search(SearchRequest(text: text, regionCode: region, kind: kind, list: list)).hits.map(\.subject.name)
    }
}

@Suite("Public site: search", .serialized)
struct SearchTests {
    @Test("finds organisations by fragments, words, bracket and width variants, former names and code prefixes", arguments: Backend.allCases)
    func finds(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let town = try await Town(store)
            #expect(Set(try await town.names("某某建设")) == ["郴州市某某建设工程有限公司", "宜章县某某建设（集团）有限公司"])
            #expect(try await town.names("郴州市某某建设工程有限公司").first == "郴州市某某建设工程有限公司")
            #expect(try await town.names("郴州 某某建设") == ["郴州市某某建设工程有限公司"])
            #expect(try await town.names("某某建设(集团)") == ["宜章县某某建设（集团）有限公司"])
            #expect(try await town.names("ＸＸ某某建设") == [])
            let former = try await town.site.search(SearchRequest(text: "恒鸿建筑"))
            #expect(former.hits.map(\.subject.name) == ["郴州市某某建设工程有限公司"])
            #expect(former.hits.first?.matchedFormerName == true)
            #expect(former.hits.first?.matchedName == "郴州恒鸿建筑（集团）有限公司")
            #expect(try await town.names("91431021") == ["桂阳县另一商贸有限公司"])
            #expect(try await town.names("９１４３１０２１") == ["桂阳县另一商贸有限公司"])
        }
    }

    @Test("never finds natural persons; filters by region, kind and list", arguments: Backend.allCases)
    func filters(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let town = try await Town(store)
            #expect(try await town.names("张某某") == [])
            #expect(try await town.names("某某建设", region: "431022") == ["宜章县某某建设（集团）有限公司"])
            #expect(try await town.names("有限公司", list: .black) == ["郴州市某某建设工程有限公司"])
            #expect(try await town.names("有限公司", list: .red) == ["桂阳县另一商贸有限公司"])
            #expect(try await town.names("有限公司", kind: .socialOrganisation) == [])
            let hit = try #require(try await town.site.search(SearchRequest(text: "某某建设工程")).hits.first)
            #expect(hit.lists == [.black])
            #expect(hit.parts.map(\.text) == ["郴州市", "某某建设工程", "有限公司"])
            #expect(hit.parts.map(\.hit) == [false, true, false])
        }
    }

    @Test("refuses queries it cannot answer, by name, and answers hostile text normally", arguments: Backend.allCases)
    func badInput(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let town = try await Town(store)
            for text in ["建", "  ", String(repeating: "建", count: 101), String(repeating: "x", count: 100_000)] {
                await #expect(throws: PublicQueryError.self) { _ = try await town.site.search(SearchRequest(text: text)) }
            }
            await #expect(throws: PublicQueryError.self) { _ = try await town.site.search(SearchRequest(text: "建设", regionCode: "999999")) }
            await #expect(throws: PublicQueryError.self) { _ = try await town.site.search(SearchRequest(text: "建设", page: 0)) }
            for hostile in ["' OR 1=1 --", "\"建设\" OR *", "建设%_\\", "NEAR(建设 公司)", "<script>alert(1)</script>", "建设\u{0}公司", "\u{FFFD}\u{FFFD}建设"] {
                _ = try await town.site.search(SearchRequest(text: hostile))
            }
        }
    }
}

@Suite("Public site: profiles, listings and lists", .serialized)
struct ListingTests {
    @Test("a profile shows public records with department, basis and end; hides expired and unpublished; flags objections", arguments: Backend.allCases)
    func profile(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let town = try await Town(store)
            let document = try await town.site.profile(of: Town.builder)
            let ids = Set(document.sections.flatMap(\.records).map(\.id))
            #expect(ids == ["pen-general", "dishonest", "lic-builder"])
            let penalty = try #require(document.sections.flatMap(\.records).first { $0.id == "pen-general" })
            #expect(penalty.department == "郴州市市场监督管理局")
            #expect(penalty.underObjection)
            #expect(penalty.publicityEnds == town.today.adding(days: -30).adding(months: 12).description)
            #expect(penalty.repairEligibleFrom == town.today.adding(days: -30).adding(months: 3).description)
            #expect(penalty.fields.contains { $0.value.hasPrefix("王") && $0.value.contains("*") })
            #expect(!penalty.fields.contains { $0.value.contains("王小明") })
            #expect(document.labels.map(\.code) == ["black", "operating"])
            #expect(document.lists.map(\.basisRecord) == ["dishonest"])
            #expect(document.subject.formerNames == ["郴州恒鸿建筑（集团）有限公司"])
        }
    }

    @Test("double publicity lists public licences and penalties newest first, with filters; no natural persons", arguments: Backend.allCases)
    func doublePublicity(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let town = try await Town(store)
            let licences = try await town.site.doublePublicity(.licences, ListingFilter())
            #expect(licences.entries.map(\.record.id) == ["lic-trader", "lic-builder"])
            #expect(licences.entries.first?.profileCode == Town.trader.code?.value)
            let penalties = try await town.site.doublePublicity(.penalties, ListingFilter())
            #expect(penalties.entries.map(\.record.id) == ["pen-general"])
            #expect(try await town.site.doublePublicity(.licences, ListingFilter(regionCode: "431021")).entries.map(\.record.id) == ["lic-trader"])
            #expect(try await town.site.doublePublicity(.licences, ListingFilter(departmentID: "431002-court")).entries.isEmpty)
            let window = ListingFilter(decidedFrom: town.today.adding(days: -4), decidedTo: town.today)
            #expect(try await town.site.doublePublicity(.licences, window).entries.map(\.record.id) == ["lic-trader"])
            let paged = try await town.site.doublePublicity(.licences, ListingFilter(page: 1, pageSize: 1))
            #expect(paged.entries.count == 1 && paged.hasNextPage)
            await #expect(throws: PublicQueryError.self) {
                _ = try await town.site.doublePublicity(.licences, ListingFilter(decidedFrom: town.today, decidedTo: town.today.adding(days: -1)))
            }
            #expect(try await town.site.record(id: "pen-minor") == nil)
            #expect(try await town.site.record(id: "pen-expired") == nil)
            #expect(try await town.site.record(id: "lic-person") == nil)
            #expect(try await town.site.record(id: "pen-general")?.record.underObjection == true)
        }
    }

    @Test("red and black lists carry basis, start and end; a withdrawn record leaves its list", arguments: Backend.allCases)
    func lists(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let town = try await Town(store)
            let black = try await town.site.members(of: .black, ListingFilter())
            #expect(black.entries.map(\.record.id) == ["defaulter", "dishonest"])
            let person = try #require(black.entries.first)
            #expect(person.profileCode == nil)
            #expect(person.subject.displayName != Town.person.name && person.subject.displayName.contains("*"))
            #expect(person.membership?.start == town.today.adding(days: -15))
            #expect(person.membership?.end == town.today.adding(days: 700))
            let red = try await town.site.members(of: .red, ListingFilter())
            #expect(red.entries.map(\.record.id) == ["tax-a"])
            #expect(red.entries.first?.membership?.end == town.today.adding(days: -20).adding(months: 12))
            _ = try await store.repositories.records.withdraw(id: "dishonest", by: Town.actor)
            #expect(try await town.site.members(of: .black, ListingFilter()).entries.map(\.record.id) == ["defaulter"])
            #expect(try await town.site.profile(of: Town.builder).labels.map(\.code) == ["operating"])
        }
    }
}

@Suite("Public site: listing totals, name and document search, export, pages past the end", .serialized)
struct ListingSearchTests {
    /// `count` more licences of the trader decided on one day, so that paging meets ties on the date.
    func sameDayLicences(_ store: Store, _ town: Town, count: Int) async throws -> [String] {
        let catalog = Catalog.shipped
        let type = catalog.recordType("admin_licence")!
        let decided = town.today.adding(days: -1)
        let records = try (0..<count).map { i in
            CreditRecord(
                id: "lic-same-\(i)", subjectID: Town.trader.id, recordType: "admin_licence", catalogVersion: 1, departmentID: Town.market.id,
                regionCode: Town.trader.regionCode, documentNumber: "郴许〔2026〕\(100 + i)号", tier: nil, decisionDate: decided,
                legalBasis: type.legalBasis, schedule: try catalog.schedule(for: type, tier: nil, decisionDate: decided, fields: [:], calendar: .china),
                fields: ["subject_name": Town.trader.name, "licence_category": "普通"])
        }
        try await store.transaction { repos in try await repos.records.insert(records, by: Town.actor) }
        return records.map(\.id)
    }

    @Test("a listing has a total, finds by name, code and document number, and shows the last page for a page past the end", arguments: Backend.allCases)
    func search(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let town = try await Town(store)
            let all = try await town.site.doublePublicity(.licences, ListingFilter())
            #expect(all.total == 2 && !all.totalCapped && all.pageCount == 1)
            func ids(_ filter: ListingFilter) async throws -> [String] {
                try await town.site.doublePublicity(.licences, filter).entries.map(\.record.id)
            }
            #expect(try await ids(ListingFilter(subjectText: "另一商贸")) == ["lic-trader"])
            #expect(try await ids(ListingFilter(subjectText: "某某建设")) == ["lic-builder"])
            #expect(try await ids(ListingFilter(subjectText: "恒鸿建筑")) == ["lic-builder"], "former names too")
            #expect(try await ids(ListingFilter(subjectText: "91431021")) == ["lic-trader"], "the start of a code")
            #expect(try await ids(ListingFilter(subjectText: "张某某建设")).isEmpty, "natural persons are never found by name")
            #expect(try await ids(ListingFilter(regionCode: "431002", subjectText: "另一商贸")).isEmpty)
            #expect(try await ids(ListingFilter(documentNumber: "郴文〔2026〕lic-builder号")) == ["lic-builder"])
            #expect(try await ids(ListingFilter(documentNumber: "郴文〔2026〕lic")) == ["lic-trader", "lic-builder"])
            #expect(try await ids(ListingFilter(departmentID: Town.market.id, documentNumber: "郴文〔2026〕lic-t")) == ["lic-trader"])
            #expect(try await ids(ListingFilter(documentNumber: "郴文%")).isEmpty, "% is no wildcard")
            #expect(try await ids(ListingFilter(documentNumber: "郴文_2026")).isEmpty, "_ is no wildcard")
            #expect(try await ids(ListingFilter(documentNumber: "lic-builder")).isEmpty, "the start of the number, not any part")
            #expect(try await town.site.doublePublicity(.licences, ListingFilter(subjectText: "另一商贸")).total == 1)
            await #expect(throws: PublicQueryError.self) { _ = try await town.site.doublePublicity(.licences, ListingFilter(subjectText: "建")) }
            await #expect(throws: PublicQueryError.self) {
                _ = try await town.site.doublePublicity(.licences, ListingFilter(documentNumber: String(repeating: "文", count: 101)))
            }
            let past = try await town.site.doublePublicity(.licences, ListingFilter(page: 9, pageSize: 1))
            #expect(past.page == 2 && past.requestedPage == 9 && past.entries.map(\.record.id) == ["lic-builder"] && !past.hasNextPage)
            let none = try await town.site.doublePublicity(.licences, ListingFilter(subjectText: "无此名称", page: 3))
            #expect(none.page == 1 && none.total == 0 && none.entries.isEmpty)
            #expect(all.entries.first?.category == nil)
        }
    }

    @Test("pages and export chunks walk ties on the decision date without repeating or losing a record", arguments: Backend.allCases)
    func ties(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let town = try await Town(store)
            let same = try await sameDayLicences(store, town, count: 7)
            let expected = same.sorted(by: >) + ["lic-trader", "lic-builder"]
            var paged: [String] = []
            for page in 1...3 {
                let listing = try await town.site.doublePublicity(.licences, ListingFilter(page: page, pageSize: 3))
                #expect(listing.total == 9 && listing.pageCount == 3)
                paged += listing.entries.map(\.record.id)
            }
            #expect(paged == expected)
            let export = try await town.site.exportDoublePublicity(.licences, ListingFilter())
            #expect(export.rows == 9)
            var chunks: [[String]] = []
            try await export.forEachChunk(size: 2) { chunks.append($0.map(\.record.id)) }
            #expect(chunks.flatMap { $0 } == expected)
            #expect(chunks.map(\.count) == [2, 2, 2, 2, 1])
            let entry = try #require(try await town.site.doublePublicity(.licences, ListingFilter(documentNumber: "郴许〔2026〕103号")).entries.first)
            #expect(entry.category == "普通")
        }
    }

    @Test("an export above its limit is refused before it is read; the filters apply", arguments: Backend.allCases)
    func exportLimit(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let town = try await Town(store)
            await #expect(throws: ExportTooLarge(limit: 1)) { _ = try await town.site.exportDoublePublicity(.licences, ListingFilter(), limit: 1) }
            let narrowed = try await town.site.exportDoublePublicity(.licences, ListingFilter(subjectText: "另一商贸"), limit: 1)
            var ids: [String] = []
            try await narrowed.forEachChunk { ids += $0.map(\.record.id) }
            #expect(narrowed.rows == 1 && ids == ["lic-trader"])
            #expect(try await store.repositories.records.countPublic(
                ListingQuery(types: [("admin_licence", false)], date: town.today, limit: 1), upTo: 1) == 2, "counted up to the bound plus one")
        }
    }

    @Test("a search page past the last shows the last page", arguments: Backend.allCases)
    func searchPages(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let town = try await Town(store)
            let past = try await town.site.search(SearchRequest(text: "有限公司", page: 50, pageSize: 1))
            #expect(past.total == 3 && past.page == 3 && past.requestedPage == 50 && past.hits.count == 1)
            let first = try await town.site.search(SearchRequest(text: "有限公司", page: 1, pageSize: 2))
            #expect(first.page == 1 && first.pageCount == 2 && first.hits.count == 2)
            await #expect(throws: PublicQueryError.self) { _ = try await town.site.search(SearchRequest(text: "有限公司", page: 0)) }
        }
    }
}

@Suite("Public site: signed credit reports", .serialized)
struct ReportTests {
    @Test("an issued report verifies; any change, added content, another key or garbage does not", arguments: Backend.allCases)
    func reports(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let town = try await Town(store)
            let signed = try await town.site.issueReport(for: Town.builder)
            #expect(signed.report.profile.sections.flatMap(\.records).map(\.id).sorted() == ["dishonest", "lic-builder", "pen-general"])
            let json = signed.json
            #expect(try await town.site.checkReport(document: json).outcome == .genuine)
            #expect(try await town.site.checkReport(number: signed.report.number).outcome == .genuine)
            #expect(try await town.site.checkReport(number: "XY20260101-0000000000").outcome == .unknownNumber)

            let text = String(decoding: json, as: UTF8.self)
            let renamed = Data(text.replacingOccurrences(of: "郴州市某某建设工程有限公司", with: "郴州市另某建设工程有限公司").utf8)
            guard case .altered = try await town.site.checkReport(document: renamed).outcome else {
                Issue.record("a renamed subject passed verification"); return
            }
            var object = try #require(try JSONSerialization.jsonObject(with: json) as? [String: Any])
            var report = try #require(object["report"] as? [String: Any])
            report["remark"] = "信用良好"
            object["report"] = report
            guard case .altered = try await town.site.checkReport(document: try JSONSerialization.data(withJSONObject: object)).outcome else {
                Issue.record("added content passed verification"); return
            }
            let forged = try SignedCreditReport(signing: signed.report, with: .init()).json
            guard case .altered = try await town.site.checkReport(document: forged).outcome else {
                Issue.record("a report signed by another key passed"); return
            }
            guard case .malformed = try await town.site.checkReport(document: Data([0xFF, 0x00, 0x7B])).outcome else {
                Issue.record("garbage was not malformed"); return
            }
            let audit = try await store.repositories.audit.entries(entity: "credit_reports")
            #expect(audit.contains { $0.entity_id == signed.report.number })
        }
    }

    @Test("the canonical form survives a round trip, so a verifier elsewhere rebuilds the signed bytes")
    func canonical() throws {
        let key = Curve25519.Signing.PrivateKey()
        let report = CreditReport(number: "XY20261121-ABCDEFGHJK", issuer: "信用郴州", issuedAt: "2026-11-21T00:00:00Z", cutOff: "2026-11-21",
                                  profile: ProfileDocument(profile: PublicProfile(subject: Town.builder, records: [], catalog: { _ in nil }, on: .today()),
                                                           departments: [:], underObjection: [], regionName: "郴州市"),
                                  notice: "说明")
        let signed = try SignedCreditReport(signing: report, with: key)
        let decoded = try SignedCreditReport.decode(signed.json)
        #expect(decoded == signed)
        #expect(decoded.report.canonicalJSON == report.canonicalJSON)
        #expect(SignedCreditReport.verify(signed.json, publicKey: key.publicKey) == .genuine(report))
        #expect(ReportKey.parse(ReportKey.published(key.publicKey))?.rawRepresentation == key.publicKey.rawRepresentation)
    }
}
