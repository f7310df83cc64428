import Foundation
import Synchronization

/// A real HTTP receiver on loopback for the outbox tests: `Tests/outbox/receiver.py`, which verifies
/// Standard Webhooks signatures with the `standardwebhooks` package, checks Teams and Slack card
/// structure, and answers 500 (`/fail`) or never (`/hang`) as asked. Every request is recorded.
public final class WebhookReceiver: Sendable {
    public let port: Int
    public let directory: URL
    private let process: Mutex<Process?>

    /// One request the receiver got.
    public struct Received: Sendable {
        public var path: String
        public var headers: [String: String]
        public var body: String
        public var status: Int?
        public var verified: Bool?
        public var problems: [String]?
        public var hung: Bool

        /// The body as JSON.
        public var json: [String: any Sendable] {
            (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: any Sendable]) ?? [:]
        }
    }

    /// Starts the receiver and waits until it listens.
    public static func start() async throws -> WebhookReceiver {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("receiver-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Tests/outbox/receiver.py")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, directory.path]
        process.standardInput = FileHandle.nullDevice
        let log = directory.appendingPathComponent("log")
        try Data().write(to: log)
        let output = try FileHandle(forWritingTo: log)
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let portFile = directory.appendingPathComponent("port")
        do {
            try await waitUntil("the webhook receiver listens", timeout: .seconds(30), interval: .milliseconds(20)) {
                if !process.isRunning {
                    let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                    throw ReceiverExited(log: text)
                }
                return FileManager.default.fileExists(atPath: portFile.path)
            }
        } catch {
            process.terminate()
            throw error
        }
        let port = Int((try String(contentsOf: portFile, encoding: .utf8)).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        return WebhookReceiver(port: port, directory: directory, process: process)
    }

    private init(port: Int, directory: URL, process: sending Process) {
        self.port = port
        self.directory = directory
        self.process = Mutex(process)
    }

    /// `http://127.0.0.1:PORT/path`.
    public func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    /// The secret `/ok` verifies signatures with.
    public func setSecret(_ secret: String) throws {
        try Data(secret.utf8).write(to: directory.appendingPathComponent("secret"))
    }

    /// Every request so far, oldest first.
    public func requests() -> [Received] {
        guard let text = try? String(contentsOf: directory.appendingPathComponent("requests.jsonl"), encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] else { return nil }
            return Received(
                path: object["path"] as? String ?? "", headers: object["headers"] as? [String: String] ?? [:],
                body: object["body"] as? String ?? "", status: object["status"] as? Int, verified: object["verified"] as? Bool,
                problems: object["problems"] as? [String], hung: object["hung"] as? Bool ?? false)
        }
    }

    /// Stops the receiver and removes its files.
    public func stop() {
        // SIGKILL, not waited for: Foundation's `waitUntilExit` was seen to block for good here (a
        // thread of the cooperative pool waiting on a semaphore), and a handler thread of the
        // receiver may be asleep in `/hang`. Foundation reaps the child.
        process.withLock { process in
            if let running = process, running.isRunning {
                kill(running.processIdentifier, SIGKILL)
            }
            process = nil
        }
        try? FileManager.default.removeItem(at: directory)
    }

    /// Runs `body` with a receiver, stopped afterwards.
    public static func with<T>(_ body: (WebhookReceiver) async throws -> T) async throws -> T {
        let receiver = try await start()
        do {
            let result = try await body(receiver)
            receiver.stop()
            return result
        } catch {
            receiver.stop()
            throw error
        }
    }

    struct ReceiverExited: Error, CustomStringConvertible {
        var log: String
        var description: String { "the webhook receiver exited (is standardwebhooks installed? pip install standardwebhooks): \(log.suffix(2000))" }
    }
}
