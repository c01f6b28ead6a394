import Foundation
import Hummingbird

/// An RFC 9457 problem: every error the API answers with, as `application/problem+json`.
public struct Problem: HTTPResponseError, Encodable {
    public let status: HTTPResponse.Status
    /// Stable identifier of the kind of problem, e.g. `/problems/invalid-code`.
    public let type: String
    public let title: String
    public let detail: String
    /// Extra members, such as the input that was wrong.
    public var extra: [String: String]
    /// What a person reading a page is told, in Chinese; nil for the status's general message.
    public let page: String?
    /// For a refused file or batch: every failing row with its field and reason.
    public var issues: (any Encodable & Sendable)?

    public init(_ status: HTTPResponse.Status, type: String, title: String, detail: String, extra: [String: String] = [:],
                page: String? = nil) {
        self.status = status
        self.type = "/problems/\(type)"
        self.title = title
        self.detail = detail
        self.extra = extra
        self.page = page
    }

    private struct DynamicKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(_ s: String) { stringValue = s }
        init?(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: DynamicKey.self)
        try c.encode(type, forKey: DynamicKey("type"))
        try c.encode(title, forKey: DynamicKey("title"))
        try c.encode(Int(status.code), forKey: DynamicKey("status"))
        try c.encode(detail, forKey: DynamicKey("detail"))
        for (key, value) in extra.sorted(by: { $0.key < $1.key }) { try c.encode(value, forKey: DynamicKey(key)) }
        if let issues { try c.encode(issues, forKey: DynamicKey("issues")) }
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = try encoder.encode(self)
        // (ErrorMiddleware adds Retry-After from `retry_after`, for pages and problems alike.)
        return Response(status: status, headers: [.contentType: "application/problem+json; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }

    static func notFound(_ what: String, page: String? = nil) -> Problem {
        Problem(.notFound, type: "not-found", title: "Not found", detail: what, page: page)
    }

    /// A field of a request that is missing or wrong: 400, naming it.
    static func invalidField(_ field: String, _ reason: String, page: String? = nil) -> Problem {
        Problem(.badRequest, type: "invalid-field", title: "Invalid request", detail: "\(field): \(reason)", extra: ["field": field],
                page: page)
    }
}
