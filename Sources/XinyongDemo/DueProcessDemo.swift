import Foundation
import XinyongModel
import XinyongStore

/// Objections and repair applications in every state, some of them overdue, so that the office's queues
/// and the public status pages have something to show on a first start. Drawn from their own random
/// stream; an upheld objection withdraws its record and a granted repair ends its record's publicity,
/// as the platform itself would have done.
extension DemoGenerator {
    struct DueProcessCases {
        var objections: [ObjectionCase] = []
        var repairs: [RepairCase] = []
        var notices: [Notice] = []
    }

    static let objectionGrounds = ["处罚金额与决定书不一致", "已于决定前履行完毕", "主体名称登记有误", "公示期限计算有误", "非本单位行为"]
    static let repairConduct = ["已全额缴纳罚款并完成整改，经复查合格。", "已补办相关许可手续，违法行为已纠正。",
                                "已按要求提交年度报告并公示，经营异常情形已消除。", "已完成整改并接受信用修复培训。"]

    /// About one in fifty public negative records has an objection filed in the last 40 days and one in
    /// a hundred repair-eligible ones a repair application in the last 25 days; each in a random state.
    func makeDueProcessCases(_ records: inout [CreditRecord], subjects: [Subject], departments: [String: Department],
                             random: inout SeededRandom) -> DueProcessCases {
        let subjectByID = Dictionary(uniqueKeysWithValues: subjects.map { ($0.id, $0) })
        var cases = DueProcessCases()
        for index in records.indices {
            if let subject = subjectByID[records[index].subjectID], let department = departments[records[index].departmentID],
                let (notice, statement) = notice(on: &records[index], subject: subject, department: department, random: &random) {
                cases.notices.append(notice)
                if let statement { cases.objections.append(statement) }
                continue
            }
            let record = records[index]
            guard catalog.recordType(record.recordType)?.polarity == .negative, record.isPublic(on: options.asOf),
                let subject = subjectByID[record.subjectID]
            else { continue }
            let filer = Filer(name: subject.displayName, identifier: subject.displayIdentifier, contact: "0735-2\(random.int(100_000...999_999))")
            if random.chance(0.02) {
                cases.objections.append(objection(on: &records[index], filer: filer, random: &random))
            } else if record.recordType != DueProcessRules.courtListType, let from = record.schedule.repairEligibleFrom,
                from <= options.asOf, random.chance(0.01) {
                cases.repairs.append(repair(on: &records[index], filer: filer, random: &random))
            }
        }
        return cases
    }

    private func objection(on record: inout CreditRecord, filer: Filer, random: inout SeededRandom) -> ObjectionCase {
        let filedOn = max(record.decisionDate, options.asOf.adding(days: -random.int(0...40)))
        let status = random.weighted([(Objection.Status.submitted, 3), (.underReview, 3), (.upheld, 1), (.rejected, 2), (.unverifiable, 1)])
        let kind = random.weighted([(Objection.Kind.content, 4), (.period, 1)])
        let objection = Objection(
            id: ReceiptNumber.make("YY", on: filedOn, using: &random), subjectID: record.subjectID, recordID: record.id,
            kind: kind, ground: random.pick(Self.objectionGrounds), status: status, filedOn: filedOn,
            deadlineDays: catalog.deadlines.objectionDays)
        let accepted = status == .submitted ? nil : instant(filedOn, plusDays: random.int(0...2))
        let decided = status.isOpen ? nil : instant(filedOn, plusDays: random.int(3...19))
        if status == .upheld { record.status = .withdrawn }
        return ObjectionCase(
            objection: objection, filer: filer, departmentID: record.departmentID, regionCode: record.regionCode,
            recordVersion: record.version, filedAt: instant(filedOn, plusDays: 0), acceptedAt: accepted,
            acceptedBy: accepted == nil ? nil : "demo-reviewer", decidedAt: decided, decidedBy: decided == nil ? nil : "demo-department",
            reasons: status.isOpen ? nil : Self.reasons(status), outcome: status == .upheld ? "withdrawn" : nil,
            followUpHash: ReceiptNumber.hash(followUpCode: ReceiptNumber.followUpCode()))
    }

    private func repair(on record: inout CreditRecord, filer: Filer, random: inout SeededRandom) -> RepairCase {
        let filedOn = options.asOf.adding(days: -random.int(0...25))
        let status = random.weighted([(RepairApplication.Status.submitted, 3), (.forwarded, 3), (.repaired, 2), (.refused, 1)])
        let application = RepairApplication(
            id: ReceiptNumber.make("XF", on: filedOn, using: &random), subjectID: record.subjectID, recordID: record.id,
            departmentID: record.departmentID, conduct: random.pick(Self.repairConduct), filer: filer,
            commitmentSigner: filer.name, commitmentHash: CreditCommitment.hash, status: status, filedOn: filedOn,
            answerDue: calendar.adding(workingDays: catalog.deadlines.repairAnswerWorkingDays, to: filedOn))
        let forwardedOn = filedOn.adding(days: random.int(1...6))
        let decidedOn = forwardedOn.adding(days: random.int(1...4))
        let forwarded = status != .submitted
        if status == .repaired {
            record.status = .repaired
            record.schedule.end = decidedOn
        }
        return RepairCase(
            application: application, regionCode: record.regionCode,
            followUpHash: ReceiptNumber.hash(followUpCode: ReceiptNumber.followUpCode()), filedAt: instant(filedOn, plusDays: 0),
            forwardedAt: forwarded ? instant(forwardedOn, plusDays: 0) : nil, forwardedBy: forwarded ? "demo-reviewer" : nil,
            decisionDue: forwarded ? calendar.adding(workingDays: catalog.deadlines.repairDecisionWorkingDays, to: forwardedOn) : nil,
            decidedAt: status.isOpen ? nil : instant(decidedOn, plusDays: 0), decidedBy: status.isOpen ? nil : "demo-department",
            reasons: status == .refused ? "提交的证明材料不能证明罚款已经缴清，请补充缴款凭证后重新申请。" : (status == .repaired ? "经核实，失信行为已纠正，同意修复。" : nil))
    }

    /// Serious-dishonesty records decided in the last 180 days went through a notice before listing: still in
    /// the statement period, with a statement being handled, listed after the period, or withdrawn after an
    /// upheld statement.
    private func notice(on record: inout CreditRecord, subject: Subject, department: Department,
                        random: inout SeededRandom) -> (Notice, ObjectionCase?)? {
        guard let type = catalog.recordType(record.recordType), type.needsNoticeBeforeListing,
            record.decisionDate > options.asOf.adding(days: -180)
        else { return nil }
        let issuedOn = record.decisionDate
        let context = Notice.Context(type: type, subjectName: subject.displayName, department: department, measures: .shipped,
                                     statementWorkingDays: catalog.deadlines.noticeStatementWorkingDays, calendar: calendar)
        guard var notice = Notice.issue(id: ReceiptNumber.make("GZ", on: issuedOn, using: &random), for: record, context: context, on: issuedOn)
        else { return nil }
        var statement: ObjectionCase?
        let periodOver = notice.graceUntil < options.asOf
        let outcome = periodOver ? random.weighted([(Notice.State.listed, 3), (.statementFiled, 2), (.withdrawn, 1)]) : .pending
        switch outcome {
        case .pending:
            record = record.awaitingNotice
        case .listed:
            let day = notice.graceUntil.adding(days: 1)
            record = record.listed(on: day)
            notice.state = .listed
            notice.listedOn = day
        case .statementFiled, .withdrawn:
            let decided = outcome == .withdrawn
            let filedOn = issuedOn.adding(days: 2)
            var objection = Objection(id: ReceiptNumber.make("YY", on: filedOn, using: &random), subjectID: record.subjectID,
                                      recordID: record.id, kind: .statement, ground: "该行为已于处罚决定前纠正，请求不予列入。",
                                      status: decided ? .upheld : .underReview, filedOn: filedOn, deadlineDays: catalog.deadlines.objectionDays)
            objection.dueOn = filedOn.adding(days: catalog.deadlines.objectionDays)
            notice.statementID = objection.id
            if decided {
                record.status = .withdrawn
                notice.state = .withdrawn
                notice.closedOn = filedOn.adding(days: 5)
            } else {
                record = record.awaitingNotice
                notice.state = .statementFiled
            }
            statement = ObjectionCase(
                objection: objection, filer: Filer(name: subject.displayName, identifier: subject.displayIdentifier, contact: "0735-2100000"),
                departmentID: record.departmentID, regionCode: record.regionCode, recordVersion: record.version,
                filedAt: instant(filedOn, plusDays: 0), acceptedAt: instant(filedOn, plusDays: 1), acceptedBy: "demo-reviewer",
                decidedAt: decided ? instant(filedOn, plusDays: 5) : nil, decidedBy: decided ? "demo-department" : nil,
                reasons: decided ? "经核实，陈述申辩理由成立，不予列入。" : nil, outcome: decided ? "withdrawn" : nil,
                followUpHash: ReceiptNumber.hash(followUpCode: ReceiptNumber.followUpCode()))
        }
        return (notice, statement)
    }

    private static func reasons(_ status: Objection.Status) -> String {
        switch status {
        case .upheld: "经核实，该信息存在错误，已予撤销。"
        case .rejected: "经核实，行政处罚决定书记载的事实、金额与公示信息一致，异议不成立。"
        default: "决定书原件已按档案规定移交，现有材料无法核实异议所述情况。"
        }
    }

    /// Office hours on a Beijing day, as a stored UTC instant.
    private func instant(_ day: CivilDate, plusDays days: Int) -> String {
        "\(day.adding(days: days).description)T02:30:00.000Z"
    }
}
