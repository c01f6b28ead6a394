import Crypto
import Foundation

/// An 18-character resident identity card number (公民身份号码, GB 11643-1999).
///
/// The platform never stores one: it keeps a keyed hash (to find the same person again) and a masked
/// form (to show), see ``PersonIdentity``.
public struct ResidentIdentityNumber: Sendable, Hashable {
    public let value: String

    static let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    static let checkCharacters: [Character] = Array("10X98765432")
    /// First two digits of mainland provinces, Taiwan, Hong Kong and Macao.
    static let provinces: Set<String> = [
        "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65",
        "71", "81", "82",
    ]

    /// Accepts only a number with a known province, a real birth date and a correct ISO 7064 MOD 11-2 check.
    public init?(_ input: String) {
        let normalized = SocialCreditCode.normalize(input)
        let chars = Array(normalized)
        guard chars.count == 18, chars[0..<17].allSatisfy(\.isASCIIDigit),
            chars[17].isASCIIDigit || chars[17] == "X",
            Self.provinces.contains(String(chars[0...1])),
            let birth = CivilDate(compactDigits: String(chars[6...13])), (1900...2100).contains(birth.year)
        else { return nil }
        let sum = zip(chars[0..<17], Self.weights).reduce(0) { $0 + Int($1.0.asciiValue! - 48) * $1.1 }
        guard Self.checkCharacters[sum % 11] == chars[17] else { return nil }
        value = normalized
    }

    /// `4310**********1234`: the first four and last four characters.
    public var masked: String { String(value.prefix(4)) + String(repeating: "*", count: 10) + String(value.suffix(4)) }

    /// HMAC-SHA256 under the platform's secret key, hex. The same person gives the same hash on this
    /// platform and nothing that can be reversed or matched elsewhere without the key.
    public func keyedHash(key: SymmetricKey) -> String {
        HMAC<SHA256>.authenticationCode(for: Data(value.utf8), using: key).hexEncoded
    }
}

/// How a natural person is held: never the id number itself.
public struct PersonIdentity: Sendable, Hashable, Codable {
    public let idHash: String
    public let maskedID: String

    public init(idHash: String, maskedID: String) {
        self.idHash = idHash
        self.maskedID = maskedID
    }

    public init(_ number: ResidentIdentityNumber, key: SymmetricKey) {
        self.init(idHash: number.keyedHash(key: key), maskedID: number.masked)
    }

    /// Subject key of a person: a prefix of the keyed hash, enough to be unique among billions.
    public var subjectID: String { "P" + idHash.prefix(32) }
}

/// Masks a person's name for display where the catalogue does not publish it: 张三 → 张*, 欧阳小明 → 欧阳**.
public func maskedPersonName(_ name: String) -> String {
    let chars = Array(name)
    guard chars.count > 1 else { return name }
    let keep = chars.count >= 4 ? 2 : 1
    return String(chars.prefix(keep)) + String(repeating: "*", count: chars.count - keep)
}
