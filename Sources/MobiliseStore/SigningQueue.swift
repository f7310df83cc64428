import Foundation
import MobiliseDomain
import Postgres
import Synchronization

/// Group commit for signing: concurrent ``MobiliseStore/sign(organisationID:campaign:employee:channel:eventID:at:hidingDrafts:)``
/// calls queue here, and up to ``GroupCommit/writers`` writers each take everything waiting (up to
/// ``GroupCommit/batchLimit(onCitus:)``) and write it as one batch (``MobiliseStore/signBatch(_:connection:campaigns:)``).
///
/// No request waits for a batch to fill: a writer takes what is queued the moment it is free, so a
/// lone signer is written at once, and under load the batches grow by themselves while the previous
/// ones commit. Every caller is answered after its batch's commit, with its own result.
///
/// A call waits in the queue at most the pool's `acquireTimeout`, as it would for a connection: when
/// the writers are stuck (a lock, a slow disk), the calls behind them fail with the pool's
/// "no connection became free" error instead of piling up.
final class SigningQueue: Sendable {
    private struct Waiting {
        var request: SigningRequest
        var continuation: CheckedContinuation<SigningResult, any Error>
        var queuedAt: ContinuousClock.Instant
    }

    private struct State {
        var waiting: [Waiting] = []
        var writers = 0
        /// Whether a watchdog is expiring calls that waited too long.
        var watching = false
        var statistics = GroupCommitStatistics()
    }

    let settings: GroupCommit
    private let pool: PostgresPool
    let campaigns = CampaignCache()
    private let state = Mutex(State())

    init(pool: PostgresPool, settings: GroupCommit) {
        self.pool = pool
        self.settings = settings
    }

    func sign(_ request: SigningRequest) async throws -> SigningResult {
        try await withCheckedThrowingContinuation { continuation in
            let (startWriter, startWatchdog) = state.withLock { state in
                state.waiting.append(Waiting(request: request, continuation: continuation, queuedAt: .now))
                state.statistics.submitted += 1
                if state.writers < settings.writers {
                    state.writers += 1
                    return (true, false)
                }
                if state.watching { return (false, false) }
                state.watching = true
                return (false, true)
            }
            if startWriter { Task { await self.write() } }
            if startWatchdog { Task { await self.expireLongWaits() } }
        }
    }

    /// While calls are queued behind busy writers, fails those that waited longer than the pool's acquire timeout.
    private func expireLongWaits() async {
        let limit = pool.configuration.acquireTimeout
        let error = PostgresError(kind: .pool, message: "no database connection became free within \(limit) (signing writers busy)")
        while true {
            try? await Task.sleep(for: min(max(limit / 4, .milliseconds(10)), .milliseconds(250)))
            let (expired, done) = state.withLock { state -> ([Waiting], Bool) in
                let now = ContinuousClock.now
                let count = state.waiting.prefix { now - $0.queuedAt >= limit }.count
                let expired = Array(state.waiting.prefix(count))
                state.waiting.removeFirst(count)
                if state.waiting.isEmpty { state.watching = false }
                return (expired, !state.watching)
            }
            for waiting in expired { waiting.continuation.resume(throwing: error) }
            if done { return }
        }
    }

    /// Writes batches until nothing is waiting. A writer keeps its connection while batches keep
    /// coming, and takes, writes and answers each one on that connection's thread: between two
    /// batches it never hops from thread to thread. It lets the connection go when someone else
    /// waits for one of the pool's (then queues for it again), so that a long burst of signing
    /// does not starve the other requests of a small pool.
    private func write() async {
        while true {
            do {
                let goOn = try await pool.withConnection { connection in self.writeBatches(connection) }
                if !goOn { return }
            } catch {
                // No connection: the batch waiting first fails with the pool's error, as any caller of the pool would.
                guard let batch = takeBatch() else { return }
                finish(batch, with: Array(repeating: .failure(error), count: batch.count))
            }
        }
    }

    /// Writes and answers batches on `connection` until the queue is empty (false), or the
    /// connection broke or another caller of the pool waits for a connection (true: the writer
    /// goes on with a connection acquired anew).
    private func writeBatches(_ connection: PostgresConnection) -> Bool {
        while let batch = takeBatch() {
            finish(batch, with: MobiliseStore.signBatch(batch.map(\.request), connection: connection, campaigns: campaigns))
            if connection.isBroken || pool.statistics.waiting > 0 { return true }
        }
        return false
    }

    /// The next batch, or nil when nothing is waiting: then this writer ends (it no longer counts).
    private func takeBatch() -> [Waiting]? {
        let limit = settings.batchLimit(onCitus: campaigns.signsThroughFunction.withLock { $0 } == true)
        return state.withLock { state in
            let batch = Array(state.waiting.prefix(limit))
            state.waiting.removeFirst(batch.count)
            if batch.isEmpty {
                state.writers -= 1
                return nil
            }
            state.statistics.batches += 1
            state.statistics.writing += 1
            return batch
        }
    }

    private func finish(_ batch: [Waiting], with results: [Result<SigningResult, any Error>]) {
        state.withLock { $0.statistics.writing -= 1 }
        for (waiting, result) in zip(batch, results) { waiting.continuation.resume(with: result) }
    }

    var statistics: GroupCommitStatistics {
        state.withLock { state in
            var statistics = state.statistics
            statistics.queued = state.waiting.count
            return statistics
        }
    }
}

/// What group commit has done since the store was made.
public struct GroupCommitStatistics: Sendable, Equatable {
    /// Signing calls received.
    public var submitted = 0
    /// Batches taken by a writer (each one transaction, unless a row's failure made its rows be signed alone).
    public var batches = 0
    /// Calls waiting for a writer now.
    public var queued = 0
    /// Batches being written now.
    public var writing = 0
}

/// How signing requests are batched.
public struct GroupCommit: Sendable {
    /// The most signatures written in one transaction; nil (the default) lets the database decide
    /// (``batchLimit(onCitus:)``): 24 on PostgreSQL, 256 on a Citus coordinator.
    ///
    /// On PostgreSQL a writer takes what is queued up to 24, so that a long queue is written as
    /// several batches one after the other and its first callers are answered while the rest are
    /// written. Taken whole, a long queue became one large batch that held most of the callers, and
    /// the service's cores waited idle for its answer: with the database on a core of its own at 64
    /// connections, the service's core was idle 9–12% of the time, each idle spell ended by the
    /// writer's wake-up (`perf sched`); batches of at most 24 halved that, on shared cores too
    /// (BENCHMARKS.md section 6, tenth pass). On Citus each batch has a large fixed cost (a delegated
    /// call planned anew on the worker): there batches of at most 24 signed 5,693/s at 256 connections
    /// against 9,050/s with 256, at 145 against 79 µs of database CPU per signature
    /// (deploy/citus/README.md), so Citus keeps the large batches.
    public var maxBatch: Int?
    /// Batches written at the same time, each on its own connection. Default 1: one writer makes
    /// fewer, larger batches, and on the 2-core benchmark machine that cost about a fifth less CPU
    /// per signature than two writers for the same rate, with a lower p99 (see BENCHMARKS.md); more
    /// writers can pay off where commits are slow and cores many.
    public var writers: Int

    public init(maxBatch: Int? = nil, writers: Int = 1) {
        self.maxBatch = maxBatch.map { max(1, $0) }
        self.writers = max(1, writers)
    }

    /// The most signatures a writer takes at once: ``maxBatch`` when set, else 24 on PostgreSQL and
    /// 256 on a Citus coordinator (`onCitus`, known once the first batch has asked the database).
    public func batchLimit(onCitus: Bool) -> Int {
        maxBatch ?? (onCitus ? 256 : 24)
    }
}

/// Active campaigns by organisation and id or slug, for the signing path. A launched campaign's
/// rules never change (only drafts can be edited) and the batch checks the status again in the
/// database, so an entry can only be stale about the status, which that check catches; entries are
/// dropped after a minute anyway.
final class CampaignCache: Sendable {
    private struct Key: Hashable {
        var organisationID: UUID
        var reference: String
    }

    private let entries = Mutex<[Key: (campaign: Campaign, stored: ContinuousClock.Instant)]>([:])
    /// Whether the database is a Citus coordinator on which signing batches call
    /// `mobilise_sign_batch` (created by `deploy/citus/distribute.sql`); nil until the first batch asks.
    let signsThroughFunction = Mutex<Bool?>(nil)
    /// Whether a batch's planner settings (``MobiliseStore/batchPlans``) chose the generic plan: then
    /// `signatures` is past the size below which the batch is planned anew, and later batches send
    /// ``MobiliseStore/indexPlans`` without looking at the table's size again.
    let signaturesPastCustomPlans = Atomic<Bool>(false)
    private static let lifetime = Duration.seconds(60)
    private static let capacity = 1024

    func campaign(organisationID: UUID, reference: String) -> Campaign? {
        entries.withLock { entries in
            guard let entry = entries[Key(organisationID: organisationID, reference: reference)],
                  ContinuousClock.now - entry.stored < Self.lifetime else { return nil }
            return entry.campaign
        }
    }

    /// Keeps `campaign` when it is active.
    func store(_ campaign: Campaign, reference: String) {
        guard campaign.status == .active else { return }
        entries.withLock { entries in
            if entries.count >= Self.capacity { entries.removeAll() }
            entries[Key(organisationID: campaign.organisationID, reference: reference)] = (campaign, .now)
        }
    }

    /// Drops every entry of `campaign` (it was found no longer active).
    func forget(_ campaign: Campaign) {
        entries.withLock { entries in
            entries = entries.filter { $0.value.campaign.id != campaign.id }
        }
    }
}
