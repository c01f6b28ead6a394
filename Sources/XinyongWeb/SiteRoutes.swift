import Foundation
import Hummingbird
import XinyongModel
import XinyongPublication
import XinyongStore

/// The server-rendered public site: home page and subject profiles. Mustache escapes every value.
struct SiteRoutes {
    let platform: Platform

    /// The home page shows the subject of the latest public record of each of these types.
    static let exampleTypes = ["admin_penalty", "admin_licence", "serious_dishonesty", "abnormal_operation", "honour", "tax_grade_a"]

    func register(on edge: Edge) {
        edge.get("/", .open, use: home)
        edge.get("/subjects", .open, use: lookup)
        edge.get("/subjects/{code}", .open, use: subjectPage)
        edge.get("/static/site.css", .open) { _, _ in
            Response(status: .ok, headers: [.contentType: "text/css; charset=utf-8", .cacheControl: "max-age=3600"],
                     body: .init(byteBuffer: ByteBuffer(bytes: Platform.resource("site.css"))))
        }
    }

    @Sendable func home(_ request: Request, context: AppRequestContext) async throws -> Response {
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
        return try platform.html("home", context: context, HomeView(
            title: "信用郴州 · 公共信用信息平台",
            examples: examples,
            recordTypes: (catalog?.recordTypes ?? []).map { TypeLink(name: $0.name, nameEn: $0.nameEn, legalBasis: $0.legalBasis) },
            today: CivilDate.today().description))
    }

    /// The header's box: a whole code goes straight to its subject, anything else to the search.
    @Sendable func lookup(_ request: Request, context: AppRequestContext) async throws -> Response {
        let query = PublicQuery(request: request)
        let input = query.text("q") ?? query.text("code") ?? ""
        if LegacyRegistrationNumber(input) != nil || SocialCreditCode.verify(input).code != nil {
            return Response(status: .seeOther, headers: [.location: "/subjects/\(SocialCreditCode.normalize(input))"])
        }
        var components = URLComponents()
        components.path = "/search"
        components.queryItems = [URLQueryItem(name: "q", value: String(input.prefix(SearchText.maximumQueryLength)))]
        return Response(status: .seeOther, headers: [.location: components.string ?? "/search"])
    }

    @Sendable func subjectPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        let code = try context.parameters.require("code").removingPercentEncoding ?? ""
        let subject: Subject
        do {
            subject = try await platform.findSubject(code)
        } catch let problem as Problem {
            let heading = problem.status == .notFound ? "未找到该信用主体" : "无法识别的代码"
            return try platform.message(heading, detail: problem.detail, input: code, context: context, status: problem.status)
        }
        let document = try await platform.site.profile(of: subject)
        return try platform.html("subject", context: context, ProfileView(
            document, title: "\(document.subject.name) · 信用郴州", asOf: CivilDate.today().description,
            reportCode: subject.kind == .naturalPerson ? nil : subject.displayIdentifier))
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

/// A profile document as the subject page and the report page lay it out.
struct ProfileView {
    let title: String
    let subject: ProfileDocument.SubjectPart
    let formerNames: String?
    let labels: [ProfileDocument.Label]
    let lists: [ProfileDocument.Membership]
    let hasLists: Bool
    let sections: [ProfileDocument.Section]
    let empty: Bool
    let asOf: String
    /// Where "download a credit report" points; nil for natural persons.
    let reportCode: String?

    init(_ document: ProfileDocument, title: String, asOf: String, reportCode: String?) {
        self.title = title
        subject = document.subject
        formerNames = document.subject.formerNames.isEmpty ? nil : document.subject.formerNames.joined(separator: "；")
        labels = document.labels
        lists = document.lists
        hasLists = !document.lists.isEmpty
        sections = document.sections
        empty = document.sections.isEmpty
        self.asOf = asOf
        self.reportCode = reportCode
    }
}
