import Foundation
import XinyongModel
import XinyongParks
import XinyongStore

/// The wider circle: two business associations that rate, honour and sanction members drawn from their
/// trade (by the words of their names), and three honesty demonstration parks, one by a member list, one
/// by region, one by both, with targets and, for the oldest, last year's review.
extension DemoGenerator {
    struct DemoAssociation {
        /// `abbreviation` starts its document numbers (郴建协评〔2026〕12号).
        let id, name, abbreviation, organisationCode: String
        /// Words of member names in the association's trade.
        let trades: [String]
    }

    static let demoAssociations = [
        DemoAssociation(id: "431000-association-construction", name: "郴州市建筑业协会", abbreviation: "郴建协", organisationCode: "MJ0000011",
                        trades: ["建设工程", "装饰工程", "建材"]),
        DemoAssociation(id: "431000-association-catering", name: "郴州市餐饮行业协会", abbreviation: "郴餐协", organisationCode: "MJ0000029",
                        trades: ["餐饮管理", "食品"]),
    ]

    func runCircleDemo(into store: Store, actor: Actor) async throws -> Int {
        var random = SeededRandom(seed: options.seed).fork(4_000_000)
        var written = 0
        for association in Self.demoAssociations {
            written += try await runAssociation(association, into: store, random: &random, actor: actor)
        }
        try await nameParks(into: store, random: &random, actor: actor)
        return written
    }

    // MARK: Associations

    private func runAssociation(_ a: DemoAssociation, into store: Store, random: inout SeededRandom, actor: Actor) async throws -> Int {
        let code = SocialCreditCode.completing("51\(Self.city)\(a.organisationCode.prefix(8))")
        let department = Department(id: a.id, name: a.name, category: Department.associationCategory, regionCode: Self.city,
                                    level: .city, code: code)
        try await store.transaction { try await $0.departments.insert([department], by: actor) }
        let perTrade = max(4, options.subjects / 150)
        var members: [Subject] = []
        for trade in a.trades {
            members += try await store.repositories.subjects.organisations(nameContaining: trade, limit: perTrade)
        }
        var records: [CreditRecord] = []
        for (index, member) in members.enumerated() {
            guard let memberCode = member.code else { continue }
            // The third member is a weak one, so that every association has a sanction to show.
            let level = index == 2 ? "C" : random.weighted([("AAA", 15), ("AA", 35), ("A", 35), ("B", 10), ("C", 5)])
            records.append(try associationRecord("association_rating", by: department, abbreviation: a.abbreviation, of: member, code: memberCode, serial: index,
                                                 fields: ["rating_level": level, "rating_year": "\(options.asOf.year - 1)"],
                                                 basis: "\(a.name)会员信用评价办法第八条", random: &random))
            if index % 9 == 0 {
                records.append(try associationRecord("association_honour", by: department, abbreviation: a.abbreviation, of: member, code: memberCode, serial: index,
                                                     fields: ["honour_name": "\(options.asOf.year - 1)年度诚信经营示范单位"],
                                                     basis: "\(a.name)章程第十二条", random: &random))
            }
            if level == "C" {
                records.append(try associationRecord("association_warning", by: department, abbreviation: a.abbreviation, of: member, code: memberCode, serial: index,
                                                     fields: ["measure": "通报批评", "facts": "无正当理由拖欠会员单位货款，经协会调解后仍未履行"],
                                                     basis: "\(a.name)行业自律公约第六条", random: &random))
            }
        }
        let chunk = records, asOf = options.asOf
        try await store.transaction { try await $0.records.insert(chunk, by: actor, announcedAsOf: asOf) }
        return records.count
    }

    private func associationRecord(_ typeCode: String, by association: Department, abbreviation: String, of member: Subject, code: SocialCreditCode, serial: Int,
                                   fields extra: [String: String], basis: String, random: inout SeededRandom) throws -> CreditRecord {
        guard let type = catalog.recordType(typeCode) else { throw DemoDataMissing(what: "record type \(typeCode)") }
        let earliest = max(member.registeredOn ?? options.asOf, options.asOf.adding(months: -10))
        let decided = CivilDate(dayNumber: random.int(min(earliest.dayNumber, options.asOf.dayNumber)...options.asOf.adding(days: -3).dayNumber))
        let kind = ["association_rating": "评", "association_honour": "表", "association_warning": "惩"][typeCode] ?? ""
        let number = "\(abbreviation)\(kind)〔\(decided.year)〕\(serial + 1)号"
        var fields = extra
        fields.merge(["subject_name": member.name, "subject_code": code.value, "authority": association.name]) { a, _ in a }
        let schedule = try catalog.schedule(for: type, tier: nil, decisionDate: decided, fields: fields, calendar: calendar)
        return CreditRecord(
            id: random.uuid(), subjectID: member.id, recordType: type.code, catalogVersion: catalog.version, departmentID: association.id,
            regionCode: member.regionCode, documentNumber: number, tier: nil, decisionDate: decided, legalBasis: basis,
            schedule: schedule, fields: fields)
    }

    // MARK: Parks

    private func nameParks(into store: Store, random: inout SeededRandom, actor: Actor) async throws {
        let service = ParkService(store: store, regions: regions, catalog: catalog)
        let year = options.asOf.year
        let parks = [
            Park(id: "gaoxin", name: "郴州高新技术产业开发区诚信示范园区", managingBody: "郴州高新技术产业开发区管理委员会",
                 establishedOn: CivilDate(year: year - 2, month: 6, day: 18)!, regionCodes: [],
                 targets: [.init(metric: .negativePerThousandPerMonth, atMost: 12), .init(metric: .gradeABShare, atLeast: 0.85)]),
            Park(id: "zixing", name: "资兴经济开发区诚信示范园区", managingBody: "资兴经济开发区管理委员会",
                 establishedOn: CivilDate(year: year - 1, month: 9, day: 1)!, regionCodes: ["431081"],
                 targets: [.init(metric: .blackListedPerThousand, atMost: 5), .init(metric: .commitmentsPerThousand, atLeast: 20)]),
            Park(id: "linwu", name: "临武县工业集中区诚信示范园区", managingBody: "临武县工业集中区管理委员会",
                 establishedOn: CivilDate(year: year, month: 3, day: 15)!, regionCodes: ["431025"],
                 targets: [.init(metric: .negativePerThousandPerMonth, atMost: 2)]),
        ]
        for park in parks { try await service.create(park, by: actor) }
        // The high-tech zone lists its own members: the enterprises of Beihu and Suxian districts whose trade
        // belongs there; Linwu's zone adds firms registered elsewhere in the city that moved in.
        var listed: [String] = []
        for (trade, region) in [("电子科技", "431002"), ("新材料", "431003"), ("信息技术", "431002"), ("机械制造", "431003")] {
            listed += try await store.repositories.subjects.organisations(nameContaining: trade, region: region, limit: 200).compactMap(\.code?.value)
        }
        let movedIn = try await store.repositories.subjects.organisations(nameContaining: "有色金属", limit: 60).compactMap(\.code?.value)
        // A small demo may have no such firms: a park then starts without members (an empty file is refused).
        for (park, members) in [("gaoxin", listed), ("linwu", movedIn)] where !members.isEmpty {
            _ = try await service.importMembers(members.joined(separator: "\n"), into: park, mode: .partial, by: actor)
        }
        // Last year's review of the oldest park, concluded by its targets as the figures stand.
        let gaoxin = try await service.park("gaoxin")
        let figures = try await service.figures(of: .park(gaoxin), on: options.asOf)
        let missed = gaoxin.targets.filter { !$0.isMet(by: figures.value(of: $0.metric)) }
        _ = try await service.review(
            parkID: "gaoxin", year: year - 1, outcome: missed.isEmpty ? .passed : .rectify,
            note: missed.isEmpty ? "各项创建目标均已达到，继续保留称号。"
                : "未达到的目标：\(missed.map(\.label).joined(separator: "；"))。限期一年整改，明年复核。", by: actor)
    }
}

struct DemoDataMissing: Error, CustomStringConvertible {
    let what: String
    var description: String { "the demo needs \(what), which the catalogue does not have" }
}
