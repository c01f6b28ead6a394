import Crypto
import Foundation
import XinyongModel
import XinyongEvaluation
import XinyongStore

/// Fills an empty database with a synthetic Chenzhou (郴州市 and its 11 county-level divisions):
/// departments at city and county level, subjects with well-formed codes, and three years of records of
/// every catalogue type. The data is a function of (seed, subject count, as-of date, record scale).
public struct DemoGenerator: Sendable {
    public struct Options: Sendable {
        public var subjects: Int
        public var seed: UInt64
        /// The last day records may be dated; the three years before it are filled.
        public var asOf: CivilDate
        /// Multiplies how many records each subject gets (1 = about 2.5 per subject).
        public var recordScale: Double

        public init(subjects: Int = 20_000, seed: UInt64 = 431_000, asOf: CivilDate = .today(), recordScale: Double = 1) {
            self.subjects = subjects
            self.seed = seed
            self.asOf = asOf
            self.recordScale = recordScale
        }
    }

    public struct Progress: Sendable {
        public let subjectsDone: Int
        public let subjectsTotal: Int
        public let records: Int
    }

    public struct Summary: Sendable {
        /// Subjects per grade, as of the demo's date.
        public let grades: [Grade: Int]
        public let departments: Int
        public let subjects: Int
        public let records: Int
        public let checkFailedCodes: Int
    }

    public struct NotEmpty: Error, CustomStringConvertible {
        public let subjects: Int
        public var description: String {
            "the database already holds \(subjects) subjects; the demo only fills an empty database (point DATABASE_URL at a new one)"
        }
    }

    static let city = "431000"
    /// County-level divisions with a weight for how many subjects each has (roughly by population).
    static let countyWeights: [(String, Double)] = [
        ("431002", 8), ("431003", 7), ("431021", 9), ("431022", 7), ("431023", 7), ("431024", 4),
        ("431025", 4), ("431026", 4), ("431027", 2), ("431028", 4), ("431081", 5),
    ]
    /// Subjects are generated and written in chunks of this size, one transaction each, so memory stays flat.
    public static let chunkSize = 5_000

    let options: Options
    let catalog: Catalog
    let regions: RegionDirectory
    let calendar: WorkingDayCalendar
    let personKey: SymmetricKey

    public init(options: Options, catalog: Catalog = .shipped, regions: RegionDirectory = .shipped,
                calendar: WorkingDayCalendar = .china, personKey: SymmetricKey) {
        self.options = options
        self.catalog = catalog
        self.regions = regions
        self.calendar = calendar
        self.personKey = personKey
    }

    public func run(into store: Store, progress: @Sendable (Progress) -> Void = { _ in }) async throws -> Summary {
        let existing = try await store.repositories.subjects.count()
        guard existing == 0 else { throw NotEmpty(subjects: existing) }
        let actor = Actor("demo", reason: "synthetic demo data, seed \(options.seed), \(options.subjects) subjects, as of \(options.asOf)")
        let departments = makeDepartments()
        try await store.transaction { try await $0.departments.insert(departments, by: actor) }

        let (records, checkFailed) = try await store.withIndexesDeferred(on: Self.loadedTables) {
            try await writeSubjectsAndRecords(into: store, departments: departments, actor: actor, progress: progress)
        }
        // Every demo subject gets its grade as of the demo's date, so that grades, explanations and graded
        // supervision show at once; the inspection plan then draws by those grades.
        let grades = try await Evaluator.current(store: store, on: options.asOf).evaluateAll(asOf: options.asOf)
        // After the grades: associations' records never change one, and the parks' figures use them.
        let circleRecords = try await runCircleDemo(into: store, actor: actor)
        let inspectionRecords = try await runInspectionDemo(into: store, departments: departments, actor: actor)
        try await runCultureDemo(into: store, actor: actor)
        try await runAgencyDemo(into: store, actor: actor)
        return Summary(grades: grades, departments: departments.count, subjects: options.subjects,
                       records: records + circleRecords + inspectionRecords, checkFailedCodes: checkFailed)
    }

    /// The tables the subject chunks fill: on PostgreSQL their secondary indexes and foreign keys are built
    /// once after the load (``Store/withIndexesDeferred(on:_:)``).
    static let loadedTables = [
        "subjects", "subject_search", "subject_name_keys", "credit_records", "list_memberships", "changes", "audit_log", "commitments",
    ]

    /// One chunk of subjects with everything written with them.
    private struct Chunk: Sendable {
        let range: Range<Int>
        let subjects: [Subject]
        let records: [CreditRecord]
        let cases: DueProcessCases
        let commitments: [Commitment]
    }

    /// Generates the chunks in order (document numbers run on across chunks) and writes each in one
    /// transaction while the next is generated, so that generation and the database work side by side.
    /// Returns the records written and the subjects whose code fails its check.
    private func writeSubjectsAndRecords(into store: Store, departments: [Department], actor: Actor,
                                         progress: @Sendable (Progress) -> Void) async throws -> (records: Int, checkFailed: Int) {
        var builder = RecordBuilder(generator: self, departments: departments)
        var records = 0, checkFailed = 0
        var writing: Task<Void, any Error>?
        do {
            for chunkStart in stride(from: 0, to: options.subjects, by: Self.chunkSize) {
                let chunk = makeChunk(from: chunkStart, builder: &builder)
                try await writing?.value
                if writing != nil { progress(Progress(subjectsDone: chunk.range.lowerBound, subjectsTotal: options.subjects, records: records)) }
                writing = Task { try await write(chunk, into: store, actor: actor) }
                records += chunk.records.count
                checkFailed += chunk.subjects.count { $0.codeCheckFailed }
            }
            try await writing?.value
        } catch {
            _ = try? await writing?.value
            throw error
        }
        progress(Progress(subjectsDone: options.subjects, subjectsTotal: options.subjects, records: records))
        return (records, checkFailed)
    }

    private func makeChunk(from chunkStart: Int, builder: inout RecordBuilder) -> Chunk {
        let range = chunkStart..<min(chunkStart + Self.chunkSize, options.subjects)
        var random = SeededRandom(seed: options.seed).fork(UInt64(chunkStart / Self.chunkSize + 1))
        let subjects = range.map { makeSubject(index: $0, random: &random) }
        var records = subjects.flatMap { builder.records(for: $0, random: &random) }
        var dueProcessRandom = SeededRandom(seed: options.seed).fork(UInt64(1_000_000 + chunkStart / Self.chunkSize))
        let cases = makeDueProcessCases(&records, subjects: subjects, departments: builder.departments, random: &dueProcessRandom)
        var commitmentRandom = SeededRandom(seed: options.seed).fork(UInt64(2_000_000 + chunkStart / Self.chunkSize))
        let commitments = makeCommitments(&records, subjects: subjects, random: &commitmentRandom)
        return Chunk(range: range, subjects: subjects, records: records, cases: cases, commitments: commitments)
    }

    private func write(_ chunk: Chunk, into store: Store, actor: Actor) async throws {
        let asOf = options.asOf
        try await store.transaction { repos in
            try await repos.subjects.insert(chunk.subjects, by: actor)
            // Publicity that ended before the demo's day is history the platform never saw happen: stored as
            // announced, so that a first start does not replay it onto the change feed.
            try await repos.records.insert(chunk.records, by: actor, announcedAsOf: asOf)
            try await repos.objections.insert(chunk.cases.objections, by: actor)
            try await repos.repairs.insert(chunk.cases.repairs, by: actor)
            try await repos.notices.insert(chunk.cases.notices, by: actor, batch: nil)
            try await repos.commitments.insert(chunk.commitments, by: actor)
        }
    }

    // MARK: Departments

    func makeDepartments() -> [Department] {
        var random = SeededRandom(seed: options.seed).fork(0)
        var out: [Department] = []
        for region in [Self.city] + Self.countyWeights.map(\.0) {
            let countyName = regions[region]?.name ?? region
            for kind in DepartmentKind.all {
                let isCity = region == Self.city
                let name = isCity ? kind.cityName : kind.countyName.replacingOccurrences(of: "{c}", with: countyName)
                out.append(Department(
                    id: "\(region)-\(kind.category)", name: name, category: kind.category, regionCode: region,
                    level: isCity ? .city : .county, code: governmentCode(region: region, random: &random)))
            }
        }
        return out
    }

    private func governmentCode(region: String, random: inout SeededRandom) -> SocialCreditCode {
        let org = (0..<8).map { _ in String(SocialCreditCode.alphabet[random.int(0...9)]) }.joined()
        return SocialCreditCode.completing("11\(region)\(org)")!
    }

    // MARK: Subjects

    private static let kindWeights: [(SubjectKind, Double)] = [
        (.enterprise, 78), (.individualBusiness, 14), (.socialOrganisation, 2), (.publicInstitution, 1.5),
        (.governmentBody, 0.5), (.naturalPerson, 4),
    ]

    func makeSubject(index: Int, random: inout SeededRandom) -> Subject {
        let kind = random.weighted(Self.kindWeights)
        let county = random.weighted(Self.countyWeights)
        // One in ten organisations is registered by the city, the rest by their county.
        let registrar = random.chance(0.1) ? Self.city : county
        let countyName = regions[county]?.name ?? ""
        let registered = CivilDate(dayNumber: random.int(
            CivilDate(year: 1995, month: 1, day: 1)!.dayNumber...options.asOf.adding(days: -30).dayNumber))
        if kind == .naturalPerson { return makePerson(index: index, county: county, random: &random) }

        let (authority, name): (String, String) = switch kind {
        case .individualBusiness:
            ("92", "\(countyName)\(personName(&random))\(random.pick(Vocabulary.shopKinds))")
        case .socialOrganisation:
            (random.pick(["51", "52", "53"]), "郴州市\(brand(&random))\(random.pick(Vocabulary.associations))")
        case .publicInstitution:
            ("12", "\(countyName)\(random.pick(["第一", "第二", "第三", ""]))\(random.pick(Vocabulary.institutions))")
        case .governmentBody:
            ("11", "\(countyName)\(random.pick(Vocabulary.places))镇人民政府")
        default:
            random.chance(0.03)
                ? ("93", "\(countyName)\(random.pick(Vocabulary.places))\(random.pick(Vocabulary.coopProducts))种植专业合作社")
                : ("91", companyName(countyName: countyName, random: &random))
        }
        var code = SocialCreditCode.completing(authority + registrar + organisationCode(index: index, random: &random))!
        // Real data has a few genuine codes whose check character fails; they are kept and flagged.
        let checkFailed = random.chance(0.003)
        if checkFailed {
            let wrong = SocialCreditCode.alphabet.filter { $0 != code.value.last! }
            code = SocialCreditCode.verify(String(code.value.dropLast()) + String(random.pick(wrong))).code!
        }
        var subject = Subject.organisation(
            code: code, checkFailed: checkFailed, kind: kind, name: name, regionCode: county, registeredOn: registered,
            legalRepresentative: kind == .individualBusiness ? nil : personName(&random))
        if kind == .enterprise, random.chance(0.05) {
            subject.formerNames = [companyName(countyName: random.chance(0.5) ? countyName : "", random: &random)]
        }
        subject.status = random.weighted([(.operating, 92), (.deregistered, 6), (.revoked, 2)])
        return subject
    }

    /// Positions 9–16, unique per index: "MA" + six code characters for codes issued since 2015, eight
    /// digits (an old organisation code) for older ones. A bijection of the index, so 1,000,000 subjects
    /// never collide.
    private func organisationCode(index: Int, random: inout SeededRandom) -> String {
        if random.chance(0.3) {
            let n = (index &* 7_368_787 &+ Int(options.seed % 1000)) % 100_000_000
            return String(n).leftPadded(8)
        }
        let space = 887_503_681  // 31^6
        var n = (index &* 48_271 &+ Int(options.seed % 1000)) % space
        var chars: [Character] = []
        for _ in 0..<6 {
            chars.append(SocialCreditCode.alphabet[n % 31])
            n /= 31
        }
        return "MA" + String(chars.reversed())
    }

    private func makePerson(index: Int, county: String, random: inout SeededRandom) -> Subject {
        let first = CivilDate(year: 1950, month: 1, day: 1)!.dayNumber
        let span = CivilDate(year: 2003, month: 12, day: 31)!.dayNumber - first
        let n = (index &* 104_729) % (span * 1000)
        let birth = CivilDate(dayNumber: first + n / 1000).description.replacingOccurrences(of: "-", with: "")
        let body = county + birth + String(n % 1000).leftPadded(3)
        let sum = zip(body, [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]).reduce(0) { $0 + Int(String($1.0))! * $1.1 }
        let number = ResidentIdentityNumber(body + String(Array("10X98765432")[sum % 11]))!
        return Subject.person(PersonIdentity(number, key: personKey), name: personName(&random), regionCode: county)
    }

    func personName(_ random: inout SeededRandom) -> String {
        let surname = random.chance(0.01) ? random.pick(Vocabulary.compoundSurnames) : random.pick(Vocabulary.surnames)
        let given = random.chance(0.7)
            ? random.pick(Vocabulary.givenCharacters) + random.pick(Vocabulary.givenCharacters)
            : random.pick(Vocabulary.givenCharacters)
        return surname + given
    }

    private func brand(_ random: inout SeededRandom) -> String {
        random.pick(Vocabulary.brandCharacters) + random.pick(Vocabulary.brandCharacters)
    }

    private func companyName(countyName: String, random: inout SeededRandom) -> String {
        let prefix = random.weighted([("郴州市", 55.0), (countyName, 30), ("湖南", 10), ("郴州", 5)])
        return prefix + brand(&random) + random.weighted(Vocabulary.industries) + random.weighted(Vocabulary.companySuffixes)
    }
}
