import Foundation
import Hummingbird
import XinyongExchange
import XinyongModel

/// The credit office's page on data quality and timeliness per department, record type and region.
/// It shows no personal data. County offices see their own region and below.
struct QualityPage {
    let platform: Platform

    func register(on edge: Edge) {
        edge.get("/office/quality", .office, use: page)
    }

    struct View {
        struct Line { let department, region, type, rows, rejected, records, late, latest: String }
        struct RegionLine { let region, rows, rejected, records, late: String }
        let title = "数据质量与及时性 · 信用郴州"
        let lines: [Line]
        let regions: [RegionLine]
        let empty: Bool
    }

    @Sendable func page(_ request: Request, context: AppRequestContext) async throws -> Response {
        let region = try context.region(requested: PublicQuery(request: request).text("region"), regions: platform.regions)
        let report = try await DataQuality.report(store: platform.store, regions: platform.regions, within: region)
        let typeNames = Dictionary(uniqueKeysWithValues: (platform.currentCatalog?.recordTypes ?? []).map { ($0.code, $0.name) })
        let view = View(
            lines: report.lines.map { l in
                .init(department: l.departmentName, region: platform.regions[l.regionCode]?.name ?? l.regionCode,
                      type: typeNames[l.recordType] ?? l.recordType, rows: "\(l.rowsSubmitted)", rejected: percent(l.rejectedShare),
                      records: "\(l.records)", late: percent(l.lateShare), latest: l.latestSubmission.map(beijingTime) ?? "—")
            },
            regions: report.regions.map { r in
                .init(region: r.regionName, rows: "\(r.rowsSubmitted)", rejected: percent(r.rejectedShare),
                      records: "\(r.records)", late: percent(r.lateShare))
            },
            empty: report.lines.isEmpty)
        return try platform.html("quality", view, context: context)
    }

    private func percent(_ share: Double?) -> String {
        share.map { String(format: "%.1f %%", $0 * 100) } ?? "—"
    }
}
