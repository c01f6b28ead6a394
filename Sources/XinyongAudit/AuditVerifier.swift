import Crypto
import XinyongModel
import XinyongStore

/// Walks the audit trail against its hash chain and the signed checkpoints, and says what is wrong: the
/// first row altered, removed or inserted (by id), any checkpoint the chain no longer reaches or matches,
/// and any checkpoint whose signature fails. Reads only.
public struct AuditVerifier: Sendable {
    let store: Store
    static let page = 5_000

    public init(store: Store) { self.store = store }

    public struct Report: Sendable {
        /// Empty when the trail is intact. The first row problem comes first.
        public var problems: [String] = []
        /// Links in the chain (as stored), its last row id and head hash.
        public var length = 0
        public var lastID = 0
        public var head = AuditHash.genesis
        /// Rows newer than the chain's head, not sealed yet (the sealer links them within about a second).
        public var unsealed = 0
        public var checkpointsChecked = 0

        public var intact: Bool { problems.isEmpty }

        public var summary: String {
            "audit trail intact: \(length) rows chained up to id \(lastID), head \(head.prefix(16))…, "
                + "\(unsealed) not yet sealed, \(checkpointsChecked) signed checkpoints match"
        }
    }

    /// - Parameters:
    ///   - checkpoints: the signed checkpoints to hold the chain to (an outsider's copy, or the stored ones).
    ///   - key: the key they must be signed with.
    public func verify(checkpoints: [AuditChainRepository.Checkpoint], key: Curve25519.Signing.PublicKey) async throws -> Report {
        var report = Report()
        let valid = checkpoints.filter { checkpoint in
            guard CheckpointSignature.isValid(checkpoint, key: key) else {
                report.problems.append("checkpoint of \(checkpoint.at) (length \(checkpoint.length)) is not signed by key \(ReportKey.id(of: key))")
                return false
            }
            return true
        }
        let byLength = Dictionary(grouping: valid, by: \.length)
        var rowProblem: String?
        var rows = Cursor { try await store.repositories.auditChain.entries(after: $0, limit: Self.page) }
        var links = Cursor { try await store.repositories.auditChain.links(after: $0, limit: Self.page) }
        while let link = try await links.peek() {
            let row = try await rows.peek()
            if let row, row.id < link.id {
                rowProblem = rowProblem ?? "row \(row.id) was inserted: it is not in the chain, yet row \(link.id) after it is"
                _ = try await rows.next()
                continue
            }
            if rowProblem == nil {
                rowProblem = problem(row: row?.id == link.id ? row : nil, link: link, report: report)
            }
            if row?.id == link.id { _ = try await rows.next() }
            _ = try await links.next()
            // After the first problem the stored links are trusted, to go on counting for the checkpoints.
            report.length = rowProblem == nil ? report.length + 1 : link.position
            report.lastID = link.id
            report.head = link.hash
            for checkpoint in byLength[report.length] ?? [] where checkpoint.head != report.head || checkpoint.last_id != link.id {
                report.problems.append("""
                    the chain at length \(report.length) (row \(link.id), head \(report.head.prefix(16))…) differs from the checkpoint \
                    signed at \(checkpoint.at) (row \(checkpoint.last_id), head \(checkpoint.head.prefix(16))…): rows up to it were rewritten
                    """)
            }
        }
        while try await rows.next() != nil { report.unsealed += 1 }
        for checkpoint in valid where checkpoint.length > report.length {
            report.problems.append("""
                truncated: the chain has \(report.length) rows (up to id \(report.lastID)) but the checkpoint signed at \(checkpoint.at) \
                covers \(checkpoint.length) (up to id \(checkpoint.last_id)): rows after id \(report.lastID) were removed
                """)
        }
        report.checkpointsChecked = valid.count
        if let rowProblem { report.problems.insert(rowProblem, at: 0) }
        return report
    }

    /// What is wrong with one link and its row (nil: the row was removed), given the chain so far.
    private func problem(row: AuditLog.Entry?, link: AuditChainRepository.Link, report: Report) -> String? {
        guard let row else { return "row \(link.id) was removed: the chain links it at position \(link.position)" }
        if link.position != report.length + 1 || link.prev_hash != report.head {
            return "a row between id \(report.lastID) and id \(link.id) was removed or inserted: the link of row \(link.id) "
                + "does not follow row \(report.lastID) (position \(link.position), expected \(report.length + 1))"
        }
        let content = AuditHash.content(row)
        if content != link.content_hash { return "row \(row.id) was altered: its content no longer has the hash it was sealed with" }
        if link.hash != AuditHash.link(prev: link.prev_hash, content: content) { return "the chain link of row \(row.id) was altered" }
        return nil
    }
}

/// Something stored by ascending id.
protocol Identified { var id: Int { get } }
extension AuditLog.Entry: Identified {}
extension AuditChainRepository.Link: Identified {}

/// Reads rows by ascending id a page at a time.
struct Cursor<Element: Identified & Sendable> {
    let fetch: (Int) async throws -> [Element]
    private var buffer: [Element] = []
    private var index = 0
    // Below any id, so that a row slipped in with id 0 or below is read too.
    private var lastID = Int.min
    private var exhausted = false

    init(_ fetch: @escaping (Int) async throws -> [Element]) { self.fetch = fetch }

    mutating func peek() async throws -> Element? {
        if index == buffer.count, !exhausted {
            buffer = try await fetch(lastID)
            index = 0
            exhausted = buffer.count < AuditVerifier.page
        }
        return index < buffer.count ? buffer[index] : nil
    }

    mutating func next() async throws -> Element? {
        guard let element = try await peek() else { return nil }
        index += 1
        lastID = element.id
        return element
    }
}
