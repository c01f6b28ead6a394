import Foundation
import XinyongModel
import XinyongStore

/// Business associations (行业协会商会) as the public sees them: who they rated and how, their honours and
/// sanctions, and how the government's grades of their rated members fall. An association's members are
/// the subjects its self-regulation rating is in force for.
public struct AssociationDirectory: Sendable {
    let store: Store

    public init(store: Store) { self.store = store }

    public struct Summary: Sendable {
        public let association: Department
        public let members: Int
        /// Rating level → members with it, in the catalogue's order of levels.
        public let levels: [(level: String, members: Int)]
        public let honours: Int
        public let sanctions: Int
        /// Government grade (A–D) → rated members with it; ungraded members are left out.
        public let grades: [(grade: Grade, members: Int)]
    }

    /// A record as the association page lists it.
    public struct Entry: Sendable {
        public let recordID, type, documentNumber, decisionDate, subjectName: String
        public let subjectCode: String?
        /// The rating level, honour or measure.
        public let detail: String
    }

    public static let ratingType = "association_rating"
    static let levelOrder = ["AAA", "AA", "A", "B", "C"]

    public func all(on day: CivilDate = .today()) async throws -> [Summary] {
        var summaries: [Summary] = []
        for association in try await store.repositories.departments.all() where association.isAssociation {
            summaries.append(try await summary(of: association, on: day).summary)
        }
        return summaries
    }

    /// The association's figures and its records in force, newest first.
    public func summary(of association: Department, on day: CivilDate = .today()) async throws -> (summary: Summary, entries: [Entry]) {
        let records = try await store.repositories.associations.published(by: association.id, on: day)
        let entries = records.map(Self.entry)
        // A member rated twice counts once, at its newest rating (records come newest first).
        var levelOf: [String: String] = [:]
        for (record, entry) in zip(records, entries) where record.record_type == Self.ratingType && levelOf[record.subject_id] == nil {
            levelOf[record.subject_id] = entry.detail
        }
        let grades = try await store.repositories.evaluations.grades(of: Array(levelOf.keys))
        let summary = Summary(
            association: association, members: levelOf.count,
            levels: Self.levelOrder.map { level in (level, levelOf.values.count { $0 == level }) },
            honours: records.count { $0.record_type == "association_honour" },
            sanctions: records.count { $0.record_type == "association_warning" },
            grades: Grade.allCases.map { grade in (grade, grades.values.count { $0 == grade }) })
        return (summary, entries)
    }

    static func entry(_ r: AssociationRepository.PublishedRecord) -> Entry {
        let fields = (try? JSONDecoder().decode([String: String].self, from: Data(r.fields.utf8))) ?? [:]
        let detail = fields["rating_level"] ?? fields["honour_name"] ?? fields["measure"] ?? ""
        return Entry(recordID: r.id, type: r.record_type, documentNumber: r.document_no, decisionDate: r.decision_date,
                     subjectName: r.subject_name, subjectCode: r.subject_code, detail: detail)
    }
}
