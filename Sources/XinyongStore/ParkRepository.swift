import SQLKit
import XinyongModel

extension Repositories {
    public var parks: ParkRepository { .init(db: db) }
}

/// Whose figures: a park's members, or every organisation of the city (the yardstick).
public enum MemberSet: Sendable {
    case park(Park)
    case city

    /// A query of the member subjects' ids, as `id`.
    var query: SQLQueryString {
        switch self {
        case .city:
            return "SELECT id FROM subjects WHERE kind <> 'natural_person'"
        case .park(let park):
            var query: SQLQueryString = "SELECT subject_id AS id FROM park_members WHERE park_id = \(bind: park.id)"
            if !park.regionCodes.isEmpty {
                let codes = SQLList(park.regionCodes.map { SQLBind($0) })
                query = "\(query) UNION SELECT id FROM subjects WHERE kind <> 'natural_person' AND region_code IN (\(codes))"
            }
            return query
        }
    }
}

/// What a member set's figures are made of, counted by the database.
public struct MemberCounts: Sendable, Equatable {
    public var members = 0
    /// Grade → members with it.
    public var grades: [String: Int] = [:]
    /// `YYYY-MM` → negative records decided that month.
    public var negativeByMonth: [String: Int] = [:]
    /// List → members on it today.
    public var lists: [String: Int] = [:]
    public var commitments = 0
    public var checks = 0
    /// Checks whose answer named at least one incentive (守信激励措施).
    public var checksWithIncentives = 0
}

public struct ParkRepository: Sendable {
    let db: any SQLDatabase

    struct Row: Codable {
        let id, name, managing_body, established_on, region_codes, targets: String
    }

    public func create(_ park: Park, by actor: Actor) async throws {
        try await db.insert(into: "parks")
            .columns("id", "name", "managing_body", "established_on", "region_codes", "targets", "created_at")
            .values(park.id, park.name, park.managingBody, park.establishedOn.description, jsonText(park.regionCodes),
                    jsonText(park.targets), Timestamp.now())
            .run()
        try await AuditLog(db: db).append(actor, action: "create", entity: "parks", entityID: park.id,
                                          detail: ["name": park.name, "regions": park.regionCodes.joined(separator: ",")])
    }

    public func find(_ id: String) async throws -> Park? {
        try await db.raw("SELECT id, name, managing_body, established_on, region_codes, targets FROM parks WHERE id = \(bind: id)")
            .first(decoding: Row.self).map(Self.park)
    }

    public func all() async throws -> [Park] {
        try await db.raw("SELECT id, name, managing_body, established_on, region_codes, targets FROM parks ORDER BY established_on, id")
            .all(decoding: Row.self).map(Self.park)
    }

    /// Makes `subjectIDs` the park's listed members: the list imported is the whole list.
    public func replaceMembers(of parkID: String, with subjectIDs: [String], by actor: Actor) async throws {
        try await db.delete(from: "park_members").where("park_id", .equal, parkID).run()
        let now = Timestamp.now()
        try await db.insertRows(into: "park_members", columns: ["park_id", "subject_id", "added_at"],
                                rows: Set(subjectIDs).sorted().map { [parkID, $0, now] })
        try await AuditLog(db: db).append(actor, action: "replace-members", entity: "parks", entityID: parkID,
                                          detail: ["members": "\(Set(subjectIDs).count)"])
    }

    public func addReview(_ review: ParkReview, by actor: Actor) async throws {
        try await db.insert(into: "park_reviews")
            .columns("park_id", "year", "outcome", "note", "figures", "reviewed_by", "reviewed_at")
            .values(review.parkID, review.year, review.outcome.rawValue, review.note, jsonText(review.figures), review.reviewedBy,
                    review.reviewedAt)
            .run()
        try await AuditLog(db: db).append(actor, action: "review", entity: "parks", entityID: review.parkID,
                                          detail: ["year": "\(review.year)", "outcome": review.outcome.rawValue])
    }

    struct ReviewRow: Codable {
        let park_id, outcome, note, figures, reviewed_by, reviewed_at: String
        let year: Int
    }

    public func reviews(of parkID: String) async throws -> [ParkReview] {
        try await db.raw("""
            SELECT park_id, year, outcome, note, figures, reviewed_by, reviewed_at FROM park_reviews
            WHERE park_id = \(bind: parkID) ORDER BY year DESC
            """).all(decoding: ReviewRow.self).map { r in
            guard let outcome = ParkReview.Outcome(rawValue: r.outcome) else {
                throw StoredDataError(description: "park review \(r.park_id)/\(r.year) has unknown outcome \(r.outcome)")
            }
            return ParkReview(parkID: r.park_id, year: r.year, outcome: outcome, note: r.note,
                              figures: try decodeJSON([String: Double].self, r.figures, column: "park_reviews.figures"),
                              reviewedBy: r.reviewed_by, reviewedAt: r.reviewed_at)
        }
    }

    private struct Count: Decodable { let key: String?; let n: Int }
    private struct CheckCounts: Decodable { let n: Int; let incentives: Int? }

    /// The counts behind a member set's figures on `day`: negative records of `negativeTypes` and
    /// commitments and checks since `since`.
    public func counts(of set: MemberSet, negativeTypes: [String], since: CivilDate, on day: CivilDate) async throws -> MemberCounts {
        let members: SQLQueryString = "WITH m AS (\(set.query))"
        var counts = MemberCounts()
        counts.members = try await db.count("\(members) SELECT COUNT(*) AS n FROM m")
        counts.grades = try await keyed("\(members) SELECT r.grade AS key, COUNT(*) AS n FROM evaluation_results r JOIN m ON m.id = r.subject_id GROUP BY r.grade")
        if !negativeTypes.isEmpty {
            counts.negativeByMonth = try await keyed("""
                \(members) SELECT SUBSTR(c.decision_date, 1, 7) AS key, COUNT(*) AS n FROM credit_records c JOIN m ON m.id = c.subject_id
                WHERE c.record_type IN (\(SQLList(negativeTypes.map { SQLBind($0) }))) AND c.status <> 'withdrawn'
                AND c.decision_date >= \(bind: since.description) AND c.decision_date <= \(bind: day.description)
                GROUP BY SUBSTR(c.decision_date, 1, 7)
                """)
        }
        counts.lists = try await keyed("""
            \(members) SELECT l.list AS key, COUNT(DISTINCT l.subject_id) AS n FROM list_memberships l JOIN m ON m.id = l.subject_id
            WHERE l.state = 'listed' AND l.start_date <= \(bind: day.description) AND l.end_date > \(bind: day.description) GROUP BY l.list
            """)
        counts.commitments = try await db.count("""
            \(members) SELECT COUNT(*) AS n FROM commitments c JOIN m ON m.id = c.subject_id WHERE c.signed_at >= \(bind: since.description)
            """)
        let checks = try await db.raw("""
            \(members) SELECT COUNT(*) AS n, SUM(CASE WHEN k.incentives > 0 THEN 1 ELSE 0 END) AS incentives
            FROM checks k JOIN m ON m.id = k.subject_id WHERE k.asked_at >= \(bind: since.description)
            """).first(decoding: CheckCounts.self)
        counts.checks = checks?.n ?? 0
        counts.checksWithIncentives = checks?.incentives ?? 0
        return counts
    }

    private func keyed(_ query: SQLQueryString) async throws -> [String: Int] {
        Dictionary(try await db.raw(query).all(decoding: Count.self).map { ($0.key ?? "", $0.n) }, uniquingKeysWith: +)
    }

    static func park(_ r: Row) throws -> Park {
        guard let established = CivilDate(r.established_on) else {
            throw StoredDataError(description: "park \(r.id) has an unreadable date \(r.established_on)")
        }
        return Park(id: r.id, name: r.name, managingBody: r.managing_body, establishedOn: established,
                    regionCodes: try decodeJSON([String].self, r.region_codes, column: "parks.region_codes"),
                    targets: try decodeJSON([Park.Target].self, r.targets, column: "parks.targets"))
    }
}
