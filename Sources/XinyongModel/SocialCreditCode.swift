/// A unified social credit code (统一社会信用代码, GB 32100-2015).
///
/// A value of this type is always well-formed: 18 characters from the code alphabet with a
/// registration authority and entity type that the standard defines. Whether its two check
/// characters are right is a separate question, answered by ``SocialCreditCode/verify(_:)``,
/// because genuine codes issued before 2016 in some places fail a check and must be kept.
public struct SocialCreditCode: Hashable, Sendable, Codable, CustomStringConvertible, Comparable {
    public let value: String

    public var description: String { value }
    public static func < (a: Self, b: Self) -> Bool { a.value < b.value }

    /// The 31 characters a code may use; a character's value is its index.
    public static let alphabet: [Character] = Array("0123456789ABCDEFGHJKLMNPQRTUWXY")
    /// Weights of positions 1–17 for the check character: 3^(i−1) mod 31.
    public static let weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    /// Weights of positions 9–16 for the organisation code's own check (GB 11714).
    static let organisationWeights = [3, 7, 9, 10, 5, 8, 4, 2]

    /// Entity types (position 2) that each registration authority (position 1) defines.
    public static let definedTypes: [Character: Set<Character>] = [
        "1": ["1", "2", "3", "9"], "2": ["1", "9"], "3": ["1", "2", "3", "4", "5", "9"],
        "4": ["1", "9"], "5": ["1", "2", "3", "9"], "6": ["1", "2", "9"], "7": ["1", "2", "9"],
        "8": ["1", "9"], "9": ["1", "2", "3"], "A": ["1", "9"], "N": ["1", "2", "3", "9"], "Y": ["1"],
    ]

    private static let values: [Character: Int] = Dictionary(
        uniqueKeysWithValues: alphabet.enumerated().map { ($1, $0) })

    private init(unchecked value: String) { self.value = value }

    public init(from decoder: any Decoder) throws {
        let raw = try decoder.singleValueContainer().decode(String.self)
        switch Self.verify(raw) {
        case .valid(let code), .checkFailed(let code, _): self = code
        case .invalid(let reason):
            throw DecodingError.dataCorrupted(.init(codingPath: decoder.codingPath, debugDescription: reason.description))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }

    // MARK: Parts

    public var registrationAuthority: Character { value.first! }
    public var entityType: Character { Array(value)[1] }
    /// Positions 3–8: the GB/T 2260 region of the registering authority.
    public var regionCode: String { String(value.dropFirst(2).prefix(6)) }
    /// Positions 9–17: the organisation code (GB 11714) with its own check character.
    public var organisationCode: String { String(value.dropFirst(8).prefix(9)) }

    // MARK: Verdict

    public enum Verdict: Sendable, Equatable {
        case valid(SocialCreditCode)
        /// Well-formed, but at least one check character is not what the standard computes.
        case checkFailed(SocialCreditCode, [CheckFailure])
        case invalid(InvalidReason)

        public var code: SocialCreditCode? {
            switch self {
            case .valid(let c), .checkFailed(let c, _): c
            case .invalid: nil
            }
        }
    }

    public enum CheckFailure: Sendable, Equatable, CustomStringConvertible {
        /// Position 18 (GB 32100 check over positions 1–17).
        case checkCharacter(expected: Character, found: Character)
        /// Position 17 (GB 11714 check over positions 9–16).
        case organisationCheck(expected: Character, found: Character)

        public var description: String {
            switch self {
            case let .checkCharacter(expected, found):
                "check character (position 18) is \(found), expected \(expected)"
            case let .organisationCheck(expected, found):
                "organisation code check (position 17) is \(found), expected \(expected)"
            }
        }
    }

    public enum InvalidReason: Sendable, Equatable, CustomStringConvertible {
        case empty
        case wrongLength(Int)
        case legacyRegistrationNumber
        case characterOutsideAlphabet(Character, position: Int)
        case undefinedAuthorityAndType(String)
        case regionNotDigits(String)
        case residentIdentityNumber

        public var description: String {
            switch self {
            case .empty: "empty code"
            case .wrongLength(let n): "a code has 18 characters, this has \(n)"
            case .legacyRegistrationNumber:
                "15-digit legacy registration number (注册号), not a unified social credit code; it is kept as its own identifier"
            case let .characterOutsideAlphabet(c, position):
                "character '\(c)' at position \(position) is not allowed (I, O, S, V, Z and lower-case letters never occur)"
            case .undefinedAuthorityAndType(let pair):
                "positions 1–2 '\(pair)' are not a registration authority and entity type that GB 32100 defines"
            case .regionNotDigits(let region):
                "positions 3–8 '\(region)' must be a six-digit GB/T 2260 region code"
            case .residentIdentityNumber:
                "this is a resident identity card number (GB 11643), not a unified social credit code"
            }
        }
    }

    /// Trims, maps full-width characters to half-width and upper-cases, as every input must be before use.
    public static func normalize(_ input: String) -> String {
        // Most codes arrive already clean (ASCII upper-case letters and digits): nothing to rewrite.
        if input.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) }) { return input }
        var out = ""
        for scalar in input.unicodeScalars {
            switch scalar.value {
            case 0xFF01...0xFF5E: out.unicodeScalars.append(Unicode.Scalar(scalar.value - 0xFEE0)!)
            case 0x3000: out.append(" ")
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out.trimmingWhitespace().uppercased()
    }

    public static func verify(_ input: String) -> Verdict {
        let normalized = normalize(input)
        let chars = Array(normalized)
        if chars.isEmpty { return .invalid(.empty) }
        if chars.count == 15, chars.allSatisfy(\.isASCIIDigit) { return .invalid(.legacyRegistrationNumber) }
        guard chars.count == 18 else { return .invalid(.wrongLength(chars.count)) }
        for (i, c) in chars.enumerated() where values[c] == nil {
            return .invalid(.characterOutsideAlphabet(c, position: i + 1))
        }
        guard definedTypes[chars[0]]?.contains(chars[1]) == true else {
            return .invalid(.undefinedAuthorityAndType(String(chars[0...1])))
        }
        guard chars[2...7].allSatisfy(\.isASCIIDigit) else {
            return .invalid(.regionNotDigits(String(chars[2...7])))
        }
        let code = SocialCreditCode(unchecked: normalized)
        var failures: [CheckFailure] = []
        let expectedOrg = organisationCheckCharacter(chars[8...15])
        if expectedOrg != chars[16] { failures.append(.organisationCheck(expected: expectedOrg, found: chars[16])) }
        let expected = checkCharacter(chars[0...16])
        if expected != chars[17] { failures.append(.checkCharacter(expected: expected, found: chars[17])) }
        if failures.isEmpty { return .valid(code) }
        // An 18-digit personal id can pass the authority/type test (e.g. Beijing's 11…); the checks catch it.
        if ResidentIdentityNumber(normalized) != nil { return .invalid(.residentIdentityNumber) }
        return .checkFailed(code, failures)
    }

    /// The GB 32100 check character for the first 17 characters.
    public static func checkCharacter<C: Collection>(_ first17: C) -> Character where C.Element == Character {
        let sum = zip(first17, weights).reduce(0) { $0 + values[$1.0]! * $1.1 }
        return alphabet[(31 - sum % 31) % 31]
    }

    /// The GB 11714 check character over positions 9–16 (digits and letters A–Z, value = index in 0–9A–Z).
    static func organisationCheckCharacter<C: Collection>(_ eight: C) -> Character where C.Element == Character {
        let sum = zip(eight, organisationWeights).reduce(0) { acc, pair in
            let c = pair.0
            let v = c.isASCIIDigit ? Int(c.asciiValue! - 48) : Int(c.asciiValue! - 65) + 10
            return acc + v * pair.1
        }
        switch 11 - sum % 11 {
        case 10: return "X"
        case 11: return "0"
        case let c: return Character(String(c))
        }
    }

    /// Builds a code with both checks right from its first 16 characters (authority, type, region, 8 organisation characters).
    public static func completing(_ first16: String) -> SocialCreditCode? {
        let chars = Array(first16)
        guard chars.count == 16, chars.allSatisfy({ values[$0] != nil }) else { return nil }
        let seventeen = chars + [organisationCheckCharacter(chars[8...15])]
        guard values[seventeen[16]] != nil else { return nil }
        return SocialCreditCode(unchecked: String(seventeen + [checkCharacter(seventeen)]))
    }

    /// The subject kind the authority and entity type imply, where they imply one.
    public var impliedKind: SubjectKind {
        switch (registrationAuthority, entityType) {
        case ("9", "2"): .individualBusiness
        case ("9", _), ("N", _): .enterprise
        case ("1", "1"): .governmentBody
        case ("1", "2"): .publicInstitution
        case ("1", "3"), ("5", _), ("8", _): .socialOrganisation
        case ("3", _): .judicialBody
        default: .other
        }
    }
}

/// A 15-digit enterprise registration number (工商注册号) issued before the unified code. Kept as its own
/// identifier, never forced into the code field.
public struct LegacyRegistrationNumber: Hashable, Sendable, Codable, CustomStringConvertible {
    public let value: String
    public var description: String { value }

    public init?(_ input: String) {
        let normalized = SocialCreditCode.normalize(input)
        guard normalized.count == 15, normalized.allSatisfy(\.isASCIIDigit) else { return nil }
        value = normalized
    }

    /// Positions 1–6: the region of the registering office.
    public var regionCode: String { String(value.prefix(6)) }

    /// The ISO 7064 MOD 11,10 check the registration offices used; old numbers fail it often enough
    /// that a failure is only a flag.
    public var checkDigitIsValid: Bool {
        var p = 10
        for c in value.prefix(14) {
            let s = (p + Int(c.asciiValue! - 48)) % 10
            p = ((s == 0 ? 10 : s) * 2) % 11
        }
        return (p + Int(value.last!.asciiValue! - 48)) % 10 == 1
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
}

extension String {
    /// The text without whitespace (newlines and the ideographic space included) at either end, in Swift
    /// alone: Foundation's trimming goes through NSString, a visible cost on a check.
    public func trimmingWhitespace() -> String {
        var s = Substring(self)
        while let f = s.first, f.isWhitespace { s.removeFirst() }
        while let l = s.last, l.isWhitespace { s.removeLast() }
        return String(s)
    }
}
