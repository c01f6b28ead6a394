import ArgumentParser
import Foundation
import Hummingbird
import NIOCore
import XinyongDemo
import XinyongExchange
import XinyongMonitoringService
import XinyongStore
import XinyongWeb

/// `xinyong serve`: the API and the public site.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "serve", abstract: "Run the HTTP server.")

    @OptionGroup var options: CommonOptions

    @Option(help: "Address to listen on (env HTTP_HOST; default 127.0.0.1).")
    var host: String?

    @Option(help: "Port to listen on (env HTTP_PORT; default 8080).")
    var port: Int?

    @Flag(help: "On first run, create the database and fill it with demo data (about 20,000 subjects) and demo users before serving.")
    var demo = false

    @Option(name: .customLong("office-require-totp"), help: "true: administrators must add a TOTP second factor (env OFFICE_REQUIRE_TOTP; default false).")
    var requireTOTP: String?

    @Option(name: .customLong("cookie-secure"), help: "true: the session cookie is sent over HTTPS only; set it behind TLS (env COOKIE_SECURE; default false).")
    var cookieSecure: String?

    func run() async throws {
        let settings = try options.settings(host: host, port: port, requireTOTP: requireTOTP, cookieSecure: cookieSecure)
        let logger = LogSetup.logger("xinyong")
        let store = try await openStore(settings)
        // The background jobs (expiry announcer, audit sealer, webhook deliveries) stop before the store closes.
        var background: [Task<Void, Never>] = []
        do {
            try await prepareSchema(settings, serving: store)
            if demo, try await store.repositories.subjects.count() == 0 {
                logger.info("filling an empty database with demo data; this takes a minute once")
                let summary = try await fillDemo(store: store, settings: settings, options: .init())
                logger.info("\(DemoReport(summary: summary, settings: settings).text)")
                print(try await DemoUsers.create(store: store))
            }
            var platform = try await Platform.load(
                store: store, personKey: try await PlatformKeys.person(store: store, settings: settings),
                reportKey: try await PlatformKeys.report(store: store, settings: settings),
                auditKey: try await PlatformKeys.audit(store: store, settings: settings), requireTOTP: settings.requireTOTP, secureCookies: settings.cookieSecure)
            platform.batchLimits = settings.batchLimits
            // The monitoring's months are prepared at start (read back from the database, or computed and stored),
            // in the background: the demo's 13 months of Monte Carlo take minutes in a debug build, and the site
            // should answer meanwhile (its monitoring pages say 暂无数据 until the months are ready).
            let monitoring = MonitoringServices.service(for: store)
            let loadDemo = demo
            Task.detached {
                do {
                    if loadDemo, try await monitoring.loadDemoIfEmpty().0 > 0 { logger.info("monitoring demo loaded") }
                    try await monitoring.prepare()
                } catch { logger.error("monitoring results: \(error)") }
            }
            let app = buildApplication(platform: platform, host: settings.host, port: settings.port, logger: logger)
            // Records whose publicity ended are announced on the change feed at start and every hour after; records
            // whose notice's statement period ended are listed on the same round.
            background.append(Task.detached {
                while !Task.isCancelled {
                    do { try await RecordLifecycle.announceExpiries(store: store) } catch { logger.error("expiry announcements failed: \(error)") }
                    do { try await RecordLifecycle.listAfterNotice(store: store) } catch { logger.error("listing after notices failed: \(error)") }
                    try? await Task.sleep(for: .seconds(3600))
                }
            })
            // The audit chain's sealer links new audit rows every second and signs a checkpoint every ten
            // minutes; at shutdown it seals and signs once more.
            let trail = platform.auditTrail
            background.append(Task.detached { await trail.run(logger: logger) })
            // Corrections, withdrawals and repairs are pushed to the departments' webhooks; failures are tried
            // again on the schedule, from the database, so a restart loses none.
            background.append(Task.detached {
                await WebhookDelivery(store: store).run { logger.error("webhook deliveries failed: \($0)") }
            })
            // Grades follow the change feed within seconds, and everyone is evaluated again each new day.
            let evaluation = platform.evaluation
            background.append(Task.detached {
                await evaluation.run { logger.error("evaluation failed: \($0)") }
            })
            print("Xinyong is serving \(settings.database) at http://\(settings.host):\(settings.port)")
            try await app.runService()
            await Self.stop(background)
            do { try await platform.auditTrail.finish() } catch { logger.error("audit chain at shutdown: \(error)") }
        } catch {
            await Self.stop(background)
            await store.close()
            if Self.isAddressInUse(error) {
                throw Failure("HTTP_PORT: \(settings.host):\(settings.port) is already in use; choose another with --port or HTTP_PORT")
            }
            if let failure = error as? Failure { throw failure }
            if error is IOError || "\(error)".contains("bind") {
                throw Failure("HTTP_HOST/HTTP_PORT: cannot listen on \(settings.host):\(settings.port): \(error)")
            }
            throw error
        }
        await store.close()
    }

    static func stop(_ tasks: [Task<Void, Never>]) async {
        for task in tasks { task.cancel() }
        for task in tasks { await task.value }
    }

    static func isAddressInUse(_ error: any Error) -> Bool {
        if let io = error as? IOError, io.errnoCode == EADDRINUSE { return true }
        return "\(error)".contains("Address already in use")
    }
}
