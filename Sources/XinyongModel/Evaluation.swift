import Foundation

/// A public credit evaluation grade (公共信用综合评价等级). A is the best; `Comparable` orders A < B < C < D,
/// so "at most C" is `max(grade, .c)`.
public enum Grade: String, Sendable, Codable, CaseIterable, Comparable {
    case a = "A", b = "B", c = "C", d = "D"

    public var label: String {
        switch self {
        case .a: "A级（诚信）"
        case .b: "B级（较好）"
        case .c: "C级（关注）"
        case .d: "D级（失信）"
        }
    }

    public static func < (x: Grade, y: Grade) -> Bool {
        allCases.firstIndex(of: x)! < allCases.firstIndex(of: y)!
    }
}

/// An evaluation model (评价模型), a versioned data file like the catalogue: a base score, signed points per
/// kind of record that fade with age and are capped per rule, weights per profile section, grade
/// thresholds and vetoes. `compile(for:)` checks it against a catalogue and lists every defect at once.
public struct EvaluationModel: Sendable, Codable, Equatable {
    public var version: Int
    public var effectiveFrom: CivilDate
    public var note: String?
    /// Where every subject starts, on the 0–100 scale.
    public var baseScore: Double
    public var sections: [Section]
    public var rules: [Rule]
    public var thresholds: [Threshold]
    public var vetoes: [Veto]

    /// A weight for a group of records. A section's effective weight is its own times its parents', so a
    /// city can weigh all negative sections at once; `code` is a profile section or a group's own name.
    public struct Section: Sendable, Codable, Equatable {
        public var code: String
        public var name: String
        public var weight: Double
        public var parent: String?
    }

    /// Points for each counted record that matches: by record type (and tier), or by polarity alone as the
    /// fallback for types without a rule of their own. The most specific match wins.
    public struct Rule: Sendable, Codable, Equatable {
        public var id: String
        public var name: String
        public var recordType: String?
        public var tier: Tier?
        public var polarity: Polarity?
        /// Signed: negative for negative records, positive for positive ones.
        public var points: Double
        /// The most this rule adds or takes away in total, however many records match.
        public var cap: Double
        public var decay: Decay
    }

    /// How a record's weight fades with the months since its decision.
    public struct Decay: Sendable, Codable, Equatable {
        public enum Kind: String, Sendable, Codable { case none, linear, halfLife }
        public var kind: Kind
        /// linear: weight reaches 0 after this many months; halfLife: halves every this many months.
        public var months: Double?
    }

    public struct Threshold: Sendable, Codable, Equatable {
        public var grade: Grade
        /// The lowest score with this grade (inclusive).
        public var minimum: Double
    }

    /// A grade no score can lift a subject above, while a counted record puts it on `list` or is of `recordType`.
    public struct Veto: Sendable, Codable, Equatable {
        public var id: String
        public var name: String
        public var list: CreditList?
        public var recordType: String?
        public var atMost: Grade
    }

    /// The model shipped with the platform (`Resources/evaluation-model.json`).
    public static let shipped: EvaluationModel = {
        do {
            return try JSONDecoder().decode(EvaluationModel.self, from: ShippedData.data("evaluation-model", ext: "json"))
        } catch {
            preconditionFailure("evaluation-model.json does not decode: \(error)")
        }
    }()

    /// Reads a model file, naming what does not decode (a missing or mistyped key) as a defect.
    public static func decode(_ data: Data) throws(EvaluationModelDefects) -> EvaluationModel {
        do {
            return try JSONDecoder().decode(EvaluationModel.self, from: data)
        } catch let DecodingError.keyNotFound(key, context) {
            throw EvaluationModelDefects(["missing key \(path(context.codingPath + [key]))"])
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context) {
            throw EvaluationModelDefects(["\(path(context.codingPath)): \(context.debugDescription)"])
        } catch let DecodingError.dataCorrupted(context) {
            throw EvaluationModelDefects(["\(path(context.codingPath)): \(context.debugDescription)"])
        } catch {
            throw EvaluationModelDefects(["the file is not a JSON evaluation model: \(error)"])
        }
    }

    private static func path(_ keys: [any CodingKey]) -> String {
        keys.isEmpty ? "the file" : keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(in: ["."])
    }
}

/// Everything wrong with a model file, so that the office fixes it in one pass.
public struct EvaluationModelDefects: Error, Equatable, CustomStringConvertible {
    public let defects: [String]
    public init(_ defects: [String]) { self.defects = defects }
    public var description: String { "the evaluation model has \(defects.count) defect(s):\n- " + defects.joined(separator: "\n- ") }
}
