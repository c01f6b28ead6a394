import SQLKit
import XinyongModel

extension Repositories {
    public var lists: ListRepository { .init(db: db) }
}

/// A membership as stored, with where it stands.
public struct StoredMembership: Sendable, Equatable {
    public enum State: String, Sendable, Codable { case listed, ended }
    public let membership: ListMembership
    /// The kind of the department whose record founds it (memoranda may cover only some sources).
    public let sourceCategory: String
    public let state: State
    public let endedOn: CivilDate?
    public let endedReason: ListMembership.EndReason?
}

public struct ListRepository: Sendable {
    let db: any SQLDatabase

    struct Row: Codable {
        let subject_id, record_id, list, record_type, department_id, source_category, document_no, legal_basis: String
        let start_date, end_date, state: String
        let ended_on, ended_reason: String?
    }

    static let columns = ["subject_id", "record_id", "list", "record_type", "department_id", "source_category", "document_no",
                          "legal_basis", "start_date", "end_date", "state", "ended_on", "ended_reason"]

    /// Brings the memberships founded by `records` in line with the records (the model's rules,
    /// `CreditRecord.listMembership` and `CreditRecord.membershipEnding`), in the caller's transaction. Every
    /// start and end goes to the change feed (`listed`, `delisted`, `list_changed`) and the audit trail.
    /// `fresh` skips looking for existing rows (the records were just inserted). Returns how many
    /// memberships were written.
    @discardableResult
    public func sync(_ records: [CreditRecord], fresh: Bool = false, by actor: Actor, batch: String?,
                     today: CivilDate = .today(), announce: Bool = true) async throws -> Int {
        let relevant = records.filter { CreditList(recordType: $0.recordType) != nil }
        guard !relevant.isEmpty else { return 0 }
        var existing: [String: Row] = [:]
        if !fresh {
            let rows = try await db.select().columns(Self.columns.map { SQLIdentifier($0) }).from("list_memberships")
                .where("record_id", .in, relevant.map(\.id)).all(decoding: Row.self)
            existing = Dictionary(rows.map { ($0.record_id, $0) }, uniquingKeysWith: { a, _ in a })
        }
        let categories = try await departmentCategories(Array(Set(relevant.map(\.departmentID))))
        let now = Timestamp.now()
        var inserts: [[any Encodable & Sendable]] = []
        var events: [(CreditRecord, CreditList, Change.Kind, String)] = []
        var written = 0
        for record in relevant {
            let list = CreditList(recordType: record.recordType)!
            let membership = record.listMembership
            let ending = record.membershipEnding(on: today)
            let state: StoredMembership.State = ending == nil ? .listed : .ended
            guard let old = existing[record.id] else {
                guard let m = membership else { continue }
                inserts.append([m.subjectID, m.recordID, list.rawValue, m.recordType, m.departmentID,
                                categories[m.departmentID] ?? "", m.documentNumber, m.legalBasis, m.start.description,
                                m.end.description, state.rawValue, ending?.on.description, ending?.reason.rawValue, now])
                if ending == nil { events.append((record, list, .listed, "\(m.start)–\(m.end)")) }
                continue
            }
            let start = membership?.start.description ?? old.start_date
            let end = membership?.end.description ?? old.end_date
            guard state.rawValue != old.state || start != old.start_date || end != old.end_date else { continue }
            try await db.update("list_memberships")
                .set("start_date", to: start).set("end_date", to: end).set("state", to: state.rawValue)
                .set("ended_on", to: ending?.on.description).set("ended_reason", to: ending?.reason.rawValue)
                .set("legal_basis", to: record.legalBasis).set("updated_at", to: now)
                .where("subject_id", .equal, record.subjectID).where("record_id", .equal, record.id).run()
            written += 1
            switch (StoredMembership.State(rawValue: old.state), state) {
            case (.listed, .ended): events.append((record, list, .delisted, ending?.reason.rawValue ?? ""))
            case (.ended, .listed): events.append((record, list, .listed, "\(start)–\(end)"))
            case (.listed, .listed): events.append((record, list, .listChanged, "\(start)–\(end)"))
            default: break
            }
        }
        try await db.insertRows(into: "list_memberships", columns: Self.columns + ["updated_at"], rows: inserts)
        written += inserts.count
        guard announce, !events.isEmpty else { return written }
        try await db.insertRows(
            into: "changes", columns: ["record_id", "subject_id", "record_type", "department_id", "change", "version", "at", "batch_id", "list"],
            rows: events.map { r, list, kind, _ in [r.id, r.subjectID, r.recordType, r.departmentID, kind.rawValue, r.version, now, batch, list.rawValue] })
        try await db.insertRows(
            into: "audit_log", columns: ["at", "actor", "action", "entity", "entity_id", "reason", "detail"],
            rows: events.map { r, list, kind, what in
                [now, actor.name, kind.rawValue, "list_memberships", "\(r.subjectID)/\(r.id)", actor.reason,
                 jsonText(["list": list.rawValue, "record_type": r.recordType, kind == .delisted ? "ended" : "span": what])]
            })
        return written
    }

    private struct CategoryRow: Decodable { let id, category: String }

    private func departmentCategories(_ ids: [String]) async throws -> [String: String] {
        guard !ids.isEmpty else { return [:] }
        let rows = try await db.select().columns("id", "category").from("departments").where("id", .in, ids).all(decoding: CategoryRow.self)
        return Dictionary(rows.map { ($0.id, $0.category) }, uniquingKeysWith: { a, _ in a })
    }

    /// Every membership of a subject (history included), newest start first.
    public func forSubject(_ subjectID: String) async throws -> [StoredMembership] {
        try await db.select().columns(Self.columns.map { SQLIdentifier($0) }).from("list_memberships")
            .where("subject_id", .equal, subjectID).orderBy("start_date", .descending)
            .all(decoding: Row.self).map(Self.stored)
    }

    private struct CountRow: Decodable { let list: String; let n: Int }

    /// Subjects with a membership in force on `date`, per list.
    public func activeCounts(on date: CivilDate = .today()) async throws -> [CreditList: Int] {
        let day = date.description
        let rows = try await db.raw("""
            SELECT list, COUNT(DISTINCT subject_id) AS n FROM list_memberships
            WHERE state = 'listed' AND start_date <= \(bind: day) AND end_date > \(bind: day) GROUP BY list
            """).all(decoding: CountRow.self)
        return Dictionary(uniqueKeysWithValues: rows.compactMap { r in CreditList(rawValue: r.list).map { ($0, r.n) } })
    }

    private struct ListRow: Decodable { let subject_id, list: String }

    /// The lists each of `subjectIDs` is on, on `date` (search results' badges).
    public func lists(of subjectIDs: [String], on date: CivilDate) async throws -> [String: Set<CreditList>] {
        guard !subjectIDs.isEmpty else { return [:] }
        let day = date.description
        let rows = try await db.raw("""
            SELECT subject_id, list FROM list_memberships WHERE subject_id IN (\(binds: subjectIDs))
            AND state = 'listed' AND start_date <= \(bind: day) AND end_date > \(bind: day)
            """).all(decoding: ListRow.self)
        var lists: [String: Set<CreditList>] = [:]
        for row in rows {
            if let list = CreditList(rawValue: row.list) { lists[row.subject_id, default: []].insert(list) }
        }
        return lists
    }

    private struct CodeRow: Decodable { let code: String? }

    /// For benchmarks: the code of the first listed subject at or after `start` in key order, and of the
    /// first subject of any kind there (primary-key walks, fast on a million rows).
    /// (Both sides of the join are bounded by `start`: otherwise PostgreSQL merge-joins from the first subject,
    /// seconds a call at a million subjects.)
    public func codesAt(_ start: String) async throws -> (listed: String?, any: String?) {
        let listed = try await db.raw("""
            SELECT s.code FROM list_memberships m JOIN subjects s ON s.id = m.subject_id
            WHERE m.subject_id >= \(bind: start) AND s.id >= \(bind: start) AND m.state = 'listed' ORDER BY m.subject_id LIMIT 1
            """).first(decoding: CodeRow.self)?.code
        let any = try await db.raw("""
            SELECT code FROM subjects WHERE id >= \(bind: start) AND code IS NOT NULL ORDER BY id LIMIT 1
            """).first(decoding: CodeRow.self)?.code
        return (listed, any)
    }

    static func stored(_ r: Row) throws -> StoredMembership {
        let unreadable = StoredDataError(description: "list membership \(r.subject_id)/\(r.record_id) does not read back")
        guard let list = CreditList(rawValue: r.list), let start = CivilDate(r.start_date), let end = CivilDate(r.end_date),
            let state = StoredMembership.State(rawValue: r.state)
        else { throw unreadable }
        let endedReason = try r.ended_reason.map { text -> ListMembership.EndReason in
            guard let reason = ListMembership.EndReason(rawValue: text) else { throw unreadable }
            return reason
        }
        return StoredMembership(
            membership: ListMembership(list: list, subjectID: r.subject_id, recordID: r.record_id, recordType: r.record_type,
                                       departmentID: r.department_id, documentNumber: r.document_no, legalBasis: r.legal_basis,
                                       start: start, end: end),
            sourceCategory: r.source_category, state: state, endedOn: r.ended_on.flatMap { CivilDate($0) }, endedReason: endedReason)
    }
}
