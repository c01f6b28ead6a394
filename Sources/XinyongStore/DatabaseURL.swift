import Foundation

/// Where the data lives, parsed from `DATABASE_URL`: `sqlite:PATH` (a file, created if missing) or
/// `postgres://user:password@host:port/database`.
public enum DatabaseURL: Sendable, Equatable, CustomStringConvertible {
    case sqlite(path: String)
    case postgres(url: String)

    public static let defaultValue = "sqlite:data/xinyong.sqlite"

    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    public init(_ text: String) throws(Invalid) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("sqlite:") {
            var path = String(trimmed.dropFirst("sqlite:".count))
            if path.hasPrefix("//") { path = String(path.dropFirst(2)) }
            guard !path.isEmpty else { throw Invalid(description: "DATABASE_URL '\(text)' names no file after 'sqlite:'") }
            self = .sqlite(path: path)
        } else if trimmed.hasPrefix("postgres://") || trimmed.hasPrefix("postgresql://") {
            guard let url = URL(string: trimmed), let host = url.host, !host.isEmpty else {
                throw Invalid(description: "DATABASE_URL '\(Self.redacted(text))' is not a valid postgres:// URL (postgres://user:password@host:port/database)")
            }
            guard url.path.count > 1 else {
                throw Invalid(description: "DATABASE_URL '\(Self.redacted(text))' names no database (…/DATABASE at the end)")
            }
            self = .postgres(url: trimmed)
        } else {
            throw Invalid(description: "DATABASE_URL '\(Self.redacted(text))' must start with sqlite: or postgres://")
        }
    }

    public var isPostgres: Bool { if case .postgres = self { true } else { false } }

    /// The URL with any password hidden, for logs and error messages.
    public var description: String {
        switch self {
        case .sqlite(let path): "sqlite:\(path)"
        case .postgres(let url): Self.redacted(url)
        }
    }

    static func redacted(_ text: String) -> String {
        guard var components = URLComponents(string: text), components.password != nil else { return text }
        components.password = "***"
        return components.string ?? text
    }
}
