import Testing
@testable import XinyongCLI

/// `bench check` reads wrk's report; what it counts as failed decides whether a run under load was clean.
@Suite struct LoadFiguresTests {
    @Test func wrkReportGivesRateLatenciesAndEveryFailure() throws {
        let report = """
            Running 10s test @ http://127.0.0.1:18480
              2 threads and 64 connections
              Thread Stats   Avg      Stdev     Max   +/- Stdev
                Latency     7.83ms    9.98ms   1.57s    95.05%
                Req/Sec     4.83k   512.00     5.90k    70.00%
              Latency Distribution
                 50%  612.00us
                 75%    8.10ms
                 90%   13.79ms
                 99%    1.20s
              96526 requests in 10.05s, 37.01MB read
              Socket errors: connect 0, read 2, write 0, timeout 3
              Non-2xx or 3xx responses: 12
            Requests/sec:   9606.96
            Transfer/sec:      3.68MB
            """
        let figures = try LoadFigures(wrkOutput: report)
        #expect(figures.requests == 96_526)
        #expect(figures.ratePerSecond == 9_606.96)
        #expect(abs(figures.p50 - 0.612) < 1e-9 && figures.p90 == 13.79 && figures.p99 == 1_200)
        #expect(figures.failed == 17, "12 non-2xx answers, 2 read errors and 3 time-outs")
    }

    @Test func aCleanRunHasNoFailuresAndAnUnreadableReportIsAnError() throws {
        let clean = try LoadFigures(wrkOutput: """
              Latency Distribution
                 50%    1.00ms
                 90%    2.00ms
                 99%    3.00ms
              100 requests in 1.00s, 1.00MB read
            Requests/sec:    100.00
            """)
        #expect(clean.failed == 0 && clean.requests == 100)
        #expect(throws: Failure.self) { try LoadFigures(wrkOutput: "unable to connect to 127.0.0.1:1 Connection refused") }
    }
}
