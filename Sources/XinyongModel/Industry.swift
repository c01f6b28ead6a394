/// The industry section (GB/T 4754-2017 门类) a registered name suggests. Subjects carry no industry code,
/// so the office's breakdown by industry reads the name's industry words (建筑, 餐饮, 科技 …); a name with
/// none of them is 未识别, never guessed.
public enum Industry: String, Sendable, CaseIterable {
    case agriculture = "A", mining = "B", manufacturing = "C", utilities = "D", construction = "E", trade = "F"
    case transport = "G", hospitality = "H", information = "I", finance = "J", realEstate = "K", business = "L"
    case research = "M", environment = "N", householdServices = "O", education = "P", health = "Q", culture = "R"
    case unknown = "-"

    public var name: String {
        switch self {
        case .agriculture: "农、林、牧、渔业"
        case .mining: "采矿业"
        case .manufacturing: "制造业"
        case .utilities: "电力、热力、燃气及水生产和供应业"
        case .construction: "建筑业"
        case .trade: "批发和零售业"
        case .transport: "交通运输、仓储和邮政业"
        case .hospitality: "住宿和餐饮业"
        case .information: "信息传输、软件和信息技术服务业"
        case .finance: "金融业"
        case .realEstate: "房地产业"
        case .business: "租赁和商务服务业"
        case .research: "科学研究和技术服务业"
        case .environment: "水利、环境和公共设施管理业"
        case .householdServices: "居民服务、修理和其他服务业"
        case .education: "教育"
        case .health: "卫生和社会工作"
        case .culture: "文化、体育和娱乐业"
        case .unknown: "未识别"
        }
    }

    /// Words checked in this order: the more telling ones first (房地产开发 before 开发, 餐饮 before 服务).
    private static let words: [(String, Industry)] = [
        ("房地产", .realEstate), ("物业", .realEstate), ("置业", .realEstate),
        ("银行", .finance), ("保险", .finance), ("证券", .finance), ("小额贷款", .finance), ("担保", .finance), ("金融", .finance),
        ("矿业", .mining), ("煤业", .mining), ("采矿", .mining), ("石材", .mining),
        ("建筑", .construction), ("建设", .construction), ("建工", .construction), ("路桥", .construction), ("装饰", .construction), ("工程", .construction),
        ("餐饮", .hospitality), ("酒店", .hospitality), ("宾馆", .hospitality), ("饭店", .hospitality), ("酒家", .hospitality), ("食府", .hospitality),
        ("软件", .information), ("网络", .information), ("信息技术", .information), ("通信", .information), ("电子商务", .information),
        ("运输", .transport), ("物流", .transport), ("快递", .transport), ("客运", .transport), ("仓储", .transport),
        ("电力", .utilities), ("水务", .utilities), ("燃气", .utilities), ("供水", .utilities), ("热力", .utilities), ("能源", .utilities),
        ("医院", .health), ("诊所", .health), ("卫生", .health), ("养老", .health), ("医疗", .health),
        ("学校", .education), ("培训", .education), ("教育", .education), ("幼儿园", .education),
        ("文化", .culture), ("传媒", .culture), ("体育", .culture), ("娱乐", .culture), ("旅游", .culture), ("影视", .culture),
        ("环保", .environment), ("环境", .environment), ("园林", .environment), ("水利", .environment),
        ("科技", .research), ("技术", .research), ("检测", .research), ("设计", .research), ("研究", .research),
        ("商贸", .trade), ("贸易", .trade), ("超市", .trade), ("商行", .trade), ("批发", .trade), ("零售", .trade), ("药房", .trade), ("药店", .trade), ("经营部", .trade), ("商店", .trade),
        ("农业", .agriculture), ("种植", .agriculture), ("养殖", .agriculture), ("林业", .agriculture), ("渔业", .agriculture), ("农场", .agriculture), ("合作社", .agriculture), ("茶业", .agriculture),
        ("租赁", .business), ("咨询", .business), ("广告", .business), ("人力资源", .business), ("商务", .business), ("投资", .business), ("管理", .business),
        ("制造", .manufacturing), ("制品", .manufacturing), ("食品", .manufacturing), ("化工", .manufacturing), ("机械", .manufacturing), ("材料", .manufacturing),
        ("电子", .manufacturing), ("纺织", .manufacturing), ("服装", .manufacturing), ("药业", .manufacturing), ("制药", .manufacturing), ("加工", .manufacturing), ("厂", .manufacturing),
        ("维修", .householdServices), ("家政", .householdServices), ("美容", .householdServices), ("理发", .householdServices), ("洗浴", .householdServices), ("服务", .householdServices),
    ]

    public static func infer(fromName name: String) -> Industry {
        words.first { name.contains($0.0) }?.1 ?? .unknown
    }
}
