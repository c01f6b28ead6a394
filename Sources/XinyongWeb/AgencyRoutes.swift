import Foundation
import Hummingbird
import XinyongAgencies
import XinyongModel
import XinyongPublication
import XinyongStore

/// Third-party credit agencies and banks: the office's registration API, and the agencies' own API (consented
/// reads, lending checks, reports to cite, the bulk public export). The rules live in XinyongAgencies.
struct AgencyRoutes {
    let platform: Platform
    let service: AgencyService

    static let subjectPath = "/api/v1/agency/subjects/{code}"
    static let reportPath = "/api/v1/agency/subjects/{code}/report"
    static let lendingPath = "/api/v1/agency/lending/{code}"
    static let exportPath = "/api/v1/agency/export"

    func register(on edge: Edge) {
        edge.post("/api/v1/admin/agencies", .admin, use: create)
        edge.get("/api/v1/admin/agencies", .admin, use: list)
        edge.get(Self.subjectPath, .agencyConsented, use: consentedRead)
        edge.post(Self.reportPath, .agencyConsented, use: report)
        edge.get(Self.lendingPath, .agencyLending, use: lending)
        edge.get(Self.exportPath, .agencyPublicData, use: export)
    }

    // MARK: Registration

    struct NewAgency: Decodable {
        let id, name: String
        let kind: String?
        let scopes: [String]
        let requestsPerMinute: Int
    }

    struct AgencyBody: Encodable {
        let id, name, kind: String
        let scopes: [String]
        let requestsPerMinute: Int

        init(_ a: Agency) {
            (id, name, kind, scopes, requestsPerMinute) = (a.id, a.name, a.kind.rawValue, a.scopes.map(\.rawValue).sorted(), a.requestsPerMinute)
        }
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await JSONRequest.decode(NewAgency.self, request)
        let agency = try await Self.answering {
            try await AgencyService.register(.init(id: body.id, name: body.name, kind: body.kind ?? Agency.Kind.agency.rawValue, scopes: body.scopes,
                                                   requestsPerMinute: body.requestsPerMinute),
                                             in: platform.store, by: context.actor("agency registered through the API"))
        }
        return try JSONBody.response(AgencyBody(agency), status: .created)
    }

    @Sendable func list(_ request: Request, context: AppRequestContext) async throws -> Response {
        try JSONBody.response(["agencies": try await platform.store.repositories.agencies.all().map(AgencyBody.init)])
    }

    // MARK: The agencies' API

    @Sendable func consentedRead(_ request: Request, context: AppRequestContext) async throws -> Response {
        let asker = try await admit(context, "GET \(Self.subjectPath)")
        let file = try await Self.answering {
            try await service.consentedRecords(asker, subjectCode: try Self.code(context), consent: PublicQuery(request: request).text("consent"))
        }
        return try JSONBody.response(file)
    }

    @Sendable func lending(_ request: Request, context: AppRequestContext) async throws -> Response {
        let asker = try await admit(context, "GET \(Self.lendingPath)")
        let check = try await Self.answering {
            try await service.lendingCheck(asker, subjectCode: try Self.code(context), consent: PublicQuery(request: request).text("consent"))
        }
        return try JSONBody.response(check)
    }

    struct ReportBody: Encodable {
        let number, verifyUrl, verifyApi: String
        let document: String
    }

    /// A platform report the agency cites by number; /verify checks the number, or the document itself.
    @Sendable func report(_ request: Request, context: AppRequestContext) async throws -> Response {
        let asker = try await admit(context, "POST \(Self.reportPath)")
        let signed = try await Self.answering {
            try await service.report(asker, subjectCode: try Self.code(context), consent: PublicQuery(request: request).text("consent"))
        }
        return try JSONBody.response(ReportBody(number: signed.report.number, verifyUrl: "/verify?number=\(signed.report.number)",
                                                verifyApi: "/api/v1/reports/verify", document: String(decoding: signed.json, as: UTF8.self)),
                                     status: .created)
    }

    /// NDJSON, one public record a line, then one line with the cursor for the next page. The ETag is known
    /// before the page is read, so a 304 costs one query.
    @Sendable func export(_ request: Request, context: AppRequestContext) async throws -> Response {
        let asker = try await admit(context, "GET \(Self.exportPath)")
        let query = PublicQuery(request: request)
        let after = String((query.text("after") ?? "").prefix(100))
        let limit = try query.int("limit", default: 1_000)
        guard (1...AgencyService.exportPageLimit).contains(limit) else {
            throw Problem.invalidField("limit", "from 1 to \(AgencyService.exportPageLimit)")
        }
        let tag = try await service.exportTag(after: after, limit: limit)
        if request.headers[.ifNoneMatch] == tag {
            try await service.log(asker, subjectID: "", consent: nil, detail: "not modified")
            return Response(status: .notModified, headers: [.eTag: tag])
        }
        let service = service
        let body = ResponseBody { writer in
            let end = try await service.export(after: after, limit: limit) { lines in
                var chunk = ByteBuffer()
                for line in lines { chunk.writeBytes(try JSONBody.encoder.encode(line)); chunk.writeString("\n") }
                try await writer.write(chunk)
            }
            var last = ByteBuffer(bytes: try JSONBody.encoder.encode(end))
            last.writeString("\n")
            try await writer.write(last)
            try await service.log(asker, subjectID: "", consent: nil, records: end.records, detail: "after \(after.prefix(60))")
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "application/x-ndjson; charset=utf-8", .eTag: tag, .cacheControl: "private, no-cache"],
                        body: body)
    }

    // MARK: Helpers

    static func code(_ context: AppRequestContext) throws -> String {
        try context.parameters.require("code").removingPercentEncoding ?? ""
    }

    /// Each agency's requests a minute, shared by all its keys.
    static let limits = AgencyRateLimits()

    /// The agency asking, once its rate allows; a request over the rate is answered 429 and not logged, so
    /// that a flood of requests does not become a flood of writes.
    func admit(_ context: AppRequestContext, _ route: String) async throws -> AgencyService.Asker {
        let (agency, keyID) = try await Self.admitted(context, store: platform.store)
        return AgencyService.Asker(agencyID: agency.id, keyID: keyID, route: route)
    }

    /// The agency of the calling key and the key's id, if the agency's rate allows one more request (the
    /// change feed asks too, since agencies read it against the same rate).
    static func admitted(_ context: AppRequestContext, store: Store) async throws -> (Agency, keyID: String) {
        guard case .key(let key) = context.caller, let id = key.agencyID, let agency = try await store.repositories.agencies.find(id) else {
            throw EdgeError.forbidden(.agencyPublicData)
        }
        if let wait = limits.wait(agency) {
            throw Problem(.tooManyRequests, type: "rate-limited", title: "Too many requests",
                          detail: "agency \(agency.id) may make \(agency.requestsPerMinute) requests a minute; try again in \(wait) seconds",
                          extra: ["retry_after": String(wait)])
        }
        return (agency, key.id)
    }

    /// The service's refusals as problem+json with their stable codes.
    static func answering<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let refusal as AgencyService.Refusal {
            let status: HTTPResponse.Status = switch refusal.code {
            case "unknown-subject": .notFound
            case "invalid-field": .badRequest
            case "duplicate": .conflict
            default: .forbidden
            }
            throw Problem(status, type: refusal.code, title: refusal.code == "invalid-field" ? "Invalid request" : "Refused", detail: refusal.detail,
                          extra: refusal.field.map { ["field": $0] } ?? [:], page: refusal.chinese)
        }
    }
}

/// One sliding window of a minute per agency, at the agency's registered rate (a changed rate starts a new window).
final class AgencyRateLimits: @unchecked Sendable {
    private var limiters: [String: RateLimiter] = [:]
    private let lock = NSLock()

    func wait(_ agency: Agency) -> Int? {
        let key = "\(agency.id)/\(agency.requestsPerMinute)"
        let limiter = lock.withLock {
            if let existing = limiters[key] { return existing }
            let made = RateLimiter(limit: agency.requestsPerMinute, per: 60)
            limiters[key] = made
            return made
        }
        return limiter.wait(agency.id)
    }
}
