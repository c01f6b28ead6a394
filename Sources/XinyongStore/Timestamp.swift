import Foundation

/// Instants are stored as ISO 8601 UTC text with milliseconds (`2026-11-21T10:30:00.123Z`), the same on
/// both databases and sortable as text.
public enum Timestamp {
    public static func now() -> String { format(Date()) }

    public static func format(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}

extension Timestamp {
    /// The stored text back as an instant; nil for text that is not one.
    public static func parse(_ text: String) -> Date? {
        try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
