import Foundation

/// A batch issue as a person filling in the one-record form reads it: in Chinese, next to the field.
/// The exchange words its reasons for systems (in English, the API's language, and stored with the batch
/// report); the form knows the few shapes those reasons take and says each in Chinese. A reason of
/// another shape still gets a Chinese sentence naming the field, never English on the page.
enum FormIssueText {
    static func chinese(reason: String, label: String) -> String {
        let field = label.isEmpty ? "该项" : "“\(label)”"
        let rules: [(String, String)] = [
            ("is required and is empty", "\(field)为必填项，不能为空"),
            ("characters long", "\(field)过长，请精简后重新填写"),
            ("is in the future", "\(field)不能晚于今天"),
            ("is not a date", "\(field)应为日期，格式为 年-月-日，例如 2026-03-01"),
            ("is not a non-negative number", "\(field)应为不小于 0 的数字"),
            ("is not one of", "\(field)只能从规定的选项中选择"),
            ("accepted with a flag", "统一社会信用代码校验位未通过：已接收并标注，请与该主体核对代码"),
            ("not a unified social credit code", "不是有效的统一社会信用代码：应为 18 位，由数字和大写字母组成（不含 I、O、S、V、Z）"),
            ("is not a GB/T 2260 region code", "\(field)不是有效的行政区划代码"),
            ("may only submit records for", "超出本部门的管辖地区，不能报送"),
            ("tier (minor, general or serious) is required", "请选择失信程度（轻微、一般或严重）"),
            ("is not after the decision date", "\(field)应晚于决定日期"),
            ("before the subject was registered", "决定日期早于该主体的成立日期，请核对"),
            ("was first sent for another", "该文书号已用于另一信用主体，同一文书号不能对应两个主体"),
            ("also appears in", "文书号重复"),
        ]
        for (shape, text) in rules where reason.contains(shape) { return text }
        return "\(field)填写有误，请核对后重新提交"
    }
}
