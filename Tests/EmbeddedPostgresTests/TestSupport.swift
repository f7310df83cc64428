import Foundation
import Logging
import MobiliseTesting
import Testing

@testable import EmbeddedPostgres

/// A fresh folder under /tmp with a short name, so socket paths inside it fit. `mode` 0755 keeps
/// it reachable by the `postgres` user when the tests run as root.
func makeTemporaryFolder(mode: mode_t = 0o755) throws -> String {
    var template = Array("/tmp/ept-XXXXXX".utf8CString)
    let made = template.withUnsafeMutableBufferPointer { buffer in
        buffer.baseAddress.flatMap { mkdtemp($0) }.map { String(cString: $0) }
    }
    let folder = try #require(made, "mkdtemp failed: \(String(cString: strerror(errno)))")
    #expect(chmod(folder, mode) == 0)
    return folder
}

/// Runs `body` with a launcher for a cluster in a fresh folder, then always stops the server
/// and deletes the folder, even when `body` throws.
func withCluster(
    _ configure: (inout EmbeddedPostgres.Configuration) -> Void = { _ in },
    _ body: (EmbeddedPostgres, _ folder: String) async throws -> Void
) async throws {
    let folder = try makeTemporaryFolder()
    var configuration = EmbeddedPostgres.Configuration(dataDirectory: "\(folder)/db", durable: false)
    configure(&configuration)
    let postgres = EmbeddedPostgres(configuration: configuration, logger: Logger(label: "EmbeddedPostgresTests"))
    do {
        try await body(postgres, folder)
    } catch {
        try? await postgres.stop(mode: .immediate)
        try? FileManager.default.removeItem(atPath: folder)
        throw error
    }
    try await postgres.stop(mode: .immediate)
    try FileManager.default.removeItem(atPath: folder)
}

/// Runs `sql` with the bundled psql over `connection` and returns its unaligned output.
func psql(_ connection: String, _ sql: String) async throws -> String {
    let bin = try await EmbeddedPostgres.findBinaries(override: nil)
    let result = try await ProcessRunner.run(Command("\(bin)/psql", [connection, "-X", "-Atc", sql]))
    guard result.succeeded else {
        throw EmbeddedPostgresError(.commandFailed, "psql failed (exit \(result.status)): \(result.text)")
    }
    return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
}

/// A TCP port on 127.0.0.1 that nothing listens on right now.
func freeLoopbackPort() throws -> Int {
    #if os(Linux)
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    #else
    let fd = socket(AF_INET, SOCK_STREAM, 0)
    #endif
    try #require(fd >= 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { generic in
            bind(fd, generic, length) == 0 && getsockname(fd, generic, &length) == 0
        }
    }
    try #require(bound)
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Whether `condition` comes to hold within `seconds` (MobiliseTesting's `waitUntil`, checking every 100 ms).
func eventually(within seconds: Int, _ condition: () -> Bool) async throws -> Bool {
    do {
        try await waitUntil("the condition holds", timeout: .seconds(seconds), interval: .milliseconds(100)) { condition() }
        return true
    } catch is ConditionTimeout { return false }
}

/// The synchronous `findBinaries`, which async code would not pick over the async overload.
func findBinariesSynchronously(override: String?) throws -> String {
    try EmbeddedPostgres.findBinaries(override: override)
}
