import Crypto
import Foundation
import XinyongModel
import XinyongStore

/// The credit website's use cases: what the public may read of subjects and records, the lists, and
/// the signed credit reports. Every answer applies the publicity rules of `PublicProfile`.
public struct PublicSite: Sendable {
    public let store: Store
    public let catalogs: [Int: Catalog]
    public let regions: RegionDirectory
    let reportKey: Curve25519.Signing.PrivateKey
    /// The most records one CSV export holds (`ListingExport.maximumRows`; lower in tests).
    public var exportLimit = ListingExport.maximumRows
    /// Records read per query of an export, and written per chunk of its body.
    public var exportChunkSize = 1_000

    /// The city this installation serves; its counties are the site's region filters. (The site's
    /// name and the demo are Chenzhou's; another city changes this, the brand and the templates.)
    public static let cityCode = "431000"

    /// Who issues the reports, as printed on them.
    public static let issuer = "信用郴州 · 郴州市公共信用信息平台"

    public init(store: Store, catalogs: [Int: Catalog], regions: RegionDirectory, reportKey: Curve25519.Signing.PrivateKey) {
        self.store = store
        self.catalogs = catalogs
        self.regions = regions
        self.reportKey = reportKey
    }

    public var publicKey: Curve25519.Signing.PublicKey { reportKey.publicKey }

    /// The newest catalogue version.
    public var currentCatalog: Catalog? { catalogs.values.max { $0.version < $1.version } }

    func recordType(of record: CreditRecord) -> RecordType? {
        catalogs[record.catalogVersion]?.recordType(record.recordType)
    }

    /// A region's name with its parents, e.g. 湖南省 郴州市 北湖区.
    public func regionName(_ code: String) -> String {
        regions.chain(code).reversed().map(\.name).joined(separator: " ")
    }

    /// A region and every region below it, for filters.
    public func regionAndBelow(_ code: String) -> [String] {
        [code] + regions.children(of: code).flatMap { regionAndBelow($0.code) }
    }

    /// What the public sees of `subject` on `date`.
    public func profile(of subject: Subject, on date: CivilDate = .today()) async throws -> ProfileDocument {
        let (profile, departments, disputed) = try await publicProfile(of: subject, on: date)
        return ProfileDocument(profile: profile, departments: departments, underObjection: disputed,
                               regionName: regionName(subject.regionCode))
    }

    /// The public records of `subject` on `date`, the names of their departments, and which are under objection.
    public func publicProfile(of subject: Subject, on date: CivilDate = .today()) async throws
        -> (PublicProfile, departments: [String: String], underObjection: Set<String>)
    {
        let repos = store.lookups
        let records = try await repos.records.publicForSubject(subject.id, on: date)
        let profile = PublicProfile(subject: subject, records: records, catalog: { catalogs[$0] }, on: date)
        let shown = profile.sections.flatMap { $0.groups.flatMap(\.records) }
        // Both at once: on PostgreSQL each is a round trip.
        async let departments = repos.departments.names(Array(Set(shown.map(\.departmentID))))
        async let disputed = repos.objections.open(recordIDs: shown.map(\.id))
        return (profile, try await departments, try await disputed)
    }

    /// One public record with its subject, or nil when the public may not see it (unknown, withdrawn,
    /// repaired, expired, not published, or a natural person the type does not publish).
    public func record(id: String, on date: CivilDate = .today()) async throws -> ListingEntry? {
        guard let record = try await store.repositories.records.find(id: id) else { return nil }
        return try await entries(for: [record], on: date).first
    }

    /// The fields that name a record's category (许可类别, 处罚类别), for listings' compact tables.
    static let categoryFields = ["licence_category", "penalty_category"]

    /// Records with their subjects as listings show them; records the public may not see are dropped.
    func entries(for records: [CreditRecord], on date: CivilDate) async throws -> [ListingEntry] {
        let repos = store.repositories
        let subjects = try await repos.subjects.find(ids: records.map(\.subjectID))
        let departments = try await repos.departments.names(Array(Set(records.map(\.departmentID))))
        let disputed = try await repos.objections.open(recordIDs: records.map(\.id))
        return records.compactMap { record in
            guard let subject = subjects[record.subjectID], let type = recordType(of: record),
                let shown = PublicProfile.publicView(of: record, type: type, subject: subject, on: date)
            else { return nil }
            return ListingEntry(
                record: ProfileDocument.Record(shown, type: type, department: departments[record.departmentID] ?? record.departmentID,
                                               underObjection: disputed.contains(record.id)),
                subject: subject, membership: shown.listMembership,
                category: Self.categoryFields.lazy.compactMap { shown.fields[$0] }.first { !$0.isEmpty })
        }
    }
}

/// A record in a listing: the record as the public reads it, and whose it is.
public struct ListingEntry: Sendable {
    public let record: ProfileDocument.Record
    public let subject: Subject
    /// The list the record puts its subject on, if any.
    public let membership: ListMembership?
    /// The licence or penalty category (许可类别, 处罚类别), where the record has one.
    public let category: String?

    /// Where the subject's profile is, for organisations (natural persons have no public profile page).
    public var profileCode: String? {
        subject.kind == .naturalPerson ? nil : (subject.code?.value ?? subject.legacyRegistrationNumber?.value)
    }
}
