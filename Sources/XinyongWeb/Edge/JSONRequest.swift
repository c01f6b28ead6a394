import Foundation
import Hummingbird
import Synchronization

/// The one JSON body decoder: snake_case fields, at most 1 MiB, and a 400 that names the field for a
/// wrong type, a missing field, or a field the request does not know (a misspelt `"department"` must
/// never be silently ignored).
enum JSONRequest {
    static func decode<T: Decodable>(_ type: T.Type, _ request: Request) async throws -> T {
        let buffer = try await request.body.collect(upTo: 1 << 20)
        let data = Data(buffer: buffer)
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let value: T
        do {
            value = try decoder.decode(type, from: data)
        } catch let DecodingError.typeMismatch(expected, context), let DecodingError.valueNotFound(expected, context) {
            throw Problem.invalidField(fieldPath(context.codingPath), "expected \(describe(expected))")
        } catch let DecodingError.keyNotFound(key, context) {
            throw Problem.invalidField(fieldPath(context.codingPath + [key]), "required")
        } catch {
            throw Problem(.badRequest, type: "invalid-json", title: "Invalid request body",
                          detail: "the body must be a JSON object: \(error.localizedDescription)")
        }
        if let unknown = unknownField(in: try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]), known: value) {
            throw Problem(.badRequest, type: "unknown-field", title: "Unknown field", detail: "\(unknown): not a field of this request",
                          extra: ["field": unknown])
        }
        return value
    }

    /// A body of string fields only, read with one parse and no `Decodable`: the check's body, on the busiest
    /// route, where the decoder above cost a check more than its answer. The same refusals: a body that is not
    /// a JSON object, a field not in `fields`, a value that is not a string (null counts as absent).
    static func strings(_ request: Request, fields: Set<String>) async throws -> [String: String] {
        let buffer = try await request.body.collect(upTo: 1 << 20)
        let json: Any
        do {
            json = try JSONSerialization.jsonObject(with: Data(buffer: buffer))
        } catch {
            throw Problem(.badRequest, type: "invalid-json", title: "Invalid request body",
                          detail: "the body must be a JSON object: \(error.localizedDescription)")
        }
        guard let object = json as? [String: Any] else {
            throw Problem(.badRequest, type: "invalid-json", title: "Invalid request body", detail: "the body must be a JSON object")
        }
        var values: [String: String] = [:]
        for (key, value) in object.sorted(by: { $0.key < $1.key }) {
            guard fields.contains(key) else {
                throw Problem(.badRequest, type: "unknown-field", title: "Unknown field", detail: "\(key): not a field of this request",
                              extra: ["field": key])
            }
            if value is NSNull { continue }
            guard let text = value as? String else { throw Problem.invalidField(key, "expected a string") }
            values[key] = text
        }
        return values
    }

    /// The first key of `json` that `known`'s properties do not have, walking nested objects and arrays.
    /// Properties are compared in snake_case, as the API spells them.
    static func unknownField(in json: Any, known: Any, path: String = "") -> String? {
        if let object = json as? [String: Any] {
            let labels = propertyLabels(of: known)
            for (key, nested) in object.sorted(by: { $0.key < $1.key }) {
                let name = path.isEmpty ? key : "\(path).\(key)"
                guard let label = labels[key] else { return name }
                // Only a nested object or array can hide a further key, so only then is the property reflected.
                guard nested is [String: Any] || nested is [Any] else { continue }
                if let property = Mirror(reflecting: known).descendant(label).flatMap(unwrap),
                   let deeper = unknownField(in: nested, known: property, path: name) { return deeper }
            }
        } else if let array = json as? [Any], let values = known as? [Any] {
            for (index, element) in array.enumerated() where index < values.count {
                if let deeper = unknownField(in: element, known: values[index], path: "\(path)[\(index)]") { return deeper }
            }
        }
        return nil
    }

    /// A type's stored properties, snake_case name → label, reflected once per type: every request of a kind
    /// has the same fields, and reflecting them on each request was a visible share of a check's time.
    private static func propertyLabels(of value: Any) -> [String: String] {
        let type = ObjectIdentifier(Swift.type(of: value))
        if let labels = labelCache.withLock({ $0[type] }) { return labels }
        let labels = Dictionary(Mirror(reflecting: value).children.compactMap { child in child.label.map { ($0.snakeCased, $0) } },
                                uniquingKeysWith: { first, _ in first })
        labelCache.withLock { $0[type] = labels }
        return labels
    }

    private static let labelCache = Mutex<[ObjectIdentifier: [String: String]]>([:])

    /// An optional's wrapped value, or nil for `.none`, so that nested checks look at the real type.
    private static func unwrap(_ value: Any) -> Any? {
        let mirror = Mirror(reflecting: value)
        guard mirror.displayStyle == .optional else { return value }
        return mirror.children.first.map { unwrap($0.value) } ?? nil
    }

    static func fieldPath(_ path: [any CodingKey]) -> String {
        let text = path.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue.snakeCased }.joined(separator: ".")
            .replacingOccurrences(of: ".[", with: "[")
        return text.isEmpty ? "body" : text
    }

    private static func describe(_ type: Any.Type) -> String {
        if type == Double.self || type == Int.self { return "a number" }
        if type == Bool.self { return "true or false" }
        if type == String.self { return "a string" }
        return "\(type)"
    }
}

extension String {
    /// `subjectId` → `subject_id`, to name fields as the API spells them.
    var snakeCased: String {
        reduce(into: "") { out, c in
            if c.isUppercase { out += "_" + c.lowercased() } else { out.append(c) }
        }
    }
}
