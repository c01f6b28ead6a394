import Foundation
import Crypto
import XinyongModel
import XinyongStore

/// One submitted row, by catalogue field code, before validation.
public struct InputRow: Sendable {
    public let number: Int
    public var values: [String: String]
    /// Problems found while reading the row (encoding, size, CSV structure); the row is rejected.
    public var readErrors: [BatchIssue.Draft] = []
    /// Problems that do not reject the row (an unknown key), reported with it.
    public var readWarnings: [BatchIssue.Draft] = []

    public init(number: Int, values: [String: String], readErrors: [BatchIssue.Draft] = []) {
        self.number = number
        self.values = values
        self.readErrors = readErrors
    }
}

extension BatchIssue {
    /// An issue before it knows its row: what the validator produces.
    public struct Draft: Error, Sendable, Equatable {
        public let severity: BatchIssue.Severity
        public let field: String?
        public let value: String?
        public let reason: String

        static func error(_ field: String?, _ value: String?, _ reason: String) -> Draft {
            Draft(severity: .error, field: field, value: value, reason: reason)
        }

        static func warning(_ field: String?, _ value: String?, _ reason: String) -> Draft {
            Draft(severity: .warning, field: field, value: value, reason: reason)
        }

        func masked(_ mask: (String) -> String) -> Draft {
            Draft(severity: severity, field: field, value: value.map(mask), reason: reason)
        }

        func at(row: Int) -> BatchIssue { BatchIssue(row: row, severity: severity, field: field, value: value, reason: reason) }
    }
}

extension String {
    /// Without surrounding whitespace; cheap when there is none, which is nearly always.
    var trimmed: String {
        guard let first = first, let last = last, first.isWhitespace || last.isWhitespace else { return self }
        return trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// Why a row was not accepted: every problem found in it.
public struct RowRejected: Error, Sendable { public let issues: [BatchIssue.Draft] }

/// Who a row is about, as the department identified them.
public enum SubjectReference: Sendable, Equatable {
    case organisation(SocialCreditCode, checkFailed: Bool)
    case legacy(LegacyRegistrationNumber)
    case person(ResidentIdentityNumber)
}

/// A row that passed validation: the record to store and the subject it is about.
public struct ValidRow: Sendable {
    public let number: Int
    public var record: CreditRecord
    public let subject: Subject
    public let warnings: [BatchIssue.Draft]
    /// The record's content as stored, encoded by the import while it validates.
    public var content: EncodedContent? = nil
}

/// Checks one row against the catalogue version in force. Pure: the store-dependent checks (does the
/// subject exist, when was it registered) are made by the importer.
public struct RowValidator: Sendable {
    public let department: Department
    public let type: RecordType
    public let catalog: Catalog
    public let calendar: WorkingDayCalendar
    public let regions: RegionDirectory
    public let personKey: SymmetricKey
    public let today: CivilDate

    /// Longest value accepted in one field: far above any real document text, far below what hurts.
    public static let maxFieldLength = 4_000

    public func validate(_ row: InputRow) -> Result<ValidRow, RowRejected> {
        var errors = row.readErrors
        var warnings = row.readWarnings
        var fields: [String: String] = [:]
        for spec in type.fields {
            let raw = (row.values[spec.code] ?? "").trimmed
            if raw.isEmpty {
                if spec.required { errors.append(.error(spec.code, nil, "\(spec.label) (\(spec.code)) is required and is empty")) }
                continue
            }
            // Counting characters walks the whole text; no text has more characters than UTF-8 bytes.
            if raw.utf8.count > Self.maxFieldLength, raw.count > Self.maxFieldLength {
                errors.append(.error(spec.code, String(raw.prefix(40)) + "…", "\(spec.label) is \(raw.count) characters long; at most \(Self.maxFieldLength) are accepted"))
                continue
            }
            switch checkValue(raw, spec: spec) {
            case .success(let value): fields[spec.code] = value
            case .failure(let issue): errors.append(spec.personal == true ? issue.masked(maskedPersonName) : issue)
            }
        }
        let subject = subjectReference(fields["subject_code"], errors: &errors, warnings: &warnings)
        let decided = fields["decision_date"].flatMap { CivilDate($0) }
        if let decided, decided > today {
            errors.append(.error("decision_date", decided.description, "the decision date \(decided) is in the future (today is \(today))"))
        }
        let tier = fields["tier"].flatMap { Tier(rawValue: $0) } ?? derivedTier(fields, subject: subject, warnings: &warnings)
        if let subject { checkSubjectKind(fields["subject_kind"], against: subject, warnings: &warnings) }
        let region = regionCode(row.values["region_code"], errors: &errors)
        guard errors.isEmpty, let subject, let decided, let document = fields["document_no"], let basis = fields["legal_basis"] else {
            return .failure(RowRejected(issues: errors))
        }
        let schedule: PublicitySchedule
        do {
            schedule = try catalog.schedule(for: type, tier: tier, decisionDate: decided, fields: fields, calendar: calendar)
        } catch {
            let field = switch error {
            case .tierRequired, .tierNotAllowed, .tierMissingFromCatalog: "tier"
            case .missingDate(let f), .endBeforeStart(let f): f
            }
            return .failure(RowRejected(issues: [.error(field, fields[field], error.description)]))
        }
        let subjectRecord = makeSubject(subject, fields: fields, region: region)
        if case .person(let number) = subject { fields["subject_code"] = number.masked }
        for key in ["document_no", "decision_date", "legal_basis", "tier"] { fields.removeValue(forKey: key) }
        let record = CreditRecord(
            id: "", subjectID: subjectRecord.id, recordType: type.code, catalogVersion: catalog.version,
            departmentID: department.id, regionCode: region, documentNumber: document, tier: tier, decisionDate: decided,
            legalBasis: basis, schedule: schedule, codeCheckFailed: subjectRecord.codeCheckFailed, fields: fields)
        return .success(ValidRow(number: row.number, record: record, subject: subjectRecord, warnings: warnings))
    }

    /// The tier of a row sent without one, by the type's catalogue rule (the national double-publicity format
    /// has no 失信程度 column); the batch report names every row whose tier was derived.
    private func derivedTier(_ fields: [String: String], subject: SubjectReference?, warnings: inout [BatchIssue.Draft]) -> Tier? {
        guard fields["tier"] == nil, let rule = type.tierWhenAbsent else { return nil }
        let person = if case .person = subject { true } else { false }
        let tier = rule.tier(for: fields, person: person)
        warnings.append(.warning("tier", nil, "失信程度 not sent: derived as \(tier.rawValue) by the catalogue rule (\(rule.basis)); send the column to set it"))
        return tier
    }

    /// A resident id number where 行政相对人类别 says organisation, or a unified code where it says natural
    /// person: kept as the code says, with a warning naming both.
    private func checkSubjectKind(_ kind: String?, against subject: SubjectReference, warnings: inout [BatchIssue.Draft]) {
        guard let kind, !kind.isEmpty else { return }
        let saysPerson = kind.contains("自然人")
        let saysOrganisation = kind.contains("法人") || kind.contains("组织") || kind.contains("个体工商户")
        switch subject {
        case .person where saysOrganisation && !saysPerson:
            warnings.append(.warning("subject_kind", kind, "行政相对人类别 says '\(kind)' but the code is a resident id number; stored as a natural person"))
        case .organisation where saysPerson && !saysOrganisation, .legacy where saysPerson && !saysOrganisation:
            warnings.append(.warning("subject_kind", kind, "行政相对人类别 says '\(kind)' but the code is an organisation's; stored as an organisation"))
        default:
            break
        }
    }

    /// Normalises a value to its stored form, or says what is wrong with it.
    private func checkValue(_ raw: String, spec: FieldSpec) -> Result<String, BatchIssue.Draft> {
        switch spec.type {
        case .date:
            guard let date = Self.parseDate(raw) else {
                return .failure(.error(spec.code, raw, "\(spec.label) '\(raw)' is not a date; write it as YYYY-MM-DD"))
            }
            return .success(date.description)
        case .decimal:
            // Thousands separators go; most amounts have none, and Foundation's replacing is not free.
            let plain = raw.utf8.contains(UInt8(ascii: ",")) ? raw.replacingOccurrences(of: ",", with: "") : raw
            guard let number = Double(plain), number.isFinite, number >= 0 else {
                return .failure(.error(spec.code, raw, "\(spec.label) '\(raw)' is not a non-negative number"))
            }
            return .success(plain)
        case .code where spec.code != "subject_code":
            if case .invalid(let reason) = SocialCreditCode.verify(raw) {
                return .failure(.error(spec.code, raw, "\(spec.label): \(reason)"))
            }
            return .success(SocialCreditCode.normalize(raw))
        case .code, .text:
            guard let allowed = spec.values else { return .success(raw) }
            let value = spec.code == "tier" ? (Self.tierLabels[raw] ?? raw) : raw
            guard allowed.contains(value) else {
                return .failure(.error(spec.code, raw, "\(spec.label) '\(raw)' is not one of: \(allowed.joined(separator: ", "))"))
            }
            return .success(value)
        }
    }

    static let tierLabels = ["轻微": "minor", "一般": "general", "严重": "serious", "较重": "general"]

    private func subjectReference(_ raw: String?, errors: inout [BatchIssue.Draft], warnings: inout [BatchIssue.Draft]) -> SubjectReference? {
        guard let raw else { return nil }
        if let legacy = LegacyRegistrationNumber(raw) { return .legacy(legacy) }
        if let person = ResidentIdentityNumber(raw) { return .person(person) }
        switch SocialCreditCode.verify(raw) {
        case .valid(let code): return .organisation(code, checkFailed: false)
        case .checkFailed(let code, let failures):
            warnings.append(.warning("subject_code", raw, "accepted with a flag: \(failures.map(\.description).joined(separator: "; ")); please confirm the code with the subject"))
            return .organisation(code, checkFailed: true)
        case .invalid(let reason):
            errors.append(.error("subject_code", Self.maskIfPersonalNumber(raw), "not a unified social credit code: \(reason)"))
            return nil
        }
    }

    /// The region a record belongs to: the department's own unless the row names one within it.
    private func regionCode(_ raw: String?, errors: inout [BatchIssue.Draft]) -> String {
        guard let raw = raw?.trimmingCharacters(in: .whitespaces), !raw.isEmpty else { return department.regionCode }
        guard regions[raw] != nil else {
            errors.append(.error("region_code", raw, "'\(raw)' is not a GB/T 2260 region code"))
            return department.regionCode
        }
        guard regions.isWithin(raw, department.regionCode) else {
            errors.append(.error("region_code", raw, "\(department.name) may only submit records for \(regions[department.regionCode]?.name ?? department.regionCode) and the areas below it"))
            return department.regionCode
        }
        return raw
    }

    private func makeSubject(_ reference: SubjectReference, fields: [String: String], region: String) -> Subject {
        let name = fields["subject_name"] ?? ""
        switch reference {
        case .organisation(let code, let checkFailed):
            let codeRegion = regions.nearest(code.regionCode).map(\.code) ?? region
            return Subject.organisation(code: code, checkFailed: checkFailed, name: name, regionCode: codeRegion,
                                        legalRepresentative: fields["legal_representative"])
        case .legacy(let number):
            return Subject(id: "R" + number.value, kind: .enterprise, name: name, legacyRegistrationNumber: number,
                           regionCode: regions.nearest(number.regionCode).map(\.code) ?? region)
        case .person(let number):
            return Subject.person(PersonIdentity(number, key: personKey), name: name, regionCode: region)
        }
    }

    /// An 18-character all-digit value in an issue is likely a mistyped personal id: show only its ends.
    static func maskIfPersonalNumber(_ raw: String) -> String {
        let text = SocialCreditCode.normalize(raw)
        guard text.count == 18, text.dropLast().allSatisfy(\.isNumber) else { return raw }
        return String(text.prefix(4)) + String(repeating: "*", count: 10) + String(text.suffix(4))
    }

    /// Dates as departments write them: 2025-03-10, 2025/3/10, 2025.03.10, 20250310, 2025年3月10日.
    static func parseDate(_ raw: String) -> CivilDate? {
        if let iso = CivilDate(raw) { return iso }
        let text = SocialCreditCode.normalize(raw)
        if let date = CivilDate(compactDigits: text) { return date }
        let parts = text.replacingOccurrences(of: "日", with: "")
            .split(whereSeparator: { "-/.年月".contains($0) }).map(String.init)
        guard parts.count == 3, parts[0].count == 4, let y = Int(parts[0]), let m = Int(parts[1]), let d = Int(parts[2]),
            parts[1].count <= 2, parts[2].count <= 2
        else { return nil }
        return CivilDate(year: y, month: m, day: d)
    }
}

