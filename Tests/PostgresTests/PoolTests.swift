import EmbeddedPostgres
import Foundation
import Logging
import MobiliseTesting
@testable import Postgres
import Synchronization
import Testing

@Suite struct PoolTests {
    @Test func sixtyFourTasksShareAPoolOfFour() async throws {
        try await TestDatabase.withDatabase(maxConnections: 4) { pool in
            try await pool.execute("CREATE TABLE hits (task integer PRIMARY KEY, backend integer NOT NULL)")
            try await withThrowingTaskGroup(of: Void.self) { group in
                for task in 0..<64 {
                    group.addTask {
                        _ = try await pool.withConnection { connection in
                            try connection.execute("INSERT INTO hits VALUES (\(task), pg_backend_pid())")
                        }
                    }
                }
                try await group.waitForAll()
            }
            #expect(try await pool.query("SELECT count(*) FROM hits").scalar(Int.self) == 64)
            let backends = try await pool.query("SELECT count(DISTINCT backend) FROM hits").scalar(Int.self) ?? 0
            #expect(backends >= 1 && backends <= 4)
            #expect(pool.statistics.open <= 4)
        }
    }

    /// Each connection's thread carries the pool's label in the kernel (as `top -H` and `perf` show
    /// threads), not the name of the thread that started it.
    @Test func connectionThreadsAreNamedInTheKernel() async throws {
        let url = try await TestDatabase.createDatabase()
        let pool = PostgresPool(
            configuration: .init(connection: try PostgresConfiguration(url), maxConnections: 1, label: "threadprobe"),
            logger: Logger(label: "test"))
        #expect(try await pool.query("SELECT 1").scalar(Int.self) == 1)
        let names = try FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").compactMap { task in
            try? String(contentsOfFile: "/proc/self/task/\(task)/comm", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        await pool.close()
        #expect(names.contains { $0.hasPrefix("threadprobe-") }, "\(names.sorted())")
    }

    @Test func waitingCallersAreServedInOrder() async throws {
        try await TestDatabase.withDatabase(maxConnections: 1) { pool in
            // The holder keeps the only connection until the test releases an advisory lock it waits on.
            let locker = PostgresPool(configuration: .init(connection: pool.configuration.connection, maxConnections: 1), logger: Logger(label: "test"))
            try await locker.execute("SELECT pg_advisory_lock(42)")
            let order = Recorder()
            let holder = Task { try await pool.withConnection { try $0.execute("SELECT pg_advisory_lock(42), pg_advisory_unlock(42)") } }
            try await waitUntil { pool.statistics.inUse == 1 }
            var waiters: [Task<Void, any Error>] = []
            for index in 0..<5 {
                waiters.append(Task { try await pool.withConnection { _ in order.append(index) } })
                try await waitUntil { pool.statistics.waiting == index + 1 }
            }
            try await locker.execute("SELECT pg_advisory_unlock(42)")
            await locker.close()
            _ = try await holder.value
            for waiter in waiters { try await waiter.value }
            #expect(order.values == [0, 1, 2, 3, 4])
        }
    }

    @Test func cancellingATaskCancelsItsStatementOnTheServer() async throws {
        try await TestDatabase.withDatabase(maxConnections: 2) { pool in
            let sleeper = Task { try await pool.withConnection { try $0.query("SELECT pg_sleep(30)") } }
            try await waitUntil {
                try await pool.query("SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(30)' AND state = 'active'")
                    .scalar(Int.self) == 1
            }
            sleeper.cancel()
            let outcome = await sleeper.result
            #expect(throws: CancellationError.self) { try outcome.get() }
            // The server stops the statement (its activity entry turns idle a moment after the client
            // hears of it; uncancelled, it would stay active for 30 s) and every connection still works.
            try await waitUntil {
                try await pool.query("SELECT count(*) FROM pg_stat_activity WHERE query = 'SELECT pg_sleep(30)' AND state = 'active'")
                    .scalar(Int.self) == 0
            }
            try await withThrowingTaskGroup(of: Int?.self) { group in
                for _ in 0..<2 { group.addTask { try await pool.query("SELECT 1").scalar(Int.self) } }
                for try await value in group { #expect(value == 1) }
            }
        }
    }

    @Test func cancelledCallersLeaveNothingBehind() async throws {
        try await TestDatabase.withDatabase(maxConnections: 1) { pool in
            let single = PostgresPool(configuration: .init(connection: pool.configuration.connection, maxConnections: 1),
                                      logger: Logger(label: "test"))
            for _ in 0..<20 {
                // A caller queued behind a holder, cancelled while waiting.
                let holding = Task { try await single.withConnection { try $0.execute("SELECT pg_sleep(30)") } }
                try await waitUntil { single.statistics.inUse == 1 }
                let queued = Task { try await single.query("SELECT 1") }
                try await waitUntil { single.statistics.waiting == 1 }
                queued.cancel()
                await #expect(throws: CancellationError.self) { try await queued.value }
                holding.cancel()
                _ = await holding.result

                // A caller cancelled just as the connection is handed over to it (the holder cancels
                // it the moment it releases the connection).
                let next = Mutex<Task<Int, any Error>?>(nil)
                let holder = Task {
                    try await single.withConnection { _ in }
                    next.withLock { $0?.cancel() }
                }
                let waiter = Task { try await single.withConnection { try $0.execute("SELECT 1") } }
                next.withLock { $0 = waiter }
                _ = try await holder.value
                _ = await waiter.result
            }
            // Nothing is remembered of any of them, and the pool still serves.
            #expect(single.pendingCallers == 0)
            #expect(try await single.query("SELECT 1").scalar(Int.self) == 1)
            #expect(single.statistics == .init(open: 1, idle: 1, waiting: 0))
            await single.close()
        }
    }

    @Test func statementTimeoutCancelsAndKeepsTheConnection() async throws {
        try await TestDatabase.withDatabase(maxConnections: 1) { pool in
            let error = await #expect(throws: PostgresError.self) {
                try await pool.query("SELECT pg_sleep(30)", timeout: .milliseconds(200))
            }
            #expect(error?.kind == .timeout)
            let after = try await pool.query("SELECT 2").scalar(Int.self)
            #expect(after == 2)
        }
    }

    @Test func acquireTimesOutWhenThePoolStaysBusy() async throws {
        try await TestDatabase.withDatabase(maxConnections: 1) { pool in
            let busy = PostgresPool(
                configuration: .init(connection: pool.configuration.connection, maxConnections: 1, acquireTimeout: .milliseconds(100)),
                logger: Logger(label: "test"))
            let holder = Task { try await busy.withConnection { try $0.execute("SELECT pg_sleep(30)") } }
            try await waitUntil { busy.statistics.inUse == 1 }
            let error = await #expect(throws: PostgresError.self) { try await busy.query("SELECT 1") }
            #expect(error?.kind == .pool)
            holder.cancel()
            _ = await holder.result
            await busy.close()
            await #expect(throws: PostgresError.self) { try await busy.query("SELECT 1") }
        }
    }

    @Test func aTransactionLeftOpenIsRolledBackBeforeReuse() async throws {
        try await TestDatabase.withDatabase(maxConnections: 1) { pool in
            try await pool.withConnection { connection in
                try connection.execute("BEGIN")
                try connection.execute("INSERT INTO organisations (slug, name) VALUES ('half', 'Half')")
            }
            #expect(try await pool.query("SELECT count(*) FROM organisations").scalar(Int.self) == 0)
        }
    }

    @Test(arguments: [EmbeddedPostgres.StopMode.fast, .immediate])
    func poolRecoversAfterTheServerRestarts(mode: EmbeddedPostgres.StopMode) async throws {
        // A cluster of its own: restarting the shared one would disturb tests running in parallel.
        let directory = "/tmp/mobilise-restart-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let server = EmbeddedPostgres(
            configuration: .init(dataDirectory: directory, durable: false, ephemeral: true), logger: Logger(label: "test"))
        try await server.start()
        let pool = PostgresPool(
            configuration: .init(connection: try PostgresConfiguration(server.connectionString()), maxConnections: 3),
            logger: Logger(label: "test"))
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<3 { group.addTask { _ = try await pool.execute("SELECT pg_sleep(0.05)") } }
                try await group.waitForAll()
            }
            #expect(pool.statistics.open == 3)
            try await server.stop(mode: mode)
            let down = await #expect(throws: PostgresError.self) { try await pool.query("SELECT 1") }
            #expect(down?.isConnectionFailure == true)
            try await server.start()
            for _ in 0..<6 {
                #expect(try await pool.query("SELECT 1").scalar(Int.self) == 1)
            }
        } catch {
            await pool.close()
            try? await server.stop()
            throw error
        }
        await pool.close()
        try await server.stop()
    }
}

/// Integers appended from several tasks.
final class Recorder: Sendable {
    private let storage = Mutex<[Int]>([])
    func append(_ value: Int) { storage.withLock { $0.append(value) } }
    var values: [Int] { storage.withLock { $0 } }
}
