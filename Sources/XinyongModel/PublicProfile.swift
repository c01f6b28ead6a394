/// What the public may see of a subject on a given day: its identity and its currently public records,
/// grouped by profile section and record type.
public struct PublicProfile: Sendable {
    public struct TypeGroup: Sendable {
        public let type: RecordType
        public let records: [CreditRecord]
    }

    public struct Section: Sendable {
        public let section: ProfileSection
        public let groups: [TypeGroup]
    }

    public let subject: Subject
    public let asOf: CivilDate
    public let sections: [Section]

    /// Applies the publicity rules of `publicView(of:type:subject:on:)` to every record.
    public init(subject: Subject, records: [CreditRecord], catalog: (Int) -> Catalog?, on date: CivilDate) {
        self.subject = subject
        self.asOf = date
        var byType: [String: (RecordType, [CreditRecord])] = [:]
        for record in records {
            guard let type = catalog(record.catalogVersion)?.recordType(record.recordType),
                let shown = Self.publicView(of: record, type: type, subject: subject, on: date)
            else { continue }
            byType[type.code, default: (type, [])].1.append(shown)
        }
        sections = ProfileSection.allCases.compactMap { section in
            let groups = byType.values.filter { $0.0.section == section }
                .sorted { $0.0.code < $1.0.code }
                .map { TypeGroup(type: $0.0, records: $0.1.sorted { ($0.decisionDate, $0.id) > ($1.decisionDate, $1.id) }) }
            return groups.isEmpty ? nil : Section(section: section, groups: groups)
        }
    }

    /// The record as the public may see it on `date`, or nil if they may not: a record shows while it
    /// is active and inside its window, its type is public, and, for a natural person, only where the type
    /// publishes natural persons. Personal fields (a legal representative's name) and a person's own name
    /// are masked.
    public static func publicView(of record: CreditRecord, type: RecordType, subject: Subject, on date: CivilDate) -> CreditRecord? {
        guard record.isPublic(on: date), type.publicity == .public,
            subject.kind != .naturalPerson || type.publishesNaturalPersons
        else { return nil }
        var shown = record
        for field in type.fields where field.personal == true {
            if let value = shown.fields[field.code] { shown.fields[field.code] = maskedPersonName(value) }
        }
        if subject.kind == .naturalPerson { shown.fields["subject_name"] = subject.displayName }
        return shown
    }

    public var recordCount: Int { sections.reduce(0) { $0 + $1.groups.reduce(0) { $0 + $1.records.count } } }
}
