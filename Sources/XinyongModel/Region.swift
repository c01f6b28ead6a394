/// A GB/T 2260 administrative division.
public struct Region: Sendable, Hashable, Codable {
    public enum Level: String, Sendable, Codable, CaseIterable { case province, prefecture, county }

    public let code: String
    public let name: String
    public let level: Level
    public let parent: String?
    public let longitude: Double?
    public let latitude: Double?

    /// The prefix every code within a region starts with: `43` for a province (430000), `4310` for a city
    /// (431000), the whole code for a county. GB/T 2260 codes nest this way.
    public static func codePrefix(_ code: String) -> String {
        var prefix = Substring(code)
        while prefix.count > 2, prefix.hasSuffix("00") { prefix = prefix.dropLast(2) }
        return String(prefix)
    }

    public init(code: String, name: String, level: Level, parent: String?, longitude: Double? = nil, latitude: Double? = nil) {
        self.code = code
        self.name = name
        self.level = level
        self.parent = parent
        self.longitude = longitude
        self.latitude = latitude
    }
}

/// The region list with the look-ups every part of the platform needs: by code, up the parent chain,
/// down to children, and county → city roll-up.
public struct RegionDirectory: Sendable {
    public let all: [Region]
    private let byCode: [String: Region]
    private let childrenByCode: [String: [Region]]

    public init(_ regions: [Region]) {
        all = regions
        byCode = Dictionary(regions.map { ($0.code, $0) }, uniquingKeysWith: { first, _ in first })
        childrenByCode = Dictionary(grouping: regions.filter { $0.parent != nil }, by: { $0.parent! })
    }

    /// The 2026 list shipped in `Resources/regions.csv` (licence in `Resources/regions-LICENSE.md`).
    public static let shipped: RegionDirectory = RegionDirectory(
        ShippedData.csvRows("regions").map { row in
            guard row.count == 6, let level = Region.Level(rawValue: row[2]) else {
                preconditionFailure("bad row in regions.csv: \(row)")
            }
            return Region(code: row[0], name: row[1], level: level, parent: row[3].isEmpty ? nil : row[3],
                          longitude: Double(row[4]), latitude: Double(row[5]))
        })

    public subscript(code: String) -> Region? { byCode[code] }

    /// The region itself, then its parent, up to the province.
    public func chain(_ code: String) -> [Region] {
        var out: [Region] = []
        var next = byCode[code]
        while let region = next {
            out.append(region)
            next = region.parent.flatMap { byCode[$0] }
        }
        return out
    }

    public func children(of code: String) -> [Region] { childrenByCode[code] ?? [] }

    /// The city a region rolls up to: itself for a prefecture, its prefecture for a county, nil for a
    /// province or a county governed directly by its province.
    public func city(of code: String) -> Region? { chain(code).first { $0.level == .prefecture } }

    /// Whether `code` is `ancestor` or lies below it.
    public func isWithin(_ code: String, _ ancestor: String) -> Bool { chain(code).contains { $0.code == ancestor } }

    /// The closest listed region for a code from a subject's identifier, which may come from an older
    /// edition of GB/T 2260: the code itself, else its prefecture (xxxx00), else its province (xx0000).
    public func nearest(_ code: String) -> Region? {
        guard code.count == 6 else { return nil }
        return byCode[code] ?? byCode[String(code.prefix(4)) + "00"] ?? byCode[String(code.prefix(2)) + "0000"]
    }
}
