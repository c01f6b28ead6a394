/// Honesty culture (诚信文化): what the credit office writes for the public — typical cases, news and
/// policies — in Markdown. A typical case names the records and lists it is about; those links are ids and
/// list codes, checked when the case is written, so that the case page can point to the facts.
public struct Article: Sendable, Equatable {
    /// Where an article appears; the raw value is the public path (`/cases`, `/news`, `/policies`).
    public enum Section: String, Sendable, CaseIterable {
        case cases, news, policies

        public var label: String {
            switch self {
            case .cases: "典型案例"
            case .news: "信用动态"
            case .policies: "政策法规"
            }
        }
    }

    /// A typical case is an example of keeping faith (守信) or of breaking it (失信).
    public enum Verdict: String, Sendable, CaseIterable {
        case good, bad

        public var label: String {
            switch self {
            case .good: "守信典型"
            case .bad: "失信典型"
            }
        }
    }

    /// Drafts and withdrawn articles are seen by the office only; the public sees published ones.
    public enum State: String, Sendable, CaseIterable {
        case draft, published, withdrawn

        public var label: String {
            switch self {
            case .draft: "草稿"
            case .published: "已发布"
            case .withdrawn: "已撤回"
            }
        }
    }

    /// The limits a written article must keep (characters); the service refuses anything beyond them.
    public enum Limits {
        public static let title = 80
        public static let summary = 200
        public static let body = 20_000
        public static let links = 20
    }

    public var id: String
    public var section: Section
    /// Cases only: good or bad.
    public var verdict: Verdict?
    public var title: String
    public var summary: String
    /// Markdown, rendered and sanitised when shown.
    public var body: String
    /// Cases: the credit records the case is about.
    public var recordIDs: [String]
    /// Cases: the lists the case is about.
    public var lists: [CreditList]
    public var state: State
    /// Who wrote it last (the audit trail's name of the caller).
    public var author: String
    /// UTC instants (`Timestamp`); `publishedAt` is when it was first published.
    public var createdAt: String
    public var updatedAt: String
    public var publishedAt: String?

    /// Where the public reads it.
    public var path: String { "/\(section.rawValue)/\(id)" }

    public init(id: String, section: Section, verdict: Verdict?, title: String, summary: String, body: String, recordIDs: [String],
                lists: [CreditList], state: State, author: String, createdAt: String, updatedAt: String, publishedAt: String?) {
        (self.id, self.section, self.verdict, self.title, self.summary, self.body) = (id, section, verdict, title, summary, body)
        (self.recordIDs, self.lists, self.state, self.author) = (recordIDs, lists, state, author)
        (self.createdAt, self.updatedAt, self.publishedAt) = (createdAt, updatedAt, publishedAt)
    }
}
