import XinyongModel
import XinyongStore

/// A page of a public listing: the double-publicity records (双公示) or a list's members.
public struct Listing: Sendable {
    public let entries: [ListingEntry]
    public let page: Int
    public let pageSize: Int
    public let hasNextPage: Bool
}

/// Filters of a listing, as a visitor sets them. Every value has been checked by `ListingFilter.init`.
public struct ListingFilter: Sendable, Equatable {
    public var regionCode: String?
    public var departmentID: String?
    public var decidedFrom: CivilDate?
    public var decidedTo: CivilDate?
    public var page: Int
    public var pageSize: Int

    /// Listings page through at most this many records; narrower filters reach the rest.
    public static let deepestRecord = 5_000

    public init(regionCode: String? = nil, departmentID: String? = nil, decidedFrom: CivilDate? = nil,
                decidedTo: CivilDate? = nil, page: Int = 1, pageSize: Int = 20) {
        self.regionCode = regionCode
        self.departmentID = departmentID
        self.decidedFrom = decidedFrom
        self.decidedTo = decidedTo
        self.page = page
        self.pageSize = pageSize
    }
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

    private func listing(types: [String], _ filter: ListingFilter, on date: CivilDate) async throws -> Listing {
        try validate(filter)
        let catalog = currentCatalog
        let wanted = filter.page * filter.pageSize + 1
        let query = ListingQuery(
            types: types.map { ($0, catalog?.recordType($0)?.publishesNaturalPersons ?? false) },
            regionCodes: filter.regionCode.map(regionAndBelow) ?? [], departmentID: filter.departmentID,
            decidedFrom: filter.decidedFrom, decidedTo: filter.decidedTo, date: date, limit: wanted)
        let records = try await store.repositories.records.latestPublic(query)
        let pageRecords = Array(records.dropFirst((filter.page - 1) * filter.pageSize).prefix(filter.pageSize))
        return Listing(entries: try await entries(for: pageRecords, on: date), page: filter.page,
                       pageSize: filter.pageSize, hasNextPage: records.count >= wanted)
    }

    func validate(_ filter: ListingFilter) throws {
        if let region = filter.regionCode, regions.chain(region).first?.code != region {
            throw PublicQueryError(parameter: "region", reason: "\(region.prefix(20)) is not a region code of the directory", message: "地区代码有误")
        }
        if let from = filter.decidedFrom, let to = filter.decidedTo, from > to {
            throw PublicQueryError(parameter: "from", reason: "\(from) is after the end date \(to)", message: "起始日期 \(from) 晚于截止日期 \(to)")
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
