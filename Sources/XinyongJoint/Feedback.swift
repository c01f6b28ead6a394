import Foundation
import XinyongModel
import XinyongStore

/// What a department reports about one measure a check returned.
public struct MeasureFeedback: Sendable, Codable {
    public var measureId: String
    public var applied: Bool
    /// Required when the measure was not applied.
    public var reason: String?

    public init(measureId: String, applied: Bool, reason: String? = nil) {
        self.measureId = measureId
        self.applied = applied
        self.reason = reason
    }
}

/// The office's view of how checks are followed up: application rates per memorandum, measure,
/// department and region, and the checks that got no feedback.
public struct ApplicationReport: Sendable, Codable {
    public struct Line: Sendable, Codable {
        public let key: String
        public let name: String
        /// Measures returned by checks.
        public let returned: Int
        /// Of those, reported on by the department.
        public let reported: Int
        public let applied: Int
        /// applied ÷ reported (nil before any report).
        public let applicationRate: Double?
        /// reported ÷ returned.
        public let feedbackRate: Double?
    }

    public struct Pending: Sendable, Codable {
        public let checkId, departmentId, departmentName, scenario: String
        public let result: CheckResult
        public let askedAt: String
        public let measures, incentives: Int
    }

    public let from, to: String
    public let checks: Int
    public let byMemorandum, byMeasure, byDepartment, byRegion: [Line]
    /// Checks that returned measures and were asked more than `feedbackGraceDays` ago with no feedback.
    public let withoutFeedback: [Pending]
    public let feedbackGraceDays: Int
}

extension JointService {
    /// Records a department's feedback on its own check: every measure the check returned, applied or not
    /// (with the reason), and the outcome of the matter. Reported once; a second report is a conflict.
    public func feedback(check id: String, department: String?, lines: [MeasureFeedback], outcome: String?, by actor: Actor) async throws {
        // A check answered while a batch held the writer may still wait in the journal: bring it over first.
        if try await store.repositories.checks.find(id: id) == nil { try await log.settle() }
        guard let check = try await store.repositories.checks.find(id: id), department == nil || check.departmentID == department else {
            throw JointError.notFound("no check \(id) of this department")
        }
        guard check.feedbackAt == nil else {
            throw JointError.conflict("feedback on check \(id) was already reported at \(check.feedbackAt!)")
        }
        let returned = try await store.repositories.checks.measures(check: id)
        let ids = Set(returned.map(\.measureID))
        var seen = Set<String>()
        for (i, line) in lines.enumerated() {
            guard ids.contains(line.measureId) else {
                throw JointError.invalid(field: "measures[\(i)].measure_id", "'\(line.measureId)' was not returned by check \(id); it returned \(ids.sorted().joined(separator: ", "))")
            }
            guard seen.insert(line.measureId).inserted else {
                throw JointError.invalid(field: "measures[\(i)].measure_id", "'\(line.measureId)' is reported twice")
            }
            if !line.applied, (line.reason ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
                throw JointError.invalid(field: "measures[\(i)].reason", "say why measure \(line.measureId) was not applied")
            }
            if (line.reason ?? "").count > 1000 { throw JointError.invalid(field: "measures[\(i)].reason", "at most 1,000 characters") }
        }
        let missing = ids.subtracting(seen)
        guard missing.isEmpty else {
            throw JointError.invalid(field: "measures", "report every measure the check returned; missing: \(missing.sorted().joined(separator: ", "))")
        }
        if let outcome, outcome.count > 1000 { throw JointError.invalid(field: "outcome", "at most 1,000 characters") }
        if lines.isEmpty, (outcome ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
            throw JointError.invalid(field: "outcome", "the check returned no measures: report the outcome of the matter")
        }
        let stored = lines.map { (measureID: $0.measureId, applied: $0.applied, reason: $0.reason) }
        try await store.transaction { try await $0.checks.recordFeedback(check: id, lines: stored, outcome: outcome, by: actor) }
    }

    /// Rates for checks asked in [from, to) (instants, ISO 8601), and the checks still without feedback.
    /// `within`: a region whose departments' checks alone count (a county office's view); nil for the whole city.
    public func applicationReport(from: String, to: String, graceDays: Int = 5, limit: Int = 200, within region: String? = nil,
                                  regions: RegionDirectory = .shipped) async throws -> ApplicationReport {
        let prefix = region.map(Region.codePrefix)
        let repo = store.repositories.checks
        let catalog = try await measureCatalog()
        let departments = try await departments([])
        func lines(_ dimension: String, name: (String) -> String) async throws -> [ApplicationReport.Line] {
            try await repo.applicationCounts(by: dimension, from: from, to: to, within: prefix).map { c in
                .init(key: c.key, name: name(c.key), returned: c.returned, reported: c.reported, applied: c.applied,
                      applicationRate: c.reported > 0 ? Double(c.applied) / Double(c.reported) : nil,
                      feedbackRate: c.returned > 0 ? Double(c.reported) / Double(c.returned) : nil)
            }
        }
        let cutoff = Timestamp.format(Date().addingTimeInterval(-Double(graceDays) * 86_400))
        let pending = try await repo.withoutFeedback(askedBefore: min(cutoff, to), limit: limit, within: prefix).map { c in
            ApplicationReport.Pending(checkId: c.id, departmentId: c.departmentID, departmentName: departments[c.departmentID]?.name ?? c.departmentID,
                                      scenario: catalog.scenario(c.scenario)?.name ?? c.scenario, result: c.result, askedAt: c.askedAt,
                                      measures: c.measures, incentives: c.incentives)
        }
        return ApplicationReport(
            from: from, to: to, checks: try await repo.count(since: from, within: prefix),
            byMemorandum: try await lines("memorandum") { catalog.memorandum($0).map { "\($0.title)（\($0.documentNumber)）" } ?? $0 },
            byMeasure: try await lines("measure") { catalog.measure($0)?.0.title ?? $0 },
            byDepartment: try await lines("department") { departments[$0]?.name ?? $0 },
            byRegion: try await lines("region") { regions[$0]?.name ?? $0 },
            withoutFeedback: pending, feedbackGraceDays: graceDays)
    }
}
