import Crypto
import Foundation
import XinyongModel
import XinyongStore

extension PublicSite {
    static let reportNotice = """
        本报告依据郴州市公共信用信息平台截至数据截止日的公示信息生成，仅包含依法公开的信息；已过公示期、已修复或已撤销的信息不予显示。\
        报告由平台以 Ed25519 数字签名，可在 /verify 页面凭报告编号或上传 JSON 文件核验真伪。\
        对报告内容有异议的，可向信息提供部门或平台提出异议申请。
        """

    /// Issues a numbered, signed credit report of what the public sees of `subject` now, and keeps it
    /// so that its number can be checked later.
    public func issueReport(for subject: Subject, at instant: Date = Date()) async throws -> SignedCreditReport {
        let cutOff = CivilDate.today()
        let profile = try await profile(of: subject, on: cutOff)
        var number = CreditReport.newNumber(on: cutOff)
        while try await store.repositories.reports.find(number: number) != nil {
            number = CreditReport.newNumber(on: cutOff)  // 50 random bits met an earlier report of the day
        }
        let report = CreditReport(
            number: number, issuer: Self.issuer, issuedAt: Timestamp.format(instant), cutOff: cutOff.description,
            profile: profile, notice: Self.reportNotice)
        let signed = try SignedCreditReport(signing: report, with: reportKey)
        try await store.transaction { repos in
            try await repos.reports.insert(signed, subjectID: subject.id)
            try await repos.audit.append(Actor("public", reason: "credit report requested"), action: "issue",
                                         entity: "credit_reports", entityID: report.number, detail: ["subject": subject.id])
        }
        return signed
    }

    /// What `/verify` says about a report number or an uploaded report.
    public struct ReportCheck: Sendable {
        public enum Outcome: Sendable, Equatable {
            /// Issued by this platform, and (for an upload) signed and unaltered.
            case genuine
            /// The signature holds but the platform has no record of the number (e.g. a database restored from an older backup).
            case signedButUnknownNumber
            /// The platform never issued this number.
            case unknownNumber
            /// The document was changed after it was issued, or signed by another key.
            case altered(String)
            /// Not a report document.
            case malformed(String)
        }

        /// A record of the report that was corrected, withdrawn or repaired after the report was issued.
        public struct LaterChange: Sendable, Equatable {
            public let recordID, typeName, documentNumber: String
            /// corrected, withdrawn or repaired.
            public let change: Change.Kind
            public let at: String
        }

        public let outcome: Outcome
        public let issued: ReportRepository.Issued?
        public let report: CreditReport?
        /// For a genuine report: what changed in its records since it was issued, oldest first.
        public var laterChanges: [LaterChange] = []

        init(outcome: Outcome, issued: ReportRepository.Issued?, report: CreditReport?) {
            self.outcome = outcome
            self.issued = issued
            self.report = report
        }
    }

    /// A genuine report with what has since happened to its records: a report stays true to its day, but whoever
    /// relies on it must learn that a record was corrected, withdrawn or repaired since.
    private func genuine(_ issued: ReportRepository.Issued, _ report: CreditReport?) async throws -> ReportCheck {
        var check = ReportCheck(outcome: .genuine, issued: issued, report: report)
        guard let report else { return check }
        let records = Dictionary(report.profile.sections.flatMap(\.records).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        let ids = Set(records.keys).union(report.profile.lists.map(\.basisRecord))
        check.laterChanges = try await store.repositories.recipients.toldChanges(records: ids.sorted(), after: report.issuedAt).map { c in
            ReportCheck.LaterChange(recordID: c.record_id, typeName: records[c.record_id]?.typeName ?? c.record_type,
                                    documentNumber: records[c.record_id]?.documentNumber ?? "", change: c.change, at: c.at)
        }
        return check
    }

    public func checkReport(number: String) async throws -> ReportCheck {
        let trimmed = number.trimmingCharacters(in: .whitespacesAndNewlines).uppercased()
        guard let issued = try await store.repositories.reports.find(number: String(trimmed.prefix(40))) else {
            return ReportCheck(outcome: .unknownNumber, issued: nil, report: nil)
        }
        return try await genuine(issued, (try? SignedCreditReport.decode(Data(issued.document.utf8)))?.report)
    }

    /// Checks an uploaded report: the signature against the platform's key, then its number and digest
    /// against the reports the platform issued.
    public func checkReport(document: Data) async throws -> ReportCheck {
        switch SignedCreditReport.verify(document, publicKey: publicKey) {
        case .malformed(let reason):
            return ReportCheck(outcome: .malformed(reason), issued: nil, report: nil)
        case .altered(let reason):
            // Show what the document claims (its number, its subject) beside the verdict.
            return ReportCheck(outcome: .altered(reason), issued: nil, report: try? SignedCreditReport.decode(document).report)
        case .genuine(let report):
            guard let issued = try await store.repositories.reports.find(number: report.number) else {
                return ReportCheck(outcome: .signedButUnknownNumber, issued: nil, report: report)
            }
            guard issued.digest == report.digest else {
                return ReportCheck(outcome: .altered("the content differs from report \(report.number) as it was issued"), issued: issued, report: report)
            }
            return try await genuine(issued, report)
        }
    }
}
