import SQLKit
import XinyongModel

extension Repositories {
    public var notices: NoticeRepository { .init(db: db) }
}

public struct NoticeRepository: Sendable {
    let db: any SQLDatabase

    /// The parts of a notice that are its text, stored as issued.
    struct Wording: Codable {
        let addressee: String
        let facts: [Notice.Fact]
        let basis: String
        let consequences: [Notice.Consequence]
        let statementRight: String
    }

    struct Row: Codable {
        let subject_id, id, record_id, department_id, record_type, region_code, list, issued_on, grace_until, state: String
        let statement_id, listed_on, closed_on: String?
        let wording: String
    }

    static let columns = ["subject_id", "id", "record_id", "department_id", "record_type", "region_code", "list", "issued_on",
                          "grace_until", "state", "statement_id", "listed_on", "closed_on", "wording"]
    static let select = SQLQueryString("SELECT \(unsafeRaw: columns.joined(separator: ", ")) FROM notices")

    /// Stores notices just issued (with their records, in the caller's transaction), with one audit entry.
    public func insert(_ notices: [Notice], by actor: Actor, batch: String?) async throws {
        guard !notices.isEmpty else { return }
        let now = Timestamp.now()
        try await db.insertRows(into: "notices", columns: Self.columns + ["batch_id", "created_at", "updated_at"], rows: notices.map { n in
            [n.subjectID, n.id, n.recordID, n.departmentID, n.recordType, n.regionCode, n.list.rawValue, n.issuedOn.description,
             n.graceUntil.description, n.state.rawValue, n.statementID, n.listedOn?.description, n.closedOn?.description,
             jsonText(Wording(addressee: n.addressee, facts: n.facts, basis: n.basis, consequences: n.consequences,
                              statementRight: n.statementRight)), batch, now, now]
        })
        try await AuditLog(db: db).append(actor, action: "issue", entity: "notices",
                                          entityID: notices.count == 1 ? notices[0].id : batch.map { "batch \($0)" },
                                          subjectID: notices.count == 1 ? notices[0].subjectID : nil,
                                          detail: ["notices": "\(notices.count)"])
    }

    public func find(id: String) async throws -> Notice? {
        try await db.raw("\(Self.select) WHERE id = \(bind: id)").first(decoding: Row.self).map(Self.notice)
    }

    /// The notice of a record, if it had one.
    public func forRecord(_ recordID: String) async throws -> Notice? {
        try await db.raw("\(Self.select) WHERE record_id = \(bind: recordID) ORDER BY issued_on DESC LIMIT 1")
            .first(decoding: Row.self).map(Self.notice)
    }

    /// The notices of these records, by record.
    public func forRecords(_ recordIDs: [String]) async throws -> [String: Notice] {
        guard !recordIDs.isEmpty else { return [:] }
        let rows = try await db.raw("\(Self.select) WHERE record_id IN (\(binds: recordIDs))").all(decoding: Row.self)
        return Dictionary(try rows.map { ($0.record_id, try Self.notice($0)) }, uniquingKeysWith: { a, _ in a })
    }

    /// A subject's notices whose listing has not started (pending or with a statement under review).
    public func open(subjectID: String) async throws -> [Notice] {
        try await db.raw("""
            \(Self.select) WHERE subject_id = \(bind: subjectID) AND state IN (\(binds: Self.openStates)) ORDER BY grace_until, id
            """).all(decoding: Row.self).map(Self.notice)
    }

    static let openStates = Notice.State.allCases.filter(\.isOpen).map(\.rawValue)

    /// What the office or a department asks for: by department, region (GB/T 2260 prefix) and states; newest first.
    public struct Query: Sendable {
        public var departmentID: String?
        public var regionPrefix: String?
        public var states: [Notice.State]?
        public var batchID: String?
        public var limit: Int

        public init(departmentID: String? = nil, regionPrefix: String? = nil, states: [Notice.State]? = nil, batchID: String? = nil,
                    limit: Int = 200) {
            self.departmentID = departmentID
            self.regionPrefix = regionPrefix
            self.states = states
            self.batchID = batchID
            self.limit = limit
        }
    }

    public func search(_ query: Query) async throws -> [Notice] {
        var conditions: [SQLQueryString] = []
        if let v = query.departmentID { conditions.append("department_id = \(bind: v)") }
        if let v = query.regionPrefix { conditions.append("region_code LIKE \(bind: v + "%")") }
        if let v = query.batchID { conditions.append("batch_id = \(bind: v)") }
        if let states = query.states { conditions.append(states.isEmpty ? "1 = 0" : "state IN (\(binds: states.map(\.rawValue)))") }
        let filter: SQLQueryString = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        return try await db.raw("\(Self.select) \(filter) ORDER BY issued_on DESC, id LIMIT \(bind: query.limit)")
            .all(decoding: Row.self).map(Self.notice)
    }

    // MARK: Listing

    /// Starts the listing of every notice whose statement period ended before `date` without a statement, at
    /// most `limit` of them: the record becomes active and public from `date`, its membership starts that day
    /// (`listed` on the change feed, audited) and the notice is `listed`. Returns how many notices it settled;
    /// a notice found settled by other means (its record withdrawn) is closed instead.
    public func activateDue(on date: CivilDate, limit: Int, by actor: Actor) async throws -> Int {
        let due = try await db.raw("""
            \(Self.select) WHERE state = \(bind: Notice.State.pending.rawValue) AND grace_until < \(bind: date.description)
            ORDER BY grace_until, id LIMIT \(bind: limit)
            """).all(decoding: Row.self).map(Self.notice)
        for notice in due { try await list(notice, on: date, by: actor) }
        return due.count
    }

    /// The hook for a statement (陈述申辩, an objection of the statement kind): the record's notice waits for
    /// its decision instead of listing when the period ends. Returns the notice, or nil when no notice of the
    /// record awaits a statement on `today` (none, its period is over, or it was settled): the objection is
    /// then an ordinary one. A second statement on the same notice leaves the first one's id.
    @discardableResult
    public func statementFiled(recordID: String, objectionID: String, by actor: Actor, today: CivilDate = .today()) async throws -> Notice? {
        guard var notice = try await forRecord(recordID), notice.state.isOpen, today <= notice.graceUntil else { return nil }
        guard notice.state == .pending else { return notice }
        notice.state = .statementFiled
        notice.statementID = objectionID
        try await db.update("notices").set("state", to: notice.state.rawValue).set("statement_id", to: objectionID)
            .set("updated_at", to: Timestamp.now())
            .where("subject_id", .equal, notice.subjectID).where("id", .equal, notice.id).run()
        try await AuditLog(db: db).append(actor, action: "statement_filed", entity: "notices", entityID: notice.id,
                                          subjectID: notice.subjectID, detail: ["record": recordID, "objection": objectionID])
        return notice
    }

    /// The hook for a decided statement. Not upheld: the listing starts on `today` (as `activateDue` would).
    /// Upheld: the notice closes as `withdrawn` and the record stays off the list; withdrawing or correcting
    /// the record is the caller's. Returns the notice, or nil when the record has no notice still open.
    @discardableResult
    public func statementDecided(recordID: String, upheld: Bool, by actor: Actor, today: CivilDate = .today()) async throws -> Notice? {
        guard let notice = try await forRecord(recordID), notice.state.isOpen else { return nil }
        if upheld { return try await close(notice, reason: "statement upheld", on: today, by: actor) }
        return try await list(notice, on: today, by: actor)
    }

    /// Closes the open notice of a withdrawn record (called where records are withdrawn, in that transaction).
    func recordWithdrawn(_ recordID: String, on date: CivilDate, by actor: Actor) async throws {
        guard let notice = try await forRecord(recordID), notice.state.isOpen else { return }
        try await close(notice, reason: "record withdrawn", on: date, by: actor)
    }

    /// Lists the notice's record from `date`, if it still waits; a record no longer waiting settles the notice.
    @discardableResult
    private func list(_ notice: Notice, on date: CivilDate, by actor: Actor) async throws -> Notice {
        let records = RecordRepository(db: db)
        guard let record = try await records.find(id: notice.recordID) else {
            throw StoredDataError(description: "notice \(notice.id) names record \(notice.recordID), which does not exist")
        }
        switch record.status {
        case .pendingNotice:
            try await records.activate(record.listed(on: date), by: actor, today: date)
            return try await settle(notice, state: .listed, on: date, by: actor, action: "list", reason: "listing started")
        case .active:
            // Listed by other means already (a hand repair): the notice only records it.
            return try await settle(notice, state: .listed, on: record.schedule.start ?? date, by: actor, action: "list",
                                    reason: "record already active")
        case .withdrawn, .repaired:
            return try await close(notice, reason: "record \(record.status.rawValue)", on: date, by: actor)
        }
    }

    @discardableResult
    private func close(_ notice: Notice, reason: String, on date: CivilDate, by actor: Actor) async throws -> Notice {
        try await settle(notice, state: .withdrawn, on: date, by: actor, action: "close", reason: reason)
    }

    private func settle(_ notice: Notice, state: Notice.State, on date: CivilDate, by actor: Actor, action: String,
                        reason: String) async throws -> Notice {
        var n = notice
        n.state = state
        if state == .listed { n.listedOn = date } else { n.closedOn = date }
        try await db.update("notices").set("state", to: state.rawValue).set("listed_on", to: n.listedOn?.description)
            .set("closed_on", to: n.closedOn?.description).set("updated_at", to: Timestamp.now())
            .where("subject_id", .equal, n.subjectID).where("id", .equal, n.id).run()
        try await AuditLog(db: db).append(actor, action: action, entity: "notices", entityID: n.id, subjectID: n.subjectID,
                                          detail: ["record": n.recordID, "state": state.rawValue, "on": date.description, "why": reason])
        return n
    }

    static func notice(_ r: Row) throws -> Notice {
        guard let list = CreditList(rawValue: r.list), let state = Notice.State(rawValue: r.state),
            let issued = CivilDate(r.issued_on), let grace = CivilDate(r.grace_until)
        else { throw StoredDataError(description: "notice \(r.id) does not read back (list, state or dates)") }
        let w = try decodeJSON(Wording.self, r.wording, column: "notices.wording")
        return Notice(
            id: r.id, recordID: r.record_id, subjectID: r.subject_id, departmentID: r.department_id, recordType: r.record_type,
            regionCode: r.region_code, list: list, issuedOn: issued, graceUntil: grace, state: state, statementID: r.statement_id,
            listedOn: r.listed_on.flatMap { CivilDate($0) }, closedOn: r.closed_on.flatMap { CivilDate($0) },
            addressee: w.addressee, facts: w.facts, basis: w.basis, consequences: w.consequences, statementRight: w.statementRight)
    }
}
