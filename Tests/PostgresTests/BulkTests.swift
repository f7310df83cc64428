import EmbeddedPostgres
import Foundation
import Logging
import MobiliseTesting
import Postgres
import Testing

@Suite struct CopyTests {
    @Test func copiesAHundredThousandRows() async throws {
        try await TestDatabase.withDatabase(migrated: false) { pool in
            try await pool.execute("CREATE TABLE staging (id integer, name text, note text)")
            let loaded = try await pool.withConnection { connection in
                try connection.copyFrom("COPY staging (id, name, note) FROM STDIN") { writer in
                    for id in 0..<100_000 {
                        try writer.writeRow([String(id), "employee \(id)", id % 10 == 0 ? nil : "tab\there\nnewline \\ é"])
                    }
                }
            }
            #expect(loaded == 100_000)
            let summary = try await pool.query("SELECT count(*), count(note), sum(id) FROM staging")[0]
            let (count, notes, sum) = try summary.decode((Int, Int, Int).self)
            #expect(count == 100_000 && notes == 90_000 && sum == 4_999_950_000)
            let note = try await pool.query("SELECT note FROM staging WHERE id = 1").scalar(String.self)
            #expect(note == "tab\there\nnewline \\ é")
        }
    }

    @Test func aThrowingBodyAbortsTheCopyAndLoadsNothing() async throws {
        struct Stop: Error {}
        try await TestDatabase.withDatabase(migrated: false) { pool in
            try await pool.execute("CREATE TABLE staging (id integer)")
            await #expect(throws: Stop.self) {
                try await pool.withConnection { connection in
                    try connection.copyFrom("COPY staging FROM STDIN") { writer in
                        for id in 0..<50_000 { try writer.writeRow([String(id)]) }
                        throw Stop()
                    }
                }
            }
            #expect(try await pool.query("SELECT count(*) FROM staging").scalar(Int.self) == 0)
        }
    }

    @Test func badDataFailsTheCopyWithTheServersError() async throws {
        try await TestDatabase.withDatabase(migrated: false) { pool in
            try await pool.execute("CREATE TABLE staging (id integer)")
            let error = await #expect(throws: PostgresError.self) {
                try await pool.withConnection { connection in
                    try connection.copyFrom("COPY staging FROM STDIN") { writer in try writer.writeRow(["not a number"]) }
                }
            }
            #expect(error?.code == .invalidTextRepresentation)
            #expect(try await pool.query("SELECT count(*) FROM staging").scalar(Int.self) == 0)
        }
    }
}

@Suite struct CopyMisuseTests {
    /// COPY in the wrong place fails with an error instead of leaving the connection spinning.
    @Test func copyStatementsOutsideCopyFromFailCleanly() async throws {
        try await TestDatabase.withDatabase(migrated: false, maxConnections: 1) { pool in
            try await pool.execute("CREATE TABLE t (x int)")
            await #expect(throws: PostgresError.self) {
                try await pool.withConnection { try $0.executeScript("COPY t FROM STDIN") }
            }
            await #expect(throws: PostgresError.self) {
                try await pool.withConnection { connection in try connection.copyFrom("COPY t TO STDOUT") { _ in } }
            }
            await #expect(throws: PostgresError.self) { try await pool.query("COPY t FROM STDIN") }
            // The pool replaced the connection each time: it still works.
            #expect(try await pool.query("SELECT 1").scalar(Int.self) == 1)
        }
    }
}

@Suite struct PipelineTests {
    @Test func aThousandInsertsWithOneFailureReportedAtItsPosition() async throws {
        try await TestDatabase.withDatabase(migrated: false) { pool in
            try await pool.execute("CREATE TABLE items (id integer PRIMARY KEY)")
            // Statement 500 repeats id 499: a unique violation at that position only.
            let queries: [PostgresQuery] = (0..<1000).map { index in
                let id = index == 500 ? 499 : index
                return "INSERT INTO items VALUES (\(id)) RETURNING id"
            }
            let results = try await pool.withConnection { try $0.pipeline(queries) }
            #expect(results.count == 1000)
            for (index, result) in results.enumerated() {
                switch result {
                case .success(let rows):
                    #expect(index != 500)
                    #expect(try rows.scalar(Int.self) == index)
                case .failure(let error):
                    #expect(index == 500)
                    #expect(error.isUniqueViolation)
                }
            }
            #expect(try await pool.query("SELECT count(*) FROM items").scalar(Int.self) == 999)
        }
    }

    @Test func aTransactionalPipelineIsAllOrNothing() async throws {
        try await TestDatabase.withDatabase(migrated: false) { pool in
            try await pool.execute("CREATE TABLE items (id integer PRIMARY KEY)")
            let queries: [PostgresQuery] = [0, 1, 1, 2].map { "INSERT INTO items VALUES (\($0))" }
            let results = try await pool.withConnection { try $0.pipeline(queries, mode: .transaction) }
            #expect(results.map { (try? $0.get()) != nil } == [true, true, false, false])
            if case .failure(let error) = results[2] { #expect(error.isUniqueViolation) }
            if case .failure(let error) = results[3] { #expect(error.kind == .pipelineAborted) }
            #expect(try await pool.query("SELECT count(*) FROM items").scalar(Int.self) == 0)
            // The connection is back to normal afterwards.
            #expect(try await pool.query("SELECT 1").scalar(Int.self) == 1)
        }
    }
}

@Suite struct NotificationTests {
    @Test func aListenerReceivesNotifications() async throws {
        try await TestDatabase.withDatabase(migrated: false) { pool in
            let notifications = try await pool.notifications(channel: "signatures")
            let other = try await pool.notifications(channel: "Other Channel")
            try await pool.execute("SELECT pg_notify('signatures', \("IN:42"))")
            try await pool.execute("SELECT pg_notify('Other Channel', 'x')")
            try await pool.execute("NOTIFY signatures, 'BR:7'")
            var received: [String] = []
            for await notification in notifications {
                #expect(notification.channel == "signatures")
                received.append(notification.payload)
                if received.count == 2 { break }
            }
            #expect(received == ["IN:42", "BR:7"])
            var iterator = other.makeAsyncIterator()
            #expect(await iterator.next()?.payload == "x")
        }
    }
}

@Suite struct NotificationChurnTests {
    /// Subscriptions that come and go quickly (a dashboard reloaded over and over). The signal of a
    /// new subscription once reached the listener while it ran the previous one's UNLISTEN, which
    /// swallowed it: the new LISTEN waited for the next wake-up, and subscribing failed after 10 s.
    @Test func subscriptionsThatComeAndGoQuicklyAreEachListenedAtOnce() async throws {
        try await TestDatabase.withDatabase(migrated: false) { pool in
            // Sixteen at once, on channels of their own: the listener is nearly always running a
            // LISTEN or UNLISTEN when the next subscription signals it.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for churner in 0..<16 {
                    group.addTask {
                        let channel = "churn-\(churner)"
                        for round in 0..<50 {
                            // With the signal swallowed, this throws (subscribing gives up when its
                            // LISTEN is not run in time): no timing assertion needed.
                            var iterator = try await pool.notifications(channel: channel).makeAsyncIterator()
                            try await pool.execute("SELECT pg_notify(\(channel), \(String(round)))")
                            #expect(await iterator.next()?.payload == String(round))
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
    }
}

@Suite struct NotificationRecoveryTests {
    @Test func listenersHearOfAReconnectAndSubscribingFailsWhileTheServerIsDown() async throws {
        let directory = "/tmp/mobilise-listen-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let server = EmbeddedPostgres(configuration: .init(dataDirectory: directory, durable: false, ephemeral: true), logger: Logger(label: "test"))
        try await server.start()
        let pool = PostgresPool(configuration: .init(connection: try PostgresConfiguration(server.connectionString()), maxConnections: 2),
                                logger: Logger(label: "test"))
        do {
            var iterator = try await pool.notifications(channel: "signatures").makeAsyncIterator()
            try await server.stop(mode: .fast)
            try await server.start()
            // The listener reconnects by itself and says so with an empty notification…
            let reconnected = await iterator.next()
            #expect(reconnected?.payload == "" && reconnected?.senderPID == 0)
            // …and notifications flow again.
            try await pool.execute("SELECT pg_notify('signatures', 'after')")
            #expect(await iterator.next()?.payload == "after")

            try await server.stop(mode: .immediate)
            let error = await #expect(throws: PostgresError.self) { _ = try await pool.notifications(channel: "other") }
            #expect(error?.kind == .connection)
        } catch {
            await pool.close()
            try? await server.stop()
            throw error
        }
        await pool.close()
        try? await server.stop()
    }
}
