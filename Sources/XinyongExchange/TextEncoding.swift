import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The encodings departments' files come in: UTF-8 (with or without BOM) from newer systems, GB18030
/// (a superset of GBK and GB2312) from Excel on Chinese Windows.
public enum TextEncoding: String, Sendable, Codable {
    case utf8 = "UTF-8"
    case utf8BOM = "UTF-8 (BOM)"
    case gb18030 = "GB18030"

    public struct Unrecognised: Error, CustomStringConvertible {
        public var description: String {
            "the file is neither UTF-8 nor GB18030/GBK text (binary data or another encoding); save it as CSV UTF-8 and resubmit"
        }
    }

    /// Decides from the first bytes of a file (64 KiB is plenty): valid UTF-8 wins; else GB18030 if the
    /// sample converts; else the file is refused. A multi-byte character cut at the sample's end is allowed.
    public static func detect(_ sample: [UInt8]) throws(Unrecognised) -> TextEncoding {
        if sample.starts(with: [0xEF, 0xBB, 0xBF]) { return .utf8BOM }
        if sample.contains(0) { throw Unrecognised() }
        if isUTF8(sample, allowTruncatedEnd: true) { return .utf8 }
        if GB18030.decode(sample, allowTruncatedEnd: true) != nil { return .gb18030 }
        throw Unrecognised()
    }

    /// Decodes one field; nil if the bytes are not valid in this encoding.
    public func decode(_ bytes: [UInt8]) -> String? {
        switch self {
        case .utf8, .utf8BOM: String(validating: bytes, as: UTF8.self)
        case .gb18030: GB18030.decode(bytes, allowTruncatedEnd: false)
        }
    }

    static func isUTF8(_ bytes: [UInt8], allowTruncatedEnd: Bool) -> Bool {
        var end = bytes.count
        if allowTruncatedEnd {
            // Drop an incomplete trailing sequence (at most 3 bytes) before validating.
            var i = bytes.count - 1
            var continuation = 0
            while i >= 0, continuation < 3, bytes[i] & 0xC0 == 0x80 { i -= 1; continuation += 1 }
            if i >= 0 {
                let lead = bytes[i]
                let needed = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : lead >= 0xC0 ? 1 : 0
                if needed > continuation { end = i }
            }
        }
        return String(validating: bytes[0..<end], as: UTF8.self) != nil
    }
}

/// GB18030 ⇄ UTF-8 through the C library's iconv, which every Linux and macOS has.
enum GB18030 {
    static func decode(_ bytes: [UInt8], allowTruncatedEnd: Bool) -> String? {
        if bytes.allSatisfy({ $0 < 0x80 }) { return String(decoding: bytes, as: UTF8.self) }
        return convert(bytes, from: "GB18030", to: "UTF-8", allowTruncatedEnd: allowTruncatedEnd)
            .map { String(decoding: $0, as: UTF8.self) }
    }

    /// UTF-8 → GB18030, for tests and for files handed back to departments that want their own encoding.
    static func encode(_ text: String) -> [UInt8]? {
        convert(Array(text.utf8), from: "UTF-8", to: "GB18030", allowTruncatedEnd: false)
    }

    /// Converts the whole input, or nil if it is not valid in `from` (a character cut at the end is
    /// dropped when `allowTruncatedEnd`).
    private static func convert(_ bytes: [UInt8], from: String, to: String, allowTruncatedEnd: Bool) -> [UInt8]? {
        let cd = iconv_open(to, from)
        guard cd != iconv_t(bitPattern: -1) else { return nil }
        defer { iconv_close(cd) }
        var input = bytes.map { CChar(bitPattern: $0) }
        var output = [CChar](repeating: 0, count: bytes.count * 2 + 4)
        let converted: Int? = input.withUnsafeMutableBufferPointer { inBuf in
            output.withUnsafeMutableBufferPointer { outBuf in
                var inPtr: UnsafeMutablePointer<CChar>? = inBuf.baseAddress
                var inLeft = inBuf.count
                var outPtr: UnsafeMutablePointer<CChar>? = outBuf.baseAddress
                var outLeft = outBuf.count
                if iconv(cd, &inPtr, &inLeft, &outPtr, &outLeft) == -1 && !(allowTruncatedEnd && errno == EINVAL) { return nil }
                return outBuf.count - outLeft
            }
        }
        return converted.map { output[0..<$0].map { UInt8(bitPattern: $0) } }
    }
}
