import EmbeddedPostgres
import Foundation
import MobiliseTesting

/// `mobilise serve` run as an operator runs it: a child process on a loopback port, signalled
/// with `kill`, its exit status and its memory read from outside.
final class ServiceProcess: Sendable {
    static let secret = "fault-suite-secret-0123456789abcdef0123456789"

    let port: Int
    let log: URL
    private let process: ChildProcess

    /// Starts the service with `environment` added to this process's, on `port` (a free one when nil),
    /// and waits until `/readyz` answers 200 (migrations applied, database reachable).
    static func start(
        arguments: [String], environment: [String: String], port: Int? = nil, timeout: Duration = .seconds(180)
    ) async throws -> ServiceProcess {
        let port = try port ?? freePort()
        let log = FileManager.default.temporaryDirectory.appendingPathComponent("mobilise-serve-\(port)-\(UUID().uuidString.prefix(8)).log")
        try Data().write(to: log)
        let service = try ServiceProcess(
            arguments: ["serve", "--host", "127.0.0.1", "--port", String(port)] + arguments,
            environment: ["MOBILISE_JWT_SECRET": secret, "MOBILISE_LOG_LEVEL": "warning"].merging(environment) { $1 },
            port: port, log: log)
        do {
            try await waitUntil("the service on port \(port) is ready", timeout: timeout, interval: .milliseconds(50)) {
                if let status = service.exitStatus { throw ServiceError.exited(status, service.logTail) }
                return (try? await HTTP.request(port: port, .get, "/readyz"))?.status == 200
            }
        } catch {
            service.signal(SIGKILL)
            _ = await service.waitForExit()
            throw error
        }
        return service
    }

    private init(arguments: [String], environment: [String: String], port: Int, log: URL) throws {
        self.process = try ProcessRunner.start(
            Command(CommandRunner.mobilise, arguments, environment: environment), output: log.path)
        self.port = port
        self.log = log
    }

    var pid: Int32 { process.pid }

    /// The exit status once the process has ended (for a signal, 128 + its number).
    var exitStatus: Int32? { process.exitStatus }

    /// Sends `signal` unless the process has ended.
    func signal(_ signal: Int32) {
        process.signal(signal)
    }

    /// Waits for the process to end; its exit status (for a signal, 128 + its number).
    func waitForExit() async -> Int32 {
        await process.waitForExit()
    }

    /// Stops the service if it still runs (SIGTERM, then SIGKILL after 30 s) and removes its log.
    func stop() async {
        signal(SIGTERM)
        let killer = Task {
            try await Task.sleep(for: .seconds(30))
            signal(SIGKILL)
        }
        _ = await waitForExit()
        killer.cancel()
        try? FileManager.default.removeItem(at: log)
    }

    /// The process's memory now and at its peak, in KiB (`VmRSS`, `VmHWM` of /proc/PID/status).
    func memory() -> (rss: Int, peak: Int)? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        func field(_ name: String) -> Int? {
            status.split(separator: "\n").first { $0.hasPrefix(name + ":") }
                .flatMap { Int($0.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces).split(separator: " ").first ?? "") }
        }
        guard let rss = field("VmRSS"), let peak = field("VmHWM") else { return nil }
        return (rss, peak)
    }

    /// Lines of the log about errors the service did not expect (answered 500).
    var unexpectedErrors: [String] {
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").filter { $0.contains("unexpected error") }.map(String.init)
    }

    /// The end of the service's log, for failure messages.
    var logTail: String {
        let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
        return String(text.suffix(4000))
    }

    enum ServiceError: Error, CustomStringConvertible {
        case exited(Int32, String)
        var description: String {
            switch self {
            case .exited(let status, let log): "the service exited with status \(status) before it was ready:\n\(log)"
            }
        }
    }
}

/// A TCP port on 127.0.0.1 that nothing listens on now (the kernel's choice).
func freePort() throws -> Int {
    let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard descriptor >= 0 else { throw POSIXError(.EMFILE) }
    defer { close(descriptor) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(descriptor, $0, length) == 0 && getsockname(descriptor, $0, &length) == 0 }
    }
    guard bound else { throw POSIXError(.EADDRINUSE) }
    return Int(UInt16(bigEndian: address.sin_port))
}
