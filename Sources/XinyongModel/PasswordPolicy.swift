/// What the office accepts as a password: at least 12 characters, not on the shipped list of common
/// passwords, not the account's own name, and not one character or a run of digits repeated.
public enum PasswordPolicy {
    public static let minimumLength = 12

    /// Why `password` is refused for the account `name` (in Chinese, for the page), or nil if it is accepted.
    public static func refusal(_ password: String, name: String) -> String? {
        if password.count < minimumLength { return "密码至少需要 \(minimumLength) 个字符，当前为 \(password.count) 个" }
        if password.count > 200 { return "密码不能超过 200 个字符" }
        let lowered = password.lowercased()
        if common.contains(lowered) { return "该密码属于常见密码，容易被猜中，请换一个" }
        if !name.isEmpty, lowered.contains(name.lowercased()) { return "密码不能包含账号名" }
        if Set(password).count <= 2 { return "密码不能只由一两个字符重复组成" }
        return nil
    }

    /// The shipped list (`Resources/common-passwords.txt`), lower-cased.
    static let common: Set<String> = Set(
        ShippedData.text("common-passwords", ext: "txt").split(whereSeparator: \.isNewline)
            .filter { !$0.hasPrefix("#") }.map { $0.lowercased() })
}
