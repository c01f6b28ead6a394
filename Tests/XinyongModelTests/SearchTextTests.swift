import Testing
import XinyongModel

@Suite struct SearchTextTests {
    @Test func foldingIgnoresWidthCaseBracketsAndPunctuation() {
        #expect(SearchText.fold("郴州某某（集团）有限公司") == "郴州某某集团有限公司")
        #expect(SearchText.fold("郴州某某(集团)有限公司") == "郴州某某集团有限公司")
        #expect(SearchText.fold("ａｂｃ Tech·科技 ＡＢ－1") == "ABCTECH科技AB1")
        #expect(SearchText.fold("<script>'--%") == "SCRIPT")
    }

    @Test func gramsKeepNamesApart() {
        #expect(SearchText.bigrams("郴州建设") == ["郴州", "州建", "建设"])
        #expect(SearchText.grams(of: ["郴州建设", "湘南"]) == "郴州 州建 建设 | 湘南")
        #expect(SearchText.haystack(of: ["郴州（建设）", "湘南"]) == "郴州建设|湘南")
        #expect(SearchText.terms("郴州　某某建设  郴州") == ["郴州", "某某建设"])
    }

    @Test func highlightMarksEveryWordInTheOriginalCharacters() {
        let parts = SearchText.highlight("郴州市某某（集团）建设有限公司", terms: ["某某集团", "建设"])
        #expect(parts.map(\.text) == ["郴州市", "某某（集团", "）", "建设", "有限公司"])
        #expect(parts.map(\.hit) == [false, true, false, true, false])
        #expect(SearchText.highlight("湘南公司", terms: ["郴州"]).map(\.hit) == [false])
    }

    @Test func listsFollowRecordTypes() {
        #expect(CreditList(recordType: "judgment_defaulter") == .black)
        #expect(CreditList(recordType: "tax_grade_a") == .red)
        #expect(CreditList(recordType: "abnormal_operation") == .watch)
        #expect(CreditList(recordType: "admin_penalty") == nil)
    }
}
