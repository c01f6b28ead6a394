import Crypto
import Foundation
import XinyongModel
import XinyongStore

/// What a department asked for.
public struct BatchRequest: Sendable {
    public enum Mode: String, Sendable, Codable, CaseIterable {
        /// The whole batch is stored, or none of it.
        case allOrNothing = "all_or_nothing"
        /// Valid rows are stored; the others are reported.
        case acceptValid = "accept_valid"
    }

    public var departmentID: String
    public var recordType: String
    public var mode: Mode
    /// api-json, api-ndjson, api-csv, cli, form.
    public var source: String
    public var idempotencyKey: String?
    /// Digest of the request body, so a reused Idempotency-Key with a different body is caught.
    public var requestHash: String?
    public var submittedBy: String

    public init(departmentID: String, recordType: String, mode: Mode = .allOrNothing, source: String,
                idempotencyKey: String? = nil, requestHash: String? = nil, submittedBy: String) {
        self.departmentID = departmentID
        self.recordType = recordType
        self.mode = mode
        self.source = source
        self.idempotencyKey = idempotencyKey
        self.requestHash = requestHash
        self.submittedBy = submittedBy
    }
}

/// Why a batch could not even be read (as opposed to rows being wrong): unknown department or type,
/// a department not authorised for the type, an unreadable file.
public struct BatchRefused: Error, CustomStringConvertible, Equatable {
    public enum Kind: String, Sendable { case unknownDepartment, unknownType, notAuthorised, unreadable, idempotencyConflict }
    public let kind: Kind
    public let description: String
}

/// Takes rows from any source (CSV, JSON, NDJSON, a form) and stores them as one batch: validated
/// against the catalogue in force, inserted or corrected as new versions, with the change feed and the
/// audit trail written in the same transaction. The batch is acknowledged only after it commits.
public struct BatchImporter: Sendable {
    public let store: Store
    public let catalog: Catalog
    public let calendar: WorkingDayCalendar
    public let regions: RegionDirectory
    public let personKey: SymmetricKey

    /// Rows validated and written together: one round of look-ups and one multi-row INSERT per chunk.
    static let chunkSize = 2_000

    public init(store: Store, catalog: Catalog, calendar: WorkingDayCalendar = .china, regions: RegionDirectory = .shipped,
                personKey: SymmetricKey) {
        self.store = store
        self.catalog = catalog
        self.calendar = calendar
        self.regions = regions
        self.personKey = personKey
    }

    /// The batch an Idempotency-Key already produced, if any; a different body under the same key is refused.
    public func previous(_ request: BatchRequest) async throws -> BatchSummary? {
        guard let key = request.idempotencyKey,
            let earlier = try await store.repositories.batches.find(department: request.departmentID, idempotencyKey: key)
        else { return nil }
        if let hash = request.requestHash, let earlierHash = earlier.request_hash, hash != earlierHash {
            throw BatchRefused(kind: .idempotencyConflict, description: "Idempotency-Key '\(key)' was already used for a different request (batch \(earlier.id))")
        }
        return earlier
    }

    /// Checks that the department exists and may submit this record type; returns the validator for its rows.
    public func validator(for request: BatchRequest, today: CivilDate = .today()) async throws -> RowValidator {
        guard let department = try await store.repositories.departments.find(request.departmentID) else {
            throw BatchRefused(kind: .unknownDepartment, description: "there is no department '\(request.departmentID)'")
        }
        guard let type = catalog.recordType(request.recordType) else {
            throw BatchRefused(kind: .unknownType, description: "'\(request.recordType)' is not a record type of catalogue version \(catalog.version); known types: \(catalog.recordTypes.map(\.code).joined(separator: ", "))")
        }
        guard type.accepts(from: department) else {
            throw BatchRefused(kind: .notAuthorised, description: "\(department.name) (\(department.category)) is not authorised to submit \(type.name) (\(type.code)); the catalogue allows \(type.sources.joined(separator: ", "))")
        }
        return RowValidator(department: department, type: type, catalog: catalog, calendar: calendar, regions: regions,
                            personKey: personKey, today: today)
    }

    /// Runs the batch over `rows` (chunks of rows as they are read) and stores its report.
    ///
    /// `alongside`, when given, runs in the batch's transaction once its rows are written (never for a batch
    /// that is rolled back), with the records created or corrected: a service that keeps its own row next to
    /// a record (a commitment's fulfilment beside its breach record) writes both or neither. Whatever it
    /// throws rolls the batch back and is thrown to the caller.
    public func run(
        _ request: BatchRequest, source: any RowSource, today: CivilDate = .today(),
        progress: @escaping @Sendable (Int, Int) -> Void = { _, _ in },
        alongside: (@Sendable (Repositories, [CreditRecord]) async throws -> Void)? = nil
    ) async throws -> BatchSummary {
        let validator = try await validator(for: request, today: today)
        // The consequences a notice before listing names are the measures in force; read once per batch.
        let measures = validator.type.needsNoticeBeforeListing ? try await store.repositories.measures.current(on: today) : nil
        let batchID = UUID().uuidString.lowercased()
        let summary = BatchSummary(
            id: batchID, departmentID: request.departmentID, recordType: request.recordType, mode: request.mode.rawValue,
            source: request.source, encoding: nil, idempotencyKey: request.idempotencyKey,
            requestHash: request.requestHash, submittedBy: request.submittedBy, submittedAt: Timestamp.now())
        let actor = Actor(request.submittedBy, reason: "batch \(batchID) of \(request.recordType) from \(request.departmentID)")
        // A batch that lands commits its report in its own transaction, so that a crash leaves either both or
        // neither; a rolled-back batch's report is all there is to write.
        do {
            return try await store.transaction { repos in
                var work = ChunkWriter(validator: validator, repos: repos, batchID: batchID, actor: actor, mode: request.mode,
                                       measures: measures, keepingWritten: alongside != nil)
                while let chunk = try await source.next() {
                    try await work.add(chunk)
                    progress(work.outcome.rows, work.outcome.rejected)
                }
                try await work.flush()
                if source.fileIssues.contains(where: { $0.severity == .error }) { work.outcome.fileFailed = true }
                if work.outcome.mustRollBack { throw RolledBack(outcome: work.outcome) }
                try await alongside?(repos, work.written)
                let (report, issues) = Self.report(summary, outcome: work.outcome, source: source)
                try await repos.batches.insert(report, issues: issues, by: actor)
                return report
            }
        } catch let rolledBack as RolledBack {
            let (report, issues) = Self.report(summary, outcome: rolledBack.outcome, source: source)
            try await store.transaction { try await $0.batches.insert(report, issues: issues, by: actor) }
            return report
        }
    }

    /// The batch's report and issues once its rows are through.
    static func report(_ started: BatchSummary, outcome: Outcome, source: any RowSource) -> (BatchSummary, [BatchIssue]) {
        var summary = started
        var issues = source.fileIssues + outcome.issues
        summary.encoding = source.encoding?.rawValue
        if outcome.rows == 0 && !issues.contains(where: { $0.severity == .error }) {
            issues.append(BatchIssue(row: 0, severity: .error, field: nil, value: nil, reason: "the batch has no rows"))
        }
        summary.rows_total = outcome.rows
        summary.rejected = outcome.rejected
        summary.warned = outcome.warned
        if outcome.mustRollBack {
            summary.status = "rejected"
        } else {
            summary.created = outcome.created
            summary.corrected = outcome.corrected
            summary.unchanged = outcome.unchanged
            summary.notices = outcome.notices
            summary.status = outcome.rejected == 0 ? "accepted" : "partially_accepted"
        }
        summary.finished_at = Timestamp.now()
        return (summary, issues)
    }
}

/// Counts and issues of a batch in progress.
struct Outcome: Sendable {
    var mode: BatchRequest.Mode
    var rows = 0, created = 0, corrected = 0, unchanged = 0, rejected = 0, warned = 0, notices = 0
    var issues: [BatchIssue] = []
    var fileFailed = false

    /// All-or-nothing with any rejected row, or a file whose header is unusable: nothing may stay written.
    var mustRollBack: Bool { fileFailed || (mode == .allOrNothing && rejected > 0) || (rows == 0) }
}

struct RolledBack: Error { let outcome: Outcome }

/// A chunk of rows after the checks that need no database: the rows that passed, and the others' issues.
struct CheckedChunk: Sendable {
    var rows = 0
    var valid: [ValidRow] = []
    var rejected: [(number: Int, issues: [BatchIssue.Draft])] = []

    init(_ rows: [InputRow], validator: RowValidator) {
        self.rows = rows.count
        // Document numbers seen in this chunk; earlier chunks' rows are found in the store through batch_id.
        var seen: [String: Int] = [:]
        for row in rows {
            switch validator.validate(row) {
            case .failure(let rejected): self.rejected.append((row.number, rejected.issues))
            case .success(var v):
                if let first = seen[v.record.documentNumber] {
                    rejected.append((v.number, [.error("document_no", v.record.documentNumber, "the document number also appears in row \(first) of this batch; each record is sent once")]))
                    continue
                }
                seen[v.record.documentNumber] = v.number
                v.content = EncodedContent(v.record)
                valid.append(v)
            }
        }
    }
}

/// Validates and writes rows chunk by chunk inside the batch's transaction. Each chunk is validated on a
/// ``BackgroundThreads`` thread while the chunk before it is written, so that validation and the database's work
/// overlap on two cores, and checks get the CPU before a batch's validation when the cores are busy; chunks are
/// still written, and their issues reported, in the order of the rows.
struct ChunkWriter {
    let validator: RowValidator
    let repos: Repositories
    let batchID: String
    let actor: Actor
    /// The measures in force, when the type's records wait for a notice before listing.
    let measures: MeasureCatalog?
    var outcome: Outcome
    /// Whether to keep the records written, for a caller's `alongside` write; otherwise memory stays flat however
    /// large the batch.
    let keepingWritten: Bool
    /// The records created or corrected, when kept.
    private(set) var written: [CreditRecord] = []
    private var pending: [InputRow] = []
    /// The chunk being validated while the one before it is written.
    private var checking: Task<CheckedChunk, any Error>?

    init(validator: RowValidator, repos: Repositories, batchID: String, actor: Actor, mode: BatchRequest.Mode, measures: MeasureCatalog?,
         keepingWritten: Bool) {
        self.validator = validator
        self.keepingWritten = keepingWritten
        self.repos = repos
        self.batchID = batchID
        self.actor = actor
        self.measures = measures
        outcome = Outcome(mode: mode)
    }

    mutating func add(_ rows: [InputRow]) async throws {
        pending += rows
        while pending.count >= BatchImporter.chunkSize {
            let chunk = Array(pending.prefix(BatchImporter.chunkSize))
            pending.removeFirst(chunk.count)
            try await enqueue(chunk)
        }
    }

    mutating func flush() async throws {
        if !pending.isEmpty { try await enqueue(pending) }
        pending = []
        if let last = checking {
            checking = nil
            try await write(try await last.value)
        }
    }

    /// Starts validating `rows`, then writes the chunk validated before them.
    private mutating func enqueue(_ rows: [InputRow]) async throws {
        let next = Task { [validator] in try await BackgroundThreads.run { CheckedChunk(rows, validator: validator) } }
        let previous = checking
        checking = next
        if let previous { try await write(try await previous.value) }
    }

    private mutating func reject(_ number: Int, _ drafts: [BatchIssue.Draft]) {
        outcome.rejected += 1
        outcome.issues += drafts.map { $0.at(row: number) }
    }

    private mutating func write(_ chunk: CheckedChunk) async throws {
        outcome.rows += chunk.rows
        for (number, issues) in chunk.rejected { reject(number, issues) }
        let known = try await repos.subjects.known(ids: Array(Set(chunk.valid.map(\.subject.id))))
        let valid = checkAgainstSubjects(chunk.valid, known: known)
        let existing = try await repos.records.byDocumentNumbers(
            department: validator.department.id, type: validator.type.code, valid.map(\.record.documentNumber))
        let notices = validator.type.needsNoticeBeforeListing
            ? try await repos.notices.forRecords(existing.values.map(\.record.id)) : [:]
        var newRecords: [CreditRecord] = [], newContents: [EncodedContent] = []
        var corrections: [(old: CreditRecord, new: CreditRecord)] = []
        var issued: [Notice] = []
        for var v in valid {
            if !v.warnings.isEmpty {
                outcome.warned += 1
                outcome.issues += v.warnings.map { $0.at(row: v.number) }
            }
            guard let old = existing[v.record.documentNumber] else {
                v.record.id = UUID().uuidString.lowercased()
                // A notice number is drawn only for types that give notice: drawing one per row cost 7 % of an import.
                if validator.type.needsNoticeBeforeListing,
                   let notice = Notice.issue(id: Notice.newNumber(on: validator.today), for: v.record,
                                             context: noticeContext(subjectName: v.subject.name), on: validator.today) {
                    issued.append(notice)
                    v.record = v.record.awaitingNotice
                }
                newRecords.append(v.record)
                newContents.append(v.content ?? EncodedContent(v.record))
                continue
            }
            if old.batchID == batchID {
                reject(v.number, [.error("document_no", v.record.documentNumber, "the document number also appears in an earlier row of this batch; each record is sent once")])
                continue
            }
            v.record.id = old.record.id
            v.record.version = old.record.version
            v.record.status = old.record.status
            if v.record.subjectID != old.record.subjectID {
                reject(v.number, [.error("subject_code", v.record.fields["subject_code"], "document \(v.record.documentNumber) was first sent for another subject; withdraw it and send a new record instead of changing whom it is about")])
                continue
            }
            if (v.content?.digest ?? v.record.contentDigest) == old.record.contentDigest {
                outcome.unchanged += 1
                continue
            }
            v.record.version = old.record.version + 1
            corrections.append((old.record, Self.keepingListingStart(v.record, notice: notices[old.record.id])))
        }
        // Once an all-or-nothing batch has a rejected row nothing more is written; the rest is only checked.
        guard !(outcome.mode == .allOrNothing && outcome.rejected > 0) else { return }
        try await store(newRecords: newRecords, contents: newContents, corrections: corrections, subjects: valid.map(\.subject), known: known)
        try await repos.notices.insert(issued, by: actor, batch: batchID)
        outcome.notices += issued.count
    }

    private func noticeContext(subjectName: String) -> Notice.Context {
        Notice.Context(type: validator.type, subjectName: subjectName, department: validator.department, measures: measures,
                       statementWorkingDays: validator.catalog.deadlines.noticeStatementWorkingDays, calendar: validator.calendar)
    }

    /// A correction keeps what the notice decided: a record still waiting stays unpublished and off the list,
    /// and a listed one keeps the day its listing started.
    static func keepingListingStart(_ corrected: CreditRecord, notice: Notice?) -> CreditRecord {
        if corrected.status == .pendingNotice { return corrected.awaitingNotice }
        guard corrected.status == .active, let listedOn = notice?.listedOn else { return corrected }
        return corrected.listed(on: listedOn)
    }

    /// Rejects rows decided before their subject was registered.
    private mutating func checkAgainstSubjects(_ rows: [ValidRow], known: [String: CivilDate?]) -> [ValidRow] {
        var out: [ValidRow] = []
        for row in rows {
            if let registered = known[row.subject.id] ?? nil, row.record.decisionDate < registered {
                reject(row.number, [.error("decision_date", row.record.decisionDate.description,
                                           "the decision date is before the subject was registered (\(registered))")])
                continue
            }
            out.append(row)
        }
        return out
    }

    private mutating func store(newRecords: [CreditRecord], contents: [EncodedContent], corrections: [(old: CreditRecord, new: CreditRecord)],
                                subjects: [Subject], known: [String: CivilDate?]) async throws {
        // Subjects created meanwhile by a concurrent batch are skipped by the insert itself.
        var unknown: [String: Subject] = [:]
        for subject in subjects where known[subject.id] == nil { unknown[subject.id] = subject }
        if !unknown.isEmpty {
            // Sorted, so that concurrent batches take the subjects' keys in one order and cannot deadlock.
            try await repos.subjects.insert(unknown.values.sorted { $0.id < $1.id }, by: actor, ignoringExisting: true)
        }
        if !newRecords.isEmpty {
            try await repos.records.insert(newRecords, encoded: contents, by: actor, batch: batchID)
            try await repos.changes.append(newRecords, kind: .created, batch: batchID)
        }
        for (old, new) in corrections {
            try await repos.changes.keepHistory(of: old, batch: batchID)
            try await repos.records.update(new, batch: batchID)
        }
        if !corrections.isEmpty {
            try await repos.changes.append(corrections.map(\.new), kind: .corrected, batch: batchID)
            try await repos.audit.append(actor, action: "correct", entity: "credit_records", entityID: "batch \(batchID)",
                                         detail: ["rows": "\(corrections.count)"])
        }
        outcome.created += newRecords.count
        outcome.corrected += corrections.count
        if keepingWritten { written += newRecords + corrections.map(\.new) }
    }
}
