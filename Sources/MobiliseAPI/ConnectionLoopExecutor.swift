import Hummingbird
import HummingbirdCore
import Logging
import NIOCore
import Synchronization

/// A Swift `TaskExecutor` that runs jobs on one SwiftNIO event loop.
///
/// An HTTP connection's task may prefer the event loop its socket lives on (``ConnectionLoopChannel``), so
/// a request read by the loop resumes its handler there without waking a thread of Swift's
/// cooperative pool, and the answer is written from the loop it is written to. A database call still
/// runs on its connection's own thread (`PostgresPool.withConnection`); its result comes back to the
/// loop. What a handler runs synchronously must not block, as on the cooperative pool.
final class EventLoopTaskExecutor: TaskExecutor {
    let loop: any EventLoop

    init(_ loop: any EventLoop) {
        self.loop = loop
    }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

/// A child channel that handles its connection with a preference for the connection's event loop
/// (``EventLoopTaskExecutor``) when it opens while few connections are open (at most one per event
/// loop, this one included): a client sending one request at a time on a keep-alive connection (an
/// identity provider's SCIM push) takes two thread wake-ups less per request. Under concurrency the
/// cooperative pool's threads share the work: with every connection on its loop, signing at 64
/// connections cost 5–10% more service CPU per signature (`bench/ab`, BENCHMARKS.md section 7).
/// Structured child tasks inherit the preference; unstructured `Task {}` (the signing writer, the
/// outbox) stay on the cooperative pool.
struct ConnectionLoopChannel<Base: ServerChildChannel>: ServerChildChannel {
    let base: Base
    /// Connections open at most, this one included, for a new one to prefer its event loop.
    let loopConnectionLimit: Int
    private let open = OpenConnections()

    init(base: Base, loopConnectionLimit: Int) {
        self.base = base
        self.loopConnectionLimit = loopConnectionLimit
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Base.Value> {
        base.setup(channel: channel, logger: logger)
    }

    func handle(value: Base.Value, logger: Logger) async {
        let count = open.count.add(1, ordering: .relaxed).newValue
        defer { open.count.subtract(1, ordering: .relaxed) }
        guard count <= loopConnectionLimit else { return await base.handle(value: value, logger: logger) }
        await withTaskExecutorPreference(EventLoopTaskExecutor(value.channel.eventLoop)) {
            await base.handle(value: value, logger: logger)
        }
    }
}

/// The server's open connections (``ConnectionLoopChannel``).
private final class OpenConnections: Sendable {
    let count = Atomic<Int>(0)
}

extension HTTPServerBuilder {
    /// HTTP/1.1 as `.http1()`, a connection opened while at most `loopConnections` are open (itself
    /// included; default one per core, as NIO has event loops) on its event loop (``ConnectionLoopChannel``).
    /// The service and the signing ceiling (`Benchmarks/SigningCeiling`) are both served this way.
    public static func http1OnConnectionLoops(loopConnections: Int = System.coreCount) -> HTTPServerBuilder {
        .init { responder in ConnectionLoopChannel(base: HTTP1Channel(responder: responder), loopConnectionLimit: loopConnections) }
    }
}
