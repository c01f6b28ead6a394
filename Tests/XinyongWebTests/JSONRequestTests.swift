import Foundation
import Testing
@testable import XinyongWeb

/// The strict decoder's unknown-field rule, including keys hidden in nested objects and arrays, and again
/// once a type's fields have been reflected (they are kept per type).
@Suite struct JSONRequestTests {
    struct Inner: Decodable { let code: String; let note: String? }
    struct Outer: Decodable { let name: String; let inner: Inner?; let items: [Inner] }

    private func unknown(_ json: String) throws -> String? {
        let data = Data(json.utf8)
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let value = try decoder.decode(Outer.self, from: data)
        return JSONRequest.unknownField(in: try JSONSerialization.jsonObject(with: data), known: value)
    }

    @Test func unknownKeysAreNamedWithTheirPathAtAnyDepth() throws {
        for _ in 0..<2 {
            #expect(try unknown(#"{"name":"a","items":[]}"#) == nil)
            #expect(try unknown(#"{"name":"a","inner":{"code":"x","note":null},"items":[{"code":"y"}]}"#) == nil)
            #expect(try unknown(#"{"name":"a","nmae":"b","items":[]}"#) == "nmae")
            #expect(try unknown(#"{"name":"a","inner":{"code":"x","cdoe":"y"},"items":[]}"#) == "inner.cdoe")
            #expect(try unknown(#"{"name":"a","items":[{"code":"y"},{"code":"z","extra":1}]}"#) == "items[1].extra")
        }
    }
}
