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
