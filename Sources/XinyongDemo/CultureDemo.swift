import XinyongCulture
import XinyongModel
import XinyongStore

/// Honesty culture's demo: ten typical cases about real demo records (picked by query once the records
/// exist: the newest public ones of each type), good and bad in turn so that the home page shows both, five
/// news items and two policies, all published. A case whose
/// record type the demo did not produce (a very small demo) is left out.
extension DemoGenerator {
    struct CaseSpec: Sendable {
        let type: String
        /// Which of the newest public records of the type: cases of one type are about different subjects.
        let rank: Int
        let verdict: Article.Verdict
        let lists: [CreditList]
        let write: @Sendable (CaseFacts) -> (title: String, summary: String, body: String)
    }

    struct CaseFacts: Sendable { let name, documentNumber, date, department: String }

    func runCultureDemo(into store: Store, actor: Actor) async throws {
        let culture = CultureService(store: store)
        for spec in Self.cases {
            let records = try await store.repositories.records.latestPublicOfOrganisations(type: spec.type, on: options.asOf, limit: spec.rank + 1)
            guard records.count > spec.rank else { continue }
            let record = records[spec.rank]
            let facts = CaseFacts(
                name: try await store.repositories.subjects.find(id: record.subjectID)?.name ?? "",
                documentNumber: record.documentNumber, date: record.decisionDate.chineseText,
                department: try await store.repositories.departments.find(record.departmentID)?.name ?? "")
            let text = spec.write(facts)
            let draft = CultureService.Draft(section: .cases, verdict: spec.verdict.rawValue, title: text.title, summary: text.summary,
                                             body: text.body, recordIDs: [record.id], lists: spec.lists.map(\.rawValue))
            _ = try await culture.publish(try await culture.create(draft, by: actor).id, by: actor)
        }
        for draft in Self.news + Self.policies {
            _ = try await culture.publish(try await culture.create(draft, by: actor).id, by: actor)
        }
    }

    static let cases: [CaseSpec] = [
        CaseSpec(type: "honour", rank: 0, verdict: .good, lists: [.red]) { f in (
            "\(f.name)获评诚信经营示范单位",
            "坚持依法诚信经营，获\(f.department)表彰，列入红名单。",
            """
            \(f.department)于\(f.date)作出表彰决定（\(f.documentNumber)），对**\(f.name)**予以表彰。

            该单位多年来坚持合同履约率百分之百，未发生拖欠货款、工资的情况，主动公开服务承诺，群众满意度高。

            ## 激励措施

            依照守信联合激励有关规定，该单位列入红名单期间可在行政审批中享受**容缺受理**、**绿色通道**等便利，并可申请“信易贷”等信易+ 服务。
            """) },
        CaseSpec(type: "serious_dishonesty", rank: 0, verdict: .bad, lists: [.black]) { f in (
            "\(f.name)被列入严重失信主体名单",
            "存在严重失信行为，依法列入黑名单并实施联合惩戒。",
            """
            \(f.department)于\(f.date)认定**\(f.name)**存在严重失信行为（\(f.documentNumber)），依法将其列入严重失信主体名单。

            ## 惩戒措施

            列入名单期间，该主体在政府采购、招标投标、财政资金支持等方面依法受到限制，其法定代表人不得担任其他企业的法定代表人。

            失信主体在规定期限内纠正失信行为、消除不良影响的，可依法申请[信用修复](/repair)。
            """) },
        CaseSpec(type: "honour", rank: 1, verdict: .good, lists: [.red]) { f in (
            "守合同重信用：\(f.name)",
            "以诚信立企，获得表彰。",
            """
            **\(f.name)**在经营中恪守承诺，\(f.date)获\(f.department)表彰（文号 \(f.documentNumber)）。

            > 诚信是企业最好的名片。

            该单位建立了客户投诉“当日响应、三日办结”制度，近三年无行政处罚记录。
            """) },
        CaseSpec(type: "judgment_defaulter", rank: 0, verdict: .bad, lists: [.black]) { f in (
            "拒不履行生效判决：\(f.name)被纳入失信被执行人名单",
            "有履行能力而拒不履行生效法律文书确定的义务。",
            """
            \(f.department)于\(f.date)将**\(f.name)**纳入失信被执行人名单（\(f.documentNumber)）。

            该单位有履行能力而拒不履行生效法律文书确定的给付义务。纳入名单后，其高消费行为受到限制，并在融资信贷、市场准入等方面受到联合惩戒。
            """) },
        CaseSpec(type: "tax_grade_a", rank: 0, verdict: .good, lists: [.red]) { f in (
            "纳税信用A级纳税人：\(f.name)",
            "依法纳税、按期申报，连续被评为纳税信用A级。",
            """
            经\(f.department)评定（\(f.documentNumber)），**\(f.name)**为纳税信用A级纳税人。

            A级纳税人可享受以下激励：

            - 增值税发票按需领用；
            - 办税“绿色通道”和专门人员协助；
            - 银行“银税互动”信用贷款支持。
            """) },
        CaseSpec(type: "judgment_defaulter", rank: 1, verdict: .bad, lists: [.black]) { f in (
            "失信被执行人\(f.name)受到联合惩戒",
            "逃避执行，依法纳入失信被执行人名单。",
            """
            **\(f.name)**因未履行生效法律文书确定的义务，于\(f.date)被\(f.department)纳入失信被执行人名单（\(f.documentNumber)）。

            提醒广大市场主体：**守信者处处受益，失信者寸步难行**。
            """) },
        CaseSpec(type: "tax_grade_a", rank: 1, verdict: .good, lists: [.red]) { f in (
            "\(f.name)：诚信纳税换来“真金白银”",
            "凭A级纳税信用获得银行信用贷款。",
            """
            **\(f.name)**于\(f.date)被评为纳税信用A级（\(f.documentNumber)）。

            凭借良好的纳税信用，该企业通过“银税互动”获得了无抵押信用贷款，用于扩大生产。这是“信用就是财富”的生动体现。
            """) },
        CaseSpec(type: "admin_penalty", rank: 0, verdict: .bad, lists: []) { f in (
            "\(f.name)违法经营受到行政处罚",
            "行政处罚信息依法在“双公示”栏目公示。",
            """
            \(f.department)于\(f.date)对**\(f.name)**作出行政处罚决定（\(f.documentNumber)）。

            行政处罚信息依法公示，公示期满后按规定停止公示；当事人可依法申请信用修复。
            """) },
        CaseSpec(type: "credit_commitment", rank: 0, verdict: .good, lists: []) { f in (
            "\(f.name)主动作出信用承诺",
            "签署信用承诺书并向社会公开，接受监督。",
            """
            \(f.date)，**\(f.name)**向\(f.department)作出信用承诺（\(f.documentNumber)），承诺依法诚信经营、按时履约，并自愿接受社会监督。

            信用承诺书已在“信用郴州”公示，市民可在该主体的信用信息页面查看承诺内容和履约情况。
            """) },
        CaseSpec(type: "abnormal_operation", rank: 0, verdict: .bad, lists: [.watch]) { f in (
            "\(f.name)被列入经营异常名录",
            "未按规定报送年度报告，列入重点关注名单。",
            """
            \(f.department)于\(f.date)将**\(f.name)**列入经营异常名录（\(f.documentNumber)）。

            企业应当按时报送年度报告、如实公示信息。被列入经营异常名录的企业，补报年度报告并公示后，可申请移出。
            """) },
    ]

    static let news: [CultureService.Draft] = [
        .init(section: .news, title: "我市召开社会信用体系建设工作推进会", summary: "部署年度信用体系建设重点任务。", body: """
            近日，市社会信用体系建设领导小组召开工作推进会，总结上一阶段工作，部署下一阶段重点任务。

            会议要求，各部门要按照“应归尽归”原则，及时、准确报送行政许可和行政处罚等信用信息，确保**双公示**信息在作出决定后 7 个工作日内上网公示。
            """),
        .init(section: .news, title: "“信用郴州”平台上线典型案例专栏", summary: "守信和失信典型案例集中公开。", body: """
            “信用郴州”平台正式上线[典型案例](/cases)专栏，集中发布守信激励和失信惩戒典型案例，每个案例均关联相应的信用记录和名单，方便公众查证。
            """),
        .init(section: .news, title: "诚信宣传进社区活动启动", summary: "以案说法，弘扬诚信文化。", body: """
            为弘扬诚实守信的传统美德，市信用办联合各县市区开展“诚信宣传进社区”活动。

            活动通过发放宣传资料、讲解典型案例等方式，引导市民知信、用信、守信。
            """),
        .init(section: .news, title: "“信易贷”助力小微企业融资", summary: "信用良好的企业可凭信用获得贷款。", body: """
            我市持续推进“信易贷”工作，金融机构依托公共信用信息，为信用良好的小微企业提供免抵押、免担保的信用贷款。

            纳税信用A级、列入红名单的企业可优先获得支持，详见[信易+](/xinyi)。
            """),
        .init(section: .news, title: "信用修复办理指南发布", summary: "依法依规开展信用修复。", body: """
            根据国家发展改革委信用修复管理办法，失信主体纠正失信行为、履行相关义务后，可通过“信用郴州”在线申请信用修复。

            办理流程和材料要求见[信用修复](/repair)页面。
            """),
    ]

    static let policies: [CultureService.Draft] = [
        .init(section: .policies, title: "关于加快推进社会信用体系建设构建以信用为基础的新型监管机制的指导意见", summary: "国办发〔2019〕35号",
              body: """
            本文件提出以信用为基础的新型监管机制，包括：

            1. 创新事前环节信用监管，建立健全信用承诺制度；
            2. 加强事中环节信用监管，全面建立市场主体信用记录；
            3. 完善事后环节信用监管，健全失信联合惩戒对象认定机制；
            4. 强化信用监管的支撑保障，依法依规保护市场主体权益。
            """),
        .init(section: .policies, title: "信用修复管理办法", summary: "国家发展和改革委员会令", body: """
            本办法规定了失信信息的公示期限、信用修复的申请条件、办理程序和时限。

            - 轻微失信信息公示期一般为 3 个月；
            - 一般失信信息公示期一般为 1 年；
            - 严重失信信息公示期一般为 3 年。

            公示期满的信息停止公示；公示期内符合条件的可申请提前停止公示。
            """),
    ]
}
