import XinyongModel

/// Makes a subject's three years of records, with plausible documents, departments and fields.
struct RecordBuilder {
    let generator: DemoGenerator
    let departments: [String: Department]
    /// Next document sequence per (department, type, year), so that every document number is unique.
    private var sequences: [String: Int] = [:]

    init(generator: DemoGenerator, departments: [Department]) {
        self.generator = generator
        self.departments = Dictionary(uniqueKeysWithValues: departments.map { ($0.id, $0) })
    }

    /// Mean records per subject over three years, by kind of subject.
    private static let means: [SubjectKind: [(String, Double)]] = [
        .enterprise: [("admin_licence", 1.5), ("admin_penalty", 0.25), ("judgment_defaulter", 0.03),
                      ("serious_dishonesty", 0.006), ("abnormal_operation", 0.06), ("tax_grade_a", 0.2),
                      ("honour", 0.02), ("credit_commitment", 0.4), ("commitment_breach", 0.01)],
        .individualBusiness: [("admin_licence", 0.8), ("admin_penalty", 0.15), ("abnormal_operation", 0.05),
                              ("credit_commitment", 0.1), ("judgment_defaulter", 0.01)],
        .socialOrganisation: [("admin_licence", 0.3), ("honour", 0.05), ("credit_commitment", 0.2), ("admin_penalty", 0.02)],
        .publicInstitution: [("admin_licence", 0.5), ("honour", 0.08), ("credit_commitment", 0.2), ("admin_penalty", 0.02)],
        .governmentBody: [("credit_commitment", 0.1), ("judgment_defaulter", 0.005)],
        .naturalPerson: [("judgment_defaulter", 0.6), ("admin_penalty", 0.5)],
    ]

    /// Which kinds of department send which types.
    private static let sources: [String: [(String, Double)]] = [
        "admin_licence": [("market_regulation", 30), ("housing", 15), ("transport", 12), ("health", 12), ("environment", 8),
                          ("natural_resources", 8), ("culture_tourism", 7), ("emergency", 5), ("human_resources", 3)],
        "admin_penalty": [("market_regulation", 35), ("environment", 15), ("emergency", 12), ("transport", 12), ("tax", 10),
                          ("housing", 8), ("health", 8)],
        "judgment_defaulter": [("court", 1)],
        "serious_dishonesty": [("market_regulation", 40), ("tax", 30), ("emergency", 10), ("environment", 10), ("human_resources", 10)],
        "abnormal_operation": [("market_regulation", 1)],
        "tax_grade_a": [("tax", 1)],
        "honour": [("development_reform", 30), ("market_regulation", 20), ("human_resources", 20), ("culture_tourism", 15), ("housing", 15)],
        "credit_commitment": [("development_reform", 25), ("market_regulation", 35), ("housing", 20), ("tax", 20)],
        "commitment_breach": [("development_reform", 25), ("market_regulation", 35), ("housing", 20), ("tax", 20)],
    ]

    mutating func records(for subject: Subject, random: inout SeededRandom) -> [CreditRecord] {
        let asOf = generator.options.asOf
        var earliest = asOf.adding(months: -36)
        if let registered = subject.registeredOn, registered > earliest { earliest = registered }
        guard earliest < asOf else { return [] }
        var out: [CreditRecord] = []
        for (type, mean) in Self.means[subject.kind] ?? [] {
            let count = random.poisson(mean * generator.options.recordScale)
            for _ in 0..<count {
                let decided = CivilDate(dayNumber: random.int(earliest.dayNumber...asOf.dayNumber))
                if let record = record(type, subject: subject, decided: decided, random: &random) { out.append(record) }
            }
        }
        return out
    }

    private mutating func record(_ typeCode: String, subject: Subject, decided: CivilDate, random: inout SeededRandom) -> CreditRecord? {
        let catalog = generator.catalog
        guard let type = catalog.recordType(typeCode), let department = department(for: typeCode, subject: subject, random: &random)
        else { return nil }
        let tier: Tier? = switch typeCode {
        case "admin_penalty": random.weighted([(.minor, 25), (.general, 65), (.serious, 10)])
        case "serious_dishonesty": .serious
        case "commitment_breach": random.weighted([(.general, 80), (.serious, 20)])
        default: nil
        }
        let number = documentNumber(type: typeCode, department: department, year: decided.year)
        var fields = Fields.make(typeCode, subject: subject, department: department, decided: decided, tier: tier,
                                 number: number, random: &random)
        fields.merge(subjectFields(subject)) { a, _ in a }
        guard let schedule = try? catalog.schedule(for: type, tier: tier, decisionDate: decided, fields: fields,
                                                   calendar: generator.calendar)
        else { return nil }
        var status = CreditRecord.Status.active
        if let eligible = schedule.repairEligibleFrom, eligible < generator.options.asOf, random.chance(0.06) { status = .repaired }
        if random.chance(0.005) { status = .withdrawn }
        let legalBasis = fields.removeValue(forKey: "legal_basis") ?? type.legalBasis
        // What the record's own columns or its department already hold is not repeated in its fields.
        for column in ["document_no", "decision_date", "tier", "subject_kind", "source_department", "source_department_code", "authority_code"] {
            fields.removeValue(forKey: column)
        }
        return CreditRecord(
            id: random.uuid(), subjectID: subject.id, recordType: typeCode, catalogVersion: catalog.version,
            departmentID: department.id, regionCode: subject.regionCode, documentNumber: number, tier: tier,
            decisionDate: decided, legalBasis: legalBasis, schedule: schedule, status: status,
            codeCheckFailed: subject.codeCheckFailed, fields: fields)
    }

    /// Mostly the department of the subject's own county; a third of the time the city's.
    private func department(for type: String, subject: Subject, random: inout SeededRandom) -> Department? {
        let category = random.weighted(Self.sources[type] ?? [])
        let cityLevel = type == "tax_grade_a" || random.chance(0.3)
        let region = cityLevel ? DemoGenerator.city : subject.regionCode
        return departments["\(region)-\(category)"] ?? departments["\(DemoGenerator.city)-\(category)"]
    }

    private mutating func documentNumber(type: String, department: Department, year: Int) -> String {
        let key = "\(department.id)/\(type)/\(year)"
        let next = (sequences[key] ?? 0) + 1
        sequences[key] = next
        let place = department.level == .city ? "郴" : String((generator.regions[department.regionCode]?.name ?? "").prefix(2))
        let abbreviation = DepartmentKind.all.first { $0.category == department.category }?.abbreviation ?? ""
        let word = Fields.documentWord[type] ?? "字"
        return "\(place)\(abbreviation)\(word)〔\(year)〕\(next)号"
    }

    /// The subject columns every department export carries. A person's id number never enters a record.
    private func subjectFields(_ subject: Subject) -> [String: String] {
        var fields = ["subject_name": subject.name, "subject_kind": subject.kind.label,
                      "subject_code": subject.code?.value ?? subject.person?.maskedID ?? subject.id]
        if let representative = subject.legalRepresentative { fields["legal_representative"] = representative }
        return fields
    }
}
