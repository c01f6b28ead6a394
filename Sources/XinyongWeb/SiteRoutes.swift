import Foundation
import Hummingbird
import XinyongModel
import XinyongStore

/// The server-rendered public site: home page and subject pages. Mustache escapes every value.
struct SiteRoutes {
    let platform: Platform

    /// The home page shows the subject of the latest public record of each of these types.
    static let exampleTypes = ["admin_penalty", "admin_licence", "serious_dishonesty", "abnormal_operation", "honour", "tax_grade_a"]

    func register(on router: Router<BasicRequestContext>) {
        router.get("/", use: home)
        router.get("/subjects", use: lookup)
        router.get("/subjects/{code}", use: subjectPage)
        router.get("/static/site.css") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "max-age=3600"],
                     body: .init(byteBuffer: ByteBuffer(bytes: Platform.resource("site.css"))))
        }
    }

    @Sendable func home(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let catalog = platform.currentCatalog
        let repos = platform.store.repositories
        var examples: [SubjectLink] = []
        for type in Self.exampleTypes {
            guard let id = try await repos.records.latestPublicOrganisation(type: type, on: .today()),
                let subject = try await repos.subjects.find(id: id), let code = subject.code
            else { continue }
            examples.append(SubjectLink(code: code.value, name: subject.displayName,
                                        reason: catalog?.recordType(type)?.name ?? type))
        }
        return try page("home", HomeView(
            title: "信用郴州 · 公共信用信息平台",
            examples: examples,
            recordTypes: (catalog?.recordTypes ?? []).map { TypeLink(name: $0.name, nameEn: $0.nameEn, legalBasis: $0.legalBasis) },
            today: CivilDate.today().description))
    }

    /// The home page's form: send the user to the subject's page, or explain what is wrong with the code.
    @Sendable func lookup(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let input = request.uri.queryParameters["code"].map(String.init) ?? ""
        if LegacyRegistrationNumber(input) == nil, case .invalid(let reason) = SocialCreditCode.verify(input) {
            return try page("message", MessageView(title: "代码有误", heading: "无法识别的代码", detail: reason.description,
                                                  input: String(input.prefix(100))), status: .badRequest)
        }
        let normalized = SocialCreditCode.normalize(input)
        return Response(status: .seeOther, headers: [.location: "/subjects/\(normalized)"])
    }

    @Sendable func subjectPage(_ request: Request, context: BasicRequestContext) async throws -> Response {
        let code = try context.parameters.require("code").removingPercentEncoding ?? ""
        let subject: Subject
        do {
            subject = try await platform.findSubject(code)
        } catch let problem as Problem {
            let heading = problem.status == .notFound ? "未找到该信用主体" : "无法识别的代码"
            return try page("message", MessageView(title: heading, heading: heading, detail: problem.detail,
                                                  input: String(code.prefix(100))), status: problem.status)
        }
        let (profile, departments) = try await platform.profile(of: subject)
        return try page("subject", SubjectView(profile, regions: platform.regions, departments: departments))
    }

    private func page(_ template: String, _ view: Any, status: HTTPResponse.Status = .ok) throws -> Response {
        guard let html = platform.templates.render(view, withTemplate: template) else {
            throw HTTPError(.internalServerError, message: "template \(template) is missing")
        }
        return Response(status: status, headers: [.contentType: "text/html; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(string: html)))
    }
}

/// A subject on the home page, with the kind of record it was picked for.
struct SubjectLink { let code, name, reason: String }
struct TypeLink { let name, nameEn, legalBasis: String }

struct HomeView {
    let title: String
    let examples: [SubjectLink]
    let recordTypes: [TypeLink]
    let today: String
}

struct MessageView {
    let title, heading, detail, input: String
}

struct SubjectView {
    struct Field { let label, value: String }
    struct Record {
        let documentNumber, decisionDate, department, legalBasis: String
        let tier: String?
        let publicityEnds: String?
        let repairEligibleFrom: String?
        let negative: Bool
        let fields: [Field]
    }
    struct Group { let name: String; let legalBasis: String; let records: [Record] }
    struct Section { let title: String; let groups: [Group] }

    let title: String
    let name: String
    let identifier: String
    let codeCheckFailed: Bool
    let kind: String
    let region: String
    let status: String
    let registeredOn: String?
    let formerNames: String?
    let asOf: String
    let sections: [Section]
    let empty: Bool

    /// Fields already shown in their own column, or identifying the subject, are left out of the detail list.
    private static let shownElsewhere: Set<String> = [
        "subject_name", "subject_kind", "subject_code", "document_no", "decision_date", "legal_basis", "tier",
        "source_department", "source_department_code", "authority_code",
    ]

    init(_ profile: PublicProfile, regions: RegionDirectory, departments: [String: String]) {
        let s = profile.subject
        title = "\(s.displayName) · 信用郴州"
        name = s.displayName
        identifier = s.displayIdentifier
        codeCheckFailed = s.codeCheckFailed
        kind = s.kind.label
        region = regions.chain(s.regionCode).reversed().map(\.name).joined(separator: " ")
        status = s.status.label
        registeredOn = s.registeredOn?.description
        formerNames = s.formerNames.isEmpty ? nil : s.formerNames.joined(separator: "；")
        asOf = profile.asOf.description
        sections = profile.sections.map { section in
            Section(title: section.section.title, groups: section.groups.map { group in
                Group(name: group.type.name, legalBasis: group.type.legalBasis, records: group.records.map { r in
                    Record(
                        documentNumber: r.documentNumber, decisionDate: r.decisionDate.description,
                        department: departments[r.departmentID] ?? r.departmentID, legalBasis: r.legalBasis,
                        tier: r.tier?.label, publicityEnds: r.schedule.end?.description,
                        repairEligibleFrom: r.schedule.repairEligibleFrom?.description,
                        negative: group.type.polarity == .negative,
                        fields: group.type.fields.compactMap { spec in
                            guard !Self.shownElsewhere.contains(spec.code), let value = r.fields[spec.code], !value.isEmpty
                            else { return nil }
                            return Field(label: spec.label, value: value)
                        })
                })
            })
        }
        empty = sections.isEmpty
    }
}
