import Foundation
import XinyongModel
import XinyongStore

/// Honesty demonstration parks: naming them, importing their member lists, their figures beside the
/// city's and the other parks', and their yearly reviews.
public struct ParkService: Sendable {
    let store: Store
    let regions: RegionDirectory
    let catalog: Catalog
    /// Figures change with the day's records, not by the second: a park page is one cache read.
    let cache = FiguresCache()

    public init(store: Store, regions: RegionDirectory = .shipped, catalog: Catalog) {
        self.store = store
        self.regions = regions
        self.catalog = catalog
    }

    /// Names a park; refused whole, with every defect named, when any field is wrong.
    public func create(_ park: Park, by actor: Actor) async throws {
        let defects = park.defects(regions: regions)
        guard defects.isEmpty else { throw ParkError.invalid(defects) }
        guard try await store.repositories.parks.find(park.id) == nil else { throw ParkError.exists(park.id) }
        try await store.transaction { try await $0.parks.create(park, by: actor) }
        cache.clear()
    }

    public func park(_ id: String) async throws -> Park {
        guard let park = try await store.repositories.parks.find(id) else { throw ParkError.notFound(id) }
        return park
    }

    public func all() async throws -> [Park] { try await store.repositories.parks.all() }

    // MARK: Members

    /// What to do with a membership file naming codes the platform does not know.
    public enum ImportMode: String, Sendable, CaseIterable {
        /// Keep the known codes and name the rest.
        case partial
        /// Import nothing unless every row is known.
        case strict
    }

    public struct RefusedRow: Sendable, Equatable, Codable {
        public let line: Int
        public let code: String
        public let reason: String
    }

    public struct ImportReport: Sendable, Equatable, Codable {
        public let parkID: String
        public let mode: String
        public let imported: Bool
        public let members: Int
        public let refused: [RefusedRow]
    }

    /// Replaces the park's listed members with the organisations a file names: one unified social credit
    /// code per line, first on the line (a CSV's other columns are ignored); a first line without a digit
    /// is a header (一 is a number to Unicode, so only ASCII digits count). In `strict` mode one unknown or malformed code imports nothing.
    /// A file with no known member is refused whole, so an empty or wrong upload never empties a park.
    public func importMembers(_ text: String, into parkID: String, mode: ImportMode, by actor: Actor) async throws -> ImportReport {
        _ = try await park(parkID)
        var subjectIDs: [String] = [], refused: [RefusedRow] = []
        for (index, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let field = line.split(separator: ",", maxSplits: 1).first.map(String.init) ?? ""
            let raw = field.trimmingCharacters(in: CharacterSet(charactersIn: " \t\"\u{FEFF}"))
            if raw.isEmpty || (index == 0 && !raw.contains(where: { $0.isASCII && $0.isNumber })) { continue }
            switch try await member(raw) {
            case .success(let id): subjectIDs.append(id)
            case .failure(let reason): refused.append(RefusedRow(line: index + 1, code: String(raw.prefix(40)), reason: reason.text))
            }
        }
        // A file that names no member would empty the park: an upload of the wrong file, never meant.
        guard !subjectIDs.isEmpty else {
            throw ParkError.invalid(["the file names no registered member (\(refused.count) lines refused); nothing was changed"])
        }
        let imported = mode == .partial || refused.isEmpty
        if imported {
            let members = subjectIDs
            try await store.transaction { try await $0.parks.replaceMembers(of: parkID, with: members, by: actor) }
            cache.clear()
        }
        return ImportReport(parkID: parkID, mode: mode.rawValue, imported: imported, members: imported ? Set(subjectIDs).count : 0,
                            refused: refused)
    }

    struct Refusal: Error { let text: String }

    private func member(_ raw: String) async throws -> Result<String, Refusal> {
        switch SocialCreditCode.verify(raw) {
        case .invalid(let reason): return .failure(Refusal(text: "not a unified social credit code: \(reason)"))
        case .checkFailed(let code, _), .valid(let code):
            guard let subject = try await store.repositories.subjects.find(code: code) else {
                return .failure(Refusal(text: "no subject with code \(code.value) is registered on the platform"))
            }
            return .success(subject.id)
        }
    }

    // MARK: Figures

    /// A member set's figures on `day`, over the twelve calendar months ending with `day`'s month: the window
    /// the monthly figures are drawn in, so that they add up to the totals.
    public func figures(of set: MemberSet, on day: CivilDate = .today()) async throws -> ParkFigures {
        let key = "\(set.cacheKey)|\(day)"
        if let known = cache.value(key) { return known }
        let since = ParkFigures.firstDay(endingIn: day)
        let negative = catalog.recordTypes.filter { $0.polarity == .negative && !$0.isFromAssociation }.map(\.code)
        let counts = try await store.repositories.parks.counts(of: set, negativeTypes: negative, since: since, on: day)
        let figures = ParkFigures(counts, months: ParkFigures.months(endingIn: day))
        cache.remember(key, figures)
        return figures
    }

    // MARK: Reviews

    /// Enters the year's review, keeping the figures it was drawn from.
    public func review(parkID: String, year: Int, outcome: ParkReview.Outcome, note: String, by actor: Actor) async throws -> ParkReview {
        let park = try await park(parkID)
        let today = CivilDate.today()
        guard (park.establishedOn.year...today.year).contains(year) else {
            throw ParkError.invalid(["year: \(year) is outside \(park.establishedOn.year)–\(today.year), the years the park has existed"])
        }
        guard !note.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
            throw ParkError.invalid(["note: say what the review found"])
        }
        if try await store.repositories.parks.reviews(of: parkID).contains(where: { $0.year == year }) {
            throw ParkError.exists("\(parkID) review \(year)")
        }
        let figures = try await figures(of: .park(park), on: today)
        let review = ParkReview(parkID: parkID, year: year, outcome: outcome, note: note,
                                figures: Dictionary(uniqueKeysWithValues: ParkMetric.allCases.map { ($0.rawValue, figures.value(of: $0)) }),
                                reviewedBy: actor.name, reviewedAt: Timestamp.now())
        try await store.transaction { try await $0.parks.addReview(review, by: actor) }
        return review
    }

    public func reviews(of parkID: String) async throws -> [ParkReview] { try await store.repositories.parks.reviews(of: parkID) }
}

/// A member set's figures: counts, and the rates that make sets of different sizes comparable.
public struct ParkFigures: Sendable, Equatable, Codable {
    public let members: Int
    public let grades: [String: Int]
    /// The last twelve months, oldest first, with negative records per 1,000 members that month.
    public let negativePerThousand: [MonthRate]
    public let lists: [String: Int]
    public let commitments: Int
    public let checks: Int
    public let checksWithIncentives: Int

    public struct MonthRate: Sendable, Equatable, Codable {
        public let month: String
        public let records: Int
        public let perThousand: Double
    }

    init(_ counts: MemberCounts, months: [String]) {
        members = counts.members
        grades = counts.grades
        lists = counts.lists
        commitments = counts.commitments
        checks = counts.checks
        checksWithIncentives = counts.checksWithIncentives
        let members = counts.members
        negativePerThousand = months.map { month in
            let n = counts.negativeByMonth[month] ?? 0
            return MonthRate(month: month, records: n, perThousand: Self.perThousand(n, members))
        }
    }

    static func perThousand(_ n: Int, _ members: Int) -> Double { members == 0 ? 0 : Double(n) * 1000 / Double(members) }

    /// The first day of the twelve months ending with `day`'s.
    static func firstDay(endingIn day: CivilDate) -> CivilDate {
        let oldest = day.adding(months: -11)
        return CivilDate(year: oldest.year, month: oldest.components.month, day: 1)!
    }

    /// `YYYY-MM` of the twelve months ending with `day`'s.
    static func months(endingIn day: CivilDate) -> [String] {
        (0..<12).reversed().map { String(day.adding(months: -$0).description.prefix(7)) }
    }

    public var graded: Int { grades.values.reduce(0, +) }

    public func value(of metric: ParkMetric) -> Double {
        switch metric {
        case .negativePerThousandPerMonth:
            negativePerThousand.map(\.perThousand).reduce(0, +) / Double(max(negativePerThousand.count, 1))
        case .gradeABShare: graded == 0 ? 0 : Double((grades["A"] ?? 0) + (grades["B"] ?? 0)) / Double(graded)
        case .blackListedPerThousand: Self.perThousand(lists[CreditList.black.rawValue] ?? 0, members)
        case .commitmentsPerThousand: Self.perThousand(commitments, members)
        }
    }
}

public enum ParkError: Error, Equatable, CustomStringConvertible {
    case invalid([String])
    case exists(String)
    case notFound(String)

    public var description: String {
        switch self {
        case .invalid(let defects): defects.joined(separator: "; ")
        case .exists(let what): "\(what) already exists"
        case .notFound(let id): "there is no park '\(id)'"
        }
    }
}

extension MemberSet {
    var cacheKey: String {
        switch self {
        case .city: "city"
        case .park(let park): "park:\(park.id)"
        }
    }
}

/// Figures by member set and day, for five minutes.
final class FiguresCache: @unchecked Sendable {
    private var entries: [String: (ParkFigures, ContinuousClock.Instant)] = [:]
    private let lock = NSLock()

    func value(_ key: String) -> ParkFigures? {
        lock.withLock {
            guard let (figures, until) = entries[key], ContinuousClock.now < until else { return nil }
            return figures
        }
    }

    func remember(_ key: String, _ figures: ParkFigures) {
        lock.withLock { entries[key] = (figures, ContinuousClock.now + .seconds(300)) }
    }

    func clear() { lock.withLock { entries.removeAll() } }
}
