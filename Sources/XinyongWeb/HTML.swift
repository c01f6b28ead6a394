import Foundation
import Hummingbird
import Mustache
import XinyongModel
import XinyongPublication
import XinyongStore

extension Platform {
    /// The one render helper: a Mustache page (which escapes every value) as an HTML response, with the
    /// header's account links for whoever is asking and the session's CSRF token in every form
    /// (templates mark both places with the `chrome` and `csrf` partials).
    func html(_ template: String, _ view: Any, context: AppRequestContext, status: HTTPResponse.Status = .ok) throws -> Response {
        guard var page = PageView.flattened(view) as? [String: Any] else {
            throw HTTPError(.internalServerError, message: "the view of template \(template) is not a struct")
        }
        // Built here, never from a visitor's input unescaped; the partials insert them with triple braces.
        page["xyChrome"] = chrome(for: context)
        page["xyCsrf"] = context.session.map { "<input type=\"hidden\" name=\"csrf\" value=\"\($0.csrfToken)\">" } ?? ""
        guard let html = templates.render(page, withTemplate: template) else {
            throw HTTPError(.internalServerError, message: "template \(template) is missing")
        }
        return Response(status: status, headers: [.contentType: "text/html; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// The same, with the context first, for calls whose view is long.
    func html(_ template: String, context: AppRequestContext, _ view: Any, status: HTTPResponse.Status = .ok) throws -> Response {
        try html(template, view, context: context, status: status)
    }

    /// The page that explains what was wrong with a visitor's input, or what was not found.
    func message(_ heading: String, detail: String, input: String = "", context: AppRequestContext, status: HTTPResponse.Status) throws -> Response {
        try html("message", MessageView(title: heading, heading: heading, detail: detail, input: String(input.prefix(100)), requestID: nil),
                 context: context, status: status)
    }

    /// The Chinese page for a refused or failed request.
    func errorPage(_ problem: Problem, context: AppRequestContext) throws -> Response {
        let heading = Self.pageHeading(problem.status)
        return try html("message", MessageView(title: heading, heading: heading, detail: problem.page ?? Self.pageDetail(problem.status),
                                               input: "", requestID: context.id), context: context, status: problem.status)
    }

    private func chrome(for context: AppRequestContext) -> String {
        guard case .user(let user) = context.caller, let session = context.session else {
            return "<a class=\"login\" href=\"/login\">登录</a>"
        }
        var links: [String] = []
        if Access.department.allows(context.caller) {
            links += ["<a href=\"/submit\">报送</a>", "<a href=\"/checks\">逢办必查</a>", "<a href=\"/notices\">告知书</a>"]
        }
        if Access.office.allows(context.caller) {
            links += ["<a href=\"/office/quality\">数据质量</a>", "<a href=\"/office/checks\">联合奖惩</a>", "<a href=\"/office/notices\">列入前告知</a>",
                      "<a href=\"/office/objections\">异议</a>", "<a href=\"/office/repairs\">修复</a>", "<a href=\"/office/deliveries\">更正送达</a>",
                      "<a href=\"/office/evaluation\">信用评价</a>", "<a href=\"/office/articles\">诚信文化</a>"]
        }
        if Access.admin.allows(context.caller) { links.append("<a href=\"/office/users\">用户</a>") }
        if Access.audit.allows(context.caller) { links.append("<a href=\"/office/audit\">审计</a>") }
        let name = user.name.htmlEscaped
        return links.joined() + "<a href=\"/account\">\(name)（\(user.role.label)）</a>"
            + "<form class=\"logout\" action=\"/logout\" method=\"post\"><input type=\"hidden\" name=\"csrf\" value=\"\(session.csrfToken)\">"
            + "<button type=\"submit\">退出</button></form>"
    }

    static func pageHeading(_ status: HTTPResponse.Status) -> String {
        switch status.code {
        case 400, 422: "请求有误"
        case 401: "请先登录"
        case 403: "无权访问"
        case 404: "页面不存在"
        case 405: "不支持的操作"
        case 409: "操作冲突"
        case 413: "提交的内容过大"
        case 415: "不支持的文件格式"
        case 429: "操作过于频繁"
        case 503: "服务暂不可用"
        default: status.code >= 500 ? "系统内部错误" : "请求未能完成"
        }
    }

    static func pageDetail(_ status: HTTPResponse.Status) -> String {
        switch status.code {
        case 404: "您访问的地址不存在，请检查地址，或从首页重新进入。"
        case 405: "该地址不支持此操作。"
        case 413: "提交的内容超过了允许的大小。"
        case 429: "请稍后再试。"
        case 503: "平台暂时无法访问数据库，请稍后再试。"
        case 500...: "平台处理该请求时出错，请稍后再试；如持续出现，请向信用办报告下方的请求编号。"
        default: "请检查输入后重试。"
        }
    }
}

/// A stored instant (ISO 8601, UTC) as people in the city read it: Beijing time to the minute.
func beijingTime(_ instant: String) -> String {
    guard let date = Timestamp.parse(instant) else { return instant }
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "Asia/Shanghai")!
    let c = calendar.dateComponents([.year, .month, .day, .hour, .minute], from: date)
    return String(format: "%04d-%02d-%02d %02d:%02d", c.year!, c.month!, c.day!, c.hour!, c.minute!)
}

struct MessageView {
    let title, heading, detail, input: String
    let requestID: String?
}

/// Query parameters as the public pages read them: form-decoded (a browser sends a typed space as
/// `+`), trimmed, absent when empty, and checked. A value that is not valid percent-encoded UTF-8 is absent.
struct PublicQuery {
    let request: Request
    private let fields: FormFields

    init(request: Request) {
        self.request = request
        self.fields = FormFields(request.uri.query ?? "")
    }

    func text(_ name: String) -> String? { fields.text(name) }

    func int(_ name: String, default value: Int) throws -> Int {
        guard let text = text(name) else { return value }
        guard let number = Int(text.prefix(9)), text.count <= 9 else {
            throw PublicQueryError(parameter: name, reason: "'\(text.prefix(20))' is not a whole number", message: "参数 \(name) 应为整数")
        }
        return number
    }

    /// A whole number within `range`; outside it, a 400 naming the range, not a silent clamp.
    func int(_ name: String, default value: Int, in range: ClosedRange<Int>) throws -> Int {
        let number = try int(name, default: value)
        guard range.contains(number) else {
            throw PublicQueryError(parameter: name, reason: "\(number) is outside \(range.lowerBound)–\(range.upperBound)",
                                   message: "参数 \(name) 应在 \(range.lowerBound) 至 \(range.upperBound) 之间")
        }
        return number
    }

    func date(_ name: String) throws -> CivilDate? {
        guard let text = text(name) else { return nil }
        guard let date = CivilDate(String(text.prefix(20))) else {
            throw PublicQueryError(parameter: name, reason: "'\(text.prefix(20))' is not a date YYYY-MM-DD", message: "日期应为 年-月-日，例如 2026-01-31")
        }
        return date
    }

    /// The listing filters every listing page shares.
    func listingFilter(pageSize: Int = 20) throws -> ListingFilter {
        ListingFilter(regionCode: text("region"), departmentID: text("department"), decidedFrom: try date("from"),
                      decidedTo: try date("to"), page: try int("page", default: 1), pageSize: try int("size", default: pageSize))
    }

    /// This page's query string with `page` replaced, for pagination links.
    func link(page: Int) -> String {
        var items = URLComponents(string: request.uri.description)?.queryItems?.filter { $0.name != "page" } ?? []
        items.append(URLQueryItem(name: "page", value: String(page)))
        var components = URLComponents()
        components.path = request.uri.path
        components.queryItems = items
        return components.string ?? request.uri.path
    }
}

/// A page's view as Mustache reads it fastest. Mustache finds a name in a struct by reflecting it (a `Mirror`
/// for every name, at every level of the context stack it climbs), which was a third of a search page's CPU;
/// in a dictionary it is one look-up. So the view is turned into dictionaries once per page: each struct's
/// stored properties by name, arrays element by element. A nil property is left out, as Mustache treats it as
/// absent either way. Values Mustache renders or handles itself (strings, numbers, anything with a
/// description, lambdas, sets and dictionaries) are kept as they are.
enum PageView {
    static func flattened(_ value: Any) -> Any? {
        switch value {
        case is String, is Int, is Bool, is Double, is MustacheLambda, is MustacheParent, is MustacheCustomRenderable,
             is MustacheCustomRepresentation:
            return value
        default: break
        }
        let mirror = Mirror(reflecting: value)
        switch mirror.displayStyle {
        case .optional:
            return mirror.children.first.flatMap { flattened($0.value) }
        case .collection:
            return mirror.children.compactMap { flattened($0.value) }
        case .struct where !(value is CustomStringConvertible):
            var properties: [String: Any] = [:]
            for child in mirror.children {
                if let name = child.label, let property = flattened(child.value) { properties[name] = property }
            }
            return properties
        default:
            return value
        }
    }
}
