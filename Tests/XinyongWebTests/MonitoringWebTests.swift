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
                #expect(abs(chenzhou.rank - 24) <= 3)
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
                    struct Score: Decodable { let rank: Int; let groupSize: Int }
                    let lines: [Line]
                    let score: Score
                }
                let explanation: Explanation
            }
            try await client.execute(uri: "/api/v1/monitoring/cities/431000?month=2018-12", method: .get) { response in
                #expect(response.status == .ok)
                let body = try decode(Body.self, response.body)
                #expect(body.explanation.lines.count == 84)
                #expect(abs(body.explanation.score.rank - 47) <= 3)
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
}
