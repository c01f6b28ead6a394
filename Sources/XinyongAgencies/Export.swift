import Crypto
import Foundation
import XinyongModel
import XinyongPublication
import XinyongStore

/// The bulk public export (NDJSON): every record the public sees today, in record-id order, page by page
/// from a cursor (the last record id of the previous page). A page is read from the store in chunks, so an
/// export's memory is one chunk whatever its page size.
extension AgencyService {
    /// One line of the export: a public record as the public reads it (personal names masked).
    public struct ExportRecord: Encodable, Sendable {
        let kind = "record"
        let id, recordType, typeName, departmentId, documentNo, decisionDate, publicityEnd: String
        let subjectName, subjectCode, subjectKind: String
        let fields: [String: String]
        let version: Int
    }

    /// Where an export page ended: the cursor for the next page and whether nothing follows.
    public struct ExportEnd: Encodable, Sendable {
        let kind = "cursor"
        public let nextCursor: String
        public let end: Bool
        public let records: Int
    }

    public static let exportPageLimit = 10_000
    static let exportChunk = 500

    /// A tag that changes whenever the page could: the cursor and size, the day (publicity windows move), the
    /// newest change in the feed (every write of a record appends one) and the catalogue versions.
    public func exportTag(after: String, limit: Int, on date: CivilDate = .today()) async throws -> String {
        let latest = try await store.repositories.evaluations.latestChange()
        let text = "\(after)|\(limit)|\(date)|\(latest)|\(site.catalogs.keys.sorted())"
        return "\"" + SHA256.hash(data: Data(text.utf8)).hexEncoded.prefix(32) + "\""
    }

    /// Reads up to `limit` public records after `cursor`, handing each chunk to `body`, and says where it ended.
    public func export(after cursor: String, limit: Int, on date: CivilDate = .today(),
                       _ body: ([ExportRecord]) async throws -> Void) async throws -> ExportEnd {
        var after = cursor, read = 0, written = 0
        while read < limit {
            let size = min(Self.exportChunk, limit - read)
            let records = try await store.repositories.records.publicPage(
                after: after, limit: size, publicTypes: publicTypes, naturalPersonTypes: naturalPersonTypes, on: date)
            if let last = records.last {
                let lines = try await exportLines(records, on: date)
                try await body(lines)
                (read, written, after) = (read + records.count, written + lines.count, last.id)
            }
            if records.count < size { return ExportEnd(nextCursor: after, end: true, records: written) }
        }
        return ExportEnd(nextCursor: after, end: false, records: written)
    }

    func exportLines(_ records: [CreditRecord], on date: CivilDate) async throws -> [ExportRecord] {
        let repos = store.repositories
        let subjects = try await repos.subjects.find(ids: Array(Set(records.map(\.subjectID))))
        return records.compactMap { r in
            guard let subject = subjects[r.subjectID], let type = site.catalogs[r.catalogVersion]?.recordType(r.recordType),
                let shown = PublicProfile.publicView(of: r, type: type, subject: subject, on: date)
            else { return nil }
            return ExportRecord(id: shown.id, recordType: shown.recordType, typeName: type.name, departmentId: shown.departmentID,
                                documentNo: shown.documentNumber, decisionDate: shown.decisionDate.description,
                                publicityEnd: shown.schedule.end?.description ?? "", subjectName: subject.displayName,
                                subjectCode: subject.displayIdentifier, subjectKind: subject.kind.rawValue, fields: shown.fields, version: shown.version)
        }
    }
}
