import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MobiliseDomain
import MobiliseStore
import NIOCore
import ServiceLifecycle
import Synchronization

/// `GET /v1/campaigns/{id}/live`: the organisation's signature count, live.
///
/// With `Accept: text/event-stream` (what `EventSource` sends) it is a Server-Sent Events stream: a
/// `total` event at once, then one whenever the count changes, and a comment every
/// ``heartbeat`` so proxies keep the connection open. Otherwise it answers the current figures as
/// JSON once. Changes arrive through PostgreSQL `NOTIFY` on ``MobiliseStore/signatureChannel``
/// (sent by the signing transaction, so only on commit); a burst of notifications costs one re-read
/// per ``minimumInterval``, shared by the streams of the campaign and kind of viewer (``LiveReads``).
/// The figures are the ranking's `total` row for this viewer: a leader of an organisation smaller
/// than its privacy threshold gets nulls, never a count. A leader's figures are published
/// (``Publication``): they change only at published instants, so a leader's stream ignores the
/// notifications and reads again just after each published instant instead. An employee of the
/// campaign's audience gets what a leader gets, published the same way (the employee page and its
/// widget show the count).
///
/// The stream ends when the client goes away (as soon as it closes the connection, seen by a
/// ``ConnectionCloseWatcher``; else when the next write fails), when the token or session cookie
/// that opened it expires (the browser's `EventSource` then reconnects and gets 401), when the
/// server shuts down gracefully, or when the database pool closes. Its slot of
/// ``LiveStreamSlots`` is free again when it ends: a reloaded dashboard does not wait a heartbeat
/// for the stream it left.
struct LiveRoutes {
    let environment: APIEnvironment
    var heartbeat: Duration = .seconds(15)
    var minimumInterval: Duration = .milliseconds(250)

    func register(on v1: RouterGroup<AuthenticatedContext>) {
        v1.get("campaigns/:id/live", use: live)
    }

    /// The figures sent: those of the ranking's `total` row, or nulls when the viewer may not see it.
    struct Snapshot: Encodable, Sendable, Equatable {
        var campaignId: UUID
        var signatures: Int?
        var eligible: Int?
        var participation: Double?
        var last7Days: Int?
        var asOf: Date
        /// True for a leader: rounded, published at intervals.
        var approximate: Bool

        enum CodingKeys: String, CodingKey {
            case campaignId = "campaign_id", signatures, eligible, participation, last7Days = "last_7_days", asOf = "as_of", approximate
        }

        // Null figures are sent as null, not left out: the page tests for them.
        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(campaignId, forKey: .campaignId)
            try container.encode(signatures, forKey: .signatures)
            try container.encode(eligible, forKey: .eligible)
            try container.encode(participation, forKey: .participation)
            try container.encode(last7Days, forKey: .last7Days)
            try container.encode(asOf, forKey: .asOf)
            try container.encode(approximate, forKey: .approximate)
        }

        /// Whether the figures differ (the instant alone does not make a new event).
        func differs(from other: Snapshot) -> Bool {
            signatures != other.signatures || eligible != other.eligible || last7Days != other.last7Days
        }
    }

    @Sendable func live(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let caller = context.identity
        // An employee (the widget, the employee page) gets the count a leader gets: the privacy-folded,
        // published total, null below the organisation's threshold; and only of a campaign open to them.
        let viewer: Viewer
        let campaign: Campaign
        if caller.has(.leader) {
            viewer = try caller.rankingViewer()
            campaign = try await environment.visibleCampaign(caller, reference: try context.campaignReference())
        } else {
            campaign = try await environment.readableCampaign(caller, reference: try context.campaignReference())
            viewer = .leader
        }
        let publication = environment.configuration.leaderPublication
        let readNow: @Sendable () async throws -> Snapshot = { [store = environment.store] in
            let ranking = try await store.ranking(
                organisationID: caller.organisation.id, campaign: campaign.id.uuidString, metric: .signatures, viewer: viewer,
                fromPrimary: true,  // the notification came from the primary's commit: a standby may not have it yet
                publication: publication)
            let total = ranking.ranking.total
            return Snapshot(campaignId: campaign.id, signatures: total?.signatures, eligible: total?.eligible,
                            participation: total?.participation, last7Days: total?.last7Days, asOf: ranking.asOf,
                            approximate: ranking.approximate)
        }
        try await environment.recordLeaderView(caller, viewer: viewer, campaignID: campaign.id, surface: .live)
        // Every stream of this campaign and kind of viewer shares its re-reads after a change.
        let key = LiveReads.Key(organisation: caller.organisation.id, campaign: campaign.id, viewer: viewer)
        let read: @Sendable (ContinuousClock.Instant) async throws -> Snapshot = { [reads = environment.liveReads] since in
            try await reads.read(key, startedAfter: since, readNow)
        }
        guard (request.headers[.accept] ?? "").lowercased().contains("text/event-stream") else {
            return try jsonResponse(try await readNow(), status: .ok)
        }
        let slots = environment.liveStreams
        guard let lease = slots.lease(for: .init(organisation: caller.organisation.id, subject: caller.subject)) else {
            throw APIError(
                .tooManyRequests, code: .tooManyStreams,
                "too many live streams are open (at most \(slots.perCaller) per person, \(slots.limit) in all); close one or try again later",
                headers: [.retryAfter: "30"])
        }
        // Subscribe before answering, so a failure is still an HTTP error, and before the first read,
        // so no change between the two is missed.
        let changes = try await environment.store.signatureChanges()
        let logger = context.logger
        let settings = (heartbeat: heartbeat, minimumInterval: minimumInterval)
        let published = viewer == .leader ? publication : nil
        var headers: HTTPFields = [.contentType: "text/event-stream; charset=utf-8", .cacheControl: "no-store"]
        if let name = HTTPField.Name("X-Accel-Buffering") { headers[name] = "no" }  // nginx: do not buffer
        let channel = context.channel
        // A stream opened with a session cookie ends when the session is ended (signing out, on any
        // instance): checked at each heartbeat. A database that cannot answer ends nothing.
        let signedIn = caller.session.map { session in Self.sessionCheck(session, store: environment.store) }
        return Response(status: .ok, headers: headers, body: ResponseBody { writer in
            defer { withExtendedLifetime(lease) {} }  // the slot is held until the stream ends
            let (closed, closing) = AsyncStream<Void>.makeStream()
            let watcher = ConnectionCloseWatcher { closing.finish() }
            // When the connection is already gone the watcher cannot be added: the first write fails instead.
            let watching = (try? await channel.pipeline.addHandler(watcher, position: .first).get()) != nil
            do {
                try await Self.stream(
                    to: &writer, campaignID: campaign.id, changes: changes, read: read,
                    heartbeat: settings.heartbeat, minimumInterval: settings.minimumInterval, until: caller.expires, closed: closed,
                    signedIn: signedIn, publication: published)
            } catch {
                logger.debug("live stream ended", metadata: ["error": "\(error)"])
            }
            if watching { try? await channel.pipeline.removeHandler(watcher).get() }
            try? await writer.finish(nil)
        })
    }

    /// Whether `session` is still open; a database that cannot answer ends nothing.
    static func sessionCheck(_ session: SessionReference, store: MobiliseStore) -> @Sendable () async -> Bool {
        {
            do {
                return try await store.session(organisationID: session.organisationID, secretHash: session.secretHash) != nil
            } catch {
                return true
            }
        }
    }

    /// Writes the stream until the client goes (`closed` finishes), the credential expires or its
    /// session is ended (`signedIn` answers false at a heartbeat), the server shuts down or the pool closes.
    ///
    /// - Parameter publication: for a leader's stream: the figures change only at published
    ///   instants, so it reads again just after each one and ignores the notifications.
    static func stream(
        to writer: inout any ResponseBodyWriter, campaignID: UUID, changes: SignatureChanges,
        read: @escaping @Sendable (_ startedAfter: ContinuousClock.Instant) async throws -> Snapshot, heartbeat: Duration,
        minimumInterval: Duration, until expiry: Date, closed: AsyncStream<Void>, signedIn: (@Sendable () async -> Bool)? = nil,
        publication: Publication? = nil
    ) async throws {
        // One wake-up signal for everything; what happened is in `pending`, so coalescing the
        // signals (the stream keeps only the newest) loses nothing.
        let (wake, wakeContinuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let pending = Pending()
        try await withGracefulShutdownHandler {
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    for await change in changes where change.concerns(campaignID) {
                        guard publication == nil else { continue }
                        pending.state.withLock { $0.changed = .now }
                        wakeContinuation.yield()
                    }
                    wakeContinuation.finish()  // the pool closed
                }
                if let publication {
                    group.addTask {
                        // Just after each published instant (a little after, so the database's clock has passed it too).
                        while !Task.isCancelled {
                            let next = publication.instant(after: Date()).addingTimeInterval(min(0.25, publication.interval / 4))
                            try await Task.sleep(for: .seconds(min(max(next.timeIntervalSinceNow, 0.001), longestTimerSeconds)))
                            guard Date() >= next else { continue }  // a wait cut short (``longestTimer``)
                            // The instant itself, not this stream's wake-up: every leader stream of the
                            // campaign then shares the first read made after it (``LiveReads``).
                            let since = ContinuousClock.now.advanced(by: .seconds(-Date().timeIntervalSince(next)))
                            pending.state.withLock { $0.changed = since }
                            wakeContinuation.yield()
                        }
                    }
                }
                group.addTask {
                    for await _ in closed {}  // finishes when the client closes the connection
                    wakeContinuation.finish()
                }
                group.addTask {
                    // The credential's expiry ends the stream (a sleep cancelled first ends nothing). A
                    // token may carry any `exp`: the wait is taken in short steps (``longestTimer``), so
                    // no timer is set far ahead and the Duration stays far from overflowing.
                    while expiry.timeIntervalSinceNow > 0 {
                        try await Task.sleep(for: .seconds(min(expiry.timeIntervalSinceNow, longestTimerSeconds)))
                    }
                    wakeContinuation.finish()
                }
                group.addTask {
                    while !Task.isCancelled {
                        try await Task.sleep(for: heartbeat)
                        if let signedIn, await !signedIn() {
                            wakeContinuation.finish()
                            return
                        }
                        pending.state.withLock { $0.heartbeat = true }
                        wakeContinuation.yield()
                    }
                }
                defer { group.cancelAll() }
                // Subscribed before this read: whatever it misses comes as a notification.
                var last = try await read(.now)
                try await writer.write(ByteBuffer(string: "retry: 3000\n\n" + (try event(last))))
                for await _ in wake {
                    let due = pending.state.withLock { state in
                        defer { state = (nil, false) }
                        return state
                    }
                    var wrote = false
                    if let changed = due.changed {
                        // Any read that started after the notification came has the change.
                        let now = try await read(changed)
                        if now.differs(from: last) {
                            try await writer.write(ByteBuffer(string: try event(now)))
                            last = now
                            wrote = true
                        }
                        try await Task.sleep(for: minimumInterval)
                    }
                    if due.heartbeat && !wrote {
                        try await writer.write(ByteBuffer(string: ": heartbeat\n\n"))
                    }
                }
            }
        } onGracefulShutdown: {
            wakeContinuation.finish()
        }
    }

    /// What happened since the stream last woke up: when the latest change was notified, and
    /// whether a heartbeat is due.
    final class Pending: Sendable {
        let state = Mutex<(changed: ContinuousClock.Instant?, heartbeat: Bool)>((nil, false))
    }

    static func event(_ snapshot: Snapshot) throws -> String {
        let data = String(decoding: try JSONCoding.encoder.encode(snapshot), as: UTF8.self)
        return "event: total\ndata: \(data)\n\n"
    }
}

/// Calls `onClose` when the client closes its side of the connection (or the connection goes away
/// altogether). The server allows half-closed connections, so a client that goes away is otherwise
/// noticed only when a write to it fails, up to a heartbeat later. Sits first in the pipeline,
/// passing everything on.
final class ConnectionCloseWatcher: ChannelInboundHandler, RemovableChannelHandler, Sendable {
    typealias InboundIn = NIOAny
    private let onClose: @Sendable () -> Void

    init(onClose: @escaping @Sendable () -> Void) {
        self.onClose = onClose
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if let event = event as? ChannelEvent, event == .inputClosed { onClose() }
        context.fireUserInboundEventTriggered(event)
    }

    func channelInactive(context: ChannelHandlerContext) {
        onClose()
        context.fireChannelInactive()
    }
}

/// The live streams' re-reads, shared: after a change, every stream of one campaign and kind of
/// viewer wants the same figures, so a read that started after the change reached a stream serves
/// that stream too (its result, or the read still running). A launch day with the dashboard open on
/// many screens then costs about one read per change and campaign, not one per screen.
actor LiveReads {
    struct Key: Hashable, Sendable {
        var organisation: UUID
        var campaign: UUID
        var viewer: Viewer
    }

    private var latest: [Key: (started: ContinuousClock.Instant, read: Task<LiveRoutes.Snapshot, any Error>)] = [:]
    /// Reads started so far.
    private(set) var started = 0

    /// Figures read after `startedAfter`: a shared read when one started since, else a new one.
    func read(
        _ key: Key, startedAfter instant: ContinuousClock.Instant, _ body: @escaping @Sendable () async throws -> LiveRoutes.Snapshot
    ) async throws -> LiveRoutes.Snapshot {
        if let entry = latest[key], entry.started >= instant { return try await entry.read.value }
        let now = ContinuousClock.now
        // Forget the reads nobody can still share (a minute old): one entry per campaign and viewer at most.
        if latest.count > 64 { latest = latest.filter { now - $0.value.started < .seconds(60) } }
        let read = Task { try await body() }
        latest[key] = (now, read)
        started += 1
        return try await read.value
    }
}
