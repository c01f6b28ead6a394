import ArgumentParser

/// `xinyong bench …`: benchmarks that print figures. Each subcommand lives in its own file.
struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure the platform (use a release build: swift build -c release).",
        subcommands: [BenchImportCommand.self, BenchMonitorCommand.self, BenchSearchCommand.self, BenchCheckCommand.self, BenchEvaluateCommand.self,
                      BenchClientCommand.self])
}
