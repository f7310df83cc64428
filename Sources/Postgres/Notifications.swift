import CLibPQ
import Logging
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A notification sent with `NOTIFY` or `pg_notify`. After the listening connection was lost and
/// made again, every subscriber receives one with an empty payload and `senderPID` 0: notifications
/// may have been missed meanwhile, so refresh what they stand for.
public struct PostgresNotification: Sendable, Hashable {
    public var channel: String
    public var payload: String
    /// The server process that sent it.
    public var senderPID: Int32
}

/// The notifications of one channel, as an AsyncSequence. Iteration ends when the pool closes.
public typealias PostgresNotifications = AsyncStream<PostgresNotification>

/// One listening connection shared by all subscribers of a pool.
///
/// Its thread waits on the socket and on the interrupt pipe; a new or ended subscription signals
/// the pipe so the thread runs `LISTEN`/`UNLISTEN`. After losing its connection it reconnects with
/// backoff and listens again.
final class NotificationHub: Sendable {
    private struct Subscriber {
        let channel: String
        let continuation: PostgresNotifications.Continuation
    }

    private struct State {
        var subscribers: [UInt64: Subscriber] = [:]
        var nextID: UInt64 = 0
        /// Callers waiting for their channel's LISTEN to have run.
        var pendingListens: [(id: UInt64, channel: String, continuation: CheckedContinuation<Void, any Error>)] = []
        var started = false
        var closed = false
        /// A subscription began or ended since the last reconcile. The pipe's signal alone is not
        /// enough: a LISTEN or UNLISTEN running when it comes consumes it.
        var changed = false
    }

    private let configuration: PostgresConfiguration
    private let label: String
    private let logger: Logger
    private let state = Mutex(State())
    private let interrupt: ConnectionInterrupt?
    private let thread: WorkerThread

    init(configuration: PostgresConfiguration, label: String, logger: Logger) {
        self.configuration = configuration
        self.label = label
        self.logger = logger
        self.interrupt = try? ConnectionInterrupt()
        self.thread = WorkerThread(name: "\(label)-listen")
    }

    func subscribe(channel: String) async throws -> PostgresNotifications {
        guard let interrupt else { throw PostgresError(kind: .client, message: "could not create the listener's pipe") }
        let (stream, continuation) = PostgresNotifications.makeStream(bufferingPolicy: .bufferingNewest(10_000))
        let id = state.withLock { state in
            defer { state.nextID += 1 }
            state.subscribers[state.nextID] = Subscriber(channel: channel, continuation: continuation)
            return state.nextID
        }
        continuation.onTermination = { [weak self] _ in
            self?.state.withLock { state in
                _ = state.subscribers.removeValue(forKey: id)
                state.changed = true
            }
            self?.interrupt?.signal()
        }
        // Wait for the LISTEN, but not forever: the database may be down, or the caller gone.
        let timeout = Task { [weak self] in
            try? await Task.sleep(for: Self.listenTimeout)
            if !Task.isCancelled {
                self?.abandon(id, PostgresError(kind: .connection, message: "could not LISTEN within \(Self.listenTimeout): the database is unavailable"))
            }
        }
        defer { timeout.cancel() }
        try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { (ready: CheckedContinuation<Void, any Error>) in
                let (closed, start) = state.withLock { state -> (Bool, Bool) in
                    if state.closed { return (true, false) }
                    state.pendingListens.append((id, channel, ready))
                    state.changed = true
                    defer { state.started = true }
                    return (false, !state.started)
                }
                if closed {
                    ready.resume(throwing: PostgresError(kind: .pool, message: "the connection pool is closed"))
                    return
                }
                if start { thread.submit { self.listenLoop(interrupt) } }
                interrupt.signal()
            }
        } onCancel: { [weak self] in
            self?.abandon(id, CancellationError())
        }
        return stream
    }

    /// How long `subscribe` waits for its LISTEN.
    static let listenTimeout: Duration = .seconds(10)

    /// Gives up a subscription still waiting for its LISTEN.
    private func abandon(_ id: UInt64, _ error: any Error) {
        let (waiter, subscriber) = state.withLock { state in
            let index = state.pendingListens.firstIndex { $0.id == id }
            let waiter = index.map { state.pendingListens.remove(at: $0) }
            return (waiter, waiter == nil ? nil : state.subscribers.removeValue(forKey: id))
        }
        guard let waiter else { return }
        subscriber?.continuation.finish()
        waiter.continuation.resume(throwing: error)
    }

    func close() async {
        let (subscribers, pending) = state.withLock { state in
            state.closed = true
            defer { state.subscribers.removeAll(); state.pendingListens.removeAll() }
            return (Array(state.subscribers.values), state.pendingListens)
        }
        for subscriber in subscribers { subscriber.continuation.finish() }
        for waiter in pending { waiter.continuation.resume(throwing: PostgresError(kind: .pool, message: "the connection pool is closed")) }
        interrupt?.signal()
        thread.stop()
    }

    /// Runs on the hub's thread until the pool closes.
    private func listenLoop(_ interrupt: ConnectionInterrupt) {
        var connection: PostgresConnection?
        var listening: Set<String> = []
        var backoff: Duration = .milliseconds(50)
        var connectedBefore = false
        var announceReconnect = false
        while !state.withLock({ $0.closed }) {
            do {
                if connection == nil || connection?.isBroken == true {
                    connection = nil
                    listening = []
                    connection = try PostgresConnection(configuration: configuration, interrupt: interrupt)
                    backoff = .milliseconds(50)
                    announceReconnect = connectedBefore
                    connectedBefore = true
                }
                guard let live = connection else { continue }
                try reconcile(live, listening: &listening)
                if announceReconnect {
                    announceReconnect = false
                    let subscribers = state.withLock { Array($0.subscribers.values) }
                    for subscriber in subscribers {
                        subscriber.continuation.yield(PostgresNotification(channel: subscriber.channel, payload: "", senderPID: 0))
                    }
                }
                deliver(live)
                // A subscription that changed while the statements above ran: reconcile again now.
                if state.withLock({ $0.changed }) { continue }
                switch live.wait(forWriting: false, deadline: .now + .seconds(30)) {
                case .ready:
                    if !live.consumeIdleInput() { logger.info("the notification listener lost its connection; reconnecting") }
                case .timedOut:
                    // Quiet for 30 s: make sure the server is still there.
                    if (try? live.query("SELECT 1", timeout: .seconds(5))) == nil { live.markBroken() }
                case .interrupted:
                    break
                }
                deliver(live)
            } catch {
                logger.debug("the notification listener could not connect", metadata: ["error": "\(error)"])
                connection = nil
                _ = waitForSignal(interrupt, for: backoff)
                backoff = min(backoff * 2, .seconds(5))
            }
        }
        connection = nil
    }

    /// Runs LISTEN for channels that gained subscribers and UNLISTEN for those that lost them all,
    /// then releases the callers waiting for their LISTEN.
    private func reconcile(_ connection: PostgresConnection, listening: inout Set<String>) throws {
        let (wanted, pending) = state.withLock { state in
            defer {
                state.pendingListens.removeAll()
                state.changed = false
            }
            return (Set(state.subscribers.values.map(\.channel)), state.pendingListens)
        }
        do {
            for channel in wanted.subtracting(listening) {
                try connection.execute("LISTEN \(identifier: channel)")
                listening.insert(channel)
            }
            for channel in listening.subtracting(wanted) {
                try connection.execute("UNLISTEN \(identifier: channel)")
                listening.remove(channel)
            }
        } catch {
            state.withLock { $0.pendingListens += pending }  // released after reconnecting
            throw error
        }
        for waiter in pending { waiter.continuation.resume() }
    }

    private func deliver(_ connection: PostgresConnection) {
        while let notice = PQnotifies(connection.handle) {
            let notification = PostgresNotification(
                channel: String(cString: notice.pointee.relname), payload: String(cString: notice.pointee.extra),
                senderPID: notice.pointee.be_pid)
            PQfreemem(notice)
            let subscribers = state.withLock { $0.subscribers.values.filter { $0.channel == notification.channel } }
            for subscriber in subscribers { subscriber.continuation.yield(notification) }
        }
    }

    /// Sleeps for `duration` unless the pipe is signalled first.
    private func waitForSignal(_ interrupt: ConnectionInterrupt, for duration: Duration) -> Bool {
        var descriptor = pollfd(fd: interrupt.readDescriptor, events: Int16(POLLIN), revents: 0)
        let milliseconds = Int32(duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000)
        let signalled = poll(&descriptor, 1, milliseconds) > 0
        if signalled { interrupt.drain() }
        return signalled
    }
}
