import CompressNIO
import Hummingbird
import NIOCore

/// gzip for pages, JSON and CSS when the client accepts it. Only whole bodies of known length are
/// compressed (every page and JSON answer); streamed bodies (batch uploads' answers, exports) pass as
/// they are, so nothing large is ever held in memory for compression.
struct CompressionMiddleware<Context: RequestContext>: RouterMiddleware {
    static var minimumSize: Int { 1024 }
    static var compressible: [String] { ["text/html", "text/css", "text/csv", "text/plain", "application/json", "application/problem+json"] }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        guard Self.acceptsGzip(request.headers[.acceptEncoding]), response.headers[.contentEncoding] == nil,
            let length = response.body.contentLength, length >= Self.minimumSize,
            let type = response.headers[.contentType], Self.compressible.contains(where: { type.hasPrefix($0) })
        else { return response }
        let collector = Collector()
        try await response.body.write(collector)
        var whole = collector.buffer
        let compressed = try whole.compress(with: .gzip())
        response.headers[.contentEncoding] = "gzip"
        response.headers[.vary] = "Accept-Encoding"
        response.headers[.contentLength] = nil
        response.body = ResponseBody(byteBuffer: compressed)
        return response
    }

    static func acceptsGzip(_ header: String?) -> Bool {
        guard let header else { return false }
        return header.split(separator: ",").contains { part in
            let pieces = part.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
            guard pieces.first?.lowercased() == "gzip" else { return false }
            return !pieces.dropFirst().contains { $0.replacingOccurrences(of: " ", with: "") == "q=0" }
        }
    }
}

/// Gathers a response body that is already whole (its length is known) to compress it.
private final class Collector: ResponseBodyWriter, @unchecked Sendable {
    var buffer = ByteBuffer()

    func write(_ buffer: ByteBuffer) async throws {
        var buffer = buffer
        self.buffer.writeBuffer(&buffer)
    }

    func finish(_ trailingHeaders: HTTPFields?) async throws {}
}
