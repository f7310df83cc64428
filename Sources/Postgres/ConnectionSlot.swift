import CLibPQ
import Logging

/// A place in the pool: a worker thread and the connection that lives on it (or none yet, or none
/// since the last one was lost).
///
/// `@unchecked Sendable`: `connection` is only read and written by jobs running on `thread`.
final class ConnectionSlot: @unchecked Sendable {
    let id: Int
    let thread: WorkerThread
    let interrupt: ConnectionInterrupt
    private var connection: PostgresConnection?

    init(id: Int, label: String) throws {
        self.id = id
        self.thread = WorkerThread(name: "\(label)-\(id)")
        self.interrupt = try ConnectionInterrupt()
    }

    /// Runs `body` on the slot's thread with a healthy connection, connecting first if needed.
    /// Cancelling the calling task cancels the statement running on the server.
    func run<T: Sendable>(
        configuration: PostgresConfiguration, healthCheckAfter idleLimit: Duration, logger: Logger,
        _ body: @escaping @Sendable (PostgresConnection) throws -> T
    ) async throws -> T {
        let lease = interrupt.lease
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                thread.submit {
                    let result = Result<T, any Error> {
                        let connection = try self.healthyConnection(configuration, idleLimit: idleLimit, logger: logger)
                        return try body(connection)
                    }
                    self.finishUse(logger: logger)
                    continuation.resume(with: result)
                }
            }
        } onCancel: {
            interrupt.cancel(lease: lease)
        }
    }

    /// Closes the connection and ends the thread.
    func shutdown() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            thread.submit {
                self.connection = nil
                continuation.resume()
            }
            thread.stop()
        }
    }

    /// The connection, replaced when it is broken or found dead. A connection idle for longer than
    /// `idleLimit` is checked with a round trip; any idle connection is checked, at no cost, for input
    /// the server sent meanwhile (which is how a server restart shows), and one that got some is
    /// checked with a round trip too: a server shutting down sends its FATAL message before closing,
    /// and libpq takes that message as a notice, leaving the connection looking fine until the next
    /// statement fails.
    private func healthyConnection(_ configuration: PostgresConfiguration, idleLimit: Duration, logger: Logger) throws -> PostgresConnection {
        if interrupt.isCancelled { throw CancellationError() }
        if let connection, !connection.isBroken {
            let heardFromServer = connection.hasPendingInput
            var healthy = !heardFromServer || connection.consumeIdleInput()
            if healthy, heardFromServer || ContinuousClock.now - connection.lastUsed > idleLimit {
                healthy = (try? connection.query("SELECT 1", timeout: .seconds(5))) != nil
            }
            if healthy { return connection }
            logger.info("replacing a lost database connection", metadata: ["db.slot": "\(id)"])
        }
        connection = nil
        let fresh = try PostgresConnection(configuration: configuration, interrupt: interrupt)
        connection = fresh
        return fresh
    }

    /// Leaves the slot clean for the next user: no open transaction or pipeline, no pending cancel.
    private func finishUse(logger: Logger) {
        if let connection {
            if connection.isBroken {
                self.connection = nil
            } else if connection.transactionStatus != PQTRANS_IDLE {
                logger.debug("rolling back a transaction left open", metadata: ["db.slot": "\(id)"])
                interrupt.reset()
                if (try? connection.execute("ROLLBACK", timeout: .seconds(5))) == nil { self.connection = nil }
            }
        }
        interrupt.reset()
    }
}
