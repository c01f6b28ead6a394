import Testing
@testable import XinyongModel

@Suite struct SocialCreditCodeTests {
    /// Published codes of registered organisations; both checks hold.
    @Test(arguments: [
        "91350100M000100Y43",  // the standard's worked example
        "9144030071526726XG", "914403001922038216", "91110108551385082Q", "91440300708461136T",
        "112302070019030687",  // government body
        "11610923MB2900168E", "1134082855783407XL", "51610700305332460K", "52610500MJU60350X1",
        "92510100MA61WJ3204",  // individual business
    ])
    func realCodesAreValid(_ input: String) {
        guard case .valid(let code) = SocialCreditCode.verify(input) else {
            Issue.record("\(input) should be valid, got \(SocialCreditCode.verify(input))")
            return
        }
        #expect(code.value == input)
    }

    /// Codes that begin with a letter (agriculture N, other Y, military A), built in the standard's form.
    @Test(arguments: ["N2431002MA4L123461", "Y1431000MB1C2D3E32", "A1110000MA0B1C2D4G"])
    func letterCodesAreValid(_ input: String) {
        #expect(SocialCreditCode.verify(input) == .valid(SocialCreditCode.completing(String(input.prefix(16)))!))
    }

    @Test func workedExampleChecksum() {
        #expect(SocialCreditCode.checkCharacter(Array("91350100M000100Y4")) == "3")
    }

    /// Fujian pilot codes of 2015: genuine, but the check character does not match. Kept and flagged.
    @Test func pre2016CodeFailsCheckButIsKept() {
        let verdict = SocialCreditCode.verify("91350200M000000510")
        guard case .checkFailed(let code, let failures) = verdict else {
            Issue.record("expected check_failed, got \(verdict)")
            return
        }
        #expect(code.value == "91350200M000000510")
        #expect(failures == [.checkCharacter(expected: "D", found: "0")])
        #expect(failures[0].description.contains("expected D"))
    }

    @Test func organisationCheckIsTheSecondCheck() {
        // The worked example with its organisation-code check character changed and position 18 recomputed.
        let first17 = Array("91350100M000100Y5")
        let code = String(first17) + String(SocialCreditCode.checkCharacter(first17))
        #expect(SocialCreditCode.verify(code) == .checkFailed(
            SocialCreditCode.completing("91350100M000100Y")!.withValue(code),
            [.organisationCheck(expected: "4", found: "5")]))
    }

    @Test func normalisesFullWidthSpacesAndCase() {
        #expect(SocialCreditCode.normalize("  ９１３５０１００ｍ０００１００ｙ４３\u{3000}") == "91350100M000100Y43")
        #expect(SocialCreditCode.verify(" 91350100m000100y43 ").code?.value == "91350100M000100Y43")
    }

    @Test func invalidInputsSayWhy() {
        #expect(SocialCreditCode.verify("") == .invalid(.empty))
        #expect(SocialCreditCode.verify("9135010") == .invalid(.wrongLength(7)))
        #expect(SocialCreditCode.verify("91350100M000100I43") == .invalid(.characterOutsideAlphabet("I", position: 16)))
        #expect(SocialCreditCode.verify("96350100M000100Y43") == .invalid(.undefinedAuthorityAndType("96")))
        #expect(SocialCreditCode.verify("B1350100M000100Y43") == .invalid(.undefinedAuthorityAndType("B1")))
        #expect(SocialCreditCode.verify("913501A0M000100Y43") == .invalid(.regionNotDigits("3501A0")))
        #expect(SocialCreditCode.verify("330100000012345") == .invalid(.legacyRegistrationNumber))
    }

    /// Resident identity numbers are rejected, whether the authority/type pair catches them (43…) or
    /// the checks do (11… is a defined pair).
    @Test(arguments: ["431002198506121230", "110102198001010017", "11010519491231002X"])
    func residentIdentityNumbersAreRejected(_ id: String) {
        #expect(ResidentIdentityNumber(id) != nil)
        #expect(SocialCreditCode.verify(id).code == nil)
    }

    @Test func partsAndImpliedKind() {
        let code = SocialCreditCode.verify("92510100MA61WJ3204").code!
        #expect(code.regionCode == "510100")
        #expect(code.organisationCode == "MA61WJ320")
        #expect(code.impliedKind == .individualBusiness)
        #expect(SocialCreditCode.verify("112302070019030687").code!.impliedKind == .governmentBody)
    }

    @Test func legacyRegistrationNumberIsItsOwnIdentifier() {
        #expect(LegacyRegistrationNumber("４３１０００００００１２３４５") != nil)
        #expect(LegacyRegistrationNumber("43100000001234") == nil)
        #expect(LegacyRegistrationNumber("431000000012345")!.regionCode == "431000")
    }
}

extension SocialCreditCode {
    fileprivate func withValue(_ value: String) -> SocialCreditCode {
        SocialCreditCode.verify(value).code!
    }
}
