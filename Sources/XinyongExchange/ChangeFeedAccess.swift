import XinyongModel
import XinyongStore

/// Who may read which part of the change feed. A department reads every change of its own records, and
/// of other departments' records only those the public may see or has seen: the type is public, the
/// subject is not a natural person unless the type publishes natural persons, and the record's
/// publicity has started. Who reads everything (admin and recipient keys) is the edge's `Caller.readsWholeFeed`.
public struct ChangeFeedAccess: Sendable {
    let store: Store
    let feed: ChangeFeed
    let publicTypes: [String]
    let naturalPersonTypes: [String]
    let today: @Sendable () -> CivilDate

    /// - Parameters:
    ///   - catalogs: every catalogue version the stored records may name. A type counts as public only if
    ///     it is public in every version that defines it, and as publishing natural persons only if every
    ///     such version says so: where versions disagree, the feed errs towards showing less.
    ///   - today: the day publicity is judged on (Asia/Shanghai).
    public init(store: Store, catalogs: some Collection<Catalog>, today: @escaping @Sendable () -> CivilDate = { .today() }) {
        self.store = store
        feed = store.repositories.changes
        let (publicTypes, naturalPersonTypes) = Self.publicity(catalogs)
        self.publicTypes = publicTypes
        self.naturalPersonTypes = naturalPersonTypes
        self.today = today
    }

    /// The record type codes whose publicity is public, and those of them that publish natural persons.
    public static func publicity(_ catalogs: some Collection<Catalog>) -> (publicTypes: [String], naturalPersonTypes: [String]) {
        var isPublic: [String: Bool] = [:], publishesPersons: [String: Bool] = [:]
        for type in catalogs.flatMap(\.recordTypes) {
            isPublic[type.code, default: true] = isPublic[type.code, default: true] && type.publicity == .public
            publishesPersons[type.code, default: true] = publishesPersons[type.code, default: true] && type.publishesNaturalPersons
        }
        let publicTypes = isPublic.filter(\.value).keys.sorted()
        return (publicTypes, publicTypes.filter { publishesPersons[$0] == true })
    }

    /// Changes after `cursor` that `department` may see, oldest first, at most `limit`; nil `department`
    /// means the unfiltered feed. `nextCursor` moves past every row read, visible or not, and equals
    /// `cursor` when nothing newer exists; a page shorter than `limit` means the reader has caught up.
    public func since(_ cursor: Int, limit: Int, visibleTo department: String?) async throws -> (changes: [Change], nextCursor: Int) {
        try await feed.since(cursor, limit: limit, visibility: department.map { visibility($0) })
    }

    /// What a department sees; a nil department sees only what the public sees (an agency).
    func visibility(_ department: String?) -> ChangeFeed.Visibility {
        ChangeFeed.Visibility(department: department, publicTypes: publicTypes, naturalPersonTypes: naturalPersonTypes, today: today())
    }

    /// Who reads the feed: a department (its part of the feed), a recipient key (all of it), an agency key (the public part), or the office
    /// (all of it, and it is nobody's recipient).
    public enum Reader: Sendable, Equatable {
        case department(String)
        case recipientKey(String)
        /// An agency's key: the public part of the feed only, and a recipient of what it read (so that it
        /// learns of corrections and repairs like any recipient).
        case agencyKey(String)
        case office

        /// Whom the records read become known to; nil for the office.
        var recipient: Recipient? {
            switch self {
            case .department(let id): .department(id)
            case .recipientKey(let id), .agencyKey(let id): Recipient(.key, id)
            case .office: nil
            }
        }
    }

    /// A page of the feed for `reader`, as ``since(_:limit:visibleTo:)``, and what reading it means: every
    /// record a `created`, `corrected` or `listed` entry of the page announces (other departments' records, for
    /// a department) now counts the reader among its recipients, and the reader has acknowledged every change
    /// up to `cursor`. Both are written in one transaction: one multi-row insert per 4,000 receipts and one upsert.
    public func read(_ cursor: Int, limit: Int, by reader: Reader) async throws -> (changes: [Change], nextCursor: Int) {
        let department: String? = if case .department(let id) = reader { id } else { nil }
        let shown: ChangeFeed.Visibility? = switch reader {
        case .department(let id): visibility(id)
        case .agencyKey: visibility(nil)
        case .recipientKey, .office: nil
        }
        let page = try await feed.since(cursor, limit: limit, visibility: shown)
        guard let recipient = reader.recipient else { return page }
        let receipts = page.changes.filter { RecipientRepository.receivingKinds.contains($0.change) && $0.department_id != department }
            .map { Receipt(recipient, subjectID: $0.subject_id, recordID: $0.record_id, via: .feed, reference: String($0.seq)) }
        try await store.transaction { repos in
            try await repos.recipients.record(receipts)
            try await repos.recipients.advanceCursor(of: recipient, acked: cursor, read: page.nextCursor)
        }
        return page
    }
}
