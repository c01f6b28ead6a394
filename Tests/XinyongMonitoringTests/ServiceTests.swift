import Foundation
import Testing
import XinyongModel
import XinyongMonitoring
import XinyongMonitoringService
import XinyongStore
import XinyongTestSupport

extension MonitoringSerialized {
    @Suite struct ServiceTests {
        @Test(arguments: Backend.allCases)
        func storedDemoScoresLikeTheEngineInMemory(_ backend: Backend) async throws {
            try await backend.withStore { store in
                let service = MonitoringService(store: store, uncertainty: .init(runs: 20))
                let options = MonitoringDemo.Options(through: Month("2019-01")!)
                let (values, events) = try await service.loadDemoIfEmpty(options)
                #expect(values > 20_000)
                let again = try await service.loadDemoIfEmpty(options)
                #expect(again.0 == 0 && again.1 == 0)
                let fromStore = try await service.scores(edition: "2020", month: Month("2019-01")!)
                #expect(DemoFixture.output.events.filter { $0.occurredOn < CivilDate("2019-02-01")! }.count == events)
                let inMemory = MonitoringEngine(edition: .edition2020, cities: DemoFixture.demo.cities).score(Month("2019-01")!, data: DemoFixture.data)
                for result in inMemory.results {
                    let stored = try #require(fromStore.result(for: result.city.code))
                    #expect(abs(stored.score - result.score) < 1e-9)
                    #expect(stored.rank == result.rank)
                }
                #expect(fromStore.result(for: "431000")?.previousRank != nil)
                #expect(try await service.months(edition: "2020").map(\.description) == ["2018-12", "2019-01"])

                // The months' results are in the database: a new service (a restart) reads them back.
                #expect(try await store.repositories.monitoring.results(edition: "2020").map(\.month) == ["2018-12", "2019-01"])
                let restarted = MonitoringService(store: store, uncertainty: .init(runs: 20))
                let prepared = try await restarted.prepare()
                #expect(prepared.reused == 2 && prepared.computed == 0)
                let before = try await service.intervalsByCity(edition: "2020", month: Month("2019-01")!)
                let after = try await restarted.intervalsByCity(edition: "2020", month: Month("2019-01")!)
                #expect(before.count == after.count && before.allSatisfy { after[$0.key]?.high == $0.value.high && after[$0.key]?.low == $0.value.low })

                // Other settings, or other inputs, are computed again and stored.
                let otherSettings = MonitoringService(store: store, uncertainty: .init(runs: 21))
                #expect(try await otherSettings.prepare().computed == 2)
                _ = try await restarted.importValues(csv: "city,month,indicator,value\n431000,2019-01,1.1.1,3\n", edition: "2020", source: "csv",
                                                     by: Actor("test", reason: "test"))
                #expect(try await restarted.prepare().computed == 2)
                #expect(try await MonitoringService(store: store, uncertainty: .init(runs: 20)).prepare().reused == 2)

                // A month without data is refused, never scored from an old window.
                let error = await #expect(throws: MonitoringService.NotFound.self) {
                    try await restarted.scores(edition: "2020", month: Month("2019-06")!)
                }
                #expect(error?.kind == .month)
                #expect(error?.page.contains("暂无监测数据") == true)
            }
        }

        @Test(arguments: Backend.allCases)
        func importsReplaceValuesAndRefuseBadFilesWhole(_ backend: Backend) async throws {
            try await backend.withStore { store in
                let service = MonitoringService(store: store)
                let actor = Actor("test", reason: "test")
                let good = "city,month,indicator,value\n431000,2019-03,1.1.1,4\n430100,2019-03,1.1.1,6\n"
                #expect(try await service.importValues(csv: good, edition: "2020", source: "csv", by: actor).rows == 2)
                _ = try await service.importValues(csv: "city,month,indicator,value\n431000,2019-03,1.1.1,8\n", edition: "2020", source: "csv", by: actor)
                let data = try await service.data(edition: "2020")
                #expect(data.value("1.1.1", city: "431000", month: Month("2019-03")!) == 8)
                #expect(data.valueCount == 2)
                let bad = "city,month,indicator,value\n431000,2019-04,1.1.1,5\n431000,2019-04,1.1.1,oops\n"
                let error = await #expect(throws: MonitoringService.Rejected.self) {
                    try await service.importValues(csv: bad, edition: "2020", source: "csv", by: actor)
                }
                #expect(error?.issues.count == 1)
                #expect(try await service.data(edition: "2020").valueCount == 2)
                let events = """
                    id,city,kind,occurred_on,expires_on,source,severity,indicator,title
                    e1,431000,dishonesty,2019-03-02,,credit_website,serious,3.3.2,拖欠工资
                    """
                #expect(try await service.importEvents(csv: events, edition: "2020", by: actor).rows == 1)
                #expect(try await service.data(edition: "2020").events.first?.expiresOn == nil)
                let audit = try await store.repositories.audit.entries(entity: "monitoring_values")
                #expect(audit.count == 2)
            }
        }

        @Test func anEditionIsInstalledOnceAndNeverChanged() async throws {
            try await Backend.sqlite.withStore { store in
                let service = MonitoringService(store: store)
                let actor = Actor("test", reason: "test")
                let installed = try await service.editions().map(\.id)
                #expect(Set(installed) == ["2019", "2020"])
                var changed = Edition.edition2020
                changed.name = "changed"
                await #expect(throws: MonitoringRepository.EditionConflict.self) { try await service.importEdition(changed.encoded(), by: actor) }
                changed.id = "2021"
                let imported = try await service.importEdition(changed.encoded(), by: actor)
                #expect(imported.id == "2021")
                let stored = try await service.edition("2021")
                #expect(stored.name == "changed")
            }
        }
    }
}
