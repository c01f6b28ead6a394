import Foundation
import Hummingbird
import XinyongModel
import XinyongPublication

extension Platform {
    /// Renders a Mustache page (which escapes every value) as an HTML response.
    func html(_ template: String, _ view: Any, status: HTTPResponse.Status = .ok) throws -> Response {
        guard let html = templates.render(view, withTemplate: template) else {
            throw HTTPError(.internalServerError, message: "template \(template) is missing")
        }
        return Response(status: status, headers: [.contentType: "text/html; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(string: html)))
    }

    /// The page that explains what was wrong with a visitor's input, or what was not found.
    func message(_ heading: String, detail: String, input: String = "", status: HTTPResponse.Status) throws -> Response {
        try html("message", MessageView(title: heading, heading: heading, detail: detail, input: String(input.prefix(100))), status: status)
    }
}

struct MessageView {
    let title, heading, detail, input: String
}

/// Query parameters as the public pages read them: form-decoded (a browser sends a typed space as
/// `+`), trimmed, absent when empty, and checked. A value that is not valid percent-encoded UTF-8 is absent.
struct PublicQuery {
    let request: Request
    private let values: [String: String]

    init(request: Request) {
        self.request = request
        var values: [String: String] = [:]
        for pair in (request.uri.query ?? "").split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = Self.formDecoded(parts[0]), values[name] == nil else { continue }
            values[name] = parts.count > 1 ? Self.formDecoded(parts[1]) : ""
        }
        self.values = values
    }

    private static func formDecoded(_ text: Substring) -> String? {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding
    }

    func text(_ name: String) -> String? {
        guard let value = values[name] else { return nil }
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.isEmpty ? nil : trimmed
    }

    func int(_ name: String, default value: Int) throws -> Int {
        guard let text = text(name) else { return value }
        guard let number = Int(text.prefix(9)), text.count <= 9 else {
            throw PublicQueryError(parameter: name, reason: "'\(text.prefix(20))' is not a whole number", message: "参数 \(name) 应为整数")
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
