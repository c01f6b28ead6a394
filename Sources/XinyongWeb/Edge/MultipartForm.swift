import Foundation
import Hummingbird
import MultipartKit

/// A multipart/form-data body (RFC 7578) split into its parts by MultipartKit's parser: the verify form's
/// upload, and the evidence files of objections and repair applications.
struct MultipartForm {
    struct Part {
        let name: String
        /// Set for a file input, even when no file was chosen (then the content is empty).
        let filename: String?
        let content: Data
    }

    let parts: [Part]

    /// Nil when the body is not multipart/form-data or is malformed.
    init?(_ body: ByteBuffer, contentType: String) {
        guard contentType.lowercased().hasPrefix("multipart/form-data"), let range = contentType.range(of: "boundary=") else { return nil }
        let boundary = contentType[range.upperBound...].split(separator: ";").first.map {
            $0.trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
        } ?? ""
        guard !boundary.isEmpty else { return nil }
        let parser = MultipartParser(boundary: boundary)
        var parts: [Part] = []
        var disposition = ""
        var content = ByteBuffer()
        parser.onHeader = { name, value in
            if name.lowercased() == "content-disposition" { disposition = value }
        }
        parser.onBody = { chunk in content.writeBuffer(&chunk) }
        parser.onPartComplete = {
            if let name = Self.parameter("name", in: disposition) {
                parts.append(Part(name: name, filename: Self.parameter("filename", in: disposition), content: Data(buffer: content)))
            }
            disposition = ""
            content = ByteBuffer()
        }
        do { try parser.execute(body) } catch { return nil }
        self.parts = parts
    }

    /// The first text field of that name.
    func text(_ name: String) -> String? {
        parts.first { $0.name == name && $0.filename == nil }.map { String(decoding: $0.content, as: UTF8.self) }
    }

    /// The field trimmed, nil when absent or empty.
    func trimmed(_ name: String) -> String? {
        guard let value = text(name)?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else { return nil }
        return value
    }

    /// Every file chosen in inputs of that name (inputs left empty are skipped).
    func files(_ name: String) -> [(name: String, content: Data)] {
        parts.filter { $0.name == name && $0.filename != nil && !($0.filename!.isEmpty && $0.content.isEmpty) }
            .map { ($0.filename ?? "", $0.content) }
    }

    /// `name="value"` out of a Content-Disposition header.
    static func parameter(_ key: String, in header: String) -> String? {
        for piece in header.split(separator: ";") {
            let pair = piece.trimmingCharacters(in: .whitespaces).split(separator: "=", maxSplits: 1)
            guard pair.count == 2, pair[0].lowercased() == key else { continue }
            return pair[1].trimmingCharacters(in: CharacterSet(charactersIn: "\""))
        }
        return nil
    }

    static func text(named name: String, in body: ByteBuffer, contentType: String) -> String? {
        MultipartForm(body, contentType: contentType)?.text(name)
    }

    static func file(named name: String, in body: ByteBuffer, contentType: String) -> Data? {
        MultipartForm(body, contentType: contentType)?.parts.first { $0.name == name }?.content
    }
}
