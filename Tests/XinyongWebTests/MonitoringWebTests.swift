import Crypto
import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import XinyongModel
import XinyongMonitoring
import XinyongMonitoringService
import XinyongStore
@testable import XinyongWeb

/// A database with three months of monitoring demo data and a service with small Monte Carlo and Sobol
/// settings, so that the pages answer quickly in a debug build.
enum MonitoringFixture {
    /// An administrator's key: monitoring imports take administrators.
    static let token = Task { () throws -> String in
        try await platform.value.keys.issue(.admin, name: "monitoring imports", by: Actor("test", reason: "monitoring web tests")).secret
    }

    static let platform = Task { () throws -> Platform in
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("xinyong-monitoring-\(UUID().uuidString).sqlite").path
        let store = try await Store.open(.sqlite(path: path))
        try await store.bootstrap()
        let service = MonitoringService(store: store, uncertainty: .init(runs: 40), sensitivity: .init(samples: 32, resamples: 30))
        MonitoringServices.register(service)
        try await service.loadDemoIfEmpty(.init(through: Month("2019-03")!))
        return try await Platform.load(store: store, personKey: SymmetricKey(size: .bits256), reportKey: .init())
    }

    static func withApp(_ body: @Sendable (any TestClientProtocol) async throws -> Void) async throws {
        let platform = try await platform.value
        let app = Application(router: buildRouter(platform: platform).router)
        try await app.test(.router, body)
    }
}

struct ScoresDecoded: Decodable {
    struct City: Decodable {
        let code: String
        let rank: Int
        let groupSize: Int
        let score: Double
        let previousRank: Int?
        let interval: Interval?
    }
    struct Interval: Decodable { let low: Double; let high: Double }
    let month: String
    let cities: [City]
}

struct IssuesDecoded: Decodable {
    struct Issue: Decodable { let row: Int; let field: String?; let reason: String }
    let type: String
    let issues: [Issue]
}

@Suite(.serialized) struct MonitoringWebTests {
    @Test func scoresListTheGroupWithRanksIntervalsAndLastMonth() async throws {
        try await MonitoringFixture.withApp { client in
            try await client.execute(uri: "/api/v1/monitoring/scores?month=2019-03&group=prefecture", method: .get) { response in
                #expect(response.status == .ok)
                let body = try decode(ScoresDecoded.self, response.body)
                #expect(body.cities.count == 261)
                let chenzhou = try #require(body.cities.first { $0.code == "431000" })
                #expect(chenzhou.rank == 24)
                #expect(chenzhou.previousRank != nil)
                let interval = try #require(chenzhou.interval)
                #expect(interval.low <= interval.high)
            }
            try await client.execute(uri: "/api/v1/monitoring/scores?month=2019-3", method: .get) { response in
                #expect(response.status == .badRequest)
                let problem = try decode(ProblemBody.self, response.body)
                #expect(problem.type == "/problems/invalid-parameter")
            }
        }
    }

    @Test func aCityIsExplainedDownToItsIndicators() async throws {
        try await MonitoringFixture.withApp { client in
            struct Body: Decodable {
                struct Explanation: Decodable {
                    struct Line: Decodable { let code: String; let earned: Double; let level: Int }
                    struct Score: Decodable { let rank: Int; let groupSize: Int; let score: Double }
                    let lines: [Line]
                    let score: Score
                }
                let explanation: Explanation
            }
            try await client.execute(uri: "/api/v1/monitoring/cities/431000?month=2018-12", method: .get) { response in
                #expect(response.status == .ok)
                let body = try decode(Body.self, response.body)
                #expect(body.explanation.lines.count == 84)
                #expect(body.explanation.score.rank == 47)
                #expect(String(format: "%.2f", body.explanation.score.score) == "84.32")
            }
            try await client.execute(uri: "/api/v1/monitoring/cities/999999", method: .get) { response in
                #expect(response.status == .notFound)
            }
        }
    }

    @Test func whatIfRecomputesOnTheSpot() async throws {
        try await MonitoringFixture.withApp { client in
            struct Body: Decodable { let scoreBefore: Double; let scoreAfter: Double; let rankAfter: Int; let rankBefore: Int }
            try await client.execute(uri: "/api/v1/monitoring/cities/431000/what-if?month=2019-03&indicator=3.3.2.1&value=0", method: .get) { response in
                #expect(response.status == .ok)
                let body = try decode(Body.self, response.body)
                #expect(body.scoreAfter >= body.scoreBefore)
                #expect(body.rankAfter <= body.rankBefore)
            }
            try await client.execute(uri: "/api/v1/monitoring/cities/431000/what-if?indicator=3.3&value=1", method: .get) { response in
                #expect(response.status == .badRequest)
            }
        }
    }

    @Test func theEditionIsAFileThatReadsBack() async throws {
        try await MonitoringFixture.withApp { client in
            try await client.execute(uri: "/api/v1/monitoring/editions/2020", method: .get) { response in
                #expect(response.status == .ok)
                let edition = try Edition.decode(Data(buffer: response.body))
                #expect(edition == Edition.edition2020)
            }
        }
    }

    @Test func importsNeedAnAdministratorAndNameEveryBadRow() async throws {
        try await MonitoringFixture.withApp { client in
            let csv = "city,month,indicator,value\n431000,2019-03,1.1.1,x\n431000,2019-13,1.1.1,3\n"
            try await client.execute(uri: "/api/v1/monitoring/values", method: .post, body: ByteBuffer(string: csv)) { response in
                #expect(response.status == .unauthorized)
            }
            let token = try await MonitoringFixture.token.value
            let headers: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "text/csv"]
            try await client.execute(uri: "/api/v1/monitoring/values", method: .post, headers: headers, body: ByteBuffer(string: csv)) { response in
                #expect(response.status == .unprocessableContent)
                let body = try decode(IssuesDecoded.self, response.body)
                #expect(body.type == "/problems/monitoring-import-rejected")
                #expect(body.issues.map(\.row) == [2, 3])
                #expect(body.issues.map(\.field) == ["value", "month"])
            }
            let json: HTTPFields = [.authorization: "Bearer \(token)", .contentType: "application/json"]
            let rows = #"[{"city":"430100","month":"2019-03","indicator":"1.1.1","value":9}]"#
            try await client.execute(uri: "/api/v1/monitoring/values", method: .post, headers: json, body: ByteBuffer(string: rows)) { response in
                #expect(response.status == .created)
            }
        }
    }

    @Test func thePagesRenderWithoutJavaScript() async throws {
        try await MonitoringFixture.withApp { client in
            try await client.execute(uri: "/monitoring?group=prefecture&province=430000&q=%E9%83%B4", method: .get) { response in
                #expect(response.status == .ok)
                let html = String(buffer: response.body)
                #expect(html.contains("郴州市"))
                #expect(!html.contains("长沙市"))
            }
            try await client.execute(uri: "/monitoring/cities/431000?month=2019-03&indicator=4.1.1&value=3", method: .get) { response in
                #expect(response.status == .ok)
                let html = String(buffer: response.body)
                #expect(html.contains("<svg"))
                #expect(!html.contains("<script"))
                #expect(html.contains("若指标 4.1.1"))
                #expect(html.contains("3.3.2 严重失信事件"))
            }
            try await client.execute(uri: "/monitoring/cities/000000", method: .get) { response in
                #expect(response.status == .notFound)
            }
        }
    }

    static let html: HTTPFields = [.accept: "text/html"]
    static let county = MonitoredCity.shipped.first { $0.group == .county }!.code

    @Test func theTablePagesBy50AndListsOnlyCitiesWithData() async throws {
        try await MonitoringFixture.withApp { client in
            try await client.execute(uri: "/api/v1/monitoring/scores?month=2019-03", method: .get) { response in
                struct Body: Decodable { let cities: [ScoresDecoded.City]; let noData: [String] }
                let body = try decode(Body.self, response.body)
                // The demo has no county-level data: 397 cities without data, unranked; the others ranked among themselves.
                #expect(body.cities.count == 297)
                #expect(body.noData.count == 397)
                #expect(!body.cities.contains { $0.code == Self.county })
                for (group, size) in [(36, 36), (261, 261)] {
                    #expect(body.cities.filter { $0.groupSize == group }.count == size)
                }
            }
            try await client.execute(uri: "/monitoring?month=2019-03", method: .get, headers: Self.html) { response in
                #expect(response.status == .ok)
                let html = String(buffer: response.body)
                #expect(html.components(separatedBy: "href=\"/monitoring/cities/").count - 1 == 50)
                #expect(html.contains("共 297 个城市，第 1/6 页"))
                #expect(html.contains("下一页") && html.contains("page=2") && html.contains("page=6"))
                #expect(html.contains("另有 397 个城市本月窗口内无数据"))
                #expect(!html.contains(Self.county))
                #expect(html.contains("/monitoring/bulletin.csv?"))
                #expect(!html.contains("Ranks are within"))
            }
            try await client.execute(uri: "/monitoring?month=2019-03&page=6", method: .get, headers: Self.html) { response in
                let html = String(buffer: response.body)
                #expect(html.components(separatedBy: "href=\"/monitoring/cities/").count - 1 == 47)
                #expect(html.contains("上一页") && html.contains("page=5"))
            }
            try await client.execute(uri: "/monitoring?month=2019-03&group=prefecture&page=2", method: .get, headers: Self.html) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("共 261 个城市，第 2/6 页"))
                #expect(html.contains("group=prefecture&amp;page=3") || html.contains("group=prefecture&page=3"))
            }
            try await client.execute(uri: "/monitoring?month=2019-03&q=%E6%B2%A1%E6%9C%89%E8%BF%99%E4%B8%AA%E5%9F%8E%E5%B8%82", method: .get, headers: Self.html) { response in
                #expect(String(buffer: response.body).contains("<p class=\"empty\">无</p>"))
            }
        }
    }

    @Test func theBulletinIsACSVForExcel() async throws {
        try await MonitoringFixture.withApp { client in
            try await client.execute(uri: "/monitoring/bulletin.csv?month=2018-12&group=prefecture", method: .get) { response in
                #expect(response.status == .ok)
                #expect(response.headers[.contentType] == "text/csv; charset=utf-8")
                #expect(response.headers[.contentDisposition]?.contains("attachment") == true)
                let bytes = response.body.getBytes(at: response.body.readerIndex, length: response.body.readableBytes) ?? []
                #expect(Array(bytes.prefix(3)) == [0xEF, 0xBB, 0xBF])
                let text = String(decoding: bytes.dropFirst(3), as: UTF8.self)
                let lines = text.components(separatedBy: "\r\n").filter { !$0.isEmpty }
                #expect(lines.count == 262)
                #expect(lines[0].hasPrefix("月份,指标体系,滚动窗口,分组,组内排名,组内城市数,城市代码,城市"))
                let chenzhou = try #require(lines.first { $0.contains(",431000,") })
                let fields = chenzhou.components(separatedBy: ",")
                #expect(fields[4] == "47" && fields[5] == "261" && fields[10] == "84.32")
            }
        }
    }

    @Test func badInputIsChineseOnPagesAndAProblemInTheAPI() async throws {
        try await MonitoringFixture.withApp { client in
            // A month with no data.
            try await client.execute(uri: "/monitoring?month=2020-05", method: .get, headers: Self.html) { response in
                #expect(response.status == .notFound)
                let html = String(buffer: response.body)
                #expect(html.contains("2020-05 暂无监测数据"))
                #expect(!html.contains("has no data"))
            }
            try await client.execute(uri: "/api/v1/monitoring/scores?month=2020-05", method: .get) { response in
                #expect(response.status == .notFound)
                let problem = try decode(ProblemBody.self, response.body)
                #expect(problem.type == "/problems/monitoring-month-without-data")
            }
            try await client.execute(uri: "/monitoring/bulletin.csv?month=2020-05", method: .get) { response in
                #expect(response.status == .notFound)
            }
            // An unknown city.
            try await client.execute(uri: "/monitoring/cities/999999", method: .get, headers: Self.html) { response in
                #expect(response.status == .notFound)
                #expect(String(buffer: response.body).contains("没有代码为 999999 的监测城市"))
            }
            try await client.execute(uri: "/api/v1/monitoring/cities/999999/trend", method: .get) { response in
                #expect(response.status == .notFound)
                let problem = try decode(ProblemBody.self, response.body)
                #expect(problem.type == "/problems/monitoring-unknown-city")
            }
            // A ranked city with no data: said plainly, no number.
            try await client.execute(uri: "/monitoring/cities/\(Self.county)?month=2019-03", method: .get, headers: Self.html) { response in
                #expect(response.status == .ok)
                let html = String(buffer: response.body)
                #expect(html.contains("暂无数据"))
                #expect(!html.contains("组内排名"))
                #expect(!html.contains("class=\"big\">1</span>"))
            }
            try await client.execute(uri: "/api/v1/monitoring/cities/\(Self.county)?month=2019-03", method: .get) { response in
                #expect(response.status == .notFound)
                let problem = try decode(ProblemBody.self, response.body)
                #expect(problem.type == "/problems/monitoring-city-without-data")
            }
            // A what-if value that is not a number.
            try await client.execute(uri: "/monitoring/cities/431000?month=2019-03&indicator=4.1.1&value=abc", method: .get, headers: Self.html) { response in
                #expect(response.status == .ok)
                let html = String(buffer: response.body)
                #expect(html.contains("滚动值“abc”不是不小于 0 的数字"))
                #expect(!html.contains("must be a number"))
                #expect(!html.contains("若指标"))
            }
            try await client.execute(uri: "/api/v1/monitoring/cities/431000/what-if?month=2019-03&indicator=4.1.1&value=abc", method: .get) { response in
                #expect(response.status == .badRequest)
                let problem = try decode(ProblemBody.self, response.body)
                #expect(problem.type == "/problems/invalid-parameter")
            }
            try await client.execute(uri: "/monitoring?month=2019-3", method: .get, headers: Self.html) { response in
                #expect(response.status == .badRequest)
                #expect(String(buffer: response.body).contains("格式不对"))
            }
        }
    }

    @Test func chartsHaveVisibleTitlesAndTheLastMonthIsNotClipped() async throws {
        try await MonitoringFixture.withApp { client in
            try await client.execute(uri: "/monitoring/cities/431000?month=2019-03", method: .get, headers: Self.html) { response in
                let html = String(buffer: response.body)
                #expect(html.contains("<figcaption>月度得分（分）</figcaption>"))
                #expect(html.contains("<figcaption>组内排名（第 1 名在上）</figcaption>"))
                #expect(html.contains("text-anchor=\"end\">2019-03</text>"))
                #expect(html.contains("class=\"scroll\""))
            }
        }
        #expect(SVGChart.line([], title: "t", inverted: false, format: { "\($0)" }).contains(">无<"))
    }

    @Test func openAPIDescribesEveryMonitoringRoute() async throws {
        let platform = try await MonitoringFixture.platform.value
        let routes = buildRouter(platform: platform).routes.filter { $0.path.contains("monitoring") && !$0.path.hasPrefix("/static/") }
        #expect(routes.count >= 14)
        let spec = try JSONSerialization.jsonObject(with: Data(Platform.resource("openapi.json"))) as! [String: Any]
        let paths = spec["paths"] as! [String: [String: Any]]
        for route in routes {
            #expect(paths[route.path]?[route.method.rawValue.lowercased()] != nil, "openapi.json does not describe \(route)")
        }
    }
}
