import Hummingbird
import Logging
import ServiceLifecycle

/// The server a bench starts inside its own process, stopped by a graceful shutdown (not a cancellation) so
/// that the end of a bench logs no error.
struct BenchServer: Sendable {
    private let group: ServiceGroup
    private let running: Task<Void, any Error>

    init(_ app: some ApplicationProtocol, logger: Logger) {
        let group = ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [], logger: logger))
        self.group = group
        running = Task { try await group.run() }
    }

    /// Stops accepting connections, lets the open ones finish, and waits until the server is down.
    func stop() async throws {
        await group.triggerGracefulShutdown()
        try await running.value
    }
}
