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
    /// ``OutboxYield`` unless `MOBILISE_OUTBOX_YIELD=off`).
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
        if ["0", "off", "false", "no"].contains(environment["MOBILISE_OUTBOX_YIELD"]?.lowercased() ?? "") { configuration.yield = nil }
        configuration.policy = .fromEnvironment(environment, ownPort: ownPort)
        return configuration
    }
}

/// How the outbox sender yields while the instance is busy answering requests: at most
/// ``batchSize`` messages at once, and a ``pause`` after each full batch (instead of going straight
/// on). Bounded: while busy it still sends ``batchSize`` messages per ``pause`` and their time.
public struct OutboxYield: Sendable, Equatable {
    public var batchSize: Int
    public var pause: Duration

    public init(batchSize: Int = 5, pause: Duration = .milliseconds(50)) {
        self.batchSize = max(1, batchSize)
        self.pause = pause
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
///   for a database connection, it claims smaller batches and pauses between them, bounded so that
///   deliveries go on (at least ``OutboxYield/batchSize`` messages every ``OutboxYield/pause``).
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
                    guard try await deliverDue(limit: pace.limit) == pace.limit else { break }
                    if let pause = pace.pause {
                        try? await cancelWhenGracefulShutdown { try await Task.sleep(for: pause) }
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

    /// How many messages to claim next, and how long to pause after a full batch: flat out when
    /// the instance is idle, ``OutboxConfiguration/yield`` while it is busy.
    func nextBatch() -> (limit: Int, pause: Duration?) {
        guard let yield = configuration.yield, busy() else { return (configuration.batchSize, nil) }
        return (min(yield.batchSize, configuration.batchSize), yield.pause)
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
    @discardableResult
    public func deliverDue(limit: Int? = nil) async throws -> Int {
        let claimed = try await store.claimDueMessages(limit: limit ?? configuration.batchSize, lease: configuration.lease)
        guard !claimed.isEmpty else { return 0 }
        let records = await withTaskGroup(of: DeliveryRecord.self, returning: [DeliveryRecord].self) { group in
            for message in claimed {
                group.addTask {
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
        ScheduledJobService(name: "outbox-milestones", store: store, initialDelay: interval, interval: interval, logger: logger) {
            try await Milestones.detect(store: store, publication: publication)
        }
    }
}

/// Milestones: round numbers of signatures, shares of the goal, countries meeting their goal, each
/// read from the figures leaders are shown (published instants, rounded counts: ``Publication``),
/// so a message tells a leader nothing their dashboard does not.
enum Milestones {
    static let types: [OutboundEventType] = [.milestoneSignatures, .milestoneGoalShare, .milestoneCountryGoal, .digestWeekly]

    static func detect(store: MobiliseStore, publication: Publication, now: Date = Date()) async throws {
        var settings: [UUID: MilestoneSettings] = [:]
        for (organisationID, campaignID) in try await store.campaignsWithOutboundSubscribers(types: types) {
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
        }
    }

    /// The weekly digest: on Mondays (UTC), once per ISO week (its dedupe key), the published total
    /// and the last seven days' signatures. A week whose Monday the service was down is skipped.
    static func digest(campaign: Campaign, ranking: CampaignRanking, now: Date) -> [(type: OutboundEventType, key: String, data: [String: OutboundValue])] {
        var calendar = Calendar(identifier: .iso8601)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        guard calendar.component(.weekday, from: now) == 2 else { return [] }
        let week = calendar.dateComponents([.yearForWeekOfYear, .weekOfYear], from: now)
        let label = "\(week.yearForWeekOfYear ?? 0)-W\(String(format: "%02d", week.weekOfYear ?? 0))"
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
