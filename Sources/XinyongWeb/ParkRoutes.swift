import Foundation
import Hummingbird
import XinyongModel
import XinyongParks
import XinyongStore

/// Honesty demonstration parks (诚信示范园区): public pages and figures for anyone; naming parks, importing
/// their member lists and entering yearly reviews for the office's administrators.
struct ParkRoutes {
    let platform: Platform
    let service: ParkService

    /// A membership file may list every organisation of a large park, and no more.
    static let memberFileLimit = 4 << 20

    func register(on edge: Edge) {
        edge.get("/parks", .open, use: listPage)
        edge.get("/parks/{id}", .open, use: parkPage)
        edge.get("/api/v1/parks", .open, use: listJSON)
        edge.get("/api/v1/parks/{id}", .open, use: parkJSON)
        edge.post("/api/v1/parks", .admin, use: create)
        edge.post("/api/v1/parks/{id}/members", .admin, use: importMembersAPI)
        edge.post("/api/v1/parks/{id}/reviews", .admin, use: reviewAPI)
        edge.get("/office/parks", .admin, use: officePage)
        edge.post("/office/parks/{id}/members", .admin, use: importMembersForm)
        edge.post("/office/parks/{id}/reviews", .admin, use: reviewForm)
    }

    // MARK: Figures

    /// A park's figures beside the city's and every other park's.
    struct Comparison {
        let park: Park
        let figures: ParkFigures
        let city: ParkFigures
        let others: [(Park, ParkFigures)]
    }

    func comparison(_ id: String) async throws -> Comparison {
        let park = try await refusals { try await service.park(id) }
        var others: [(Park, ParkFigures)] = []
        for other in try await service.all() where other.id != id {
            others.append((other, try await service.figures(of: .park(other))))
        }
        return Comparison(park: park, figures: try await service.figures(of: .park(park)), city: try await service.figures(of: .city),
                          others: others)
    }

    // MARK: JSON

    struct MetricBody: Encodable {
        let metric: String
        let value: Double
        let city: Double
        let target: String?
        let met: Bool?
    }

    struct ParkBody: Encodable {
        let park: Park
        let figures: ParkFigures
        let metrics: [MetricBody]
        let reviews: [ParkReview]
    }

    static func metrics(_ c: Comparison) -> [MetricBody] {
        ParkMetric.allCases.map { metric in
            let value = c.figures.value(of: metric)
            let target = c.park.targets.first { $0.metric == metric }
            return MetricBody(metric: metric.rawValue, value: value, city: c.city.value(of: metric), target: target?.label,
                              met: target.map { $0.isMet(by: value) })
        }
    }

    @Sendable func listJSON(_ request: Request, context: AppRequestContext) async throws -> Response {
        struct Line: Encodable { let park: Park; let figures: ParkFigures }
        var lines: [Line] = []
        for park in try await service.all() { lines.append(Line(park: park, figures: try await service.figures(of: .park(park)))) }
        return try JSONBody.response(["parks": lines])
    }

    @Sendable func parkJSON(_ request: Request, context: AppRequestContext) async throws -> Response {
        let c = try await comparison(try context.parameters.require("id"))
        return try JSONBody.response(ParkBody(park: c.park, figures: c.figures, metrics: Self.metrics(c),
                                              reviews: try await service.reviews(of: c.park.id)))
    }

    // MARK: The office's writes

    struct NewPark: Decodable {
        let id, name, managingBody, establishedOn: String
        let regionCodes: [String]?
        let targets: [Park.Target]?
    }

    @Sendable func create(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await JSONRequest.decode(NewPark.self, request)
        guard let established = CivilDate(body.establishedOn) else {
            throw Problem.invalidField("established_on", "'\(body.establishedOn.prefix(20))' is not a date YYYY-MM-DD")
        }
        let park = Park(id: body.id, name: body.name, managingBody: body.managingBody, establishedOn: established,
                        regionCodes: body.regionCodes ?? [], targets: body.targets ?? [])
        try await refusals { try await service.create(park, by: context.actor("park named")) }
        return try JSONBody.response(park, status: .created)
    }

    @Sendable func importMembersAPI(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let mode = try Self.mode(PublicQuery(request: request).text("mode"))
        let text = String(buffer: try await request.body.collect(upTo: Self.memberFileLimit))
        let report = try await refusals { try await service.importMembers(text, into: id, mode: mode, by: context.actor("park members imported")) }
        return try JSONBody.response(report, status: report.imported ? .ok : .unprocessableContent)
    }

    struct NewReview: Decodable {
        let year: Int
        let outcome: String
        let note: String
    }

    @Sendable func reviewAPI(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await JSONRequest.decode(NewReview.self, request)
        let review = try await review(park: try context.parameters.require("id"), year: body.year, outcome: body.outcome, note: body.note,
                                      context: context)
        return try JSONBody.response(review, status: .created)
    }

    private func review(park: String, year: Int, outcome: String, note: String, context: AppRequestContext) async throws -> ParkReview {
        guard let outcome = ParkReview.Outcome(rawValue: outcome) else {
            throw Problem.invalidField("outcome", "'\(outcome.prefix(20))' is not one of \(ParkReview.Outcome.allCases.map(\.rawValue).joined(separator: ", "))",
                                       page: "请选择复核结论。")
        }
        return try await refusals {
            try await service.review(parkID: park, year: year, outcome: outcome, note: note, by: context.actor("park reviewed"))
        }
    }

    static func mode(_ text: String?) throws -> ParkService.ImportMode {
        guard let text else { return .partial }
        guard let mode = ParkService.ImportMode(rawValue: text) else {
            throw Problem.invalidField("mode", "'\(text.prefix(20))' is not partial or strict", page: "请选择导入方式：部分导入或整体拒绝。")
        }
        return mode
    }

    /// The service's refusals as problems, in both languages.
    func refusals<T>(_ work: () async throws -> T) async throws -> T {
        do {
            return try await work()
        } catch let error as ParkError {
            switch error {
            case .notFound(let id):
                throw Problem.notFound("no park '\(id.prefix(40))'", page: "未找到该诚信示范园区。")
            case .exists(let what):
                throw Problem(.conflict, type: "exists", title: "Already exists", detail: "\(what.prefix(80)) already exists", page: "该园区或该年度复核已存在。")
            case .invalid(let defects):
                throw Problem(.badRequest, type: "invalid-park", title: "Invalid park", detail: defects.joined(separator: "; "),
                              page: "输入有误：" + defects.map(Self.chinese).joined(separator: "；") + "。")
            }
        }
    }

    /// A defect the service names by its field (`field: reason`), in Chinese for pages.
    static func chinese(_ defect: String) -> String {
        let field = defect.prefix { $0 != ":" }
        return switch field {
        case "id": "园区编号应为2至40个字母、数字或连字符"
        case "name": "请填写园区名称"
        case "managing_body": "请填写园区管理机构"
        case "region_codes": "地区代码不是有效的行政区划代码"
        case "targets": "目标设置有误：每项目标须且只能给出上限或下限，同一指标不得重复"
        case "year": "复核年度应在园区命名当年至今年之间"
        case "note": "请填写复核说明"
        default: "输入不完整"
        }
    }

    // MARK: Pages

    struct ListView {
        struct Line { let href, name, managingBody, established, members, negative, abShare, regions: String }
        let title = "诚信示范园区 · 信用郴州"
        let lines: [Line]
        let cityNegative, cityABShare: String
    }

    @Sendable func listPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        var lines: [ListView.Line] = []
        for park in try await service.all() {
            let f = try await service.figures(of: .park(park))
            lines.append(.init(href: "/parks/\(park.id)", name: park.name, managingBody: park.managingBody,
                               established: park.establishedOn.description, members: f.members.grouped,
                               negative: Self.text(.negativePerThousandPerMonth, f), abShare: Self.text(.gradeABShare, f),
                               regions: park.regionCodes.map { platform.regions[$0]?.name ?? $0 }.joined(separator: "、")))
        }
        let city = try await service.figures(of: .city)
        return try platform.html("parks", context: context, ListView(
            lines: lines, cityNegative: Self.text(.negativePerThousandPerMonth, city), cityABShare: Self.text(.gradeABShare, city)))
    }

    struct ParkView {
        struct Target { let label, value, verdict: String; let met: Bool }
        struct Figure { let label, value, city: String }
        struct Chart { let title, svg: String }
        struct Review { let year, outcome, note, reviewedBy, reviewedAt, figures: String }
        let title, name, managingBody, established, membership: String
        let targets: [Target]
        let figures: [Figure]
        let charts: [Chart]
        let reviews: [Review]
        let asOf: String
    }

    @Sendable func parkPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        let c: Comparison
        do {
            c = try await comparison(try context.parameters.require("id"))
        } catch let problem as Problem where problem.status == .notFound {
            return try platform.message("未找到该诚信示范园区", detail: problem.page ?? problem.detail, context: context, status: .notFound)
        }
        let f = c.figures
        let regions = c.park.regionCodes.map { platform.regions[$0]?.name ?? $0 }.joined(separator: "、")
        let view = ParkView(
            title: "\(c.park.name) · 诚信示范园区", name: c.park.name, managingBody: c.park.managingBody,
            established: c.park.establishedOn.description,
            membership: regions.isEmpty ? "成员由园区管理机构报送的名单确定" : "成员包括名单所列主体及 \(regions) 登记的全部法人和非法人组织",
            targets: c.park.targets.map { t in
                let value = f.value(of: t.metric)
                return .init(label: t.label, value: Self.text(t.metric, f), verdict: t.isMet(by: value) ? "达标" : "未达标", met: t.isMet(by: value))
            },
            figures: figures(c),
            charts: charts(c),
            reviews: try await service.reviews(of: c.park.id).map { r in
                .init(year: "\(r.year)", outcome: r.outcome.label, note: r.note, reviewedBy: r.reviewedBy, reviewedAt: beijingTime(r.reviewedAt),
                      figures: ParkMetric.allCases.compactMap { m in r.figures[m.rawValue].map { "\(m.label) \(Self.format(m, $0))" } }
                        .joined(separator: "；"))
            },
            asOf: CivilDate.today().description)
        return try platform.html("park", context: context, view)
    }

    private func figures(_ c: Comparison) -> [ParkView.Figure] {
        let (f, city) = (c.figures, c.city)
        var rows: [ParkView.Figure] = [.init(label: "成员主体数", value: f.members.grouped, city: city.members.grouped)]
        rows += Grade.allCases.map { g in
            .init(label: "\(g.rawValue)级主体", value: (f.grades[g.rawValue] ?? 0).grouped, city: (city.grades[g.rawValue] ?? 0).grouped)
        }
        rows += ParkMetric.allCases.map { m in .init(label: m.label, value: Self.text(m, f), city: Self.text(m, city)) }
        rows += CreditList.allCases.map { list in
            .init(label: "\(list.name)在列主体", value: (f.lists[list.rawValue] ?? 0).grouped, city: (city.lists[list.rawValue] ?? 0).grouped)
        }
        rows += [
            .init(label: "近12个月信用承诺", value: f.commitments.grouped, city: city.commitments.grouped),
            .init(label: "近12个月核查（信用审查）次数", value: f.checks.grouped, city: city.checks.grouped),
            .init(label: "近12个月享受守信激励的核查", value: f.checksWithIncentives.grouped, city: city.checksWithIncentives.grouped),
        ]
        return rows
    }

    /// Small multiples: each figure across this park, the other parks and the city, then this park's
    /// negative records month by month.
    private func charts(_ c: Comparison) -> [ParkView.Chart] {
        var charts = ParkMetric.allCases.map { m in
            let rows = [(c.park.name, c.figures.value(of: m), true)] + c.others.map { ($0.0.name, $0.1.value(of: m), false) }
                + [("全市", c.city.value(of: m), false)]
            return ParkView.Chart(title: m.label, svg: SVGChart.bars(rows, title: "\(m.label)：本园区、其他园区与全市") { Self.format(m, $0) })
        }
        let months = c.figures.negativePerThousand.map { (String($0.month.suffix(5)), $0.perThousand) }
        charts.append(.init(title: "每千户负面记录（按月）",
                            svg: SVGChart.line(months, title: "\(c.park.name)每千户每月负面记录", inverted: false) { String(format: "%.1f", $0) }))
        return charts
    }

    static func format(_ metric: ParkMetric, _ value: Double) -> String {
        metric == .gradeABShare ? String(format: "%.1f%%", value * 100) : String(format: "%.2f", value)
    }

    static func text(_ metric: ParkMetric, _ figures: ParkFigures) -> String { format(metric, figures.value(of: metric)) }

    // MARK: The office's page

    struct OfficeView {
        struct Line { let id, name, members: String }
        let title = "诚信示范园区管理 · 信用郴州"
        let parks: [Line]
        let year: String
    }

    @Sendable func officePage(_ request: Request, context: AppRequestContext) async throws -> Response {
        var lines: [OfficeView.Line] = []
        for park in try await service.all() {
            lines.append(.init(id: park.id, name: park.name, members: try await service.figures(of: .park(park)).members.grouped))
        }
        return try platform.html("office-parks", context: context, OfficeView(parks: lines, year: "\(CivilDate.today().year)"))
    }

    struct ImportView {
        struct Row { let line, code, reason: String }
        let title = "园区成员名单导入结果 · 信用郴州"
        let park, mode, outcome: String
        let imported: Bool
        let rows: [Row]
    }

    @Sendable func importMembersForm(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let form = FormFields(try await request.body.collect(upTo: Self.memberFileLimit))
        let mode = try Self.mode(form.text("mode"))
        guard let text = form.text("codes") else {
            throw Problem.invalidField("codes", "paste the members' codes, one per line", page: "请粘贴成员名单：每行一个统一社会信用代码。")
        }
        let report = try await refusals { try await service.importMembers(text, into: id, mode: mode, by: context.actor("park members imported")) }
        let park = try await refusals { try await service.park(id) }
        let outcome = report.imported
            ? "已导入 \(report.members) 个成员" + (report.refused.isEmpty ? "。" : "，以下 \(report.refused.count) 行未导入：")
            : "名单中有 \(report.refused.count) 行无法识别，按“整体拒绝”方式未导入任何成员，原成员名单保持不变。"
        return try platform.html("park-import", context: context, ImportView(
            park: park.name, mode: mode == .strict ? "整体拒绝" : "部分导入", outcome: outcome, imported: report.imported,
            rows: report.refused.map { .init(line: "\($0.line)", code: $0.code, reason: Self.reasonText($0.reason)) }),
            status: report.imported ? .ok : .unprocessableContent)
    }

    /// The service names a row's fault in English for the API; the page says it in Chinese.
    static func reasonText(_ reason: String) -> String {
        reason.hasPrefix("no subject") ? "平台上没有该代码的主体" : "不是有效的统一社会信用代码"
    }

    @Sendable func reviewForm(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let form = FormFields(try await request.body.collect(upTo: 1 << 16))
        guard let year = form.text("year").flatMap({ Int($0) }) else {
            throw Problem.invalidField("year", "give the year reviewed", page: "请填写复核年度。")
        }
        _ = try await review(park: id, year: year, outcome: form.text("outcome") ?? "", note: form.text("note") ?? "", context: context)
        return Response(status: .seeOther, headers: [.location: "/parks/\(id)"])
    }
}
