import Foundation
import XinyongModel
import XinyongStore

/// How due process is going: filings per month, time to decision, what is overdue, and how fast each
/// department answers. Computed from the cases of the last twelve months (a city files thousands).
public struct DueProcessFigures: Sendable {
    public struct Month: Sendable, Equatable {
        public let month: String
        public let objections: Int
        public let repairs: Int
    }

    /// Days from filing to decision, over the cases decided in the window.
    public struct Durations: Sendable, Equatable {
        public let decided: Int
        public let medianDays: Double?
        public let p90Days: Double?
    }

    public struct Department: Sendable, Equatable {
        public let departmentID: String
        public let open: Int
        public let overdue: Int
        public let decided: Int
        /// Median days from reaching the department (accepted or forwarded) to its decision.
        public let medianDays: Double?
    }

    public let months: [Month]
    public let objectionTimes: Durations
    public let repairTimes: Durations
    public let overdueObjections: [ObjectionCase]
    public let overdueRepairs: [RepairCase]
    public let departments: [Department]

    public static func compute(store: Store, today: CivilDate = .today(), regionPrefix: String? = nil) async throws -> DueProcessFigures {
        let since = today.adding(months: -12).description + "T00:00:00.000Z"
        let within = { (region: String?) in regionPrefix.map { (region ?? "").hasPrefix($0) } ?? true }
        let objections = try await store.repositories.objections.filed(since: since).filter { within($0.regionCode) }
        let repairs = try await store.repositories.repairs.filed(since: since).filter { within($0.regionCode) }
        let overdueObjections = objections.filter { $0.objection.status.isOpen && $0.objection.dueOn < today }
        let overdueRepairs = repairs.filter { isOverdue($0, today: today) }
        return DueProcessFigures(
            months: monthly(objections.map(\.filedAt), repairs.map(\.filedAt)),
            objectionTimes: durations(objections.map { ($0.filedAt, $0.decidedAt) }),
            repairTimes: durations(repairs.map { ($0.filedAt, $0.decidedAt) }),
            overdueObjections: overdueObjections, overdueRepairs: overdueRepairs,
            departments: departments(objections, repairs, overdue: Set(overdueObjections.map(\.objection.id) + overdueRepairs.map(\.application.id))))
    }

    /// Submitted applications are the platform's to answer by `answerDue`; forwarded ones the department's
    /// to decide by `decisionDue`.
    public static func isOverdue(_ c: RepairCase, today: CivilDate) -> Bool {
        switch c.application.status {
        case .submitted: c.application.answerDue < today
        case .forwarded: (c.decisionDue ?? c.application.answerDue) < today
        case .repaired, .refused: false
        }
    }

    static func monthly(_ objections: [String], _ repairs: [String]) -> [Month] {
        let o = Dictionary(grouping: objections, by: { String($0.prefix(7)) })
        let r = Dictionary(grouping: repairs, by: { String($0.prefix(7)) })
        return Set(o.keys).union(r.keys).sorted().map { Month(month: $0, objections: o[$0]?.count ?? 0, repairs: r[$0]?.count ?? 0) }
    }

    static func durations(_ spans: [(String, String?)]) -> Durations {
        let spent = spans.compactMap { days(from: $0.0, to: $0.1) }.sorted()
        return Durations(decided: spent.count, medianDays: percentile(spent, 0.5), p90Days: percentile(spent, 0.9))
    }

    static func departments(_ objections: [ObjectionCase], _ repairs: [RepairCase], overdue: Set<String>) -> [Department] {
        struct Case { let department, id: String; let open: Bool; let reached, decided: String? }
        let cases = objections.map { Case(department: $0.departmentID ?? "", id: $0.objection.id, open: $0.objection.status.isOpen,
                                          reached: $0.acceptedAt, decided: $0.decidedAt) }
            + repairs.map { Case(department: $0.application.departmentID, id: $0.application.id, open: $0.application.status.isOpen,
                                 reached: $0.forwardedAt, decided: $0.decidedAt) }
        return Dictionary(grouping: cases, by: \.department).map { department, cases in
            let spent = cases.compactMap { c in c.reached.flatMap { days(from: $0, to: c.decided) } }.sorted()
            return Department(departmentID: department, open: cases.count(where: \.open), overdue: cases.count { overdue.contains($0.id) },
                              decided: cases.count { !$0.open }, medianDays: percentile(spent, 0.5))
        }.sorted { ($0.overdue, $0.open, $1.departmentID) > ($1.overdue, $1.open, $0.departmentID) }
    }

    static func days(from start: String, to end: String?) -> Double? {
        guard let end, let a = Timestamp.parse(start), let b = Timestamp.parse(end) else { return nil }
        return max(0, b.timeIntervalSince(a) / 86_400)
    }

    /// Nearest rank on sorted values; nil when there are none.
    static func percentile(_ sorted: [Double], _ p: Double) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let rank = Int((p * Double(sorted.count)).rounded(.up))
        return sorted[min(max(rank, 1), sorted.count) - 1]
    }
}
