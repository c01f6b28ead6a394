import Foundation
import Hummingbird
import XinyongModel
import XinyongPublication

/// Signed credit reports: issuing (`/reports/{code}`), the published key, and verification by number or
/// upload (`/verify`, `POST /api/v1/reports/verify`).
struct ReportRoutes {
    let platform: Platform

    /// A report JSON is a few hundred kilobytes at most; anything far larger is not one.
    static let uploadLimit = 4 << 20

    func register(on edge: Edge) {
        edge.get("/reports/public-key", .open, use: publicKey)
        edge.get("/reports/issued/{number}", .open, use: issued)
        edge.get("/reports/{code}", .open, use: request)
        edge.post("/reports/{code}", .open, use: issue)
        edge.get("/verify", .open, use: verifyForm)
        edge.post("/verify", .open, use: verifyPage)
        edge.post("/api/v1/reports/verify", .open, use: verifyAPI)
    }

    @Sendable func publicKey(_ request: Request, context: AppRequestContext) async throws -> Response {
        Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(string: ReportKey.published(platform.site.publicKey) + "\n")))
    }

    /// The page that offers a report: issuing one stores a numbered, signed document, so it is a POST
    /// from here (GET never writes), limited per address.
    @Sendable func request(_ request: Request, context: AppRequestContext) async throws -> Response {
        let subject = try await reportSubject(context)
        return try platform.html("report-request", ReportRequestView(
            title: "出具信用报告 · \(subject.displayName)", name: subject.displayName, code: subject.displayIdentifier), context: context)
    }

    @Sendable func issue(_ request: Request, context: AppRequestContext) async throws -> Response {
        let subject = try await reportSubject(context)
        if let wait = Self.issuing.wait(context.address) {
            throw Problem(.tooManyRequests, type: "rate-limited", title: "Too many reports",
                          detail: "this address issued \(Self.issuing.limit) reports in the last hour; try again in \(wait) seconds",
                          extra: ["retry_after": String(wait)], page: "同一地址每小时最多出具 \(Self.issuing.limit) 份信用报告，请 \(wait / 60 + 1) 分钟后再试。")
        }
        let signed = try await platform.site.issueReport(for: subject)
        if wantsJSON(request) { return try respond(signed, request: request, context: context) }
        return Response(status: .seeOther, headers: [.location: "/reports/issued/\(signed.report.number)"])
    }

    /// Reports issued per address and hour: enough for any person or firm, not for a crawler.
    static let issuing = RateLimiter(limit: 30, per: 3600)

    private func reportSubject(_ context: AppRequestContext) async throws -> Subject {
        let code = try context.parameters.require("code").removingPercentEncoding ?? ""
        let subject = try await platform.findSubject(code)
        guard subject.kind != .naturalPerson else {
            throw Problem.notFound("reports are issued for organisations only", page: "信用报告仅对法人和非法人组织出具。")
        }
        return subject
    }

    @Sendable func issued(_ request: Request, context: AppRequestContext) async throws -> Response {
        let number = String(try context.parameters.require("number").prefix(40))
        let check = try await platform.site.checkReport(number: number)
        guard let issued = check.issued,
            let signed = try? SignedCreditReport.decode(Data(issued.document.utf8))
        else {
            return try platform.message("未找到该报告", detail: "本平台未签发编号为该值的信用报告。", input: number, context: context, status: .notFound)
        }
        return try respond(signed, request: request, context: context)
    }

    private func wantsJSON(_ request: Request) -> Bool {
        PublicQuery(request: request).text("format") == "json"
    }

    private func respond(_ signed: SignedCreditReport, request: Request, context: AppRequestContext) throws -> Response {
        if wantsJSON(request) {
            return Response(
                status: .ok,
                headers: [.contentType: "application/json; charset=utf-8",
                          .contentDisposition: "attachment; filename=\"credit-report-\(signed.report.number).json\""],
                body: .init(byteBuffer: ByteBuffer(bytes: signed.json)))
        }
        return try platform.html("report", ReportView(signed), context: context)
    }

    @Sendable func verifyForm(_ request: Request, context: AppRequestContext) async throws -> Response {
        try platform.html("verify", VerifyView(keyID: ReportKey.id(of: platform.site.publicKey), number: PublicQuery(request: request).text("number") ?? ""), context: context)
    }

    /// The form posts a number, a pasted document, or a file (multipart).
    @Sendable func verifyPage(_ request: Request, context: AppRequestContext) async throws -> Response {
        var view = VerifyView(keyID: ReportKey.id(of: platform.site.publicKey), number: "")
        let body = try await request.body.collect(upTo: Self.uploadLimit)
        let contentType = request.headers[.contentType] ?? ""
        let check: PublicSite.ReportCheck
        if let document = MultipartForm.file(named: "document", in: body, contentType: contentType), !document.isEmpty {
            check = try await platform.site.checkReport(document: document)
        } else {
            let fields = FormFields(body).values
            if let pasted = fields["document"], !pasted.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                check = try await platform.site.checkReport(document: Data(pasted.utf8))
            } else if let number = fields["number"], !number.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty {
                view.number = String(number.prefix(40))
                check = try await platform.site.checkReport(number: number)
            } else {
                view.result = .init(check: nil, message: "请输入报告编号，或粘贴、上传报告 JSON 文件。")
                return try platform.html("verify", view, context: context, status: .badRequest)
            }
        }
        view.result = .init(check: check, message: nil)
        return try platform.html("verify", view, context: context)
    }

    /// Machines post the report JSON itself and get the verdict as JSON.
    @Sendable func verifyAPI(_ request: Request, context: AppRequestContext) async throws -> Response {
        let body = try await request.body.collect(upTo: Self.uploadLimit)
        let check = try await platform.site.checkReport(document: Data(buffer: body))
        return try JSONBody.response(VerificationBody(check))
    }
}

/// The verdict as the API gives it.
struct VerificationBody: Encodable {
    let verdict: String
    let genuine: Bool
    let detail: String
    let number: String?
    let issuedAt: String?
    let subject: String?
    let digest: String?
    /// Records of a genuine report corrected, withdrawn or repaired after it was issued.
    let changedSinceIssue: [LaterChange]
    /// One sentence on them, nil when nothing changed.
    let changeNotice: String?

    struct LaterChange: Encodable {
        let recordId, recordType, documentNumber, change, changeLabel, at: String
    }

    init(_ check: PublicSite.ReportCheck) {
        let (verdict, detail) = VerificationBody.describe(check.outcome)
        self.verdict = verdict
        self.detail = detail
        genuine = check.outcome == .genuine
        number = check.report?.number ?? check.issued?.number
        issuedAt = check.report?.issuedAt ?? check.issued?.issuedAt
        subject = check.report?.profile.subject.name
        digest = check.issued?.digest ?? check.report?.digest
        changedSinceIssue = check.laterChanges.map {
            LaterChange(recordId: $0.recordID, recordType: $0.typeName, documentNumber: $0.documentNumber, change: $0.change.rawValue,
                        changeLabel: DeliveryRoutes.changeLabel($0.change.rawValue), at: $0.at)
        }
        changeNotice = check.laterChanges.isEmpty ? nil
            : "本报告签发后，其中 \(Set(check.laterChanges.map(\.recordID)).count) 条记录已被更正、撤销或信用修复，报告所示内容已不是最新，请以信用主体的最新信息为准。"
    }

    static func describe(_ outcome: PublicSite.ReportCheck.Outcome) -> (String, String) {
        switch outcome {
        case .genuine: ("genuine", "本报告由本平台签发，内容未经改动。")
        case .signedButUnknownNumber: ("signed_unknown_number", "签名有效，但本平台没有该编号的签发记录，请向平台核实。")
        case .unknownNumber: ("unknown_number", "本平台未签发该编号的信用报告。")
        case .altered(let reason): ("altered", "报告内容与签发时不一致或签名无效：\(reason)")
        case .malformed(let reason): ("malformed", "无法识别为信用报告：\(reason)")
        }
    }
}

struct ReportRequestView {
    let title, name, code: String
}

struct ReportView {
    let title: String
    let number, issuedAt, cutOff, issuer, notice, keyID, signature: String
    let profile: ProfileView

    init(_ signed: SignedCreditReport) {
        let r = signed.report
        title = "信用报告 \(r.number)"
        number = r.number
        issuedAt = beijingTime(r.issuedAt) + "（北京时间）"
        cutOff = r.cutOff.count > 10 ? beijingTime(r.cutOff) + "（北京时间）" : r.cutOff
        issuer = r.issuer
        notice = r.notice
        keyID = signed.signature.keyFingerprint
        signature = signed.signature.value
        profile = ProfileView(r.profile, title: title, asOf: r.cutOff, reportCode: nil)
    }
}

struct VerifyView {
    struct Result {
        let genuine: Bool
        let verdict: String
        let detail: String
        let number, issuedAt, subject, digest: String?
        let changeNotice: String?
        let laterChanges: [LaterChangeLine]

        struct LaterChangeLine { let change, type, document, record, at: String }

        /// The verdict wholly in Chinese for the page: the model words its reasons in English for machines.
        static func pageDetail(_ outcome: PublicSite.ReportCheck.Outcome) -> String? {
            let reason: String
            switch outcome {
            case .altered(let r), .malformed(let r): reason = r
            default: return nil
            }
            let rules: [(String, String)] = [
                ("not a credit report JSON document", "无法识别为信用报告：上传或粘贴的内容不是本平台的信用报告 JSON 文件。"),
                ("is not Ed25519", "无法识别为信用报告：签名算法不是 Ed25519。"),
                ("not the platform's key", "签名无效：报告不是用本平台的密钥签名的。"),
                ("not base64", "无法识别为信用报告：签名值格式不正确。"),
                ("does not match the content", "报告内容与签发时不一致：报告在签发后被改动过。"),
                ("content that was not signed", "报告内容与签发时不一致：报告中含有未经签名的内容。"),
            ]
            return rules.first { reason.contains($0.0) }?.1
                ?? (outcome == .malformed(reason) ? "无法识别为信用报告。" : "报告内容与签发时不一致或签名无效。")
        }

        init(check: PublicSite.ReportCheck?, message: String?) {
            if let check {
                let body = VerificationBody(check)
                genuine = body.genuine
                verdict = body.verdict
                detail = Self.pageDetail(check.outcome) ?? body.detail
                number = body.number
                issuedAt = body.issuedAt.map { beijingTime($0) + "（北京时间）" }
                subject = body.subject
                digest = body.digest
                changeNotice = body.changeNotice
                laterChanges = body.changedSinceIssue.map {
                    LaterChangeLine(change: $0.changeLabel, type: $0.recordType, document: $0.documentNumber, record: $0.recordId,
                                    at: beijingTime($0.at))
                }
            } else {
                genuine = false
                verdict = "missing"
                detail = message ?? ""
                number = nil
                issuedAt = nil
                subject = nil
                digest = nil
                changeNotice = nil
                laterChanges = []
            }
        }
    }

    let title = "信用报告核验 · 信用郴州"
    let keyID: String
    var number: String
    var result: Result?
}
