import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The platform's keys as an operator meets them: made on first start, refused when open to others, and
/// never silently remade beside a database that holds data.
@Suite struct KeyFileCommandTests {
    init() throws {
        try #require(FileManager.default.isExecutableFile(atPath: Executable.url.path), "build the xinyong executable first (swift build)")
    }

    static func mode(_ path: String) throws -> UInt32 {
        var info = stat()
        try #require(stat(path, &info) == 0)
        return UInt32(info.st_mode) & 0o777
    }

    /// A listening socket on a free port: a server that got as far as listening would stop with "in use"
    /// instead of serving forever.
    static func heldPort() throws -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa in
                try #require(bind(fd, sa, length) == 0)
                try #require(getsockname(fd, sa, &length) == 0)
            }
        }
        try #require(listen(fd, 1) == 0)
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    @Test func keysAreMadeBesideAnEmptyDatabaseAndNeverRemadeBesideData() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("xinyong-keys-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let env = ["DATABASE_URL": "sqlite:\(directory.path)/x.sqlite", "DATA_DIR": directory.path]
        let personKey = directory.appendingPathComponent("person-id.key").path

        // A fresh, empty database: the key is created, owner-only.
        let demo = try Executable.run(["demo", "--subjects", "20", "--as-of", "2025-12-01"], environment: env)
        #expect(demo.status == 0, "stderr was: \(demo.stderr)")
        #expect(try Self.mode(personKey) == 0o600)

        let (fd, port) = try Self.heldPort()
        defer { close(fd) }
        func serveErrors() throws -> [Substring] {
            let result = try Executable.run(["serve", "--port", "\(port)"], environment: env)
            #expect(result.status != 0)
            return result.stderr.split(separator: "\n").filter { !$0.contains(" info ") }
        }

        // Open to group and others: refused with one line naming the file, its mode and the fix.
        try #require(chmod(personKey, 0o644) == 0)
        let open = try serveErrors()
        #expect(open.count == 1, "stderr was: \(open)")
        #expect(open.first?.contains("DATA_DIR") == true && open.first?.contains(personKey) == true, "\(open)")
        #expect(open.first?.contains("0644") == true && open.first?.contains("chmod 600 \(personKey)") == true, "\(open)")

        // Missing beside a database that holds data: refused, and no new key is made.
        try FileManager.default.removeItem(atPath: personKey)
        let missing = try serveErrors()
        #expect(missing.count == 1, "stderr was: \(missing)")
        #expect(missing.first?.contains("missing") == true && missing.first?.contains("backup") == true, "\(missing)")
        #expect(!FileManager.default.fileExists(atPath: personKey))
    }
}
