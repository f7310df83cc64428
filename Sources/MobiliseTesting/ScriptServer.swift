import EmbeddedPostgres
import Foundation

/// A test server written in Python, run on loopback: the real counterpart of an integration (a
/// webhook receiver, an SMTP server). The script takes a folder as its first argument, writes its
/// port to `port` there once it listens and keeps its records there; its output goes to `log`.
public final class ScriptServer: Sendable {
    public let port: Int
    /// The script's folder: `port`, `log` and whatever it records.
    public let directory: URL
    private let process: ChildProcess

    /// A server that ended before it listened, with the end of its log.
    public struct Exited: Error, CustomStringConvertible {
        public var what: String
        public var advice: String
        public var log: String
        public var description: String { "\(what) exited (\(advice)): \(log.suffix(2000))" }
    }

    /// Starts `python3 script folder arguments…` and waits until it listens.
    ///
    /// - Parameters:
    ///   - what: the server, for messages ("the SMTP server").
    ///   - advice: what to install should it exit at once.
    public static func start(script: URL, arguments: [String] = [], what: String, advice: String) async throws -> ScriptServer {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("server-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let log = directory.appendingPathComponent("log")
        try Data().write(to: log)
        let process = try ProcessRunner.start(
            Command("/usr/bin/env", ["python3", script.path, directory.path] + arguments), output: log.path)
        let portFile = directory.appendingPathComponent("port")
        do {
            try await waitUntil("\(what) listens", timeout: .seconds(30), interval: .milliseconds(20)) {
                if !process.isRunning {
                    throw Exited(what: what, advice: advice, log: (try? String(contentsOf: log, encoding: .utf8)) ?? "")
                }
                return FileManager.default.fileExists(atPath: portFile.path)
            }
        } catch {
            process.signal(SIGKILL)
            throw error
        }
        let port = Int((try String(contentsOf: portFile, encoding: .utf8)).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        return ScriptServer(port: port, directory: directory, process: process)
    }

    private init(port: Int, directory: URL, process: ChildProcess) {
        self.port = port
        self.directory = directory
        self.process = process
    }

    /// The lines of `name` in the folder (one JSON object each), decoded.
    public func records(_ name: String) -> [[String: any Sendable]] {
        guard let text = try? String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: any Sendable]
        }
    }

    /// Stops the server and removes its folder.
    public func stop() {
        // SIGKILL, not waited for: a handler thread of the server may be asleep on purpose (a
        // receiver's `/hang`). The runner's thread reaps the child.
        process.signal(SIGKILL)
        try? FileManager.default.removeItem(at: directory)
    }
}
