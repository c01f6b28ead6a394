import Foundation
import Hummingbird
import XinyongModel
import XinyongPublication
import XinyongStore

/// Business associations' public pages: what each says of its members, labelled as the association's own
/// self-regulation, and how the government's grades of its rated members fall.
struct AssociationRoutes {
    let platform: Platform
    let directory: AssociationDirectory

    func register(on edge: Edge) {
        edge.get("/associations", .open, use: listPage)
        edge.get("/associations/{id}", .open, use: associationPage)
    }

    struct Line {
        let href, name, members, honours, sanctions: String
        let levels: [Cell]
        let grades: [Cell]
    }

    struct Cell { let label, count: String }

    static func line(_ s: AssociationDirectory.Summary) -> Line {
        Line(href: "/associations/\(s.association.id)", name: s.association.name, members: s.members.grouped,
             honours: s.honours.grouped, sanctions: s.sanctions.grouped,
             levels: s.levels.map { Cell(label: $0.level, count: $0.members.grouped) },
             grades: s.grades.map { Cell(label: "\($0.grade.rawValue)级", count: $0.members.grouped) })
    }

    struct ListView {
        let title = "行业协会商会 · 信用郴州"
        let lines: [Line]
    }

    @Sendable func listPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        try platform.html("associations", context: context, ListView(lines: try await directory.all().map(Self.line)))
    }

    struct PageView {
        struct Entry { let recordHref, documentNumber, type, detail, date, subject, subjectHref: String }
        let title: String
        let line: Line
        let entries: [Entry]
        let asOf: String
    }

    @Sendable func associationPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        guard let association = try await platform.store.repositories.departments.find(id), association.isAssociation else {
            return try platform.message("未找到该行业协会商会", detail: "平台上没有编号为该值的行业协会商会。", input: id, context: context, status: .notFound)
        }
        let (summary, entries) = try await directory.summary(of: association)
        let typeNames = Dictionary(uniqueKeysWithValues: (platform.currentCatalog?.recordTypes ?? []).map { ($0.code, $0.name) })
        return try platform.html("association", context: context, PageView(
            title: "\(association.name) · 行业协会商会", line: Self.line(summary),
            entries: entries.prefix(200).map { e in
                .init(recordHref: "/records/\(e.recordID)", documentNumber: e.documentNumber, type: typeNames[e.type] ?? e.type,
                      detail: e.detail, date: e.decisionDate, subject: e.subjectName,
                      subjectHref: e.subjectCode.map { "/subjects/\($0)" } ?? "")
            },
            asOf: CivilDate.today().description))
    }
}
