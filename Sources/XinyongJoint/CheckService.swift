import Crypto
import Foundation
import XinyongModel
import XinyongStore

/// Check before handling (逢办必查): a department asks, at the moment it handles a matter, whether a
/// subject is on a list and what it must or may do; the platform answers from the materialised list
/// memberships and the measures catalogue, stores the check and audits it as a read of list data.
///
/// Any failure to consult the data is thrown, never answered as "no hit": the caller turns it into a 503.
public final class JointService: Sendable {
    public let store: Store
    let personKey: SymmetricKey?
    let regions: RegionNames
    let log: CheckLog
    private let cache = Locked(Cache())

    struct Cache {
        var catalog: MeasureCatalog?
        var recordTypeNames: [String: String] = [:]
        var departments: [String: Department] = [:]
        var threshold: (value: Double, read: ContinuousClock.Instant)?
        var latestChange: (value: ChangeFeed.Latest?, read: ContinuousClock.Instant)?
    }

    public init(store: Store, personKey: SymmetricKey? = nil, regions: RegionNames = .shipped) {
        self.store = store
        self.personKey = personKey
        self.regions = regions
        log = CheckLog(store: store)
    }

    // MARK: Reference data (cached; departments reload when an unknown one is asked for)

    public func measureCatalog() async throws -> MeasureCatalog {
        if let catalog = cache.withLock({ $0.catalog }) { return catalog }
        guard let catalog = try await store.repositories.measures.current() else {
            throw JointError.unavailable("no measures catalogue is installed; run xinyong migrate")
        }
        let types = try await store.repositories.catalog.current()?.recordTypes ?? []
        cache.withLock {
            $0.catalog = catalog
            $0.recordTypeNames = Dictionary(types.map { ($0.code, $0.name) }, uniquingKeysWith: { a, _ in a })
        }
        return catalog
    }

    func departments(_ ids: [String]) async throws -> [String: Department] {
        var known = cache.withLock { $0.departments }
        if ids.contains(where: { known[$0] == nil }) {
            known = Dictionary(try await store.repositories.departments.all().map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
            let loaded = known
            cache.withLock { $0.departments = loaded }
        }
        return known
    }

    /// The office's name-match threshold (re-read every 10 s, so a change applies to every server soon).
    public func threshold() async throws -> Double {
        if let cached = cache.withLock({ $0.threshold }), ContinuousClock.now - cached.read < .seconds(10) { return cached.value }
        let text = try await store.repositories.jointSettings.value(JointSettingsRepository.nameMatchThreshold)
        let value = text.flatMap(Double.init) ?? NameMatcher.defaultThreshold
        cache.withLock { $0.threshold = (value, .now) }
        return value
    }

    /// The change feed's newest entry, re-read at most every half second. An answer read after it
    /// reflects at least every change up to it, so it is a truthful lower bound of the data's freshness.
    func latestChange() async throws -> ChangeFeed.Latest? {
        if let cached = cache.withLock({ $0.latestChange }), ContinuousClock.now - cached.read < .milliseconds(500) { return cached.value }
        let latest = try await store.repositories.changes.latest()
        cache.withLock { $0.latestChange = (latest, .now) }
        return latest
    }

    public func setThreshold(_ value: Double, by actor: Actor) async throws {
        guard value.isFinite, (0.5...1).contains(value) else {
            throw JointError.invalid(field: "name_match_threshold", "must be a number from 0.5 to 1 (got \(value)); below 0.5 different firms would match")
        }
        try await store.transaction {
            try await $0.jointSettings.set(JointSettingsRepository.nameMatchThreshold, to: String(value), by: actor)
        }
        cache.withLock { $0.threshold = (value, .now) }
    }

    // MARK: The check

    public func check(_ request: CheckRequest, today: CivilDate = .today()) async throws -> CheckAnswer {
        let catalog = try await measureCatalog()
        guard let department = try await departments([request.departmentID])[request.departmentID] else {
            throw JointError.invalid(field: "department", "there is no department '\(request.departmentID)'")
        }
        guard let scenario = catalog.scenario(request.scenario) else {
            throw JointError.invalid(field: "scenario", "'\(request.scenario)' is not a scenario of measures catalogue version \(catalog.version); known: \(catalog.scenarios.map(\.code).joined(separator: ", "))")
        }
        if let matter = request.matter, matter.count > 200 {
            throw JointError.invalid(field: "matter", "at most 200 characters")
        }
        let now = Timestamp.now()
        let id = "chk_" + randomHex(10)
        var answer = CheckAnswer(
            checkId: id, checkedAt: now,
            department: .init(id: department.id, name: department.name, category: department.category),
            scenario: .init(code: scenario.code, name: scenario.name), query: .init(kind: "", value: ""), result: .noMatch,
            match: .init(method: .unmatched), memberships: [], pendingNotice: [], measures: [], incentives: [], evaluation: nil,
            freshness: .init(asOf: now, subjectRecordsUpdatedAt: nil, latestChangeAt: nil, latestChangeSeq: nil),
            feedback: "/api/v1/checks/\(id)/feedback")

        var view: CheckSubjectView?
        if let code = request.code?.trimmingWhitespace(), !code.isEmpty {
            if let legacy = LegacyRegistrationNumber(code) {
                answer.query = .init(kind: "legacy_number", value: legacy.value)
                view = try await store.lookups.checks.view(subjectID: "R" + legacy.value, on: today)
                answer.match.method = view == nil ? .unmatched : .legacyNumber
            } else {
                switch SocialCreditCode.verify(code) {
                case .invalid(let reason):
                    throw JointError.invalid(field: "code", reason.description)
                case .valid(let c), .checkFailed(let c, _):
                    answer.query = .init(kind: "code", value: c.value)
                    view = try await store.lookups.checks.view(code: c.value, on: today)
                    answer.match.method = view == nil ? .unmatched : .code
                }
            }
        } else if let text = request.idNumber, !text.isEmpty {
            guard let number = ResidentIdentityNumber(text) else {
                throw JointError.invalid(field: "id_number", "not a valid resident identity number (GB 11643: 18 characters, real birth date, check character)")
            }
            guard let personKey else { throw JointError.unavailable("the platform's personal-id key is not loaded") }
            let person = PersonIdentity(number, key: personKey)
            answer.query = .init(kind: "id_number", value: person.maskedID)
            view = try await store.lookups.checks.view(subjectID: person.subjectID, on: today)
            answer.match.method = view == nil ? .unmatched : .idNumber
        } else if let name = request.name?.trimmingWhitespace(), !name.isEmpty {
            guard name.count <= 200 else { throw JointError.invalid(field: "name", "at most 200 characters") }
            answer.query = .init(kind: "name", value: name)
            let found = try await matchName(name, department: department.id)
            answer.match = found.match
            if let subjectID = found.subjectID {
                view = try await store.lookups.checks.view(subjectID: subjectID, on: today)
            }
        } else {
            throw JointError.invalid(field: "subject", "give the subject's code (unified social credit code or 15-digit registration number), id_number for a natural person, or name when the code is unknown")
        }

        var lines: [CheckEntry.MeasureLine] = []
        if let view {
            let s = view.subject
            answer.match.subject = .init(
                id: s.id, code: s.code?.value ?? s.legacyRegistrationNumber?.value, maskedId: s.person?.maskedID,
                name: s.displayName, kind: s.kind.rawValue, regionCode: s.regionCode, status: s.status.rawValue)
            let latest = try await latestChange()
            answer.freshness = .init(asOf: now, subjectRecordsUpdatedAt: view.recordsUpdatedAt, latestChangeAt: latest?.at,
                                     latestChangeSeq: latest?.seq)
            let active = view.memberships.filter { $0.membership.isActive(on: today) }
            let names = try await departments(active.map(\.membership.departmentID))
            let typeNames = cache.withLock { $0.recordTypeNames }
            answer.memberships = active.map { m in
                let x = m.membership
                return .init(list: x.list.rawValue, listName: x.list.name, recordId: x.recordID, recordType: x.recordType,
                             recordTypeName: typeNames[x.recordType] ?? x.recordType, documentNumber: x.documentNumber,
                             department: .init(id: x.departmentID, name: names[x.departmentID]?.name ?? x.departmentID, category: m.sourceCategory),
                             legalBasis: x.legalBasis, start: x.start.description, end: x.end.description,
                             underObjection: view.disputed.contains(x.recordID))
            }
            let sources = Dictionary(active.map { ($0.membership.recordID, $0.sourceCategory) }, uniquingKeysWith: { a, _ in a })
            let applicable = catalog.applicable(to: active.map(\.membership), departmentCategory: department.category,
                                                scenario: scenario.code, on: today, sourceCategory: { sources[$0.recordID] })
            for a in applicable {
                let body = CheckAnswer.MeasureBody(
                    id: a.measure.id, kind: a.measure.kind.rawValue, title: a.measure.title, mandatory: a.measure.mandatory,
                    legalBasis: a.measure.legalBasis, programme: a.measure.programme,
                    memorandum: .init(id: a.memorandum.id, title: a.memorandum.title, documentNumber: a.memorandum.documentNumber),
                    basisRecordIds: a.basisRecordIDs)
                if a.measure.kind == .punishment { answer.measures.append(body) } else { answer.incentives.append(body) }
                lines.append(.init(measureID: a.measure.id, memorandumID: a.memorandum.id, kind: a.measure.kind.rawValue,
                                   mandatory: a.measure.mandatory))
            }
            // A record still in its notice period puts nobody on a list: it carries no measures, but the department
            // learns that a listing may follow.
            answer.pendingNotice = !view.hasOpenNotices ? [] : try await store.lookups.notices.open(subjectID: s.id).map { n in
                .init(list: n.list.rawValue, listName: n.list.name, recordId: n.recordID, recordType: n.recordType,
                      recordTypeName: typeNames[n.recordType] ?? n.recordType, noticeId: n.id, state: n.state.rawValue,
                      issuedOn: n.issuedOn.description, graceUntil: n.graceUntil.description)
            }
            answer.result = !active.isEmpty ? .hit : answer.pendingNotice.isEmpty ? .clear : .pendingNotice
            answer.evaluation = view.evaluation.map { e in
                .init(grade: e.grade.rawValue, score: e.score, modelVersion: e.modelVersion, asOf: e.asOf.description,
                      reasons: e.reasons.map { .init(code: $0.code, text: $0.text, recordId: $0.recordID) })
            }
            if scenario.code == CommitmentPolicy.scenario {
                answer.commitment = try await approvalOnCommitment(subjectID: s.id, memberships: active.map(\.membership), on: today)
            }
            answer.xinyi = xinyi(subject: s, memberships: active.map(\.membership), grade: answer.evaluation.flatMap { Grade(rawValue: $0.grade) },
                                 department: department.category, scenario: scenario.code, on: today)
        } else {
            answer.result = answer.match.candidates.isEmpty ? .noMatch : .candidates
            // Even without a subject the department learns how current the data it was compared with is.
            if let latest = try await latestChange() {
                answer.freshness = .init(asOf: now, subjectRecordsUpdatedAt: nil, latestChangeAt: latest.at, latestChangeSeq: latest.seq)
            }
        }
        let text = answer.json
        try await log.record(CheckEntry(
            id: id, departmentID: department.id, regionCode: department.regionCode, askedBy: request.askedBy, scenario: scenario.code,
            matter: request.matter, queryKind: answer.query.kind, query: answer.query.value, subjectID: answer.match.subject?.id,
            matchMethod: answer.match.method, matchScore: answer.match.score, result: answer.result,
            lists: Array(Set(answer.memberships.map(\.list))).sorted(), measures: lines, answer: text, askedAt: now,
            citedRecordIDs: answer.memberships.filter { $0.department.id != department.id }.map(\.recordId)))
        answer.encoded = text
        return answer
    }

    // MARK: Names

    struct NameResult {
        var match: CheckAnswer.Match
        var subjectID: String?
    }

    /// Candidates for a name, scored and explained; an automatic match only when exactly one candidate not
    /// overridden for this department reaches the office's threshold.
    func matchName(_ name: String, department: String) async throws -> NameResult {
        let threshold = try await threshold()
        let query = OrganisationName(name, regions: regions)
        let subjects = try await store.lookups.nameIndex.candidates(key: query.indexKey)
        let overrides = try await store.lookups.checks.overrides(department: department, nameKey: Self.overrideKey(query))
        var candidates = subjects.map { s -> CheckAnswer.Candidate in
            let m = NameMatcher.match(query: name, name: s.name, formerNames: s.formerNames, regions: regions)
            let override = overrides.first { $0.subjectID == s.id }
            return .init(subjectId: s.id, code: s.code?.value, name: s.displayName, score: m.score, explanation: m.parts,
                         suppressed: override.map { "false positive for this department (\($0.decidedBy), \($0.decidedAt)): \($0.reason)" })
        }
        candidates.sort { ($0.score, $1.subjectId) > ($1.score, $0.subjectId) }
        let eligible = candidates.filter { $0.suppressed == nil && $0.score >= threshold }
        var match = CheckAnswer.Match(method: .unmatched)
        match.threshold = threshold
        match.candidates = Array(candidates.prefix(10))
        if eligible.count == 1, let hit = eligible.first {
            match.method = .name
            match.score = hit.score
            match.explanation = hit.explanation
            return NameResult(match: match, subjectID: hit.subjectId)
        }
        match.note = eligible.count > 1
            ? "\(eligible.count) subjects reach the threshold: no automatic match; ask again with the code"
            : candidates.isEmpty ? "no organisation of this name is known" : "no candidate reaches the threshold \(threshold): no automatic match"
        return NameResult(match: match, subjectID: nil)
    }

    /// What an override is keyed by: the parsed name (region, core, form, branch), so that every spelling of
    /// the same name is covered by one override.
    public static func overrideKey(_ name: OrganisationName) -> String {
        [name.regionCodes.sorted().joined(separator: ","), name.core, name.legalForm?.rawValue ?? "", name.branch ?? ""]
            .joined(separator: "|")
    }

    /// An administrator marks a candidate as a false positive for one department.
    public func addOverride(department: String, name: String, subjectID: String, reason: String, by actor: Actor) async throws -> NameOverride {
        guard try await departments([department])[department] != nil else {
            throw JointError.invalid(field: "department", "there is no department '\(department)'")
        }
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty else { throw JointError.invalid(field: "name", "the name that was asked is required") }
        guard reason.trimmingCharacters(in: .whitespaces).count >= 4 else {
            throw JointError.invalid(field: "reason", "say why this candidate is not the subject (at least 4 characters)")
        }
        guard try await store.repositories.subjects.find(id: subjectID) != nil else {
            throw JointError.invalid(field: "subject_id", "there is no subject '\(subjectID)'")
        }
        let o = NameOverride(id: "ovr_" + randomHex(8), departmentID: department, nameKey: Self.overrideKey(OrganisationName(name, regions: regions)),
                             subjectID: subjectID, reason: reason, decidedBy: actor.name, decidedAt: Timestamp.now())
        try await store.transaction { try await $0.checks.addOverride(o, by: actor) }
        return o
    }
}

/// What a department asks.
public struct CheckRequest: Sendable {
    public var code: String?
    public var name: String?
    public var idNumber: String?
    public var scenario: String
    public var departmentID: String
    /// The matter being handled (procurement project number, application number…), for the audit trail.
    public var matter: String?
    /// The API key (or CLI operator) asking.
    public var askedBy: String

    public init(code: String? = nil, name: String? = nil, idNumber: String? = nil, scenario: String, departmentID: String,
                matter: String? = nil, askedBy: String) {
        self.code = code
        self.name = name
        self.idNumber = idNumber
        self.scenario = scenario
        self.departmentID = departmentID
        self.matter = matter
        self.askedBy = askedBy
    }
}

/// A request the service refuses (which field, why), a missing thing, or data it could not consult.
public enum JointError: Error, CustomStringConvertible, Equatable {
    case invalid(field: String, String)
    case notFound(String)
    case conflict(String)
    case forbidden(String)
    case unavailable(String)

    public var description: String {
        switch self {
        case let .invalid(field, reason): "\(field): \(reason)"
        case .notFound(let s), .conflict(let s), .forbidden(let s), .unavailable(let s): s
        }
    }
}

/// The answer to a check, as the department receives it and as it is stored.
public struct CheckAnswer: Sendable, Codable {
    public struct DepartmentBody: Sendable, Codable { public let id, name, category: String }
    public struct ScenarioBody: Sendable, Codable { public let code, name: String }
    public struct Query: Sendable, Codable { public var kind, value: String }
    public struct SubjectBody: Sendable, Codable {
        public let id: String
        public let code: String?
        public let maskedId: String?
        public let name, kind, regionCode, status: String
    }
    public struct Candidate: Sendable, Codable {
        public let subjectId: String
        public let code: String?
        public let name: String
        public let score: Double
        public let explanation: [NameMatch.Part]
        /// Set when an administrator marked this candidate a false positive for the asking department.
        public let suppressed: String?
    }
    public struct Match: Sendable, Codable {
        public var method: MatchMethod
        public var score: Double?
        public var threshold: Double?
        public var explanation: [NameMatch.Part]?
        public var subject: SubjectBody?
        public var candidates: [Candidate] = []
        public var note: String?
        init(method: MatchMethod) { self.method = method }
    }
    public struct MembershipBody: Sendable, Codable {
        public let list, listName, recordId, recordType, recordTypeName, documentNumber: String
        public let department: DepartmentBody
        public let legalBasis, start, end: String
        /// An objection to the basis record is being handled (异议处理中): the department should know before acting.
        public let underObjection: Bool

        init(list: String, listName: String, recordId: String, recordType: String, recordTypeName: String, documentNumber: String,
             department: DepartmentBody, legalBasis: String, start: String, end: String, underObjection: Bool) {
            (self.list, self.listName, self.recordId, self.recordType, self.recordTypeName, self.documentNumber) =
                (list, listName, recordId, recordType, recordTypeName, documentNumber)
            (self.department, self.legalBasis, self.start, self.end, self.underObjection) = (department, legalBasis, start, end, underObjection)
        }

        enum CodingKeys: String, CodingKey {
            case list, listName, recordId, recordType, recordTypeName, documentNumber, department, legalBasis, start, end, underObjection
        }

        /// Answers stored before the flag existed decode as not under objection.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            self.init(list: try c.decode(String.self, forKey: .list), listName: try c.decode(String.self, forKey: .listName),
                      recordId: try c.decode(String.self, forKey: .recordId), recordType: try c.decode(String.self, forKey: .recordType),
                      recordTypeName: try c.decode(String.self, forKey: .recordTypeName),
                      documentNumber: try c.decode(String.self, forKey: .documentNumber),
                      department: try c.decode(DepartmentBody.self, forKey: .department),
                      legalBasis: try c.decode(String.self, forKey: .legalBasis), start: try c.decode(String.self, forKey: .start),
                      end: try c.decode(String.self, forKey: .end),
                      underObjection: try c.decodeIfPresent(Bool.self, forKey: .underObjection) ?? false)
        }
    }
    /// A record that will put the subject on a list unless its notice's statement is upheld: not a membership.
    public struct PendingNoticeBody: Sendable, Codable {
        public let list, listName, recordId, recordType, recordTypeName, noticeId: String
        /// pending (statement period running) or statement_filed (the listing waits for its decision).
        public let state: String
        public let issuedOn, graceUntil: String
    }
    public struct MemorandumBody: Sendable, Codable { public let id, title, documentNumber: String }
    public struct MeasureBody: Sendable, Codable {
        public let id, kind, title: String
        public let mandatory: Bool
        public let legalBasis: String
        public let programme: String?
        public let memorandum: MemorandumBody
        public let basisRecordIds: [String]
    }
    public struct Freshness: Sendable, Codable {
        public let asOf: String
        public let subjectRecordsUpdatedAt: String?
        public let latestChangeAt: String?
        public let latestChangeSeq: Int?
    }

    public var checkId, checkedAt: String
    public var department: DepartmentBody
    public var scenario: ScenarioBody
    public var query: Query
    public var result: CheckResult
    public var match: Match
    public var memberships: [MembershipBody]
    /// Notices before listing still open for the subject; they bring no measures.
    public var pendingNotice: [PendingNoticeBody]
    /// Punishment measures: mandatory ones must be applied, the others may be.
    public var measures: [MeasureBody]
    /// 信易+ incentives the department may grant.
    public var incentives: [MeasureBody]
    /// The subject's public credit evaluation, when it has one.
    public var evaluation: EvaluationBody?
    /// For the approval-on-commitment scenario (告知承诺) with a subject: whether it may use it, and why not.
    public var commitment: CommitmentBody?
    /// Xinyi+ programmes the subject qualifies for that the department grants in this scenario (xinyi.json).
    public var xinyi: [XinyiBody] = []
    public var freshness: Freshness
    public var feedback: String
    /// The stored JSON text of this answer (not itself encoded).
    public var encoded: String = ""

    enum CodingKeys: String, CodingKey {
        case checkId, checkedAt, department, scenario, query, result, match, memberships, pendingNotice, measures, incentives, evaluation
        case commitment, xinyi, freshness, feedback
    }

    /// The grade, the model and cut-off it came from, and its reason codes with their records.
    public struct EvaluationBody: Codable, Sendable, Equatable {
        public struct Reason: Codable, Sendable, Equatable {
            public let code: String
            public let text: String
            public let recordId: String
        }
        public let grade: String
        public let score: Double
        public let modelVersion: Int
        public let asOf: String
        public let reasons: [Reason]
    }

    public static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    public static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        return d
    }()
}

extension CheckAnswer {
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        checkId = try c.decode(String.self, forKey: .checkId)
        checkedAt = try c.decode(String.self, forKey: .checkedAt)
        department = try c.decode(DepartmentBody.self, forKey: .department)
        scenario = try c.decode(ScenarioBody.self, forKey: .scenario)
        query = try c.decode(Query.self, forKey: .query)
        result = try c.decode(CheckResult.self, forKey: .result)
        match = try c.decode(Match.self, forKey: .match)
        memberships = try c.decode([MembershipBody].self, forKey: .memberships)
        // Answers stored before notices existed have none.
        pendingNotice = try c.decodeIfPresent([PendingNoticeBody].self, forKey: .pendingNotice) ?? []
        measures = try c.decode([MeasureBody].self, forKey: .measures)
        incentives = try c.decode([MeasureBody].self, forKey: .incentives)
        evaluation = try c.decodeIfPresent(EvaluationBody.self, forKey: .evaluation)
        // Answers stored before approval on commitment and Xinyi+ have neither.
        commitment = try c.decodeIfPresent(CommitmentBody.self, forKey: .commitment)
        xinyi = try c.decodeIfPresent([XinyiBody].self, forKey: .xinyi) ?? []
        freshness = try c.decode(Freshness.self, forKey: .freshness)
        feedback = try c.decode(String.self, forKey: .feedback)
    }
}

func randomHex(_ bytes: Int) -> String {
    SymmetricKey(size: SymmetricKeySize(bitCount: bytes * 8)).withUnsafeBytes { Array($0) }.hexEncoded
}

/// A value behind a lock, for the caches the service shares between requests.
final class Locked<Value>: @unchecked Sendable {
    private var value: Value
    private let lock = NSLock()
    init(_ value: Value) { self.value = value }
    func withLock<T>(_ body: (inout Value) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(&value)
    }
}
