import AsyncHTTPClient
import Foundation
import Synchronization

/// HTTP clients pinned to checked addresses (``ResolvedURL/pinning(_:)``), kept from one request to
/// the next, so that a sender delivering to the same endpoints again and again reuses their
/// connections (HTTP keep-alive, TLS sessions) instead of building a client, connecting and shutting
/// the client down for every message.
///
/// The pinning holds as it did with a client per request: a client is made for one (host, checked
/// address) pair and is handed out only for that pair, so a request whose host now resolves to
/// another address (checked again by ``OutboundURLPolicy/resolve(_:)`` before every request) gets
/// another client, and no connection made for one address is ever used for another.
///
/// Bounded: at most ``Limits/maxClients`` clients (the least recently used one goes first), each
/// used for at most ``Limits/maxAge`` after it was made (then replaced, so that a long-lived
/// connection does not outlive what an operator expects of a changed endpoint). A client that goes is
/// shut down once its last request is over. ``shutdown()`` (the sender's end) or the cache's deinit
/// shuts down the rest.
public final class PinnedHTTPClients: Sendable {
    public struct Limits: Sendable {
        /// Clients kept at most (one per host and checked address). Default 64.
        public var maxClients: Int
        /// How long one client is used at most. Default 5 minutes.
        public var maxAge: Duration

        public init(maxClients: Int = 64, maxAge: Duration = .seconds(300)) {
            self.maxClients = max(1, maxClients)
            self.maxAge = maxAge
        }
    }

    struct Key: Hashable {
        var host: String
        var address: String?
    }

    private struct Slot {
        let client: HTTPClient
        let key: Key
        let made: ContinuousClock.Instant
        var lastUsed: ContinuousClock.Instant
        var inUse = 0
        /// No longer handed out: shut down when `inUse` reaches zero.
        var retired = false
    }

    private struct State {
        var slots: [ObjectIdentifier: Slot] = [:]
        var current: [Key: ObjectIdentifier] = [:]
        var closed = false
        /// Clients made so far (for tests and logs).
        var made = 0
    }

    let settings: HTTPClient.Configuration
    let limits: Limits
    private let state = Mutex(State())

    /// `settings` are every client's (timeouts, redirects); each client adds its own pinning.
    public init(settings: HTTPClient.Configuration, limits: Limits = Limits()) {
        self.settings = settings
        self.limits = limits
    }

    deinit {
        // Not awaited: the client keeps itself alive until its shutdown is complete.
        let clients = state.withLock { state in state.slots.values.map(\.client) }
        for client in clients { client.shutdown { _ in } }
    }

    /// Clients made so far (a reused connection makes none).
    public var clientsMade: Int { state.withLock { $0.made } }

    /// Clients kept now.
    public var clientsKept: Int { state.withLock { $0.current.count } }

    /// Runs `body` with the client for `target`'s host and checked address (made now if there is
    /// none, or if it is too old). Read the whole answer inside `body`.
    public func withClient<T: Sendable>(for target: ResolvedURL, _ body: (HTTPClient) async throws -> T) async throws -> T {
        guard let taken = checkOut(target) else {
            // Shut down already (the sender is stopping): one client for this request alone.
            return try await target.withClient(settings, body)
        }
        let (id, client) = taken
        do {
            let result = try await body(client)
            checkIn(id)
            return result
        } catch {
            checkIn(id)
            throw error
        }
    }

    /// Shuts every client down (those in use once their requests are over); later requests each
    /// get a client of their own.
    public func shutdown() async {
        let idle = state.withLock { state -> [HTTPClient] in
            state.closed = true
            state.current.removeAll()
            var idle: [HTTPClient] = []
            for (id, var slot) in state.slots {
                slot.retired = true
                if slot.inUse == 0 {
                    idle.append(slot.client)
                    state.slots[id] = nil
                } else {
                    state.slots[id] = slot
                }
            }
            return idle
        }
        for client in idle { try? await client.shutdown() }
    }

    private func checkOut(_ target: ResolvedURL) -> (ObjectIdentifier, HTTPClient)? {
        let key = Key(host: target.host, address: target.address)
        let now = ContinuousClock.now
        let (taken, finished) = state.withLock { state -> ((ObjectIdentifier, HTTPClient)?, [HTTPClient]) in
            guard !state.closed else { return (nil, []) }
            var finished: [HTTPClient] = []
            func retire(_ id: ObjectIdentifier) {
                guard var slot = state.slots[id] else { return }
                if state.current[slot.key] == id { state.current[slot.key] = nil }
                if slot.inUse == 0 {
                    finished.append(slot.client)
                    state.slots[id] = nil
                } else {
                    slot.retired = true
                    state.slots[id] = slot
                }
            }
            if let id = state.current[key], let slot = state.slots[id] {
                if now - slot.made < limits.maxAge {
                    state.slots[id]?.inUse += 1
                    state.slots[id]?.lastUsed = now
                    return ((id, slot.client), [])
                }
                retire(id)
            }
            // Old clients go, then the least recently used ones while there are too many.
            for (id, slot) in state.slots where !slot.retired && now - slot.made >= limits.maxAge { retire(id) }
            while state.current.count >= limits.maxClients,
                  let oldest = state.current.values.min(by: { (state.slots[$0]?.lastUsed ?? now) < (state.slots[$1]?.lastUsed ?? now) }) {
                retire(oldest)
            }
            let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: target.pinning(settings))
            let id = ObjectIdentifier(client)
            state.slots[id] = Slot(client: client, key: key, made: now, lastUsed: now, inUse: 1)
            state.current[key] = id
            state.made += 1
            return ((id, client), finished)
        }
        for client in finished { client.shutdown { _ in } }
        return taken
    }

    private func checkIn(_ id: ObjectIdentifier) {
        let finished = state.withLock { state -> HTTPClient? in
            guard var slot = state.slots[id] else { return nil }
            slot.inUse -= 1
            if slot.retired && slot.inUse == 0 {
                state.slots[id] = nil
                return slot.client
            }
            state.slots[id] = slot
            return nil
        }
        finished?.shutdown { _ in }
    }
}
