import AsyncHTTPClient
import Foundation
import Logging
import MobiliseDomain
import MobiliseStore
import NIOCore
import NIOHTTP1
import ServiceLifecycle
import Synchronization

/// The outbox's settings (README, configuration).
public struct OutboxConfiguration: Sendable {
    /// How often the sender looks for due messages (`MOBILISE_OUTBOX_POLL`, a duration; default 2s).
    public var pollInterval: Duration = .seconds(2)
    /// Retries: backoff base, cap, attempts (`MOBILISE_OUTBOX_RETRY_BASE`, `MOBILISE_OUTBOX_RETRY_CAP`,
    /// `MOBILISE_OUTBOX_MAX_ATTEMPTS`; default 10s, 1h, 12).
    public var retry = RetryPolicy()
    /// One request's whole time, connecting included (`MOBILISE_OUTBOX_TIMEOUT`, default 10s).
    public var timeout: Duration = .seconds(10)
    /// How long a claim keeps other instances off a message: longer than a request can take.
    public var lease: Duration { timeout * 3 + .seconds(5) }
    /// Messages claimed (and sent concurrently) at once by one instance.
    public var batchSize = 20
    /// How often milestones are looked for (`MOBILISE_MILESTONE_INTERVAL`, default 1m).
    public var milestoneInterval: Duration = .seconds(60)
    /// Which URLs may be called.
    public var policy = OutboundURLPolicy()
    /// How the sender yields to requests while the instance is busy (nil: never; the default
    /// ``OutboxYield`` unless `MOBILISE_OUTBOX_YIELD=off`; `MOBILISE_OUTBOX_YIELD=10`: 10 messages a
    /// second at most while busy).
    public var yield: OutboxYield? = OutboxYield()

    public init() {}

    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment, ownPort: Int? = nil) -> Self {
        func duration(_ name: String) -> Duration? {
            environment[name].flatMap(Publication.parseInterval).map { .milliseconds(Int64(($0 * 1000).rounded())) }
        }
        var configuration = OutboxConfiguration()
        if let value = duration("MOBILISE_OUTBOX_POLL") { configuration.pollInterval = value }
        if let value = duration("MOBILISE_OUTBOX_RETRY_BASE") { configuration.retry.base = value }
        if let value = duration("MOBILISE_OUTBOX_RETRY_CAP") { configuration.retry.cap = value }
        if let value = environment["MOBILISE_OUTBOX_MAX_ATTEMPTS"].flatMap(Int.init), value > 0 { configuration.retry.maxAttempts = value }
        if let value = duration("MOBILISE_OUTBOX_TIMEOUT") { configuration.timeout = value }
        if let value = duration("MOBILISE_MILESTONE_INTERVAL") { configuration.milestoneInterval = value }
        if let value = environment["MOBILISE_OUTBOX_YIELD"]?.lowercased() {
            if ["0", "off", "false", "no"].contains(value) {
                configuration.yield = nil
            } else if let rate = Double(value), rate.isFinite, rate > 0 {
                configuration.yield = OutboxYield(rate: rate)
            }
        }
        configuration.policy = .fromEnvironment(environment, ownPort: ownPort)
        return configuration
    }
}

/// How the outbox sender yields while the instance is busy answering requests: at most
/// ``batchSize`` messages claimed at once, and at most ``rate`` messages a second (each batch is
/// followed by a pause, so that batches start at least ``pause`` apart), the messages of a batch
/// started ``spacing`` apart rather than all at once (evenly, not in bursts of ``batchSize`` requests
/// beside the signing; one claim and one record still serve the whole batch). Bounded: while busy it
/// still sends ``rate`` messages a second (when they are due and their endpoints answer in time).
///
/// The default rate is set by what deliveries cost the signing they run beside (issue 23: within
/// 5%; BENCHMARKS.md section 9, `bench/outbox_during_signing`, 24 pairs of windows on its quiet
/// 2-core machine): at 25 a second signing kept 0.896× its throughput and its p99 grew 1.21×; at
/// 5 a second 0.981× and 1.04×. A delivery costs far more beside a signing burst than alone (about
/// 0.5 ms of the instance's and PostgreSQL's CPU flat out with nothing else running), so the rate
/// is what keeps it small. 5 a second still sends a launch's milestones within seconds, and a
/// backlog goes out flat out as soon as the burst ends.
public struct OutboxYield: Sendable, Equatable {
    public var batchSize: Int
    /// Messages a second at most while the instance is busy (`MOBILISE_OUTBOX_YIELD=<rate>`).
    public var rate: Double

    public init(batchSize: Int = 5, rate: Double = 5) {
        self.batchSize = max(1, batchSize)
        self.rate = rate.isFinite && rate > 0 ? rate : 5
    }

    /// The least time from the start of one batch to the start of the next: ``batchSize`` / ``rate``.
    public var pause: Duration {
        .microseconds(Int64((Double(batchSize) / rate * 1_000_000).rounded()))
    }

    /// The time between the starts of two messages of a batch: 1 / ``rate``.
    public var spacing: Duration {
        .microseconds(Int64((1 / rate * 1_000_000).rounded()))
    }

    /// How long to wait after a batch that took `elapsed`, so that batches start ``pause`` apart.
    public func rest(after elapsed: Duration) -> Duration {
        max(.zero, pause - elapsed)
    }
}

/// Delivers the outbox: claims due messages (``MobiliseStore/claimDueMessages(limit:lease:)``, a
/// lease per message, so instances never send one message at the same time), formats and signs
/// them (the webhook's signing key opened from its sealed form, ``SecretSealer``), posts them to
/// the address the outbound-URL policy checked (never a second DNS answer: ``ResolvedURL``), and
/// records each attempt. At least once: a message is marked delivered only
/// after its endpoint answered 2xx, and one whose sender died mid-send is claimed again when its
/// lease expires. Receivers deduplicate on `webhook-id` (the event's id, the same on every retry).
///
/// It runs beside the HTTP server, never on the signing path: signing writes no message. What it
/// costs the requests it runs beside is kept small (issue 23, BENCHMARKS.md section 9):
/// - a claimed batch's outcomes are recorded in one transaction (``MobiliseStore/recordDeliveries(_:)``),
///   so a batch takes the database pool twice, not once per message;
/// - its HTTP clients are kept, one per host and checked address (``PinnedHTTPClients``), so
///   deliveries to the same endpoints reuse connections;
/// - it yields to signing (``OutboxConfiguration/yield``): while the instance signs, or callers wait
///   for a database connection, it claims smaller batches, starts their messages evenly spaced and
///   pauses between batches, bounded so that deliveries go on (``OutboxYield/rate`` messages a second).
public struct OutboxSender: Service {
    let store: MobiliseStore
    let configuration: OutboxConfiguration
    /// Opens webhooks' sealed signing keys (nil: the service has no secrets key; only keys saved in
    /// plain text before 0031 then sign).
    let sealer: SecretSealer?
    let logger: Logger
    /// The HTTP clients, kept from batch to batch (shut down when ``run()`` ends, or with the sender).
    let clients: PinnedHTTPClients
    /// Whether the instance is busy answering requests now (``busySigning(store:)`` by default).
    let busy: @Sendable () -> Bool

    public init(
        store: MobiliseStore, configuration: OutboxConfiguration, sealer: SecretSealer?, logger: Logger,
        busy: (@Sendable () -> Bool)? = nil
    ) {
        self.store = store
        self.configuration = configuration
        self.sealer = sealer
        self.logger = logger
        self.clients = PinnedHTTPClients(settings: Self.clientConfiguration(configuration))
        self.busy = busy ?? Self.busySigning(store: store)
    }

    public func run() async throws {
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                // Keep going while there is a full batch (paced while the instance is busy), then
                // wait for the next poll.
                while !Task.isShuttingDownGracefully {
                    let pace = nextBatch()
                    let started = ContinuousClock.now
                    guard try await deliverDue(limit: pace.limit, spacing: pace.yield?.spacing) == pace.limit else { break }
                    if let yield = pace.yield {
                        let rest = yield.rest(after: ContinuousClock.now - started)
                        if rest > .zero { try? await cancelWhenGracefulShutdown { try await Task.sleep(for: rest) } }
                    }
                }
            } catch is CancellationError {
                break
            } catch {
                logger.warning("the outbox sender could not claim messages; retrying", metadata: ["error": "\(error)"])
            }
            let pause = configuration.pollInterval
            try? await cancelWhenGracefulShutdown { try await sleepInShortSteps(for: pause) }
        }
        await clients.shutdown()
    }

    /// How many messages to claim next, and how long a full batch and the pause after it take at
    /// least: flat out when the instance is idle, ``OutboxConfiguration/yield`` while it is busy.
    func nextBatch() -> (limit: Int, pause: Duration?, yield: OutboxYield?) {
        guard let yield = configuration.yield, busy() else { return (configuration.batchSize, nil, nil) }
        return (min(yield.batchSize, configuration.batchSize), yield.pause, yield)
    }

    /// Busy: signatures were submitted since the last time it was asked, some are queued or being
    /// written, or callers wait for one of the pool's connections.
    public static func busySigning(store: MobiliseStore) -> @Sendable () -> Bool {
        let seen = SubmittedSignatures()
        return {
            let signing = store.groupCommitStatistics
            let before = seen.count.exchange(signing.submitted, ordering: .relaxed)
            return (before >= 0 && before != signing.submitted) || signing.queued > 0 || signing.writing > 0
                || store.pool.statistics.waiting > 0
        }
    }

    /// The signing calls counted when ``busySigning(store:)``'s signal was last asked (-1: never).
    final class SubmittedSignatures: Sendable {
        let count = Atomic<Int>(-1)
    }

    public static func clientConfiguration(_ configuration: OutboxConfiguration) -> HTTPClient.Configuration {
        var settings = HTTPClient.Configuration()
        // A redirect could lead anywhere (a private address): never followed, it is a failed attempt.
        settings.redirectConfiguration = .disallow
        settings.timeout = HTTPClient.Configuration.Timeout(connect: TimeAmount(configuration.timeout), read: TimeAmount(configuration.timeout))
        settings.decompression = .disabled
        return settings
    }

    /// Claims one batch of due messages (``OutboxConfiguration/batchSize``, or `limit`), delivers them
    /// concurrently and records their outcomes together; returns how many it claimed.
    ///
    /// - Parameter spacing: the batch's `n`th message starts `n × spacing` after the first (nil: all
    ///   at once). The offsets are small beside the lease (a batch of 5 at 25 a second: 160 ms
    ///   against 35 s), and the attempts still overlap, so a slow endpoint delays the batch by its
    ///   own timeout at most, as without spacing.
    @discardableResult
    public func deliverDue(limit: Int? = nil, spacing: Duration? = nil) async throws -> Int {
        let claimed = try await store.claimDueMessages(limit: limit ?? configuration.batchSize, lease: configuration.lease)
        guard !claimed.isEmpty else { return 0 }
        let records = await withTaskGroup(of: DeliveryRecord.self, returning: [DeliveryRecord].self) { group in
            for (index, message) in claimed.enumerated() {
                group.addTask {
                    // Cancelled (the service stopping): sent now rather than left to its lease.
                    if let spacing, index > 0 { try? await Task.sleep(for: spacing * index) }
                    let start = ContinuousClock.now
                    let outcome = await attempt(message)
                    return DeliveryRecord(message: message, outcome: outcome, duration: ContinuousClock.now - start)
                }
            }
            var records: [DeliveryRecord] = []
            for await record in group { records.append(record) }
            return records
        }
        do {
            try await store.recordDeliveries(records)
        } catch {
            // The leases expire and the messages are tried again: at least once.
            logger.warning("could not record deliveries", metadata: ["messages": "\(records.count)", "error": "\(error)"])
        }
        return claimed.count
    }

    func attempt(_ message: ClaimedMessage) async -> DeliveryOutcome {
        let target: ResolvedURL
        do {
            target = try await configuration.policy.resolve(message.url)
        } catch let refusal as OutboundURLPolicy.Refusal {
            return .refused(error: "outbound URL refused: \(refusal.description)")
        } catch {
            return failure(message, statusCode: nil, error: "could not resolve the URL: \(error)")
        }
        var signingKey: Data?
        if message.kind == .webhook, let stored = message.secret {
            // Sealed (0031), or plain when saved before and not yet sealed at a startup.
            guard let key = sealer.map({ $0.open(stored, organisationID: message.organisationID) }) ?? (SecretSealer.isSealed(stored) ? nil : stored)
            else {
                return failure(message, statusCode: nil, error: "the webhook's signing key does not open with this service's secrets key (MOBILISE_SECRETS_KEY changed?)")
            }
            signingKey = key
        }
        do {
            let body = try OutboundFormat.body(message.event, kind: message.kind)
            var request = HTTPClientRequest(url: target.url.absoluteString)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "User-Agent", value: "Mobilise-Outbox/1")
            if let signingKey {
                let signer = StandardWebhookSigner(secret: signingKey)
                let timestamp = Int(Date().timeIntervalSince1970)
                for header in signer.headers(id: "msg_" + message.event.id.uuidString.lowercased(), timestamp: timestamp, body: body) {
                    request.headers.add(name: header.name, value: header.value)
                }
            }
            request.body = .bytes(ByteBuffer(bytes: body))
            let (code, answer) = try await clients.withClient(for: target) { client in
                let response = try await client.execute(request, timeout: TimeAmount(configuration.timeout), logger: logger)
                // Read (and drop) at most 64 KiB of the answer.
                return (Int(response.status.code), try? await response.body.collect(upTo: 64 << 10))
            }
            if (200..<300).contains(code) { return .delivered(statusCode: code) }
            let snippet = answer.map { String(buffer: $0).prefix(200) } ?? ""
            return failure(message, statusCode: code, error: "the endpoint answered \(code)\(snippet.isEmpty ? "" : ": \(snippet)")")
        } catch let error as HTTPClientError where error == .deadlineExceeded || error == .readTimeout || error == .connectTimeout {
            return failure(message, statusCode: nil, error: "timed out after \(configuration.timeout)")
        } catch {
            return failure(message, statusCode: nil, error: "could not deliver: \(error)")
        }
    }

    func failure(_ message: ClaimedMessage, statusCode: Int?, error: String) -> DeliveryOutcome {
        .failed(statusCode: statusCode, error: error, retryAfter: configuration.retry.delay(afterAttempts: message.attempts))
    }
}

extension ScheduledJobService {
    /// Looks for milestones in leaders' published figures (never per signature: a burst of 10,000
    /// signatures a second crossing 1,000 gives one event, by its dedupe key), once across instances.
    static func milestones(
        store: MobiliseStore, publication: Publication, logger: Logger, interval: Duration
    ) -> ScheduledJobService {
        let memory = MilestoneMemory()
        return ScheduledJobService(name: "outbox-milestones", store: store, initialDelay: interval, interval: interval, logger: logger) {
            let pass = try await Milestones.detect(store: store, publication: publication, memory: memory)
            logger.debug("milestone pass", metadata: ["looked_at": "\(pass.lookedAt)", "skipped": "\(pass.skipped)"])
        }
    }
}

/// Milestones: round numbers of signatures, shares of the goal, countries meeting their goal, each
/// read from the figures leaders are shown (published instants, rounded counts: ``Publication``),
/// so a message tells a leader nothing their dashboard does not.
enum Milestones {
    static let types: [OutboundEventType] = [.milestoneSignatures, .milestoneGoalShare, .milestoneCountryGoal, .digestWeekly]

    /// One pass: each campaign of an organisation told about milestones or digests, except those
    /// `memory` knows would give what they gave before (``MilestoneMemory``). Returns how many
    /// campaigns it looked at (ranked) and how many it skipped.
    @discardableResult
    static func detect(
        store: MobiliseStore, publication: Publication, now: Date = Date(), memory: MilestoneMemory? = nil
    ) async throws -> (lookedAt: Int, skipped: Int) {
        var settings: [UUID: MilestoneSettings] = [:]
        let (databaseNow, candidates) = try await store.milestoneCandidates(types: types)
        let week = digestWeek(now)
        memory?.keepOnly(candidates.map(\.campaignID))
        var lookedAt = 0, skipped = 0
        for candidate in candidates {
            let (organisationID, campaignID) = (candidate.organisationID, candidate.campaignID)
            if let memory, memory.canSkip(candidate, now: databaseNow, week: week, publication: publication) {
                skipped += 1
                continue
            }
            lookedAt += 1
            let milestones: MilestoneSettings
            if let known = settings[organisationID] {
                milestones = known
            } else {
                milestones = try await store.milestoneSettings(organisationID: organisationID)
                settings[organisationID] = milestones
            }
            let campaign = try await store.campaign(organisationID: organisationID, reference: campaignID.uuidString)
            let ranking = try await store.ranking(
                organisationID: organisationID, campaign: campaignID.uuidString, metric: .signatures, viewer: .leader,
                fromPrimary: true, publication: publication)
            // One transaction for the campaign's pass, which leaves out what earlier passes recorded
            // (not one per milestone reached so far, every pass).
            try await store.enqueueOutboundEvents(
                organisationID: organisationID,
                events(campaign: campaign, ranking: ranking, settings: milestones) + digest(campaign: campaign, ranking: ranking, now: now))
            memory?.lookedAt(candidate, now: databaseNow, asOf: ranking.asOf, week: week)
        }
        return (lookedAt, skipped)
    }

    /// The ISO week whose digest a pass at `now` sends (`2026-W50`): on Mondays (UTC) only, nil otherwise.
    static func digestWeek(_ now: Date) -> String? {
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        guard calendar.component(.weekday, from: now) == 2 else { return nil }
        let week = calendar.dateComponents([.yearForWeekOfYear, .weekOfYear], from: now)
        return "\(week.yearForWeekOfYear ?? 0)-W\(String(format: "%02d", week.weekOfYear ?? 0))"
    }

    /// The weekly digest: on Mondays (UTC), once per ISO week (its dedupe key), the published total
    /// and the last seven days' signatures. A week whose Monday the service was down is skipped.
    static func digest(campaign: Campaign, ranking: CampaignRanking, now: Date) -> [(type: OutboundEventType, key: String, data: [String: OutboundValue])] {
        guard let label = digestWeek(now) else { return [] }
        let id = campaign.id.uuidString.lowercased()
        var data: [String: OutboundValue] = [
            "campaign": .string(campaign.slug), "campaign_id": .string(id), "title": .string(campaign.title(in: nil)),
            "as_of": .string(ISO8601DateFormatter().string(from: ranking.asOf)), "week": .string(label),
        ]
        if let total = ranking.ranking.total {
            data["signatures"] = .int(total.signatures)
            data["last_7_days"] = .int(total.last7Days)
        }
        return [(type: .digestWeekly, key: "digest.weekly:\(id):\(label)", data: data)]
    }

    /// The milestones a campaign's published figures have reached (each with its dedupe key).
    static func events(
        campaign: Campaign, ranking: CampaignRanking, settings: MilestoneSettings
    ) -> [(type: OutboundEventType, key: String, data: [String: OutboundValue])] {
        let id = campaign.id.uuidString.lowercased()
        var base: [String: OutboundValue] = [
            "campaign": .string(campaign.slug), "campaign_id": .string(id), "title": .string(campaign.title(in: nil)),
            "as_of": .string(ISO8601DateFormatter().string(from: ranking.asOf)),
        ]
        var found: [(OutboundEventType, String, [String: OutboundValue])] = []
        let total = ranking.ranking.total?.signatures ?? ranking.ranking.rows.reduce(0) { $0 + $1.signatures } + (ranking.ranking.other?.signatures ?? 0)
        base["signatures"] = .int(total)
        for threshold in settings.signatures where total >= threshold {
            var data = base
            data["threshold"] = .int(threshold)
            found.append((.milestoneSignatures, "milestone.signatures:\(id):\(threshold)", data))
        }
        if let goal = campaign.goalSignatures, goal > 0 {
            for share in settings.goalShares where total * 100 >= goal * share {
                var data = base
                data["share"] = .int(share)
                data["goal"] = .int(goal)
                found.append((.milestoneGoalShare, "milestone.goal_share:\(id):\(share)", data))
            }
        }
        for row in ranking.ranking.rows {
            guard let goal = row.goal, row.signatures >= goal else { continue }
            var data = base
            data["country"] = .string(row.key)
            data["country_name"] = .string(row.name)
            data["goal"] = .int(goal)
            data["signatures"] = .int(row.signatures)
            found.append((.milestoneCountryGoal, "milestone.country_goal:\(id):\(row.key)", data))
        }
        return found.map { (type: $0.0, key: $0.1, data: $0.2) }
    }
}

/// What the milestone job's last passes found, so that a pass skips the campaigns whose leaders'
/// figures cannot have changed since they were last looked at (issue 23: at a short interval,
/// ranking every campaign every pass cost signing; an organisation has a few campaigns signed at
/// once and many that are quiet, and its leaders' figures change once per published instant).
///
/// The markers (``MobiliseStore/milestoneCandidates(types:)``) say whether a change committed since
/// a campaign was last looked at. A campaign whose settings marker (campaign, organisation,
/// milestone settings, headcount) is unchanged is skipped when:
/// - its counts marker is unchanged too, and the published instant is still the one it was looked
///   at (a leader's figures are those of the instant, and nothing committed since); or
/// - its counts marker is unchanged, and it was looked at as of an instant at or after the moment
///   that marker was first read: every change it counts committed before that moment, dated at or
///   before its commit (a signature's instant is its transaction's start, or earlier on paper), so
///   it was in those figures, and the figures of any later instant are the same counts, which
///   publish the same (a published value moves only when its count does:
///   ``Publication/hysteresis(previous:shifted:step:margin:)``); or
/// - whatever its counts, the published instant is the one it was looked at, and that look was at
///   least ``settle`` after the instant: the figures of an instant are its counts less the changes
///   dated after it, so only a change dated before the instant and committed after that look (a
///   transaction that ran longer than ``settle``, or a paper signature dated earlier) could alter
///   them, and it is counted at the next instant. (The default publication interval is ten
///   minutes and the job's one: a signed campaign is ranked once per instant, not ten times.)
///
/// On a Monday a campaign is looked at once more for its week's digest. Whatever the markers say, a
/// campaign is looked at again after ``refresh``. It is one instance's memory: another instance's
/// passes only mean that this one looks at more.
final class MilestoneMemory: Sendable {
    struct Seen: Sendable {
        var settings: String
        /// Nil when it was not read (a campaign being signed).
        var counts: String?
        /// When the counts marker was first read (the database's clock).
        var countsFirstSeen: Date
        /// The instant the figures were of when the campaign was last looked at.
        var asOf: Date
        /// When it was last looked at (the database's clock, when its markers were read).
        var lookedAt: Date
        /// The digest week it was looked at in (``Milestones/digestWeek(_:)``).
        var week: String?
    }

    let refresh: TimeInterval
    let settle: TimeInterval
    private let seen = Mutex<[UUID: Seen]>([:])

    init(refresh: TimeInterval = 600, settle: TimeInterval = 5) {
        self.refresh = refresh
        self.settle = settle
    }

    func canSkip(_ candidate: MilestoneCandidate, now: Date, week: String?, publication: Publication) -> Bool {
        guard let settings = candidate.settings,
              let last = seen.withLock({ $0[candidate.campaignID] }), last.settings == settings,
              now.timeIntervalSince(last.lookedAt) < refresh, week == nil || week == last.week
        else { return false }
        let sameInstant = publication.instant(atOrBefore: now) == last.asOf
        if let counts = candidate.counts, last.counts == counts, sameInstant || last.asOf >= last.countsFirstSeen { return true }
        return sameInstant && last.lookedAt.timeIntervalSince(last.asOf) >= settle
    }

    /// Records a look at the campaign: its markers as read at `now` (before its figures were
    /// read), and the instant of the figures.
    func lookedAt(_ candidate: MilestoneCandidate, now: Date, asOf: Date, week: String?) {
        seen.withLock { seen in
            guard let settings = candidate.settings else {
                seen[candidate.campaignID] = nil
                return
            }
            let counts = candidate.counts
            let before = seen[candidate.campaignID]
            let firstSeen = counts != nil && before?.counts == counts ? before?.countsFirstSeen ?? now : now
            seen[candidate.campaignID] = Seen(
                settings: settings, counts: counts, countsFirstSeen: firstSeen, asOf: asOf, lookedAt: now, week: week)
        }
    }

    /// Forgets the campaigns no longer looked at (closed, or their organisation told of nothing).
    func keepOnly(_ campaigns: [UUID]) {
        let kept = Set(campaigns)
        seen.withLock { seen in seen = seen.filter { kept.contains($0.key) } }
    }
}
