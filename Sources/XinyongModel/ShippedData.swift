import Foundation

/// Reads the data files bundled with this module (regions, holidays, the default catalogue).
enum ShippedData {
    static func text(_ name: String, ext: String) -> String {
        guard let url = Bundle.module.url(forResource: name, withExtension: ext, subdirectory: "Resources"),
            let text = try? String(contentsOf: url, encoding: .utf8)
        else { preconditionFailure("shipped data file \(name).\(ext) is missing from the bundle") }
        return text
    }

    static func data(_ name: String, ext: String) -> Data { Data(text(name, ext: ext).utf8) }

    /// Rows of a shipped CSV file without its header. These files never quote fields.
    static func csvRows(_ name: String) -> [[String]] {
        text(name, ext: "csv").split(whereSeparator: \.isNewline).dropFirst()
            .map { $0.split(separator: ",", omittingEmptySubsequences: false).map(String.init) }
    }
}
