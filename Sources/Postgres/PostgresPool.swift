import Logging
import ServiceLifecycle
import Synchronization

/// A pool of connections, shared by the whole program.
///
/// ```swift
/// let pool = PostgresPool(configuration: .init(connection: try PostgresConfiguration(url)), logger: logger)
/// let names = try await pool.withConnection { connection in
///     try connection.query("SELECT display_name FROM employees WHERE country = \(country)").column(String.self)
/// }
/// ```
///
/// - At most ``Configuration/maxConnections`` connections; callers beyond that wait, served in the
///   order they came, for at most ``Configuration/acquireTimeout``.
/// - Each connection lives on a thread of its own (see ``PostgresConnection``), so no libpq call ever
///   blocks Swift's cooperative thread pool: a caller awaits while the statement runs elsewhere.
/// - A connection is checked before it is handed out, and replaced when the server went away, so
///   the pool recovers by itself after a database restart.
/// - It is a `Service`: in a `ServiceGroup` it closes when the group shuts down.
public final class PostgresPool: Sendable, Service {
    /// Pool settings; the defaults suit a service on a small machine.
    public struct Configuration: Sendable {
        public var connection: PostgresConfiguration
        /// Connections open at most. Default 10.
        public var maxConnections: Int
        /// How long a caller waits for a free connection before failing. Default 10 seconds.
        public var acquireTimeout: Duration
        /// A connection idle for longer is checked with a round trip before use. Default 60 seconds.
        public var healthCheckAfter: Duration
        /// Names the pool's threads. Default "postgres".
        public var label: String

        public init(
            connection: PostgresConfiguration, maxConnections: Int = 10, acquireTimeout: Duration = .seconds(10),
            healthCheckAfter: Duration = .seconds(60), label: String = "postgres"
        ) {
            self.connection = connection
            self.maxConnections = max(1, maxConnections)
            self.acquireTimeout = acquireTimeout
            self.healthCheckAfter = healthCheckAfter
            self.label = label
        }
    }

    /// A snapshot of the pool's use, for metrics.
    public struct Statistics: Sendable, Equatable {
        public var open: Int
        public var idle: Int
        public var inUse: Int { open - idle }
        public var waiting: Int
    }

    private struct Waiter {
        let id: UInt64
        let continuation: CheckedContinuation<ConnectionSlot, any Error>
        let timeout: Task<Void, Never>?
    }

    private struct State {
        var idle: [ConnectionSlot] = []
        var open = 0
        var nextSlotID = 0
        var waiters: [Waiter] = []
        var nextWaiterID: UInt64 = 0
        /// Callers that took an id but have not yet asked for a slot.
        var arriving: Set<UInt64> = []
        /// Those of them cancelled meanwhile: their acquisition fails at once.
        var cancelledBeforeWaiting: Set<UInt64> = []
        var closed = false
        var closeWaiters: [CheckedContinuation<Void, Never>] = []
    }

    public let configuration: Configuration
    let logger: Logger
    private let state = Mutex(State())
    let notificationHub: NotificationHub

    public init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
        self.notificationHub = NotificationHub(configuration: configuration.connection, label: configuration.label, logger: logger)
    }

    /// Runs `body` with a connection, on that connection's thread.
    ///
    /// `body` is synchronous: it runs statements one after another with the connection's methods.
    /// Do not keep the connection past the closure. Cancelling the calling task cancels the running
    /// statement on the server; the connection stays usable for the next caller.
    public func withConnection<T: Sendable>(_ body: @escaping @Sendable (PostgresConnection) throws -> T) async throws -> T {
        let slot = try await acquire()
        defer { release(slot) }
        return try await slot.run(
            configuration: configuration.connection, healthCheckAfter: configuration.healthCheckAfter, logger: logger, body)
    }

    /// Runs `body` in a transaction, retried up to `attempts` times in all when it fails on a
    /// serialization failure or a deadlock (errors that say "try again").
    public func withTransaction<T: Sendable>(
        isolation: IsolationLevel? = nil, attempts: Int = 1,
        _ body: @escaping @Sendable (PostgresConnection) throws -> T
    ) async throws -> T {
        var attempt = 1
        while true {
            do {
                return try await withConnection { connection in try connection.transaction(isolation: isolation, body) }
            } catch let error as PostgresError where error.isTransient && attempt < attempts {
                logger.debug("retrying a transaction", metadata: ["db.sqlstate": "\(error.code?.rawValue ?? "")", "db.attempt": "\(attempt)"])
                try await Task.sleep(for: .milliseconds(Int.random(in: 1...10) * attempt))
                attempt += 1
            }
        }
    }

    /// Runs one statement and returns its rows.
    @discardableResult
    public func query(_ query: PostgresQuery, timeout: Duration? = nil) async throws -> PostgresResult {
        try await withConnection { try $0.query(query, timeout: timeout) }
    }

    /// Runs one statement and returns how many rows it affected.
    @discardableResult
    public func execute(_ query: PostgresQuery, timeout: Duration? = nil) async throws -> Int {
        try await withConnection { try $0.execute(query, timeout: timeout) }
    }

    /// Notifications sent with `NOTIFY channel` or `pg_notify(channel, payload)`, from the moment this
    /// returns (the `LISTEN` has run) until the sequence is dropped. A dedicated connection listens
    /// for the whole pool; after losing it, the pool reconnects and listens again (notifications sent
    /// while it was away are lost: refresh what they stand for when iteration resumes).
    public func notifications(channel: String) async throws -> PostgresNotifications {
        try await notificationHub.subscribe(channel: channel)
    }

    public var statistics: Statistics {
        state.withLock { Statistics(open: $0.open, idle: $0.idle.count, waiting: $0.waiters.count) }
    }

    // MARK: - Service

    /// Waits for the service group to shut down, then closes the pool.
    public func run() async throws {
        try? await gracefulShutdown()
        await close()
    }

    /// Refuses new callers, fails those waiting, and waits for connections in use to come back,
    /// then closes every connection.
    public func close() async {
        let (idle, waiters, mustWait) = state.withLock { state in
            state.closed = true
            defer { state.idle.removeAll(); state.waiters.removeAll() }
            state.open -= state.idle.count
            return (state.idle, state.waiters, state.open > 0)
        }
        for waiter in waiters {
            waiter.timeout?.cancel()
            waiter.continuation.resume(throwing: Self.closedError)
        }
        for slot in idle { await slot.shutdown() }
        if mustWait {
            await withCheckedContinuation { continuation in
                let done = state.withLock { state in
                    if state.open == 0 { return true }
                    state.closeWaiters.append(continuation)
                    return false
                }
                if done { continuation.resume() }
            }
        }
        await notificationHub.close()
    }

    // MARK: - Acquiring and releasing

    private static let closedError = PostgresError(kind: .pool, message: "the connection pool is closed")

    private enum Acquisition {
        case ready(ConnectionSlot)
        case create(Int)
        case failed(any Error)
        case waiting
    }

    private func acquire() async throws -> ConnectionSlot {
        try Task.checkCancellation()
        let waiterID = state.withLock { state in
            defer { state.nextWaiterID += 1 }
            state.arriving.insert(state.nextWaiterID)
            return state.nextWaiterID
        }
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<ConnectionSlot, any Error>) in
                let acquisition = state.withLock { state -> Acquisition in
                    state.arriving.remove(waiterID)
                    if state.closed { return .failed(Self.closedError) }
                    if state.cancelledBeforeWaiting.remove(waiterID) != nil { return .failed(CancellationError()) }
                    if let slot = state.idle.popLast() { return .ready(slot) }
                    if state.open < configuration.maxConnections {
                        state.open += 1
                        state.nextSlotID += 1
                        return .create(state.nextSlotID)
                    }
                    let timeout = Task { [weak self, acquireTimeout = configuration.acquireTimeout] in
                        try? await Task.sleep(for: acquireTimeout)
                        if !Task.isCancelled { self?.expireWaiter(waiterID) }
                    }
                    state.waiters.append(Waiter(id: waiterID, continuation: continuation, timeout: timeout))
                    return .waiting
                }
                switch acquisition {
                case .ready(let slot): continuation.resume(returning: slot)
                case .failed(let error): continuation.resume(throwing: error)
                case .waiting: break
                case .create(let id):
                    do {
                        continuation.resume(returning: try ConnectionSlot(id: id, label: configuration.label))
                    } catch {
                        // With no connection left open, none will be released to the queue: fail it too.
                        let stranded = state.withLock { state -> [Waiter] in
                            state.open -= 1
                            guard state.open == 0 else { return [] }
                            defer { state.waiters.removeAll() }
                            return state.waiters
                        }
                        continuation.resume(throwing: error)
                        for waiter in stranded {
                            waiter.timeout?.cancel()
                            waiter.continuation.resume(throwing: error)
                        }
                    }
                }
            }
        } onCancel: {
            removeWaiter(waiterID, error: CancellationError(), rememberIfArriving: true)
        }
    }

    /// Callers remembered between taking an id and queueing (for tests: zero when the pool is quiet).
    var pendingCallers: Int {
        state.withLock { $0.arriving.count + $0.cancelledBeforeWaiting.count }
    }

    private func expireWaiter(_ id: UInt64) {
        let error = PostgresError(kind: .pool, message: "no database connection became free within \(configuration.acquireTimeout) (pool of \(configuration.maxConnections))")
        removeWaiter(id, error: error, rememberIfArriving: false)
    }

    /// Fails a queued caller. A caller that has not queued yet is remembered (when asked) so that its
    /// acquisition fails; one already served or failed is left alone.
    private func removeWaiter(_ id: UInt64, error: any Error, rememberIfArriving: Bool) {
        let waiter = state.withLock { state -> Waiter? in
            if let index = state.waiters.firstIndex(where: { $0.id == id }) {
                return state.waiters.remove(at: index)
            }
            if rememberIfArriving, state.arriving.contains(id) { state.cancelledBeforeWaiting.insert(id) }
            return nil
        }
        waiter?.timeout?.cancel()
        waiter?.continuation.resume(throwing: error)
    }

    /// Hands the slot to the first waiter, or back to the idle list.
    private func release(_ slot: ConnectionSlot) {
        enum Next { case handOver(Waiter), shutdown([CheckedContinuation<Void, Never>]), idle }
        let next = state.withLock { state -> Next in
            if state.closed {
                state.open -= 1
                if state.open == 0 {
                    defer { state.closeWaiters.removeAll() }
                    return .shutdown(state.closeWaiters)
                }
                return .shutdown([])
            }
            if !state.waiters.isEmpty { return .handOver(state.waiters.removeFirst()) }
            state.idle.append(slot)
            return .idle
        }
        switch next {
        case .handOver(let waiter):
            waiter.timeout?.cancel()
            waiter.continuation.resume(returning: slot)
        case .shutdown(let closeWaiters):
            Task {
                await slot.shutdown()
                for waiter in closeWaiters { waiter.resume() }
            }
        case .idle:
            break
        }
    }
}
