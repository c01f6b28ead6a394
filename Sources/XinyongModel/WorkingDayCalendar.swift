/// Working days in mainland China: Monday to Friday, less official holidays, plus the weekend days the
/// State Council declares make-up working days (调休上班). Deadlines in working days (submission within 7,
/// a repair answer within 10, a department's decision within 3) are counted on it.
public struct WorkingDayCalendar: Sendable {
    public enum DayKind: String, Sendable, Codable { case holiday, workday }

    public private(set) var exceptions: [CivilDate: DayKind]

    public init(exceptions: [CivilDate: DayKind] = [:]) { self.exceptions = exceptions }

    /// The official calendar shipped with the platform (see `Resources/holidays-cn.csv`).
    public static let china: WorkingDayCalendar = {
        var exceptions: [CivilDate: DayKind] = [:]
        for row in ShippedData.csvRows("holidays-cn") {
            guard let date = CivilDate(row[0]), let kind = DayKind(rawValue: row[1]) else {
                preconditionFailure("bad row in holidays-cn.csv: \(row)")
            }
            exceptions[date] = kind
        }
        return WorkingDayCalendar(exceptions: exceptions)
    }()

    public func isWorkingDay(_ date: CivilDate) -> Bool {
        switch exceptions[date] {
        case .holiday: false
        case .workday: true
        case nil: date.isoWeekday <= 5
        }
    }

    /// The date `n` working days after `date` (the day itself not counted).
    public func adding(workingDays n: Int, to date: CivilDate) -> CivilDate {
        var day = date, left = n
        while left > 0 {
            day = day.adding(days: 1)
            if isWorkingDay(day) { left -= 1 }
        }
        return day
    }

    /// Working days after `start` up to and including `end`; 0 if `end` is not after `start`.
    public func workingDays(from start: CivilDate, to end: CivilDate) -> Int {
        guard end > start else { return 0 }
        return (start.dayNumber + 1...end.dayNumber).count { isWorkingDay(CivilDate(dayNumber: $0)) }
    }
}
