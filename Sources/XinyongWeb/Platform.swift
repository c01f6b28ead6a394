import Crypto
import Foundation
import Hummingbird
import Logging
import Metrics
import Mustache
import Prometheus
import XinyongAccess
import XinyongAgencies
import XinyongAudit
import XinyongCommitments
import XinyongCulture
import XinyongDueProcess
import XinyongEvaluation
import XinyongExchange
import XinyongJoint
import XinyongModel
import XinyongParks
import XinyongPublication
import XinyongStore
import XinyongSupervision

/// What the web layer needs: the store, the catalogue versions, the region list and the templates.
public struct Platform: Sendable {
    public let store: Store
    public let catalogs: [Int: Catalog]
    public let regions: RegionDirectory
    /// The key personal id numbers are hashed with, for records that arrive through the exchange.
    public let personKey: SymmetricKey
    /// The public website's use cases (search, profiles, listings, signed reports).
    public let site: PublicSite
    /// The home page's headline figures, kept for minutes.
    public let statistics: SiteStatisticsCache
    /// The office's accounts and sessions.
    public let accounts: Accounts
    /// API keys of systems.
    public let keys: AccessKeys
    /// The audit trail's hash chain and signed checkpoints; `serve` runs its sealer.
    public let auditTrail: AuditTrail
    /// Grades: the evaluator and the follower that keeps them current; `serve` runs the follower.
    public let evaluation: EvaluationFollower
    /// What one caller's uploads may take of the server; `serve` sets it from the configuration.
    public var batchLimits = BatchLimits()
    let cookies: SessionCookies
    let templates: MustacheLibrary

    /// Loads what the pages need once at start: catalogue versions and templates.
    /// - Parameters:
    ///   - reportKey: the key credit reports are signed with (`ReportKeyFile`).
    ///   - auditKey: the key audit checkpoints are signed with (`AuditKeyFile`).
    ///   - requireTOTP: `OFFICE_REQUIRE_TOTP`, administrators must add a second factor.
    ///   - secureCookies: `COOKIE_SECURE`, the session cookie is sent over TLS only.
    public static func load(store: Store, personKey: SymmetricKey, reportKey: Curve25519.Signing.PrivateKey,
                            auditKey: Curve25519.Signing.PrivateKey = .init(), requireTOTP: Bool = false, secureCookies: Bool = false) async throws -> Platform {
        var catalogs: [Int: Catalog] = [:]
        var version = 1
        while let catalog = try await store.repositories.catalog.version(version) {
            catalogs[version] = catalog
            version += 1
        }
        let directory = resourcesPath("templates")
        let templates = try await MustacheLibrary(directory: directory)
        let site = PublicSite(store: store, catalogs: catalogs, regions: .shipped, reportKey: reportKey)
        return Platform(store: store, catalogs: catalogs, regions: .shipped, personKey: personKey, site: site,
                        statistics: SiteStatisticsCache(store: store), accounts: Accounts(store: store, requireTOTPForAdmins: requireTOTP), keys: AccessKeys(store: store),
                        auditTrail: AuditTrail(store: store, key: auditKey),
                        evaluation: EvaluationFollower(evaluator: try await Evaluator.current(store: store)),
                        cookies: SessionCookies(secure: secureCookies), templates: templates)
    }

    /// The newest catalogue version: what new submissions are judged by.
    var currentCatalog: Catalog? { site.currentCatalog }

    static func resourcesPath(_ name: String) -> String {
        Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Resources")!.path
    }

    static func resource(_ name: String) -> Data {
        guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Resources"),
            let data = try? Data(contentsOf: url)
        else { preconditionFailure("resource \(name) is missing from the bundle") }
        return data
    }

    /// Finds a subject by the identifier a user typed: a unified code (check-failed codes included) or
    /// a 15-digit legacy registration number. Anything else is a 400 that names the defect.
    func findSubject(_ input: String) async throws -> Subject {
        let subjects = store.lookups.subjects
        if let legacy = LegacyRegistrationNumber(input) {
            guard let subject = try await subjects.find(legacy: legacy) else {
                throw Problem.notFound("no subject has the registration number \(legacy.value)", page: "未找到注册号为 \(legacy.value) 的信用主体。")
            }
            return subject
        }
        switch SocialCreditCode.verify(input) {
        case .invalid(let reason):
            throw Problem(.badRequest, type: "invalid-code", title: "Invalid unified social credit code",
                          detail: reason.description, extra: ["input": String(input.prefix(100))],
                          page: "无法识别的代码：统一社会信用代码为 18 位，由数字和大写字母组成（不含 I、O、S、V、Z）；也可输入 15 位注册号。")
        case .valid(let code), .checkFailed(let code, _):
            guard let subject = try await subjects.find(code: code) else {
                throw Problem.notFound("no subject has the unified social credit code \(code.value)",
                                       page: "未找到统一社会信用代码为 \(code.value) 的信用主体。")
            }
            return subject
        }
    }
}

/// Prometheus registry for `/metrics`. swift-metrics allows one bootstrap per process, hence a global.
enum PlatformMetrics {
    static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        return registry
    }()
}

/// Builds the whole HTTP application; the CLI's `serve` and the tests both start it from here.
public func buildApplication(
    platform: Platform, host: String, port: Int, logger: Logger = Logger(label: "xinyong.web")
) -> some ApplicationProtocol {
    Application(
        router: buildRouter(platform: platform).router,
        configuration: .init(address: .hostname(host, port: port), serverName: "xinyong"),
        logger: logger)
}

/// The router behind the one edge: errors, security headers, metrics, authentication, then the routes,
/// each declaring what it needs.
func buildRouter(platform: Platform) -> Edge {
    _ = PlatformMetrics.registry
    let router = Router(context: AppRequestContext.self)
    // Outermost first: security headers also go on the pages the error middleware makes.
    router.middlewares.add(CompressionMiddleware())
    router.middlewares.add(SecurityHeadersMiddleware())
    // The edge's routes are registered below; the error middleware reads them only when answering.
    let edge = Edge(router: router, store: platform.store)
    router.middlewares.add(ErrorMiddleware(platform: platform, edge: edge))
    router.middlewares.add(MetricsMiddleware())
    router.middlewares.add(LogRequestsMiddleware(.debug))
    router.middlewares.add(AuthenticationMiddleware(keys: platform.keys, accounts: platform.accounts))
    APIRoutes(platform: platform).register(on: edge)
    AccountRoutes(platform: platform).register(on: edge)
    AdminRoutes(platform: platform).register(on: edge)
    SiteRoutes(platform: platform).register(on: edge)
    SearchRoutes(platform: platform).register(on: edge)
    PublicityRoutes(platform: platform).register(on: edge)
    ReportRoutes(platform: platform).register(on: edge)
    MonitoringRoutes(platform: platform).register(on: edge)
    CheckRoutes(platform: platform, service: JointService(store: platform.store, personKey: platform.personKey)).register(on: edge)
    AuditRoutes(platform: platform).register(on: edge)
    DeliveryRoutes(platform: platform).register(on: edge)
    if let catalog = platform.currentCatalog {
        DueProcessRoutes(platform: platform, service: DueProcess(store: platform.store, catalog: catalog)).register(on: edge)
    }
    NoticeRoutes(platform: platform).register(on: edge)
    let agencies = AgencyService(site: platform.site)
    AgencyRoutes(platform: platform, service: agencies).register(on: edge)
    ConsentRoutes(platform: platform, service: agencies).register(on: edge)
    EvaluationRoutes(platform: platform).register(on: edge)
    if let catalog = platform.currentCatalog {
        let importer = BatchImporter(store: platform.store, catalog: catalog, regions: platform.regions, personKey: platform.personKey)
        ExchangeRoutes(platform: platform, importer: importer).register(on: edge)
        SubmitFormRoutes(platform: platform, importer: importer).register(on: edge)
        QualityPage(platform: platform).register(on: edge)
        CommitmentRoutes(platform: platform, service: CommitmentService(store: platform.store, importer: importer)).register(on: edge)
        ParkRoutes(platform: platform, service: ParkService(store: platform.store, regions: platform.regions, catalog: catalog)).register(on: edge)
    }
    AssociationRoutes(platform: platform, directory: AssociationDirectory(store: platform.store)).register(on: edge)
    InspectionRoutes(platform: platform, service: Supervision(store: platform.store),
                     importer: platform.currentCatalog.map { BatchImporter(store: platform.store, catalog: $0, regions: platform.regions, personKey: platform.personKey) })
        .register(on: edge)
    CultureRoutes(platform: platform, service: CultureService(store: platform.store)).register(on: edge)
    return edge
}
