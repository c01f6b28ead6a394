import Foundation
import XinyongModel
import XinyongPublication
import XinyongStore

/// What an agency reads through a consent: a subject's records (public or not), a lending check, a
/// platform credit report. Each request is checked against a consent in force for that agency, subject and
/// scope, and logged whether it is granted or refused.
extension AgencyService {
    /// Who asks, through which route: the log's first columns.
    public struct Asker: Sendable {
        public let agencyID, keyID, route: String

        public init(agencyID: String, keyID: String, route: String) {
            (self.agencyID, self.keyID, self.route) = (agencyID, keyID, route)
        }
    }

    /// The subject and the consent that lets `asker` read it for `scope` today; a refusal is logged (and
    /// audited) before it is thrown.
    func authorise(_ asker: Asker, subjectCode: String, consentNumber: String?, scope: AgencyScope,
                   today: CivilDate) async throws -> (Subject, Consent) {
        let subject = try await subject(subjectCode)
        var consent: Consent?
        do {
            if let consentNumber { consent = try await self.consent(consentNumber) }
            let found = try Self.check(consent, asker: asker, subject: subject, scope: scope, today: today)
            return (subject, found)
        } catch let refusal as Refusal {
            try await log(asker, subjectID: subject.id, consent: consent?.subjectID == subject.id ? consent?.id : nil, refused: refusal)
            throw refusal
        }
    }

    /// Why `consent` does not let `asker` read `subject` for `scope` today, if it does not.
    static func check(_ consent: Consent?, asker: Asker, subject: Subject, scope: AgencyScope, today: CivilDate) throws -> Consent {
        guard let consent else {
            throw Refusal("consent-required", field: "consent", "name the subject's consent: consent=NUMBER", chinese: "需要信用主体的授权。")
        }
        guard consent.agencyID == asker.agencyID, consent.subjectID == subject.id else {
            throw Refusal("consent-mismatch", field: "consent", "consent \(consent.id) was not granted to this agency for this subject",
                          chinese: "该授权不是该主体对本机构的授权。")
        }
        switch consent.state(on: today) {
        case .revoked:
            throw Refusal("consent-revoked", field: "consent", "consent \(consent.id) was revoked", chinese: "该授权已被撤回。")
        case .expired:
            throw Refusal("consent-expired", field: "consent", "consent \(consent.id) expired after \(consent.expiresOn)", chinese: "该授权已到期。")
        case .inForce: break
        }
        guard consent.scopes.contains(scope) else {
            throw Refusal("outside-consent-scope", field: "consent", "consent \(consent.id) does not cover \(scope.rawValue)",
                          chinese: "该授权不包括此项查询。")
        }
        return consent
    }

    func subject(_ code: String) async throws -> Subject {
        guard let code = SocialCreditCode.verify(code.uppercased()).code, let subject = try await store.repositories.subjects.find(code: code),
            subject.kind != .naturalPerson
        else {
            throw Refusal("unknown-subject", field: "code", "no organisation with this unified social credit code is known",
                          chinese: "未找到该法人或非法人组织。")
        }
        return subject
    }

    /// One line of the access log; a refusal also goes to the audit trail, which the edge writes only for reads it let through.
    public func log(_ asker: Asker, subjectID: String, consent: String?, records: Int = 0, detail: String = "",
                    refused: Refusal? = nil) async throws {
        let access = AgencyAccess(agencyID: asker.agencyID, keyID: asker.keyID, subjectID: subjectID, consentID: consent, route: asker.route,
                                  outcome: refused == nil ? .granted : .refused, detail: refused?.code ?? detail, records: records,
                                  at: Timestamp.now())
        try await store.transaction { repos in
            try await repos.consents.log(access)
            if let refused {
                try await repos.audit.append(Actor("key:\(asker.keyID)", reason: "agency \(asker.agencyID) refused: \(refused.code)"),
                                             action: "refused", entity: "route", entityID: String(asker.route.prefix(200)),
                                             subjectID: subjectID.isEmpty ? nil : subjectID, detail: ["consent": consent ?? ""])
            }
        }
    }

    // MARK: Consented data

    public struct SubjectFile: Encodable, Sendable {
        public struct Record: Encodable, Sendable {
            let id, recordType, typeName, departmentId, documentNo, decisionDate, status: String
            let isPublic: Bool
            let publicityEnd: String?
            let fields: [String: String]
        }

        let subject: SubjectLine
        let consent: String
        let records: [Record]
        public var count: Int { records.count }
    }

    struct SubjectLine: Encodable, Sendable {
        let name, code, kind: String
    }

    /// Every record of the subject, public or not, as the consent allows.
    public func consentedRecords(_ asker: Asker, subjectCode: String, consent number: String?,
                                 today: CivilDate = .today()) async throws -> SubjectFile {
        let (subject, consent) = try await authorise(asker, subjectCode: subjectCode, consentNumber: number, scope: .consented, today: today)
        let records = try await store.repositories.records.forSubject(subject.id).map { r in
            let type = site.catalogs[r.catalogVersion]?.recordType(r.recordType)
            return SubjectFile.Record(
                id: r.id, recordType: r.recordType, typeName: type?.name ?? r.recordType, departmentId: r.departmentID,
                documentNo: r.documentNumber, decisionDate: r.decisionDate.description, status: r.status.rawValue,
                isPublic: type.flatMap { PublicProfile.publicView(of: r, type: $0, subject: subject, on: today) } != nil,
                publicityEnd: r.schedule.end?.description, fields: r.fields)
        }
        let file = SubjectFile(subject: line(subject), consent: consent.id, records: records)
        try await log(asker, subjectID: subject.id, consent: consent.id, records: file.count)
        return file
    }

    func line(_ s: Subject) -> SubjectLine { SubjectLine(name: s.name, code: s.displayIdentifier, kind: s.kind.rawValue) }

    // MARK: Lending (信易贷)

    public struct LendingCheck: Encodable, Sendable {
        struct Listing: Encodable, Sendable { let list, listName, recordId, recordType, from, until: String }
        struct Programme: Encodable, Sendable { let code, name, department: String; let grounds: [String] }

        let subject: SubjectLine
        let consent: String
        let grade: String?
        let gradeAsOf: String?
        let lists: [Listing]
        let programmes: [Programme]
        let checkedOn: String
    }

    /// The check scenario of Xinyi+ programmes that concern lending (信易贷).
    static let lendingScenario = "financing"

    /// The borrower's lists in force, its evaluation grade and the Xinyi+ lending programmes it qualifies for.
    public func lendingCheck(_ asker: Asker, subjectCode: String, consent number: String?,
                             today: CivilDate = .today()) async throws -> LendingCheck {
        let (subject, consent) = try await authorise(asker, subjectCode: subjectCode, consentNumber: number, scope: .lending, today: today)
        let repos = store.repositories
        let memberships = try await repos.lists.forSubject(subject.id).filter { $0.state == .listed }.map(\.membership)
        let evaluation = try await repos.evaluations.find(subject.id, contributions: false)
        let programmes = XinyiCatalog.shipped.qualifying(XinyiStanding(kind: subject.kind, memberships: memberships, grade: evaluation?.grade), on: today)
            .filter { $0.programme.scenarios.contains(Self.lendingScenario) }
        let check = LendingCheck(
            subject: line(subject), consent: consent.id, grade: evaluation?.grade.rawValue, gradeAsOf: evaluation?.asOf.description,
            lists: memberships.map { .init(list: $0.list.rawValue, listName: $0.list.name, recordId: $0.recordID, recordType: $0.recordType,
                                           from: $0.start.description, until: $0.end.description) },
            programmes: programmes.map { .init(code: $0.programme.code, name: $0.programme.name, department: $0.programme.department,
                                               grounds: $0.grounds.map(\.criterion.label)) },
            checkedOn: today.description)
        try await log(asker, subjectID: subject.id, consent: consent.id, records: memberships.count)
        return check
    }

    // MARK: A platform report to cite

    /// A signed platform credit report of the subject (what the public sees), whose number the agency may
    /// print in its own report for anyone to check at /verify.
    public func report(_ asker: Asker, subjectCode: String, consent number: String?,
                       today: CivilDate = .today()) async throws -> SignedCreditReport {
        let (subject, consent) = try await authorise(asker, subjectCode: subjectCode, consentNumber: number, scope: .consented, today: today)
        let signed = try await site.issueReport(for: subject)
        try await log(asker, subjectID: subject.id, consent: consent.id, records: signed.report.profile.sections.flatMap(\.records).count, detail: signed.report.number)
        return signed
    }
}
