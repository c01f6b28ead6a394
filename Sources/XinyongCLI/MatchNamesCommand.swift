import ArgumentParser
import Foundation
import XinyongModel

/// `xinyong match-names FILE`: scores name pairs with the matcher the check uses, so that any labelled set
/// can be scored from outside. Input lines `name_a<TAB>name_b` (further columns are ignored); output per
/// line `score<TAB>same|different`.
struct MatchNamesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "match-names",
        abstract: "Score organisation name pairs (name_a<TAB>name_b per line; - for standard input): prints score<TAB>same|different.")

    @Argument(help: "File of tab-separated name pairs, or - for standard input.")
    var file: String

    @Option(help: "Threshold at or above which a pair is the same (the office's setting; default 0.9).")
    var threshold: Double = NameMatcher.defaultThreshold

    @Flag(help: "Add a third column explaining which parts matched.")
    var explain = false

    func validate() throws {
        guard (0...1).contains(threshold) else { throw ValidationError("--threshold must be between 0 and 1") }
    }

    func run() throws {
        let data: Data
        if file == "-" {
            data = FileHandle.standardInput.readDataToEndOfFile()
        } else {
            guard let contents = FileManager.default.contents(atPath: file) else { throw Failure("cannot read \(file)") }
            data = contents
        }
        var out = ""
        for (i, raw) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.hasSuffix("\r") ? raw.dropLast() : raw
            if line.isEmpty { continue }
            let columns = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard columns.count >= 2 else { throw Failure("\(file): line \(i + 1) has no tab between the two names") }
            let m = NameMatcher.match(query: String(columns[0]), name: String(columns[1]), formerNames: [])
            out += String(format: "%.3f", m.score) + "\t" + (m.isSame(threshold: threshold) ? "same" : "different")
            if explain { out += "\t" + m.parts.map { "\($0.part)=\($0.verdict)" }.joined(separator: " ") }
            out += "\n"
        }
        FileHandle.standardOutput.write(Data(out.utf8))
    }
}
