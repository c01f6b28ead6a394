import Foundation
import XinyongExchange
import XinyongModel
import XinyongStore

/// Who is deciding and within what: the office's reviewers and administrators decide anything (a county
/// office within its region), a department only its own records' cases.
public struct Decider: Sendable {
    public var actor: Actor
    /// Set for a department's key or clerk: only cases of its records.
    public var departmentID: String?
    /// Set for a county office: only cases in its region and below.
    public var regionPrefix: String?

    public init(actor: Actor, departmentID: String? = nil, regionPrefix: String? = nil) {
        self.actor = actor
        self.departmentID = departmentID
        self.regionPrefix = regionPrefix
    }

    func mayDecide(department: String?, region: String?) -> Bool {
        if let departmentID, departmentID != department { return false }
        if let regionPrefix, !(region ?? "").hasPrefix(regionPrefix) { return false }
        return true
    }
}

extension DueProcess {
    public enum ObjectionDecision: Sendable, Equatable {
        /// The record is withdrawn now.
        case upheldWithdrawn
        /// The department has already sent the corrected record through the exchange (a newer version).
        case upheldCorrected
        case rejected
        case unverifiable

        public var status: Objection.Status {
            switch self {
            case .upheldWithdrawn, .upheldCorrected: .upheld
            case .rejected: .rejected
            case .unverifiable: .unverifiable
            }
        }

        public init?(_ text: String) {
            switch text {
            case "upheld_withdrawn": self = .upheldWithdrawn
            case "upheld_corrected": self = .upheldCorrected
            case "rejected": self = .rejected
            case "unverifiable": self = .unverifiable
            default: return nil
            }
        }
    }

    /// A reviewer accepts a submitted objection and forwards it to the source department.
    public func accept(objection number: String, by decider: Decider) async throws {
        try await store.transaction { repos in
            let found = try await Self.objectionToDecide(number, repos: repos, decider: decider)
            guard found.objection.status == .submitted else {
                throw Refusal(code: "not-submitted", field: "number", detail: "objection \(number) is \(found.objection.status.rawValue), not submitted",
                              chinese: "该异议当前状态为“\(found.objection.status.label)”，不能再次受理。")
            }
            try await repos.objections.accept(found.objection.id, by: decider.actor)
        }
    }

    /// Records the decision on an open objection. Upheld: the record is withdrawn now, or must already have
    /// been corrected through the exchange (version + 1, the reason kept in its history). Either way the
    /// change reaches every recipient through the feed.
    public func decide(objection number: String, _ decision: ObjectionDecision, reasons: String, by decider: Decider,
                       today: CivilDate = .today()) async throws -> ObjectionCase {
        try Self.requireText(reasons, field: "reasons", chinese: "处理理由")
        return try await store.transaction { repos in
            let found = try await Self.objectionToDecide(number, repos: repos, decider: decider)
            guard found.objection.status.isOpen else {
                throw Refusal(code: "already-decided", field: "number", detail: "objection \(number) was already decided (\(found.objection.status.rawValue))",
                              chinese: "该异议已办结（\(found.objection.status.label)）。")
            }
            let statement = found.objection.kind == .statement
            if statement, decision == .upheldCorrected {
                throw Refusal(code: "statement-upheld-withdraws", field: "decision",
                              detail: "an upheld statement withdraws the record (upheld_withdrawn); a corrected record needs a new notice",
                              chinese: "陈述申辩成立的，应撤销该信息（选择“异议成立，撤销该信息”）；更正后如需列入，请重新报送并告知。")
            }
            var outcome: String?
            switch decision {
            case .upheldWithdrawn:
                guard let record = try await repos.records.find(id: found.objection.recordID), record.status != .withdrawn else { break }
                // Withdrawing also closes a pending notice, so an upheld statement keeps the subject off the list.
                _ = try await RecordLifecycle.withdraw(record, reason: "objection \(number) upheld: \(reasons)", repos: repos, by: decider.actor)
                outcome = "withdrawn"
            case .upheldCorrected:
                let current = try await repos.records.find(id: found.objection.recordID)
                guard let current, current.version > (found.recordVersion ?? current.version) else {
                    throw Refusal(code: "correction-not-received", field: "decision",
                                  detail: "no corrected version of record \(found.objection.recordID) has arrived since the objection was filed; submit it through the exchange first",
                                  chinese: "尚未收到该条信息的更正版本。请先通过数据报送提交更正后的信息，再作出“异议成立（已更正）”的决定。")
                }
                outcome = "corrected"
            case .rejected, .unverifiable:
                // A statement not upheld: the listing starts today (withdrawing the record above closes its notice).
                if statement {
                    try await repos.notices.statementDecided(recordID: found.objection.recordID, upheld: false, by: decider.actor, today: today)
                }
            }
            try await repos.objections.decide(found.objection.id, subjectID: found.objection.subjectID, status: decision.status,
                                              reasons: reasons, outcome: outcome, by: decider.actor)
            var decided = found
            decided.objection.status = decision.status
            decided.reasons = reasons
            decided.outcome = outcome
            return decided
        }
    }

    static func objectionToDecide(_ number: String, repos: Repositories, decider: Decider) async throws -> ObjectionCase {
        guard let found = try await repos.objections.find(number: number),
            decider.mayDecide(department: found.departmentID, region: found.regionCode)
        else {
            throw Refusal(code: "not-found", field: "number", detail: "no objection \(number) that this caller may decide",
                          chinese: "未找到您有权办理的异议 \(number)。")
        }
        return found
    }

    // MARK: Repair

    /// The office has checked the application and sends it to the deciding department, whose clock starts.
    public func forward(repair number: String, by decider: Decider, today: CivilDate = .today()) async throws {
        let due = calendar.adding(workingDays: catalog.deadlines.repairDecisionWorkingDays, to: today)
        try await store.transaction { repos in
            let found = try await Self.repairToDecide(number, repos: repos, decider: decider)
            guard found.application.status == .submitted else {
                throw Refusal(code: "not-submitted", field: "number", detail: "application \(number) is \(found.application.status.rawValue), not submitted",
                              chinese: "该申请当前状态为“\(found.application.status.label)”，不能再次转办。")
            }
            try await repos.repairs.forward(number, decisionDue: due, by: decider.actor)
        }
    }

    /// The department's decision. Repaired: publicity ends today, memberships end, checks stop applying the
    /// record and a `repaired` event goes on the feed — all in this one transaction.
    public func decide(repair number: String, repaired: Bool, reasons: String, by decider: Decider,
                       today: CivilDate = .today()) async throws -> RepairCase {
        try Self.requireText(reasons, field: "reasons", chinese: "处理理由")
        return try await store.transaction { repos in
            let found = try await Self.repairToDecide(number, repos: repos, decider: decider)
            guard found.application.status.isOpen else {
                throw Refusal(code: "already-decided", field: "number", detail: "application \(number) was already decided (\(found.application.status.rawValue))",
                              chinese: "该申请已办结（\(found.application.status.label)）。")
            }
            if repaired {
                guard let record = try await repos.records.find(id: found.application.recordID), record.status == .active else {
                    throw Refusal(code: "record-not-active", field: "number",
                                  detail: "record \(found.application.recordID) is no longer active (withdrawn or repaired)",
                                  chinese: "该条信息已撤销或已修复，无需再作修复决定。")
                }
                _ = try await RecordLifecycle.repair(record, on: today, repos: repos, by: decider.actor)
            }
            let status: RepairApplication.Status = repaired ? .repaired : .refused
            try await repos.repairs.decide(number, subjectID: found.application.subjectID, status: status, reasons: reasons,
                                           by: decider.actor)
            var decided = found
            decided.application.status = status
            decided.reasons = reasons
            return decided
        }
    }

    static func repairToDecide(_ number: String, repos: Repositories, decider: Decider) async throws -> RepairCase {
        guard let found = try await repos.repairs.find(number: number),
            decider.mayDecide(department: found.application.departmentID, region: found.regionCode)
        else {
            throw Refusal(code: "not-found", field: "number", detail: "no repair application \(number) that this caller may decide",
                          chinese: "未找到您有权办理的信用修复申请 \(number)。")
        }
        return found
    }
}
