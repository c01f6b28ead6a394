import Foundation
import Hummingbird
import XinyongCulture
import XinyongModel
import XinyongPublication
import XinyongStore

/// The server-rendered public site: home page and subject profiles. Mustache escapes every value.
struct SiteRoutes {
    let platform: Platform
    var culture: CultureService { CultureService(store: platform.store) }

    /// The home page shows the subject of the latest public record of each of these types.
    static let exampleTypes = ["admin_penalty", "admin_licence", "serious_dishonesty", "abnormal_operation", "honour", "tax_grade_a"]

    func register(on edge: Edge) {
        edge.get("/repair", .open, use: repairGuide)
        edge.get("/objections", .open, use: objectionGuide)
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
        let figures = try await platform.statistics.current()
        return try platform.html("home", context: context, HomeView(
            title: "信用郴州 · 公共信用信息平台",
            figures: [
                .init(label: "信用主体（法人和非法人组织）", value: figures.organisations.grouped, link: "/search"),
                .init(label: "信用记录", value: figures.records.grouped, link: nil),
                .init(label: "本月行政许可公示", value: figures.licencesThisMonth.grouped, link: "/publicity/licences"),
                .init(label: "本月行政处罚公示", value: figures.penaltiesThisMonth.grouped, link: "/publicity/penalties"),
            ] + figures.lists.map { .init(label: $0.list.name, value: $0.members.grouped, link: "/lists/\($0.list.rawValue)") }
              + [.init(label: "本月联合奖惩核查", value: figures.checksThisMonth.grouped, link: nil)],
            examples: examples,
            cases: try await culture.latest(.cases, limit: 5).map(CultureRoutes.line),
            news: try await culture.latest(.news, limit: 5).map(CultureRoutes.line),
            recordTypes: (catalog?.recordTypes ?? []).map { TypeLink(name: $0.name, legalBasis: $0.legalBasis) },
            today: figures.asOf.description))
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
            return try platform.message(heading, detail: problem.page ?? problem.detail, input: code, context: context, status: problem.status)
        }
        // The page's parts are independent reads by key. On PostgreSQL each read is a round trip of its own,
        // so they are asked for at once rather than one after another.
        async let profile = platform.site.profile(of: subject)
        async let cases = openCases(of: subject)
        async let grade = publicGrade(of: subject)
        async let listed = platform.store.lookups.lists.forSubject(subject.id)
        async let commitments = commitments(of: subject)
        let document = try await profile
        var view = ProfileView(
            document, title: "\(document.subject.name) · 信用郴州", asOf: CivilDate.today().description,
            reportCode: subject.kind == .naturalPerson ? nil : subject.displayIdentifier,
            openCases: try await cases)
        view.grade = try await grade
        view.xinyi = xinyi(of: subject, memberships: try await listed.filter { $0.state == .listed }.map(\.membership),
                           grade: view.grade.flatMap { Grade(rawValue: $0.grade) })
        view.commitments = try await commitments
        return try platform.html("subject", context: context, view)
    }

    /// The Xinyi+ incentives the subject qualifies for today, from its lists in force and the grade the profile
    /// shows: nothing here may reveal a grade the office does not publish.
    func xinyi(of subject: Subject, memberships: [ListMembership], grade: Grade?) -> [ProfileView.XinyiLine] {
        XinyiCatalog.shipped.qualifying(XinyiStanding(kind: subject.kind, memberships: memberships, grade: grade), on: .today()).map { q in
            .init(name: q.programme.name, summary: q.programme.summary, department: q.programme.department,
                  grounds: q.grounds.map(\.criterion.label).joined(separator: "、"))
        }
    }

    /// The subject's commitments with where their fulfilment stands.
    func commitments(of subject: Subject) async throws -> [ProfileView.CommitmentLine] {
        try await platform.store.lookups.commitments.list(subjectID: subject.id).map { c in
            .init(href: "/commitments/\(c.id)", number: c.id, matters: c.matters.joined(separator: "；"),
                  term: "\(c.termFrom) 至 \(c.termTo)", state: c.state(on: .today()).label)
        }
    }

    /// Organisations' grades show on their profile only when the office publishes them; persons' never do.
    func publicGrade(of subject: Subject) async throws -> ProfileView.GradeLine? {
        guard subject.kind != .naturalPerson, let code = subject.code,
            try await EvaluationRoutes(platform: platform).gradesArePublic(),
            let e = try await platform.store.lookups.evaluations.find(subject.id, contributions: false)
        else { return nil }
        return .init(grade: e.grade.rawValue, label: e.grade.label, href: "/subjects/\(code.value)/evaluation", asOf: e.asOf.description)
    }

    /// The subject's objections and repair applications still being handled, for its profile.
    func openCases(of subject: Subject) async throws -> [ProfileView.OpenCase] {
        let repos = platform.store.lookups
        let objections = try await repos.objections.list(statuses: Objection.Status.allCases.filter(\.isOpen), subjectID: subject.id)
        let repairs = try await repos.repairs.list(statuses: RepairApplication.Status.allCases.filter(\.isOpen), subjectID: subject.id)
        return objections.map { .init(href: "/objections/\($0.objection.id)", number: $0.objection.id, kind: $0.objection.kind.label,
                                      record: $0.objection.recordID, status: $0.objection.status.label, dueOn: $0.objection.dueOn.description) }
            + repairs.map { .init(href: "/repairs/\($0.application.id)", number: $0.application.id, kind: "信用修复",
                                  record: $0.application.recordID, status: $0.application.status.label,
                                  dueOn: ($0.decisionDue ?? $0.application.answerDue).description) }
    }
}

/// A subject on the home page, with the kind of record it was picked for.
struct SubjectLink { let code, name, reason: String }
struct TypeLink { let name, legalBasis: String }

struct HomeView {
    struct Figure { let label, value: String; let link: String? }
    let title: String
    let figures: [Figure]
    let examples: [SubjectLink]
    /// The latest published typical cases and news.
    let cases, news: [CultureRoutes.Line]
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
    /// Objections and repair applications in progress; and whether records get their 异议/修复 buttons
    /// (the public profile does, a printed report does not).
    let openCases: [OpenCase]
    let actions: Bool
    /// The organisation's grade, when the office publishes grades.
    var grade: GradeLine? = nil

    struct OpenCase { let href, number, kind, record, status, dueOn: String }
    struct XinyiLine { let name, summary, department, grounds: String }
    struct CommitmentLine { let href, number, matters, term, state: String }
    /// Profile only: the Xinyi+ incentives it qualifies for, and its commitments.
    var xinyi: [XinyiLine] = []
    var commitments: [CommitmentLine] = []
    struct GradeLine { let grade, label, href, asOf: String }

    init(_ document: ProfileDocument, title: String, asOf: String, reportCode: String?, openCases: [OpenCase]? = nil) {
        self.openCases = openCases ?? []
        actions = openCases != nil
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

extension Int {
    /// 1234567 → "1,234,567".
    var grouped: String { formatted(.number.grouping(.automatic).locale(Locale(identifier: "en_US_POSIX"))) }
}

/// The guides to credit repair and objections: the rules as the catalogue in force states them (periods
/// and deadlines are catalogue data), and where to apply.
struct GuideView {
    struct Tier { let name, published, minimum, maximum: String }
    let title: String
    let tiers: [Tier]
    let repairAnswerDays, repairDecisionDays, objectionDays: Int
}

extension SiteRoutes {
    func guide(_ title: String) -> GuideView {
        let catalog = platform.currentCatalog
        let tiers = Tier.allCases.compactMap { tier -> GuideView.Tier? in
            guard let p = catalog?.tierPeriods[tier] else { return nil }
            return .init(name: tier.label, published: p.published ? "公示" : "一般不公示",
                         minimum: p.minimumMonths.map { "\($0) 个月" } ?? "—", maximum: "\(p.maximumMonths) 个月")
        }
        let d = catalog?.deadlines
        return GuideView(title: title, tiers: tiers, repairAnswerDays: d?.repairAnswerWorkingDays ?? 10,
                         repairDecisionDays: d?.repairDecisionWorkingDays ?? 3, objectionDays: d?.objectionDays ?? 20)
    }

    @Sendable func repairGuide(_ request: Request, context: AppRequestContext) async throws -> Response {
        try platform.html("repair", guide("信用修复 · 信用郴州"), context: context)
    }

    @Sendable func objectionGuide(_ request: Request, context: AppRequestContext) async throws -> Response {
        try platform.html("objections", guide("异议申诉 · 信用郴州"), context: context)
    }
}
