import Foundation
import Testing

/// What every page template must hold, read from the templates themselves.
@Suite struct TemplateTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("../../Sources/XinyongWeb/Resources/templates").standardized

    /// Pages whose forms are posted without a session: logging in, and checking a report's signature.
    static let sessionless: Set<String> = ["login.mustache", "verify.mustache"]

    /// A form posted by a logged-in user is refused without the session's CSRF token, and the token is put
    /// in through the `csrf` partial only (a page whose form lacks it fails only when someone posts it).
    @Test func everyPostedFormCarriesTheCSRFPartial() throws {
        let names = try FileManager.default.contentsOfDirectory(atPath: Self.directory.path).filter { $0.hasSuffix(".mustache") }
        #expect(names.count > 40, "the templates were found")
        for name in names.sorted() where !Self.sessionless.contains(name) {
            let text = try String(contentsOf: Self.directory.appendingPathComponent(name), encoding: .utf8)
            let forms = text.components(separatedBy: "<form").dropFirst().map { $0.prefix { $0 != ">" } }
            let posted = forms.filter { $0.contains("method=\"post\"") }.count
            let partials = text.components(separatedBy: "{{> csrf}}").count - 1
            #expect(partials >= posted, "\(name): \(posted) posted forms, \(partials) CSRF partials")
        }
    }
}
