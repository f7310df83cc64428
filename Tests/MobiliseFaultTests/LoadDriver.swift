import Foundation
import Logging
import MobiliseDomain
import MobiliseTesting
import Postgres
import Synchronization
import Testing

/// The suites' sizes: short in `swift test`, long with `MOBILISE_LONG_FAULTS=1`.
enum Scale {
    static let long = ProcessInfo.processInfo.environment["MOBILISE_LONG_FAULTS"] == "1"

    static func pick(short: Int, long: Int) -> Int { Self.long ? long : short }
}

/// A request to make.
struct Job: Sendable {
    var employee: Int
    var operation: Answer.Operation
}

/// Where the connections take their next request from.
protocol JobSource: Sendable {
    func next() -> Job?
}

/// A fixed list of requests, each made once.
final class JobList: JobSource {
    private let state: Mutex<(jobs: [Job], index: Int)>

    init(_ jobs: [Job]) { state = Mutex((jobs, 0)) }

    func next() -> Job? {
        state.withLock { state in
            guard state.index < state.jobs.count else { return nil }
            defer { state.index += 1 }
            return state.jobs[state.index]
        }
    }
}

/// Signing by every employee in turn, round and round, until ``stop()``: traffic that keeps running
/// through a fault.
final class SigningRounds: JobSource {
    private let employees: Int
    private let state = Mutex<(index: Int, stopped: Bool)>((0, false))

    init(employees: Int) { self.employees = employees }

    func next() -> Job? {
        state.withLock { state in
            guard !state.stopped else { return nil }
            defer { state.index += 1 }
            return Job(employee: state.index % employees, operation: .sign)
        }
    }

    func stop() { state.withLock { $0.stopped = true } }
}

/// Runs `connections` client connections at once, each making the next request of `jobs` until
/// there is none; every answer goes to `ledger`. A connection that got no answer (the service is
/// down) pauses 20 ms before trying again, so a dead port is not hammered.
func drive(port: @escaping @Sendable () -> Int, campaign: SigningCampaign, connections: Int, jobs: some JobSource, ledger: Ledger) async {
    await withTaskGroup(of: Void.self) { group in
        for _ in 0..<connections {
            group.addTask {
                var connection = LoadConnection(port: port(), ledger: ledger)
                while let job = jobs.next() {
                    if connection.port != port() { await connection.close(); connection = LoadConnection(port: port(), ledger: ledger) }
                    let answer = await connection.send(
                        job.operation, employee: job.employee, token: campaign.tokens[job.employee], campaign: SigningCampaign.slug)
                    if answer.status == nil { try? await Task.sleep(for: .milliseconds(20)) }
                }
                await connection.close()
            }
        }
    }
}

func drive(port: Int, campaign: SigningCampaign, connections: Int, jobs: some JobSource, ledger: Ledger) async {
    await drive(port: { port }, campaign: campaign, connections: connections, jobs: jobs, ledger: ledger)
}

/// Every employee signs once more, after a fault: each must be answered 2xx (the service has
/// recovered by itself).
func finalSigningPass(port: Int, campaign: SigningCampaign, connections: Int) async -> Ledger {
    let ledger = Ledger()
    await drive(port: port, campaign: campaign, connections: connections,
                jobs: JobList((0..<campaign.count).map { Job(employee: $0, operation: .sign) }), ledger: ledger)
    return ledger
}

/// A session of its own that holds `signatures` locked (EXCLUSIVE: reads pass, every insert or
/// update waits) until the returned task is cancelled; returns once the lock is held.
func lockSignatures(_ pool: PostgresPool) async throws -> Task<Void, Never> {
    let holder = Task {
        _ = try? await pool.withConnection { connection in
            try connection.execute("BEGIN")
            try connection.execute("LOCK TABLE signatures IN EXCLUSIVE MODE")
            try connection.execute("SELECT pg_sleep(300)")
        }
    }
    try await waitUntil("the test holds the lock on signatures", timeout: .seconds(60), interval: .milliseconds(50)) {
        try await pool.query("""
            SELECT count(*) FROM pg_locks
            WHERE relation = 'signatures'::regclass AND mode = 'ExclusiveLock' AND granted
              -- pg_locks covers the whole cluster, and the test databases are clones with the same oids.
              AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
            """).scalar(Int.self) == 1
    }
    return holder
}

/// The service's sessions waiting for a lock now.
func sessionsWaitingForALock(_ pool: PostgresPool) async throws -> Int {
    try await pool.query("""
        SELECT count(*) FROM pg_stat_activity
        WHERE datname = current_database() AND application_name = 'mobilise' AND wait_event_type = 'Lock'
        """).scalar(Int.self) ?? 0
}

/// The service's open sessions on its database.
func serviceSessions(_ pool: PostgresPool) async throws -> Int {
    try await pool.query("""
        SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'mobilise'
        """).scalar(Int.self) ?? 0
}

/// A service on a fresh database of the test cluster, the campaign, and a pool for the checks;
/// the service is stopped afterwards, whatever happens.
func withServiceAndCampaign(
    employees: Int, environment: [String: String] = [:],
    _ body: (ServiceProcess, SigningCampaign, String) async throws -> Void
) async throws {
    let url = try await TestDatabase.createDatabase()
    let service = try await ServiceProcess.start(
        arguments: ["--database-url", url], environment: ["MOBILISE_RATE_LIMIT": "1000000"].merging(environment) { $1 })
    let pool = PostgresPool(
        configuration: .init(connection: try PostgresConfiguration(url, applicationName: "fault-tests"), maxConnections: 3),
        logger: Logger(label: "fault-tests"))
    do {
        let campaign = try await SigningCampaign.prepare(pool: pool, port: service.port, employees: employees)
        try await body(service, campaign, url)
        let unexpected = service.unexpectedErrors
        #expect(unexpected.isEmpty, "the service logged unexpected errors:\n\(unexpected.prefix(5).joined(separator: "\n"))")
    } catch {
        print("[faults] service log:\n\(service.logTail)")
        await service.stop()
        await pool.close()
        throw error
    }
    await service.stop()
    await pool.close()
}
