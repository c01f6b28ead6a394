/// Words the synthetic Chenzhou is made of. Common Hunan surnames and shop-sign characters; industries
/// weighted towards what Chenzhou has (non-ferrous mining, building, trade, tourism around Dongjiang Lake).
enum Vocabulary {
    static let surnames = Array("李王张刘陈杨黄赵周吴徐孙朱马胡郭林何高罗郑梁谢宋唐许邓冯韩曹曾彭萧蔡潘田董袁于余叶蒋杜苏魏程吕丁沈任姚卢傅钟姜崔谭廖范汪陆金石戴贾韦夏邱方侯邹熊孟秦白江阎薛尹段雷黎史龙陶贺顾毛郝龚邵万钱严覃武").map(String.init)
    static let compoundSurnames = ["欧阳", "司马", "上官", "诸葛"]
    static let givenCharacters = Array("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红文辉玉兰春梅海燕小鹏飞婷雪琴波斌宇浩凯俊峰晨阳欣怡子轩梓涵思远嘉怡佳琪雨欣").map(String.init)
    static let brandCharacters = Array("宏达鑫盛兴隆华泰鸿运金源恒通永安瑞丰顺昌利民荣发天成正大德新中联宇信诚和旺佳福祥汇众创伟业博远嘉禾湘南林邑苏仙北湖东江莽山福城昊晟润泽凯旋锦程同心益康").map(String.init)
    static let industries: [(String, Double)] = [
        ("建设工程", 10), ("矿业", 5), ("有色金属", 4), ("商贸", 12), ("物流", 6), ("农业开发", 5), ("食品", 5),
        ("房地产开发", 4), ("电子科技", 4), ("新材料", 3), ("旅游开发", 3), ("医药", 2), ("餐饮管理", 5),
        ("建材", 4), ("环保科技", 2), ("机械制造", 3), ("汽车销售", 3), ("信息技术", 4), ("劳务", 3), ("装饰工程", 4),
        ("茶业", 1), ("石墨", 1), ("烟花爆竹", 1),
    ]
    static let companySuffixes: [(String, Double)] = [("有限公司", 70), ("有限责任公司", 22), ("股份有限公司", 5), ("集团有限公司", 3)]
    static let shopKinds = ["小吃店", "副食店", "五金店", "理发店", "服装店", "便利店", "粉店", "农资店", "汽修店", "药店", "茶行", "家电行"]
    static let coopProducts = ["脐橙", "茶叶", "烤烟", "生猪", "蔬菜", "油茶", "水稻", "东江鱼", "香芋", "黄桃"]
    static let associations = ["建筑业协会", "个体劳动者协会", "餐饮行业协会", "物流协会", "湖南商会", "志愿者协会", "慈善总会", "矿业协会"]
    static let institutions = ["人民医院", "中医医院", "妇幼保健院", "中学", "职业技术学校", "疾病预防控制中心", "图书馆", "公共资源交易中心"]
    static let places = ["华塘", "良田", "栖凤渡", "坳上", "五里牌", "塘村", "太和", "白石渡", "马田", "油市", "土地", "濠头"]
}

/// The departments a city and each of its counties has, with the record types they mostly send.
struct DepartmentKind: Sendable {
    let category: String
    let cityName: String
    /// County-level name; `{c}` is replaced by the county's name.
    let countyName: String
    /// Short form used in document numbers.
    let abbreviation: String

    static let all: [DepartmentKind] = [
        .init(category: "development_reform", cityName: "郴州市发展和改革委员会", countyName: "{c}发展和改革局", abbreviation: "发改"),
        .init(category: "market_regulation", cityName: "郴州市市场监督管理局", countyName: "{c}市场监督管理局", abbreviation: "市监"),
        .init(category: "tax", cityName: "国家税务总局郴州市税务局", countyName: "国家税务总局{c}税务局", abbreviation: "税"),
        .init(category: "court", cityName: "郴州市中级人民法院", countyName: "{c}人民法院", abbreviation: "执"),
        .init(category: "environment", cityName: "郴州市生态环境局", countyName: "郴州市生态环境局{c}分局", abbreviation: "环"),
        .init(category: "housing", cityName: "郴州市住房和城乡建设局", countyName: "{c}住房和城乡建设局", abbreviation: "建"),
        .init(category: "transport", cityName: "郴州市交通运输局", countyName: "{c}交通运输局", abbreviation: "交"),
        .init(category: "emergency", cityName: "郴州市应急管理局", countyName: "{c}应急管理局", abbreviation: "应急"),
        .init(category: "health", cityName: "郴州市卫生健康委员会", countyName: "{c}卫生健康局", abbreviation: "卫"),
        .init(category: "natural_resources", cityName: "郴州市自然资源和规划局", countyName: "郴州市自然资源和规划局{c}分局", abbreviation: "自然资"),
        .init(category: "human_resources", cityName: "郴州市人力资源和社会保障局", countyName: "{c}人力资源和社会保障局", abbreviation: "人社"),
        .init(category: "culture_tourism", cityName: "郴州市文化旅游广电体育局", countyName: "{c}文化旅游广电体育局", abbreviation: "文旅"),
    ]
}
