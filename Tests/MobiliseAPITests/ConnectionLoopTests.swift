import Hummingbird
import HummingbirdTesting
import Logging
@testable import MobiliseAPI
import MobiliseTesting
import NIOCore
import Postgres
import Testing

/// The HTTP server's connections run their requests on their own event loop
/// (``EventLoopTaskExecutor``, issue 21's look-up push): a request awaiting the database is resumed
/// there, not on a thread of Swift's cooperative pool.
@Suite struct ConnectionLoopTests {
    /// Several requests on one keep-alive connection, each awaiting a statement that runs on the
    /// pool connection's own thread: every one carries on, after the statement, on the event loop of
    /// its HTTP connection (with Hummingbird's plain `.http1()` it carries on elsewhere).
    @Test func aRequestCarriesOnOnItsConnectionsEventLoopAfterADatabaseCall() async throws {
        #expect(try await placesOfRequests(loopConnections: nil) == Array(repeating: "connection loop 42", count: 3))
    }

    /// A connection opened while the limit of connections on their loops is reached runs on the
    /// cooperative pool (many connections: the pool served them at lower CPU per request).
    @Test func aConnectionBeyondTheLimitRunsOnThePool() async throws {
        #expect(try await placesOfRequests(loopConnections: 0) == Array(repeating: "elsewhere 42", count: 3))
    }

    /// Three requests on one keep-alive connection to a server as the service's (`loopConnections`
    /// given: with that limit): where each one carried on after its database call.
    private func placesOfRequests(loopConnections: Int?) async throws -> [String] {
        try await TestDatabase.withDatabase(migrated: false) { pool in
            let router = Router(context: MobiliseRequestContext.self)
            router.get("where") { _, context -> String in
                let answer = try await pool.query("SELECT (41 + 1)::bigint").scalar(Int.self)
                let place = context.channel.eventLoop.inEventLoop ? "connection loop" : "elsewhere"
                return "\(place) \(answer ?? 0)"
            }
            let app = Application(
                router: router, server: loopConnections.map { .http1OnConnectionLoops(loopConnections: $0) } ?? .http1OnConnectionLoops(),
                configuration: .init(address: .hostname("127.0.0.1", port: 0)),
                logger: Logger(label: "test-service"))
            return try await app.test(.live) { client in
                var places: [String] = []
                for _ in 0..<3 {
                    try await client.execute(uri: "/where", method: .get) { response in
                        #expect(response.status == .ok)
                        places.append(String(buffer: response.body))
                    }
                }
                return places
            }
        }
    }
}
