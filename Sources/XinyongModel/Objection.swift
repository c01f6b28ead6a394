/// A dispute of a record's content, period or a repair result (异议). While it is open the record is
/// shown with an "under objection" flag. The office's handling of it belongs to the due-process service.
public struct Objection: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable, CaseIterable {
        case submitted
        case underReview = "under_review"
        case upheld
        case rejected
        case unverifiable

        /// Submitted or under review: the record carries the flag.
        public var isOpen: Bool { self == .submitted || self == .underReview }
    }

    public var id: String
    public var subjectID: String
    public var recordID: String
    public var ground: String
    public var status: Status
    public var filedOn: CivilDate
    /// The catalogue's objection deadline counted from filing.
    public var dueOn: CivilDate

    public init(id: String, subjectID: String, recordID: String, ground: String, status: Status = .submitted,
                filedOn: CivilDate, deadlineDays: Int) {
        self.id = id
        self.subjectID = subjectID
        self.recordID = recordID
        self.ground = ground
        self.status = status
        self.filedOn = filedOn
        self.dueOn = filedOn.adding(days: deadlineDays)
    }
}
