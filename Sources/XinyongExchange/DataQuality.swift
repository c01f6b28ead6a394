import XinyongModel
import XinyongStore

/// How well each department feeds the platform: the share of rows rejected, the share of records sent
/// later than the catalogue's deadline (7 working days after the decision), and the latest submission;
/// per department and record type, and rolled up per region.
public enum DataQuality {
    public struct Line: Encodable, Sendable {
        public let departmentId: String
        public let departmentName: String
        public let regionCode: String
        public let recordType: String
        public let rowsSubmitted: Int
        public let rowsRejected: Int
        public let rejectedShare: Double?
        public let records: Int
        public let late: Int
        public let lateShare: Double?
        public let latestSubmission: String?
    }

    public struct RegionLine: Encodable, Sendable {
        public let regionCode: String
        public let regionName: String
        public let rowsSubmitted: Int
        public let rejectedShare: Double?
        public let records: Int
        public let lateShare: Double?
    }

    public struct Report: Encodable, Sendable {
        public let lines: [Line]
        public let regions: [RegionLine]
    }

    /// The report for the whole city, or `within` a region and below (what a county office sees).
    public static func report(store: Store, regions: RegionDirectory, within region: String? = nil) async throws -> Report {
        let repos = store.repositories
        let departments = Dictionary(uniqueKeysWithValues: try await repos.departments.all().map { ($0.id, $0) })
        let submitted = try await repos.batches.submissionCounts()
        let received = try await repos.batches.timelinessCounts()
        struct Key: Hashable { let department, type: String }
        let submittedBy = Dictionary(uniqueKeysWithValues: submitted.map { (Key(department: $0.department_id, type: $0.record_type), $0) })
        let receivedBy = Dictionary(uniqueKeysWithValues: received.map { (Key(department: $0.department_id, type: $0.record_type), $0) })
        let keys = Set(submittedBy.keys).union(receivedBy.keys).sorted { ($0.department, $0.type) < ($1.department, $1.type) }
        let lines = keys.filter { key in
            region.map { regions.isWithin(departments[key.department]?.regionCode ?? "", $0) } ?? true
        }.map { key in
            let s = submittedBy[key], r = receivedBy[key]
            let department = departments[key.department]
            return Line(
                departmentId: key.department, departmentName: department?.name ?? key.department,
                regionCode: department?.regionCode ?? "", recordType: key.type,
                rowsSubmitted: s?.rows_total ?? 0, rowsRejected: s?.rejected ?? 0,
                rejectedShare: share(s?.rejected ?? 0, of: s?.rows_total ?? 0),
                records: r?.records ?? 0, late: r?.late ?? 0, lateShare: share(r?.late ?? 0, of: r?.records ?? 0),
                latestSubmission: [s?.latest, r?.latest].compactMap { $0 }.max())
        }
        let byRegion = Dictionary(grouping: lines, by: \.regionCode).map { code, lines in
            let rows = lines.reduce(0) { $0 + $1.rowsSubmitted }, rejected = lines.reduce(0) { $0 + $1.rowsRejected }
            let records = lines.reduce(0) { $0 + $1.records }, late = lines.reduce(0) { $0 + $1.late }
            return RegionLine(regionCode: code, regionName: regions[code]?.name ?? code, rowsSubmitted: rows,
                              rejectedShare: share(rejected, of: rows), records: records, lateShare: share(late, of: records))
        }.sorted { $0.regionCode < $1.regionCode }
        return Report(lines: lines, regions: byRegion)
    }

    static func share(_ part: Int, of whole: Int) -> Double? {
        whole == 0 ? nil : (Double(part) / Double(whole) * 10_000).rounded() / 10_000
    }
}
