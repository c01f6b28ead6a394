import XinyongModel
import XinyongStore

/// A page of a public listing: the double-publicity records (双公示) or a list's members.
public struct Listing: Sendable {
    public let entries: [ListingEntry]
    /// The page shown: the one asked for, or the last page when that was past the end.
    public let page: Int
    public let pageSize: Int
    public let hasNextPage: Bool
    /// Records the filters match, counted up to `Listing.countBound`; above it, "more than".
    public let total: Int
    /// The page the visitor asked for (differs from `page` when it was past the last one).
    public let requestedPage: Int
    /// The name matched more subjects than a listing looks through (`Listing.subjectBound`).
    public let subjectsCapped: Bool

    /// A listing counts its records up to this many: enough for any pager (`ListingFilter.deepestRecord`),
    /// and bounded, so that the count of an unfiltered listing of ten million records reads 10,001
    /// index entries, not ten million.
    public static let countBound = 10_000
    /// A name search in a listing looks at the records of this many matching subjects at most.
    public static let subjectBound = 1_000

    public var totalCapped: Bool { total > Self.countBound }

    /// Pages that can be shown: every page of the count, up to the deepest record listings page through.
    public var pageCount: Int {
        let pages = (min(total, Self.countBound) + pageSize - 1) / pageSize
        return max(1, min(pages, ListingFilter.deepestRecord / pageSize))
    }
}

/// Filters of a listing, as a visitor sets them. Every value has been checked by `ListingFilter.init`.
public struct ListingFilter: Sendable, Equatable {
    public var regionCode: String?
    public var departmentID: String?
    public var decidedFrom: CivilDate?
    public var decidedTo: CivilDate?
    /// A fragment of the subject's current or former name, or the start of its code (as in search).
    public var subjectText: String?
    /// The start of the decision's document number (文书号).
    public var documentNumber: String?
    public var page: Int
    public var pageSize: Int

    /// Listings page through at most this many records; narrower filters reach the rest.
    public static let deepestRecord = 5_000

    public init(regionCode: String? = nil, departmentID: String? = nil, decidedFrom: CivilDate? = nil,
                decidedTo: CivilDate? = nil, subjectText: String? = nil, documentNumber: String? = nil,
                page: Int = 1, pageSize: Int = 20) {
        self.regionCode = regionCode
        self.departmentID = departmentID
        self.decidedFrom = decidedFrom
        self.decidedTo = decidedTo
        self.subjectText = subjectText
        self.documentNumber = documentNumber
        self.page = page
        self.pageSize = pageSize
    }
}

/// A listing to be downloaded whole (CSV), read in chunks so that no answer is held in memory at once.
public struct ListingExport: Sendable {
    /// Records the export holds (records the public may no longer see by the time a chunk is read are left out).
    public let rows: Int
    let site: PublicSite
    let query: ListingQuery

    /// The most records one export holds. Above it the visitor is asked to narrow the filters: an
    /// anonymous request must not hold a database connection for the minutes a whole year of the
    /// city's penalties takes, and a file that size does not open in a spreadsheet anyway.
    public static let maximumRows = 100_000

    /// Reads the export `chunkSize` records at a time, newest first (keyset paging on decision date
    /// and id, so that each chunk is an index range, never an offset), handing each chunk to `body`.
    public func forEachChunk(size chunkSize: Int = 1_000, _ body: ([ListingEntry]) async throws -> Void) async throws {
        var query = self.query
        query.limit = chunkSize
        while true {
            let records = try await site.store.repositories.records.latestPublic(query)
            guard let last = records.last else { return }
            try await body(try await site.entries(for: records, on: query.date))
            if records.count < chunkSize { return }
            query.after = ListingCursor(last)
        }
    }
}

/// An export that would hold more than `limit` records.
public struct ExportTooLarge: Error, Equatable {
    public let limit: Int

    public init(limit: Int) { self.limit = limit }
}

/// Bad listing or search parameters, named so that the visitor can fix them.
public struct PublicQueryError: Error, Equatable, CustomStringConvertible {
    public let parameter: String
    /// For the API (English, like every problem detail).
    public let reason: String
    /// For the public pages (Chinese).
    public let message: String
    public var description: String { "\(parameter): \(reason)" }

    public init(parameter: String, reason: String, message: String) {
        self.parameter = parameter
        self.reason = reason
        self.message = message
    }
}

extension PublicSite {
    /// The double-publicity record types: licences and penalties.
    public enum PublicityKind: String, Sendable, CaseIterable {
        case licences, penalties

        public var recordType: String { self == .licences ? "admin_licence" : "admin_penalty" }
        public var title: String { self == .licences ? "行政许可" : "行政处罚" }
    }

    /// The latest licences or penalties that are public today, newest decision first.
    public func doublePublicity(_ kind: PublicityKind, _ filter: ListingFilter, on date: CivilDate = .today()) async throws -> Listing {
        try await listing(types: [kind.recordType], filter, on: date)
    }

    /// The members of a list today, newest first, each with its basis record, start and end.
    public func members(of list: CreditList, _ filter: ListingFilter, on date: CivilDate = .today()) async throws -> Listing {
        try await listing(types: list.recordTypes, filter, on: date)
    }

    /// The licences or penalties of `filter` to download whole; throws `ExportTooLarge` above `limit`
    /// records, before anything is read.
    public func exportDoublePublicity(_ kind: PublicityKind, _ filter: ListingFilter, limit: Int = ListingExport.maximumRows,
                                      on date: CivilDate = .today()) async throws -> ListingExport {
        var filter = filter
        filter.page = 1
        try validate(filter)
        let (query, _) = try await listingQuery(types: [kind.recordType], filter, on: date)
        let rows = try await store.repositories.records.countPublic(query, upTo: limit)
        guard rows <= limit else { throw ExportTooLarge(limit: limit) }
        return ListingExport(rows: rows, site: self, query: query)
    }

    private func listing(types: [String], _ filter: ListingFilter, on date: CivilDate) async throws -> Listing {
        try validate(filter)
        var (query, subjectsCapped) = try await listingQuery(types: types, filter, on: date)
        let records = store.repositories.records
        let total = try await records.countPublic(query, upTo: Listing.countBound)
        let lastPage = Listing(entries: [], page: 1, pageSize: filter.pageSize, hasNextPage: false, total: total,
                               requestedPage: filter.page, subjectsCapped: false).pageCount
        // A page past the last shows the last page (and says so), never an empty page under a pager.
        let page = total == 0 ? 1 : min(filter.page, lastPage)
        query.limit = page * filter.pageSize + 1
        let found = try await records.latestPublic(query)
        let pageRecords = Array(found.dropFirst((page - 1) * filter.pageSize).prefix(filter.pageSize))
        return Listing(entries: try await entries(for: pageRecords, on: date), page: page, pageSize: filter.pageSize,
                       hasNextPage: found.count > page * filter.pageSize && page < lastPage, total: total,
                       requestedPage: filter.page, subjectsCapped: subjectsCapped)
    }

    /// The store's query for a checked filter; a name is first looked up in the subject search index.
    private func listingQuery(types: [String], _ filter: ListingFilter, on date: CivilDate) async throws -> (ListingQuery, subjectsCapped: Bool) {
        let catalog = currentCatalog
        var query = ListingQuery(
            types: types.map { ($0, catalog?.recordType($0)?.publishesNaturalPersons ?? false) },
            regionCodes: filter.regionCode.map(regionAndBelow) ?? [], departmentID: filter.departmentID,
            decidedFrom: filter.decidedFrom, decidedTo: filter.decidedTo, date: date, limit: filter.pageSize)
        var capped = false
        if let text = filter.subjectText {
            let match = try Self.match(for: text)
            // The folded-name index finds the subjects (organisations only: natural persons are never
            // found by name); their records are then read by the primary key, which starts with the subject.
            let found = try await store.repositories.subjects.searchCandidates(
                SubjectQuery(match: match, date: date, limit: Listing.subjectBound + 1))
            capped = found.count > Listing.subjectBound
            query.subjectIDs = found.prefix(Listing.subjectBound).filter { candidate in
                guard case .name(let terms) = match else { return true }
                return candidate.foldedNames.contains { name in terms.allSatisfy(name.contains) }
            }.map(\.subjectID)
        }
        if let number = filter.documentNumber {
            query.documentPrefix = number
            if filter.departmentID == nil { query.allDepartmentIDs = try await store.repositories.departments.all().map(\.id) }
        }
        return (query, capped)
    }

    func validate(_ filter: ListingFilter) throws {
        if let region = filter.regionCode, regions.chain(region).first?.code != region {
            throw PublicQueryError(parameter: "region", reason: "\(region.prefix(20)) is not a region code of the directory", message: "地区代码有误")
        }
        if let from = filter.decidedFrom, let to = filter.decidedTo, from > to {
            throw PublicQueryError(parameter: "from", reason: "\(from) is after the end date \(to)", message: "起始日期 \(from) 晚于截止日期 \(to)")
        }
        if let number = filter.documentNumber, number.count > 100 {
            throw PublicQueryError(parameter: "doc", reason: "a document number has at most 100 characters", message: "文书号不能超过 100 个字")
        }
        guard (1...100).contains(filter.pageSize) else {
            throw PublicQueryError(parameter: "size", reason: "a page holds 1 to 100 entries", message: "每页条数应为 1 至 100")
        }
        guard filter.page >= 1, filter.page * filter.pageSize <= ListingFilter.deepestRecord else {
            throw PublicQueryError(parameter: "page", reason: "pages run from 1 to \(ListingFilter.deepestRecord / filter.pageSize); narrow the filters to see older records",
                                   message: "页码应为 1 至 \(ListingFilter.deepestRecord / filter.pageSize)；查看更早的信息请按部门、地区或日期筛选")
        }
    }
}
