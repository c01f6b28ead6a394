import Foundation
import XinyongStore

/// One monitoring service per store, so that the web routes and the command line share its cache.
/// A test (or the CLI) may register a service with its own settings before the routes are built.
public enum MonitoringServices {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var services: [ObjectIdentifier: MonitoringService] = [:]

    public static func register(_ service: MonitoringService) {
        lock.withLock { services[ObjectIdentifier(service.store)] = service }
    }

    public static func service(for store: Store) -> MonitoringService {
        lock.withLock {
            if let existing = services[ObjectIdentifier(store)] { return existing }
            let service = MonitoringService(store: store)
            services[ObjectIdentifier(store)] = service
            return service
        }
    }
}
