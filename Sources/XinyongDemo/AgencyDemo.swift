import Foundation
import XinyongModel
import XinyongStore

/// One agency and one bank, registered without keys (the office issues those), with consents from demo
/// organisations in each state (in force, expired, revoked) and the reads logged under them, so that a
/// consent page shows an access log at once. The consents' follow-up codes are drawn and dropped, like the
/// demo objections': nobody can open them, and the browser test grants its own consent through the form.
extension DemoGenerator {
    static let demoAgency = Agency(id: "demo-agency", name: "郴州诚信征信服务有限公司（演示）", kind: .agency,
                                   scopes: Set(AgencyScope.allCases), requestsPerMinute: 120)
    static let demoBank = Agency(id: "demo-bank", name: "郴州农村商业银行（演示）", kind: .bank, scopes: [.publicData, .lending],
                                 requestsPerMinute: 60)

    /// Who consented to whom, when (days before the demo's date), until when (days after it), and whether it was revoked.
    private struct Plan {
        let agency: Agency
        let scopes: Set<AgencyScope>
        let purpose: String
        let grantedDaysAgo, expiresInDays: Int
        let revoked: Bool
    }

    func runAgencyDemo(into store: Store, actor: Actor) async throws {
        let plans = [
            Plan(agency: Self.demoAgency, scopes: [.consented], purpose: "出具第三方信用报告", grantedDaysAgo: 20, expiresInDays: 160, revoked: false),
            Plan(agency: Self.demoBank, scopes: [.lending], purpose: "信易贷授信审查", grantedDaysAgo: 10, expiresInDays: 80, revoked: false),
            Plan(agency: Self.demoAgency, scopes: [.consented, .lending], purpose: "招投标信用审查", grantedDaysAgo: 200, expiresInDays: -20, revoked: false),
            Plan(agency: Self.demoBank, scopes: [.lending], purpose: "贷款续贷审查", grantedDaysAgo: 60, expiresInDays: 100, revoked: true),
        ]
        let organisations = try await demoOrganisations(store, count: plans.count)
        var random = SeededRandom(seed: options.seed).fork(3_000_000)
        let consents = zip(plans, organisations).map { plan, subject in consent(plan, subject: subject, random: &random) }
        let accesses = zip(plans, consents).flatMap { plan, consent in demoAccesses(plan, consent) }
        try await store.transaction { repos in
            for agency in [Self.demoAgency, Self.demoBank] { try await repos.agencies.create(agency, by: actor) }
            for consent in consents { try await repos.consents.insert(consent, by: actor) }
            for access in accesses { try await repos.consents.log(access) }
        }
    }

    /// The first organisations with a unified code, in id order.
    private func demoOrganisations(_ store: Store, count: Int) async throws -> [Subject] {
        let ids = try await store.repositories.evaluations.subjects(after: nil, limit: 200).map(\.id)
        let subjects = try await store.repositories.subjects.find(ids: ids)
        return ids.compactMap { subjects[$0] }.filter { $0.kind != .naturalPerson && $0.code != nil }.prefix(count).map { $0 }
    }

    private func consent(_ plan: Plan, subject: Subject, random: inout SeededRandom) -> Consent {
        let granted = options.asOf.adding(days: -plan.grantedDaysAgo)
        return Consent(id: ReceiptNumber.make("SQ", on: granted, using: &random), agencyID: plan.agency.id, subjectID: subject.id,
                       scopes: plan.scopes, purpose: plan.purpose, signer: subject.legalRepresentative ?? "经办人", grantedAt: instant(granted, hour: 2),
                       expiresOn: options.asOf.adding(days: plan.expiresInDays),
                       revokedAt: plan.revoked ? instant(options.asOf.adding(days: -5), hour: 3) : nil,
                       followUpHash: ReceiptNumber.hash(followUpCode: ReceiptNumber.followUpCode()))
    }

    /// Two reads a few days after the grant, and one refused read after the consent ended.
    private func demoAccesses(_ plan: Plan, _ consent: Consent) -> [AgencyAccess] {
        let scope = plan.scopes.contains(.consented) ? "subjects" : "lending"
        func access(_ daysAgo: Int, _ outcome: AgencyAccess.Outcome, _ detail: String, records: Int) -> AgencyAccess {
            AgencyAccess(agencyID: plan.agency.id, keyID: "demo", subjectID: consent.subjectID, consentID: consent.id,
                         route: "GET /api/v1/agency/\(scope)/{code}", outcome: outcome, detail: detail, records: records,
                         at: instant(options.asOf.adding(days: -daysAgo), hour: 1))
        }
        var accesses = [access(plan.grantedDaysAgo - 1, .granted, "", records: 3), access(plan.grantedDaysAgo - 3, .granted, "", records: 3)]
        if plan.revoked { accesses.append(access(2, .refused, "consent-revoked", records: 0)) }
        if plan.expiresInDays < 0 { accesses.append(access(-plan.expiresInDays - 5, .refused, "consent-expired", records: 0)) }
        return accesses
    }

    private func instant(_ day: CivilDate, hour: Int) -> String {
        Timestamp.format(Date(timeIntervalSince1970: Double(day.dayNumber) * 86_400 + Double(hour) * 3600))
    }
}
