import XinyongModel

/// Field values of demo records, as departments fill them in.
enum Fields {
    static let documentWord = [
        "admin_licence": "许字", "admin_penalty": "罚决字", "judgment_defaulter": "执字", "serious_dishonesty": "失信认字",
        "abnormal_operation": "异字", "tax_grade_a": "信评字", "honour": "表字", "credit_commitment": "诺字",
        "commitment_breach": "违诺字",
    ]

    /// (violation type, facts, legal basis, penalty category) by kind of department.
    static let violations: [String: [(String, String, String, String)]] = [
        "market_regulation": [
            ("食品安全", "销售超过保质期的预包装食品", "《中华人民共和国食品安全法》第一百二十四条第一款", "罚款"),
            ("产品质量", "销售不合格产品", "《中华人民共和国产品质量法》第四十九条", "没收违法所得"),
            ("广告违法", "发布含有虚假内容的广告", "《中华人民共和国广告法》第五十五条第一款", "罚款"),
            ("价格违法", "未按规定明码标价", "《明码标价和禁止价格欺诈规定》第二十一条", "警告"),
        ],
        "environment": [
            ("大气污染", "超过大气污染物排放标准排放大气污染物", "《中华人民共和国大气污染防治法》第九十九条", "罚款"),
            ("水污染", "私设暗管排放水污染物", "《中华人民共和国水污染防治法》第八十三条", "责令停产停业"),
        ],
        "emergency": [
            ("安全生产", "未按规定对从业人员进行安全生产教育和培训", "《中华人民共和国安全生产法》第九十七条", "罚款"),
            ("安全生产", "未对重大危险源登记建档并进行定期检测", "《中华人民共和国安全生产法》第一百零一条", "罚款"),
        ],
        "transport": [
            ("道路运输", "未取得道路运输经营许可擅自从事道路运输经营", "《中华人民共和国道路运输条例》第六十三条", "没收违法所得"),
            ("超限运输", "车辆违法超限运输", "《公路安全保护条例》第六十四条", "罚款"),
        ],
        "tax": [
            ("税收违法", "未按照规定期限办理纳税申报", "《中华人民共和国税收征收管理法》第六十二条", "罚款"),
            ("税收违法", "编造虚假计税依据", "《中华人民共和国税收征收管理法》第六十四条第一款", "罚款"),
        ],
        "housing": [
            ("建设工程质量", "施工中偷工减料，使用不合格的建筑材料", "《建设工程质量管理条例》第六十四条", "罚款"),
            ("建筑市场", "未取得施工许可证擅自施工", "《中华人民共和国建筑法》第六十四条", "责令停产停业"),
        ],
        "health": [
            ("公共卫生", "未依法取得公共场所卫生许可证擅自营业", "《公共场所卫生管理条例实施细则》第三十五条", "警告"),
        ],
    ]

    /// (decision document, licence category, certificate, content, legal basis) by kind of department.
    static let licences: [String: (String, String, String, String, String)] = [
        "market_regulation": ("食品经营许可决定书", "登记", "食品经营许可证", "预包装食品销售（含冷藏冷冻食品），散装食品销售", "《中华人民共和国食品安全法》第三十五条"),
        "housing": ("建筑工程施工许可决定书", "普通", "建筑工程施工许可证", "房屋建筑工程施工", "《中华人民共和国建筑法》第七条"),
        "transport": ("道路运输经营许可决定书", "普通", "道路运输经营许可证", "道路普通货物运输", "《中华人民共和国道路运输条例》第二十四条"),
        "health": ("公共场所卫生许可决定书", "普通", "公共场所卫生许可证", "住宿、美容美发场所", "《公共场所卫生管理条例》第八条"),
        "environment": ("排污许可决定书", "普通", "排污许可证", "排放大气污染物、水污染物", "《排污许可管理条例》第三条"),
        "natural_resources": ("采矿许可决定书", "特许", "采矿许可证", "铅锌矿地下开采", "《中华人民共和国矿产资源法》第三条"),
        "culture_tourism": ("娱乐经营许可决定书", "普通", "娱乐经营许可证", "歌舞娱乐场所经营", "《娱乐场所管理条例》第九条"),
        "emergency": ("危险化学品经营许可决定书", "普通", "危险化学品经营许可证", "汽油、柴油批发（无储存）", "《危险化学品安全管理条例》第三十三条"),
        "human_resources": ("劳务派遣经营许可决定书", "普通", "劳务派遣经营许可证", "劳务派遣经营", "《中华人民共和国劳动合同法》第五十七条"),
    ]

    static func make(_ type: String, subject: Subject, department: Department, decided: CivilDate, tier: Tier?,
                     number: String, random: inout SeededRandom) -> [String: String] {
        var f = ["document_no": number, "decision_date": decided.description, "authority": department.name,
                 "authority_code": department.code?.value ?? "", "source_department": department.name,
                 "source_department_code": department.code?.value ?? ""]
        switch type {
        case "admin_licence":
            let (document, category, certificate, content, basis) = licences[department.category] ?? licences["market_regulation"]!
            let years = random.int(1...5)
            f.merge(["document_name": document, "licence_category": category, "certificate_name": certificate,
                     "certificate_no": "\(department.regionCode)\(decided.year)\(String(random.int(1...99_999)).leftPadded(5))",
                     "content": content, "valid_from": decided.description,
                     "valid_to": decided.adding(months: 12 * years).adding(days: -1).description, "legal_basis": basis]) { _, b in b }
        case "admin_penalty":
            let (kind, facts, basis, category) = random.pick(violations[department.category] ?? violations["market_regulation"]!)
            let fine = tier == .minor ? random.int(1...20) * 100 : random.int(5...500) * 1000
            f.merge(["violation_type": kind, "violation_facts": "经查，当事人\(facts)。", "legal_basis": basis,
                     "penalty_category": category, "content": category == "警告" ? "警告" : "\(category)，罚款人民币\(fine)元",
                     "fine_amount": String(format: "%.4f", Double(fine) / 10_000), "tier": tier?.rawValue ?? ""]) { _, b in b }
        case "judgment_defaulter":
            let amount = random.int(1...300) * 1000
            f.merge(["basis_document": "（\(decided.year - 1)）湘\(String(department.regionCode.suffix(4)))民初\(random.int(100...9999))号",
                     "court": department.name, "obligation": "给付申请执行人欠款人民币\(amount)元及利息",
                     "performance": random.chance(0.8) ? "全部未履行" : "部分未履行",
                     "circumstances": random.pick(["有履行能力而拒不履行生效法律文书确定义务", "违反财产报告制度", "违反限制消费令"]),
                     "legal_basis": "《中华人民共和国民事诉讼法》第二百六十六条；法释〔2017〕7号第一条",
                     "end_date": decided.adding(months: random.chance(0.8) ? 24 : 36).description]) { _, b in b }
        case "serious_dishonesty":
            f.merge(["list_name": department.category == "tax" ? "重大税收违法失信主体" : "严重违法失信名单",
                     "reason": department.category == "tax" ? "虚开增值税专用发票" : "因同一性质违法行为受到两次以上较大数额罚款",
                     "legal_basis": department.category == "tax" ? "《重大税收违法失信主体信息公布管理办法》第六条" : "《市场监督管理严重违法失信名单管理办法》第二条",
                     "tier": "serious"]) { _, b in b }
        case "abnormal_operation":
            f.merge(["reason": random.weighted([("未按规定报送年度报告", 70.0), ("通过登记的住所或者经营场所无法联系", 25),
                                                 ("未按规定公示即时信息", 5)]),
                     "legal_basis": "《市场主体登记管理条例实施细则》第七十条；《企业经营异常名录管理暂行办法》第四条"]) { _, b in b }
        case "tax_grade_a":
            f.merge(["assessment_year": "\(decided.year - 1)", "grade": "A",
                     "legal_basis": "《纳税信用管理办法（试行）》第二十条"]) { _, b in b }
        case "honour":
            f.merge(["honour_name": random.pick(["守合同重信用企业", "诚信示范企业", "文明诚信经营户", "优秀民营企业"]),
                     "level": random.weighted([("市级", 60.0), ("县级", 30), ("省级", 9), ("国家级", 1)]),
                     "legal_basis": "《郴州市守信联合激励办法》"]) { _, b in b }
        case "credit_commitment":
            let matter = random.pick(["企业登记注册", "建设工程施工许可", "食品经营许可", "涉企经营许可事项告知承诺", "税务注销"])
            f.merge(["commitment_type": random.pick(["审批替代型", "容缺受理型", "主动型", "行业自律型"]), "matter": matter,
                     "content": "本单位承诺所提交材料真实有效，严格遵守法律法规，如有违反愿承担相应责任并接受信用惩戒。",
                     "legal_basis": "《国家发展改革委办公厅关于开展信用承诺制度建设的通知》",
                     "fulfilment": random.weighted([("已履约", 70.0), ("履约中", 27), ("未履约", 3)])]) { _, b in b }
        case "commitment_breach":
            f.merge(["commitment_no": "诺〔\(decided.year)〕\(random.int(1...9999))号", "breach": "未在承诺期限内补齐申请材料",
                     "legal_basis": "《国家发展改革委办公厅关于开展信用承诺制度建设的通知》",
                     "tier": tier?.rawValue ?? "general"]) { _, b in b }
        default: break
        }
        return f
    }
}
