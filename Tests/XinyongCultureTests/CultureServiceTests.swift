import Crypto
import Foundation
import Testing
import XinyongCulture
import XinyongDemo
import XinyongModel
import XinyongStore
import XinyongTestSupport

/// Writing, publishing and withdrawing articles on both databases, over a small demo city whose records the
/// cases link to.
@Suite struct CultureServiceTests {
    static let actor = Actor("user:writer", reason: "culture test")

    static func demo(_ store: Store) async throws -> (CultureService, recordID: String) {
        let options = DemoGenerator.Options(subjects: 60, seed: 11, asOf: .today(), recordScale: 1)
        _ = try await DemoGenerator(options: options, personKey: SymmetricKey(size: .bits256)).run(into: store)
        let record = try #require(try await store.repositories.records.latestPublicOfOrganisations(type: "admin_penalty", on: .today(), limit: 1).first)
        return (CultureService(store: store), record.id)
    }

    static func refusal(_ body: () async throws -> Article) async -> String? {
        do {
            _ = try await body()
            return nil
        } catch let refusal as CultureService.Refusal {
            return refusal.code
        } catch {
            return "\(error)"
        }
    }

    @Test(arguments: Backend.allCases) func aCaseIsWrittenPublishedAndWithdrawnWithItsLinksAndAudit(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let (culture, recordID) = try await Self.demo(store)
            let draft = CultureService.Draft(section: .cases, verdict: "bad", title: "  某公司违法经营  ", summary: "摘要", body: "正文",
                                             recordIDs: [recordID, recordID], lists: ["watch", "black"])
            let written = try await culture.create(draft, by: Self.actor)
            #expect(written.state == .draft && written.title == "某公司违法经营" && written.verdict == .bad)
            #expect(written.recordIDs == [recordID] && written.lists == [.black, .watch])
            #expect(try await culture.published(written.id, in: .cases) == nil, "a draft is not public")

            let published = try await culture.publish(written.id, by: Self.actor)
            #expect(published.state == .published)
            let shown = try #require(try await culture.published(written.id, in: .cases))
            #expect(shown.publishedAt != nil && shown.recordIDs == [recordID])
            #expect(try await culture.published(written.id, in: .news) == nil, "a case is not news")
            #expect(try await culture.latest(.cases, verdict: .bad).contains { $0.id == written.id })
            #expect(!(try await culture.latest(.cases, verdict: .good).contains { $0.id == written.id }))

            _ = try await culture.withdraw(written.id, by: Self.actor)
            #expect(try await culture.published(written.id, in: .cases) == nil)
            #expect(await Self.refusal { try await culture.withdraw(written.id, by: Self.actor) } == "already-withdrawn")

            let actions = try await store.repositories.audit.entries(entity: "articles", limit: 1000)
                .filter { $0.entity_id == written.id }.map(\.action)
            #expect(Set(actions) == ["create", "publish", "withdraw"])
            #expect(try await store.repositories.audit.entries(entity: "articles", limit: 1000).filter { $0.entity_id == written.id }
                .allSatisfy { $0.actor == "user:writer" })
        }
    }

    @Test(arguments: Backend.allCases) func badDraftsAreRefusedWithTheirReason(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let (culture, recordID) = try await Self.demo(store)
            func code(_ draft: CultureService.Draft) async -> String? { await Self.refusal { try await culture.create(draft, by: Self.actor) } }
            #expect(await code(.init(section: .news, title: "  ", body: "正文")) == "empty-title")
            #expect(await code(.init(section: .news, title: "标题", body: " \n")) == "empty-body")
            #expect(await code(.init(section: .news, title: String(repeating: "长", count: 81), body: "正文")) == "too-long")
            #expect(await code(.init(section: .news, title: "标题", body: String(repeating: "字", count: Article.Limits.body + 1))) == "too-long")
            #expect(await code(.init(section: .cases, title: "标题", body: "正文")) == "invalid-verdict")
            #expect(await code(.init(section: .cases, verdict: "good", title: "标题", body: "正文", recordIDs: ["no-such-record"])) == "unknown-record")
            #expect(await code(.init(section: .cases, verdict: "good", title: "标题", body: "正文", lists: ["gold"])) == "unknown-list")
            #expect(await code(.init(section: .news, title: "标题", body: "正文", recordIDs: [recordID])) == "links-on-non-case")
            #expect(await Self.refusal { try await culture.publish("WZ20260101-NONE", by: Self.actor) } == "not-found")
            #expect(await Self.refusal {
                try await culture.update("WZ20260101-NONE", .init(section: .news, title: "标题", body: "正文"), by: Self.actor)
            } == "not-found")
        }
    }

    @Test(arguments: Backend.allCases) func anEditChangesTheWordsAndKeepsTheSection(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let (culture, recordID) = try await Self.demo(store)
            let written = try await culture.create(.init(section: .cases, verdict: "good", title: "甲", body: "一"), by: Self.actor)
            let edited = try await culture.update(written.id, .init(section: .news, verdict: "bad", title: "乙", body: "二", recordIDs: [recordID],
                                                                    lists: ["red"]), by: Actor("user:editor", reason: "test"))
            let stored = try #require(try await store.repositories.articles.find(id: written.id))
            #expect(stored == edited)
            #expect(stored.section == .cases && stored.title == "乙" && stored.body == "二" && stored.verdict == .bad)
            #expect(stored.recordIDs == [recordID] && stored.lists == [.red] && stored.author == "user:editor")
        }
    }

    @Test(arguments: Backend.allCases) func theDemoPublishesCasesAboutRealRecordsAndNews(_ backend: Backend) async throws {
        try await backend.withStore { store in
            let (culture, _) = try await Self.demo(store)
            let cases = try await culture.latest(.cases)
            #expect(cases.count >= 5)
            #expect(Set(cases.compactMap(\.verdict)) == [.good, .bad])
            for article in cases {
                #expect(!article.recordIDs.isEmpty)
                for id in article.recordIDs { #expect(try await store.repositories.records.find(id: id) != nil) }
            }
            #expect(try await culture.latest(.news).count == 5)
            #expect(try await culture.latest(.policies).count == 2)
        }
    }
}
