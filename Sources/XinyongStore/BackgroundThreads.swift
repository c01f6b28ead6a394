import NIOCore
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// Threads at the lowest CPU priority (nice 19) for work that can wait: validating a department's batch, scoring
/// a full evaluation run. When the cores are busy the kernel gives the request threads (checks, pages) the CPU
/// first, so a large batch slows itself down instead of every check in the city; on an idle machine it runs at
/// full speed, and at nice 19 it still gets a share under any load, so it always finishes.
public enum BackgroundThreads {
    static let pool: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: System.coreCount)
        pool.start()
        return pool
    }()

    /// Runs `body` on a background thread and returns its result.
    public static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await pool.runIfActive {
            lowerPriorityOfThisThread()
            return try body()
        }
    }

    /// On Linux a nice value belongs to one thread, named by its kernel id. Elsewhere the threads keep their priority.
    static func lowerPriorityOfThisThread() {
        #if os(Linux)
        guard let tid = kernelThreadID() else { return }
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), tid, 19)
        #endif
    }

    #if os(Linux)
    /// The calling thread's kernel id, which `/proc/thread-self` links to (`<pid>/task/<tid>`; Glibc's `gettid`
    /// is not visible to Swift).
    static func kernelThreadID() -> id_t? {
        var link = [CChar](repeating: 0, count: 64)
        let length = readlink("/proc/thread-self", &link, link.count - 1)
        guard length > 0 else { return nil }
        return String(decoding: link[..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            .split(separator: "/").last.flatMap { id_t($0) }
    }
    #endif
}
