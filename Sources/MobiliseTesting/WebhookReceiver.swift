import Foundation

/// A real HTTP receiver on loopback for the outbox tests: `Tests/outbox/receiver.py`, which verifies
/// Standard Webhooks signatures with the `standardwebhooks` package, checks Teams and Slack card
/// structure, and answers 500 (`/fail`) or never (`/hang`) as asked. Every request is recorded.
public final class WebhookReceiver: Sendable {
    private let server: ScriptServer
    public var port: Int { server.port }
    public var directory: URL { server.directory }

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
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Tests/outbox/receiver.py")
        return WebhookReceiver(server: try await ScriptServer.start(
            script: script, what: "the webhook receiver", advice: "is standardwebhooks installed? pip install standardwebhooks"))
    }

    private init(server: ScriptServer) {
        self.server = server
    }

    /// `http://127.0.0.1:PORT/path`.
    public func url(_ path: String) -> String { "http://127.0.0.1:\(port)\(path)" }

    /// The secret `/ok` verifies signatures with.
    public func setSecret(_ secret: String) throws {
        try Data(secret.utf8).write(to: directory.appendingPathComponent("secret"))
    }

    /// Every request so far, oldest first.
    public func requests() -> [Received] {
        server.records("requests.jsonl").map { object in
            Received(
                path: object["path"] as? String ?? "", headers: object["headers"] as? [String: String] ?? [:],
                body: object["body"] as? String ?? "", status: object["status"] as? Int, verified: object["verified"] as? Bool,
                problems: object["problems"] as? [String], hung: object["hung"] as? Bool ?? false)
        }
    }

    /// Stops the receiver and removes its files.
    public func stop() { server.stop() }

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
}
