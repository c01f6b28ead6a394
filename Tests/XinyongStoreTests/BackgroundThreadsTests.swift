import Foundation
import Testing
@testable import XinyongStore

#if os(Linux)
import Glibc

/// Background work (a batch's parsing and validation, a full evaluation's scoring) runs at nice 19, so that on
/// busy cores the kernel serves checks and pages first; the caller's own threads keep their priority.
@Suite struct BackgroundThreadsTests {
    static func niceOfThisThread() -> Int32? {
        BackgroundThreads.kernelThreadID().map { getpriority(__priority_which_t(PRIO_PROCESS.rawValue), $0) }
    }

    @Test func backgroundWorkRunsAtTheLowestPriorityAndTheCallerKeepsItsOwn() async throws {
        let before = Self.niceOfThisThread()
        let inside = try await BackgroundThreads.run { Self.niceOfThisThread() }
        #expect(inside == 19)
        #expect(Self.niceOfThisThread() == before)
        #expect(before != 19)
    }

    @Test func resultsAndErrorsComeBack() async throws {
        struct Refused: Error {}
        #expect(try await BackgroundThreads.run { (1...1_000).reduce(0, +) } == 500_500)
        await #expect(throws: Refused.self) { try await BackgroundThreads.run { throw Refused() } }
    }
}
#endif
