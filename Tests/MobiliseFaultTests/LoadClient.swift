import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Synchronization

/// One HTTP answer, or the lack of one.
struct Reply: Sendable {
    var status: Int
    var headers: HTTPFields
    var text: String

    var json: [String: any Sendable] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: any Sendable]) ?? [:]
    }

    var errorCode: String? { (json["error"] as? [String: any Sendable])?["code"] as? String }
}

/// One-off requests, each on a connection of its own.
enum HTTP {
    static func request(
        port: Int, _ method: HTTPRequest.Method, _ uri: String, token: String? = nil, body: String? = nil,
        contentType: String = "application/json", timeout: Duration = .seconds(60)
    ) async throws -> Reply {
        try await TestClient.withClient(host: "127.0.0.1", port: port, configuration: .init(timeout: timeout)) { client in
            try await send(client, method, uri, token: token, body: body, contentType: contentType)
        }
    }

    static func send(
        _ client: TestClient, _ method: HTTPRequest.Method, _ uri: String, token: String?, body: String? = nil,
        contentType: String = "application/json"
    ) async throws -> Reply {
        var headers: HTTPFields = [:]
        if let token { headers[.authorization] = "Bearer \(token)" }
        var buffer: ByteBuffer?
        if let body {
            headers[.contentType] = contentType
            buffer = ByteBuffer(string: body)
        }
        let response = try await client.execute(.init(uri, method: method, headers: headers, body: buffer))
        return Reply(status: response.status.code, headers: response.headers, text: response.body.map { String(buffer: $0) } ?? "")
    }

    /// The value of a metric without labels in `/metrics`.
    static func metric(port: Int, _ name: String) async throws -> Double? {
        let reply = try await request(port: port, .get, "/metrics")
        for line in reply.text.split(separator: "\n") where line.hasPrefix(name + " ") {
            return Double(line.dropFirst(name.count + 1).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }

    /// True once the service works on no request and the pool has every connection back, none waiting.
    static func isIdle(port: Int) async throws -> Bool {
        let inUse = try await metric(port: port, "mobilise_db_pool_connections_in_use")
        let waiting = try await metric(port: port, "mobilise_db_pool_waiting")
        let inFlight = try await metric(port: port, "mobilise_http_requests_in_flight")
        return inUse == 0 && waiting == 0 && inFlight == 0
    }
}

/// What the client did and what it got back.
struct Answer: Sendable {
    enum Operation: String, Sendable { case sign, withdraw }

    var employee: Int
    var operation: Operation
    /// The HTTP status; nil when no answer came (connection refused or reset, read timeout).
    var status: Int?
    var code: String?
    var retryAfter: String?
    /// The signature's id, from a signing answer's body.
    var signatureID: UUID?
    var started: ContinuousClock.Instant
    var elapsed: Duration
    var failure: String?

    var succeeded: Bool { status.map { (200..<300).contains($0) } ?? false }
}

/// Every answer of a run, in the order they came.
final class Ledger: Sendable {
    private let answers: Mutex<[Answer]>

    init(_ answers: [Answer] = []) { self.answers = Mutex(answers) }

    func record(_ answer: Answer) {
        answers.withLock { $0.append(answer) }
    }

    var all: [Answer] { answers.withLock { $0 } }

    func count(where predicate: (Answer) -> Bool) -> Int {
        answers.withLock { $0.lazy.filter(predicate).count }
    }
}

/// One client connection (keep-alive), opened again after it breaks; every request and its answer
/// go to the ledger.
struct LoadConnection {
    let port: Int
    let ledger: Ledger
    private var client: TestClient?

    init(port: Int, ledger: Ledger) {
        self.port = port
        self.ledger = ledger
    }

    @discardableResult
    mutating func send(_ operation: Answer.Operation, employee: Int, token: String, campaign: String) async -> Answer {
        let started = ContinuousClock.now
        var answer = Answer(employee: employee, operation: operation, started: started, elapsed: .zero)
        do {
            let client = connected()
            let reply = try await HTTP.send(
                client, operation == .sign ? .put : .delete, "/v1/campaigns/\(campaign)/signature", token: token)
            answer.status = reply.status
            answer.code = reply.errorCode
            answer.retryAfter = reply.headers[.retryAfter]
            if operation == .sign, (200..<300).contains(reply.status) {
                answer.signatureID = (reply.json["id"] as? String).flatMap(UUID.init(uuidString:))
            }
        } catch {
            answer.failure = "\(error)"
            if let client { Task { [client] in try? await client.shutdown() } }
            client = nil
        }
        answer.elapsed = ContinuousClock.now - started
        ledger.record(answer)
        return answer
    }

    private mutating func connected() -> TestClient {
        if let client { return client }
        let fresh = TestClient(host: "127.0.0.1", port: port, configuration: .init(timeout: .seconds(90)))
        fresh.connect()
        client = fresh
        return fresh
    }

    mutating func close() async {
        try? await client?.shutdown()
        client = nil
    }
}
