import Foundation
import Hummingbird
import Prometheus
import XinyongDueProcess
import XinyongModel
import XinyongStore

/// The JSON API under `/api/v1`, plus `/health`, `/metrics` and `/openapi.json`.
struct APIRoutes {
    let platform: Platform

    func register(on edge: Edge) {
        edge.get("/health", .open, use: health)
        edge.get("/metrics", .admin, use: metrics)
        edge.get("/openapi.json", .open) { _, _ in
            Response(status: .ok, headers: [.contentType: "application/json"],
                     body: .init(byteBuffer: ByteBuffer(bytes: Platform.resource("openapi.json"))))
        }
        edge.get("/api/v1/ping", .open) { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: "pong")))
        }
        edge.get("/api/v1/subjects/{code}", .open, use: subject)
    }

    /// Anyone learns up or down; administrators also learn which database and why it is down.
    @Sendable func health(_ request: Request, context: AppRequestContext) async throws -> Response {
        let admin = context.caller.isAdmin
        do {
            try await platform.store.ping()
        } catch {
            context.logger.error("health check failed: \(error)")
            throw Problem(.serviceUnavailable, type: "database-unavailable", title: "Database unavailable",
                          detail: admin ? "the database at \(platform.store.url) does not answer: \(error)" : "the platform is down")
        }
        return try JSONBody.response(Health(status: "ok", database: admin ? (platform.store.url.isPostgres ? "postgresql" : "sqlite") : nil))
    }

    @Sendable func metrics(_ request: Request, context: AppRequestContext) async throws -> Response {
        try await recordDueProcessFigures()
        var bytes: [UInt8] = []
        PlatformMetrics.registry.emit(into: &bytes)
        return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    @Sendable func subject(_ request: Request, context: AppRequestContext) async throws -> Response {
        let code = try context.parameters.require("code").removingPercentEncoding ?? ""
        let subject = try await platform.findSubject(code)
        let (profile, departments, disputed) = try await platform.site.publicProfile(of: subject)
        return try JSONBody.response(SubjectProfileBody(profile, regions: platform.regions, departments: departments,
                                                        underObjection: disputed))
    }
}

extension APIRoutes {
    /// Due process as gauges, worked out when scraped: filings this month, days to decision, overdue cases.
    func recordDueProcessFigures() async throws {
        let figures = try await DueProcessFigures.compute(store: platform.store)
        let registry = PlatformMetrics.registry
        let month = String(Timestamp.now().prefix(7))
        let current = figures.months.first { $0.month == month }
        for (kind, filed, times, overdue) in [
            ("objection", current?.objections ?? 0, figures.objectionTimes, figures.overdueObjections.count),
            ("repair", current?.repairs ?? 0, figures.repairTimes, figures.overdueRepairs.count),
        ] {
            let labels = [("kind", kind)]
            for (name, help, value) in [
                ("filed_this_month", "Objections or repair applications filed this month", Double(filed)),
                ("overdue", "Open objections or repairs past their deadline", Double(overdue)),
                ("decision_days_median", "Median days from filing to decision", times.medianDays ?? 0),
                ("decision_days_p90", "90th percentile of days from filing to decision", times.p90Days ?? 0),
            ] {
                let gauge = MetricNameDescriptor(namespace: "xinyong", subsystem: "due_process", metricName: name, unitName: "", helpText: help)
                registry.makeGauge(descriptor: gauge, labels: labels).set(value)
            }
        }
    }
}

struct Health: Encodable {
    let status: String
    /// Only for administrators.
    let database: String?
}

enum JSONBody {
    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    static func response(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }
}

/// A subject's public profile as the API gives it.
struct SubjectProfileBody: Encodable {
    struct Identity: Encodable {
        let code: String?
        let codeCheck: String?
        let registrationNumber: String?
        let name: String
        let formerNames: [String]
        let kind: String
        let kindLabel: String
        let region: RegionBody
        let status: String
        let registeredOn: String?
    }

    struct RegionBody: Encodable {
        let code: String
        let name: String
        let chain: [String]
    }

    struct TypeBody: Encodable {
        let recordType: String
        let name: String
        let polarity: String
        let legalBasis: String
        let records: [RecordBody]
    }

    struct SectionBody: Encodable {
        let section: String
        let title: String
        let types: [TypeBody]
    }

    struct RecordBody: Encodable {
        let id: String
        let documentNumber: String
        let decisionDate: String
        let department: DepartmentBody
        let legalBasis: String
        let tier: String?
        let publicityEnds: String?
        let repairEligibleFrom: String?
        let codeCheckFailed: Bool
        let underObjection: Bool
        let lists: [String]
        let fields: [String: String]
    }

    struct DepartmentBody: Encodable {
        let id: String
        let name: String
    }

    let subject: Identity
    let asOf: String
    let sections: [SectionBody]

    init(_ profile: PublicProfile, regions: RegionDirectory, departments: [String: String], underObjection: Set<String>) {
        let s = profile.subject
        let chain = regions.chain(s.regionCode)
        subject = Identity(
            code: s.code?.value, codeCheck: s.code.map { _ in s.codeCheckFailed ? "check_failed" : "valid" },
            registrationNumber: s.legacyRegistrationNumber?.value, name: s.displayName,
            formerNames: s.formerNames, kind: s.kind.rawValue, kindLabel: s.kind.label,
            region: RegionBody(code: s.regionCode, name: chain.first?.name ?? s.regionCode, chain: chain.map(\.name).reversed()),
            status: s.status.rawValue, registeredOn: s.registeredOn?.description)
        asOf = profile.asOf.description
        sections = profile.sections.map { section in
            SectionBody(section: section.section.rawValue, title: section.section.title, types: section.groups.map { group in
                TypeBody(recordType: group.type.code, name: group.type.name, polarity: group.type.polarity.rawValue,
                         legalBasis: group.type.legalBasis, records: group.records.map { r in
                    RecordBody(
                        id: r.id, documentNumber: r.documentNumber, decisionDate: r.decisionDate.description,
                        department: DepartmentBody(id: r.departmentID, name: departments[r.departmentID] ?? r.departmentID),
                        legalBasis: r.legalBasis, tier: r.tier?.rawValue, publicityEnds: r.schedule.end?.description,
                        repairEligibleFrom: r.schedule.repairEligibleFrom?.description, codeCheckFailed: r.codeCheckFailed,
                        underObjection: underObjection.contains(r.id),
                        lists: r.listMembership.map { [$0.list.rawValue] } ?? [], fields: r.fields)
                })
            })
        }
    }
}
