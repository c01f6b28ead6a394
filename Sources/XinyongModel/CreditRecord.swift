import Crypto
import Foundation

/// One fact about one subject from one source department (信用记录).
public struct CreditRecord: Sendable, Codable, Equatable {
    public enum Status: String, Sendable, Codable, CaseIterable {
        /// In force; public while today is within its publicity window.
        case active
        /// Publicity ended early after credit repair.
        case repaired
        /// Withdrawn by the source department or after an upheld objection.
        case withdrawn
        /// Would put its subject on a list whose type needs a notice first (告知): not public, on no list,
        /// until the statement period ends or the statement is decided (`Notice`).
        case pendingNotice = "pending_notice"
    }

    public var id: String
    public var subjectID: String
    public var recordType: String
    public var catalogVersion: Int
    public var departmentID: String
    public var regionCode: String
    /// The department's document number; with department and type, the record's natural key.
    public var documentNumber: String
    public var tier: Tier?
    public var decisionDate: CivilDate
    public var legalBasis: String
    public var schedule: PublicitySchedule
    public var status: Status
    /// The subject's code as the department sent it failed a check character (kept, flagged).
    public var codeCheckFailed: Bool
    /// The type's other fields, by field code.
    public var fields: [String: String]
    public var version: Int

    public init(
        id: String, subjectID: String, recordType: String, catalogVersion: Int, departmentID: String, regionCode: String,
        documentNumber: String, tier: Tier?, decisionDate: CivilDate, legalBasis: String, schedule: PublicitySchedule,
        status: Status = .active, codeCheckFailed: Bool = false, fields: [String: String] = [:], version: Int = 1
    ) {
        self.id = id
        self.subjectID = subjectID
        self.recordType = recordType
        self.catalogVersion = catalogVersion
        self.departmentID = departmentID
        self.regionCode = regionCode
        self.documentNumber = documentNumber
        self.tier = tier
        self.decisionDate = decisionDate
        self.legalBasis = legalBasis
        self.schedule = schedule
        self.status = status
        self.codeCheckFailed = codeCheckFailed
        self.fields = fields
        self.version = version
    }

    /// A digest of what the department said: resubmitting the same content is recognised as no change.
    public var contentDigest: String {
        var canonical = [subjectID, recordType, regionCode, documentNumber, tier?.rawValue ?? "", decisionDate.description, legalBasis]
        canonical += fields.sorted { $0.key < $1.key }.flatMap { [$0.key, $0.value] }
        let joined = canonical.joined(separator: "\u{1F}")
        return SHA256.hash(data: Data(joined.utf8)).hexEncoded
    }

    /// Whether the public sees this record on `date`.
    public func isPublic(on date: CivilDate) -> Bool {
        status == .active && schedule.isPublic(on: date)
    }
}

/// When a record is public, when it may be repaired, and when the department should have sent it.
public struct PublicitySchedule: Sendable, Codable, Equatable {
    /// Nil when the record is not published at all (e.g. a minor penalty).
    public var start: CivilDate?
    /// First day the record is no longer public. Every published record has one.
    public var end: CivilDate?
    /// Earliest day a repair may be applied for; nil where the type has no repair (positive records).
    public var repairEligibleFrom: CivilDate?
    /// Last working day for the department to submit it (timeliness).
    public var submissionDue: CivilDate

    public init(start: CivilDate?, end: CivilDate?, repairEligibleFrom: CivilDate?, submissionDue: CivilDate) {
        self.start = start
        self.end = end
        self.repairEligibleFrom = repairEligibleFrom
        self.submissionDue = submissionDue
    }

    public func isPublic(on date: CivilDate) -> Bool {
        guard let start, let end else { return false }
        return start <= date && date < end
    }
}

public enum ScheduleError: Error, Equatable, CustomStringConvertible {
    case tierRequired(recordType: String)
    case tierNotAllowed(Tier, recordType: String)
    case tierMissingFromCatalog(Tier)
    case missingDate(field: String)
    case endBeforeStart(field: String)

    public var description: String {
        switch self {
        case .tierRequired(let type): "a tier (minor, general or serious) is required for \(type)"
        case let .tierNotAllowed(tier, type): "tier \(tier.rawValue) is not allowed for \(type)"
        case .tierMissingFromCatalog(let tier): "the catalogue defines no period for tier \(tier.rawValue)"
        case .missingDate(let field): "field \(field) must be a date YYYY-MM-DD"
        case .endBeforeStart(let field): "\(field) is not after the decision date"
        }
    }
}

extension Catalog {
    /// Computes a record's schedule from this catalogue version and the working-day calendar.
    public func schedule(
        for type: RecordType, tier: Tier?, decisionDate: CivilDate, fields: [String: String],
        calendar: WorkingDayCalendar
    ) throws(ScheduleError) -> PublicitySchedule {
        let due = calendar.adding(workingDays: deadlines.submitWithinWorkingDays, to: decisionDate)
        let rule = type.period
        switch rule.basis {
        case .tier:
            guard let tier else { throw .tierRequired(recordType: type.code) }
            guard type.permittedTiers.contains(tier) else { throw .tierNotAllowed(tier, recordType: type.code) }
            guard let period = tierPeriods[tier] else { throw .tierMissingFromCatalog(tier) }
            let end = decisionDate.adding(months: period.maximumMonths)
            return PublicitySchedule(
                start: period.published ? decisionDate : nil, end: period.published ? end : nil,
                repairEligibleFrom: period.minimumMonths.map { decisionDate.adding(months: $0) }, submissionDue: due)
        case .fixed:
            let end = decisionDate.adding(months: rule.months ?? 0)
            return PublicitySchedule(
                start: decisionDate, end: end,
                repairEligibleFrom: repairStart(type, rule: rule, decisionDate: decisionDate), submissionDue: due)
        case .fields:
            // The start field defaults to the decision date when the row does not carry it separately.
            var start = decisionDate
            if let field = rule.startField, let text = fields[field], !text.isEmpty {
                guard let date = CivilDate(text) else { throw .missingDate(field: field) }
                start = date
            }
            var end: CivilDate
            if let field = rule.endField, let text = fields[field], !text.isEmpty {
                guard let date = CivilDate(text) else { throw .missingDate(field: field) }
                end = date
            } else if let months = rule.fallbackMonths {
                end = start.adding(months: months)
            } else {
                throw .missingDate(field: rule.endField ?? "end")
            }
            guard end > start else { throw .endBeforeStart(field: rule.endField ?? "end") }
            return PublicitySchedule(
                start: start, end: end, repairEligibleFrom: repairStart(type, rule: rule, decisionDate: decisionDate),
                submissionDue: due)
        }
    }

    /// Negative records always have a repair path; positive and neutral ones need none.
    private func repairStart(_ type: RecordType, rule: PeriodRule, decisionDate: CivilDate) -> CivilDate? {
        guard type.polarity == .negative else { return nil }
        return decisionDate.adding(months: rule.repairAfterMonths ?? 0)
    }
}
