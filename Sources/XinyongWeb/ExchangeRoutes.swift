import Crypto
import Foundation
import Hummingbird
import NIOCore
import XinyongAccess
import XinyongExchange
import XinyongModel
import XinyongStore

/// The data exchange API: departments submit batches with their API key; the office manages keys;
/// recipients follow the change feed.
struct ExchangeRoutes {
    let platform: Platform
    let importer: BatchImporter
    /// Which record types are public is catalogue data, worked out once rather than per feed page.
    let feed: ChangeFeedAccess

    init(platform: Platform, importer: BatchImporter) {
        self.platform = platform
        self.importer = importer
        self.feed = ChangeFeedAccess(store: platform.store, catalogs: platform.catalogs.values)
    }

    func register(on edge: Edge) {
        edge.post("/api/v1/batches", .source, use: submit)
        edge.get("/api/v1/batches/{id}", .source, use: report)
        edge.get("/api/v1/changes", .feed, use: changes)
        edge.post("/api/v1/records/{id}/withdraw", .source, use: withdraw)
        edge.get("/api/v1/quality", .office, use: quality)
        edge.post("/api/v1/admin/departments", .admin, use: createDepartment)
        edge.get("/api/v1/admin/keys", .admin, use: listKeys)
        edge.post("/api/v1/admin/keys", .admin, use: createKey)
        edge.post("/api/v1/admin/keys/{id}/revoke", .admin, use: revokeKey)
    }

    // MARK: Batches

    @Sendable func submit(_ request: Request, context: AppRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        guard let type = query["type"].map(String.init), !type.isEmpty else {
            throw Problem(.badRequest, type: "missing-type", title: "Record type required",
                          detail: "name the record type: POST /api/v1/batches?type=admin_penalty")
        }
        let modeText = query["mode"].map(String.init) ?? BatchRequest.Mode.allOrNothing.rawValue
        guard let mode = BatchRequest.Mode(rawValue: modeText) else {
            throw Problem(.badRequest, type: "invalid-mode", title: "Unknown mode",
                          detail: "mode '\(modeText)' must be all_or_nothing or accept_valid")
        }
        let department = try context.department(requested: query["department"].map(String.init))
        let format = try bodyFormat(request)
        var batchRequest = BatchRequest(
            departmentID: department, recordType: type, mode: mode, source: "api-\(format)",
            idempotencyKey: request.headers[.init("Idempotency-Key")!], submittedBy: context.caller.auditName)
        let limits = platform.batchLimits
        guard Self.slots.take(batchRequest.submittedBy, limit: limits.perCaller) else {
            throw Problem(.tooManyRequests, type: "too-many-batches", title: "Too many batches in flight",
                          detail: "this caller already has \(limits.perCaller) batches being received or imported; send the next when one has answered",
                          extra: ["retry_after": "10"])
        }
        defer { Self.slots.give(batchRequest.submittedBy) }
        let body = try await Self.receive(request.body, limits: limits)
        if batchRequest.idempotencyKey != nil {
            batchRequest.requestHash = body.digest
            if let previous = try await refusing({ try await importer.previous(batchRequest) }) {
                return try await batchResponse(previous, replay: true)
            }
        }
        let summary = try await refusing {
            let validator = try await importer.validator(for: batchRequest)
            let source = try rowSource(format: format, body: body, type: validator.type)
            return try await importer.run(batchRequest, source: source)
        }
        return try await batchResponse(summary, replay: false)
    }

    /// Batches in flight per caller, across this server.
    static let slots = BatchSlots()

    /// The whole body on disk before any database work, refused as soon as it passes the limit.
    static func receive(_ body: RequestBody, limits: BatchLimits) async throws -> SpooledBody {
        do {
            return try await SpooledBody.receive(body, limit: limits.maxBytes, idleSeconds: limits.idleTimeoutSeconds)
        } catch let tooLarge as SpooledBody.TooLarge {
            throw Problem(.contentTooLarge, type: "batch-too-large", title: "Batch too large",
                          detail: "a batch body may be at most \(tooLarge.limit) bytes (BATCH_MAX_BYTES); split the file into several batches")
        } catch let stalled as SpooledBody.Stalled {
            throw Problem(.requestTimeout, type: "upload-stalled", title: "Upload stalled",
                          detail: "the batch sent nothing for \(stalled.seconds) seconds (BATCH_IDLE_TIMEOUT); nothing of it was imported, send it again")
        }
    }

    private func bodyFormat(_ request: Request) throws -> String {
        let contentType = (request.headers[.contentType] ?? "").lowercased()
        if contentType.hasPrefix("text/csv") { return "csv" }
        if contentType.hasPrefix("application/x-ndjson") || contentType.hasPrefix("application/ndjson") { return "ndjson" }
        if contentType.hasPrefix("application/json") { return "json" }
        throw Problem(.unsupportedMediaType, type: "unsupported-media-type", title: "Unsupported body",
                      detail: "send text/csv, application/json (an array of objects) or application/x-ndjson; got '\(contentType)'")
    }

    private func rowSource(format: String, body: SpooledBody, type: RecordType) throws -> any RowSource {
        switch format {
        case "json":
            guard body.bytes <= 64 << 20 else {
                throw Problem(.contentTooLarge, type: "batch-too-large", title: "Batch too large",
                              detail: "a JSON array is read whole and may be at most \(64 << 20) bytes; send larger batches as CSV or NDJSON")
            }
            return ListSource(try JSONRows.array(try body.whole(), type: type))
        default:
            return ByteStreamSource(type: type, format: format == "csv" ? .csv : .ndjson) { try body.next() }
        }
    }

    /// Turns a refusal of the whole batch into a problem the caller can act on.
    private func refusing<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let refused as BatchRefused {
            let status: HTTPResponse.Status = switch refused.kind {
            case .notAuthorised: .forbidden
            case .idempotencyConflict: .conflict
            case .unknownDepartment, .unknownType, .unreadable: .unprocessableContent
            }
            throw Problem(status, type: refused.kind.rawValue.kebabCased, title: "Batch refused", detail: refused.description)
        } catch let invalid as JSONRows.Invalid {
            throw Problem(.badRequest, type: "invalid-json", title: "Invalid JSON", detail: invalid.description)
        }
    }

    private func batchResponse(_ summary: BatchSummary, replay: Bool) async throws -> Response {
        let issues = try await platform.store.repositories.batches.issues(batch: summary.id)
        var response = try JSONBody.response(
            BatchBody(batch: summary, issues: Array(issues.prefix(1000)), issuesTotal: issues.count,
                      report: "/api/v1/batches/\(summary.id)"),
            status: summary.status == "rejected" ? .unprocessableContent : (replay ? .ok : .created))
        response.headers[.location] = "/api/v1/batches/\(summary.id)"
        if replay { response.headers[.init("Idempotent-Replayed")!] = "true" }
        return response
    }

    @Sendable func report(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        guard let summary = try await platform.store.repositories.batches.find(id: id),
            context.caller.isAdmin || context.caller.departmentID == summary.department_id
        else { throw Problem.notFound("no batch \(id) for this caller", page: "未找到该批次，或它不属于本部门。") }
        let issues = try await platform.store.repositories.batches.issues(batch: id)
        let wantsCSV = request.uri.queryParameters["format"] == "csv" || (request.headers[.accept] ?? "").contains("text/csv")
        guard wantsCSV else {
            return try JSONBody.response(BatchBody(batch: summary, issues: issues, issuesTotal: issues.count, report: "/api/v1/batches/\(id)"))
        }
        var csv = "\u{FEFF}row,severity,field,value,reason\r\n"
        for issue in issues {
            csv += [String(issue.row_number), issue.severity.rawValue, issue.field ?? "", issue.value ?? "", issue.reason]
                .map(csvField).joined(separator: ",") + "\r\n"
        }
        return Response(status: .ok, headers: [.contentType: "text/csv; charset=utf-8",
                                               .contentDisposition: "attachment; filename=\"batch-\(id)-issues.csv\""],
                        body: .init(byteBuffer: ByteBuffer(string: csv)))
    }

    struct Withdrawal: Decodable { let reason: String }

    @Sendable func withdraw(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let body = try await JSONRequest.decode(Withdrawal.self, request)
        guard !body.reason.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw Problem(.badRequest, type: "missing-reason", title: "Reason required", detail: "say why the record is withdrawn: {\"reason\": \"…\"}")
        }
        do {
            let record = try await RecordLifecycle.withdraw(recordID: id, department: context.caller.departmentID, reason: body.reason,
                                                            store: platform.store, by: context.actor(body.reason))
            return try JSONBody.response(["id": record.id, "status": record.status.rawValue])
        } catch let missing as RecordLifecycle.NotFound {
            throw Problem.notFound(missing.description)
        }
    }

    // MARK: Change feed and quality

    @Sendable func changes(_ request: Request, context: AppRequestContext) async throws -> Response {
        let query = request.uri.queryParameters
        let sinceText = query["since"].map(String.init) ?? "0"
        guard let since = Int(sinceText), since >= 0 else {
            throw Problem(.badRequest, type: "invalid-cursor", title: "Invalid cursor", detail: "since '\(sinceText)' must be a cursor from next_cursor (a non-negative integer)")
        }
        let limit = try PublicQuery(request: request).int("limit", default: 1000, in: 1...10_000)
        if context.caller.agencyID != nil { _ = try await AgencyRoutes.admitted(context, store: platform.store) }
        let page = try await feed.read(since, limit: limit, by: Self.feedReader(context.caller))
        return try JSONBody.response(ChangesBody(changes: page.changes, nextCursor: page.nextCursor))
    }

    /// Reading the feed makes a department, a recipient key or an agency key a recipient of what it read; the office is none.
    static func feedReader(_ caller: Caller) -> ChangeFeedAccess.Reader {
        if case .key(let key) = caller, key.role == .recipient { return .recipientKey(key.id) }
        if case .key(let key) = caller, caller.agencyMay(.publicData) { return .agencyKey(key.id) }
        if caller.readsWholeFeed { return .office }
        return .department(caller.departmentID ?? "")
    }

    @Sendable func quality(_ request: Request, context: AppRequestContext) async throws -> Response {
        let region = try context.region(requested: request.uri.queryParameters["region"].map(String.init), regions: platform.regions)
        return try JSONBody.response(try await DataQuality.report(store: platform.store, regions: platform.regions, within: region))
    }

    // MARK: Administration

    struct NewDepartment: Decodable {
        let id, name, category, regionCode, level: String
        let code: String?
    }

    struct NewKey: Decodable {
        /// department or association (needs department_id), agency (needs agency_id), admin or recipient.
        let role: String?
        let departmentId: String?
        let agencyId: String?
        let name: String
    }

    @Sendable func createDepartment(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await JSONRequest.decode(NewDepartment.self, request)
        guard let level = Department.Level(rawValue: body.level) else {
            throw Problem(.badRequest, type: "invalid-field", title: "Invalid department", detail: "level '\(body.level)' must be province, city or county")
        }
        guard platform.regions[body.regionCode] != nil else {
            throw Problem(.badRequest, type: "invalid-field", title: "Invalid department", detail: "region_code '\(body.regionCode)' is not a GB/T 2260 code")
        }
        if try await platform.store.repositories.departments.find(body.id) != nil {
            throw Problem(.conflict, type: "exists", title: "Department exists", detail: "a department '\(body.id)' already exists")
        }
        let department = Department(id: body.id, name: body.name, category: body.category, regionCode: body.regionCode,
                                    level: level, code: body.code.flatMap { SocialCreditCode.verify($0).code })
        try await platform.store.transaction {
            try await $0.departments.insert([department], by: context.actor("department created through the API"))
        }
        return try JSONBody.response(department, status: .created)
    }

    @Sendable func listKeys(_ request: Request, context: AppRequestContext) async throws -> Response {
        return try JSONBody.response(try await platform.store.repositories.apiKeys.list())
    }

    @Sendable func createKey(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await JSONRequest.decode(NewKey.self, request)
        let roleText = body.role ?? (body.departmentId == nil ? nil : KeyRole.department.rawValue)
        guard let roleText else {
            throw Problem.invalidField("role", "name the key's role (department or association with department_id, agency with agency_id, admin or recipient)")
        }
        guard let role = KeyRole(rawValue: roleText) else {
            throw Problem.invalidField("role", "'\(roleText.prefix(30))' is not one of \(KeyRole.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let issued = try await platform.keys.issue(role, department: body.departmentId, agency: body.agencyId, name: body.name,
                                                   by: context.actor("key issued through the API"))
        return try JSONBody.response(["id": issued.id, "secret": issued.secret, "note": "shown once; store it now"], status: .created)
    }

    @Sendable func revokeKey(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let revoked = try await platform.keys.revoke(id: id, by: context.actor("key revoked through the API"))
        guard revoked else {
            throw Problem.notFound("no active key \(id)")
        }
        return try JSONBody.response(["id": id, "status": "revoked"])
    }
}


struct BatchBody: Encodable {
    let batch: BatchSummary
    let issues: [BatchIssue]
    let issuesTotal: Int
    let report: String
}

struct ChangesBody: Encodable {
    let changes: [Change]
    let nextCursor: Int
}

func csvField(_ text: String) -> String {
    guard text.contains(where: { ",\"\r\n".contains($0) }) else { return text }
    return "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
}

extension String {
    var kebabCased: String {
        reduce(into: "") { out, c in
            if c.isUppercase { out += "-" + c.lowercased() } else { out.append(c) }
        }
    }
}
