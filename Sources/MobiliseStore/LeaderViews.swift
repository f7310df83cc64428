import Foundation
import MobiliseDomain
import Postgres

/// Which leader figures were read: the leaders' rankings (JSON and CSV), a country's drill-down, the
/// timeline, the live counter.
public enum LeaderSurface: String, Sendable, CaseIterable, Codable {
    case rankings
    case rankingsCSV = "rankings.csv"
    case country
    case timeline
    case live
}

/// One line of the access log of leader views: how often a leader read one surface of one campaign
/// within one hour (UTC), first and last read.
public struct LeaderViews: Sendable, Equatable {
    public var hour: Date
    public var viewer: String
    public var campaignID: UUID
    public var campaignSlug: String
    public var surface: LeaderSurface
    public var views: Int
    public var firstAt: Date
    public var lastAt: Date
}

extension MobiliseStore {
    /// Counts one read of `surface` of `campaignID` by the leader `viewer` (their HR id) in the
    /// current hour: one upsert of one small row, so launch day adds a row per leader, surface and
    /// hour, not one per read.
    public func recordLeaderView(organisationID: UUID, viewer: String, campaignID: UUID, surface: LeaderSurface) async throws {
        _ = try await pool.withConnection { connection in
            try connection.execute("""
                INSERT INTO leader_views AS v (organisation_id, hour, viewer, campaign_id, surface, views, first_at, last_at)
                VALUES (\(organisationID), date_trunc('hour', now(), 'UTC'), \(viewer), \(campaignID), \(surface.rawValue), 1, now(), now())
                ON CONFLICT (organisation_id, hour, viewer, campaign_id, surface)
                DO UPDATE SET views = v.views + 1, last_at = greatest(v.last_at, excluded.last_at)
                """)
        }
    }

    /// The access log of leader views, newest hour first (then by viewer, campaign and surface),
    /// `limit` lines after `cursor` (the `next` of the page before), optionally of one campaign.
    ///
    /// - Throws: ``MobiliseError`` `.invalid` `invalid_cursor` for a cursor this list did not return.
    public func leaderViews(
        organisationID: UUID, campaign reference: String? = nil, cursor: String? = nil, limit: Int = 100
    ) async throws -> (views: [LeaderViews], next: String?) {
        let limit = min(max(limit, 1), 500)
        let position = try cursor.map(LeaderViewsCursor.init(encoded:))
        return try await pool.withTransaction(isolation: .repeatableRead) { connection in
            let campaignID = try reference.map { try Self.campaign(connection, organisationID: organisationID, reference: $0).id }
            let rows = try connection.query("""
                SELECT v.hour, v.viewer, v.campaign_id, c.slug, v.surface, v.views, v.first_at, v.last_at
                FROM leader_views v JOIN campaigns c ON c.organisation_id = v.organisation_id AND c.id = v.campaign_id
                WHERE v.organisation_id = \(organisationID) AND (\(campaignID)::uuid IS NULL OR v.campaign_id = \(campaignID))
                  AND (\(position?.hour)::timestamptz IS NULL
                       OR (\(position?.hour)::timestamptz, v.viewer, v.campaign_id::text, v.surface)
                          > (v.hour, \(position?.viewer ?? "")::text, \(position?.campaignID.uuidString.lowercased() ?? "")::text,
                             \(position?.surface ?? "")::text))
                ORDER BY v.hour DESC, v.viewer, v.campaign_id::text, v.surface
                LIMIT \(limit + 1)
                """).rows.map { row in
                let (hour, viewer, campaign, slug, surface, views, first, last) =
                    try row.decode((Date, String, UUID, String, String, Int, Date, Date).self)
                return LeaderViews(
                    hour: hour, viewer: viewer, campaignID: campaign, campaignSlug: slug,
                    surface: LeaderSurface(rawValue: surface) ?? .rankings, views: views, firstAt: first, lastAt: last)
            }
            guard rows.count > limit else { return (rows, nil) }
            let page = Array(rows.prefix(limit))
            let next = page.last.map {
                LeaderViewsCursor(hour: $0.hour, viewer: $0.viewer, campaignID: $0.campaignID, surface: $0.surface.rawValue).encoded
            }
            return (page, next)
        }
    }
}

/// Where a page of the access log ends: its last line's key, as an opaque base64url string.
struct LeaderViewsCursor: Codable, Equatable {
    var hour: Date
    var viewer: String
    var campaignID: UUID
    var surface: String

    init(hour: Date, viewer: String, campaignID: UUID, surface: String) {
        self.hour = hour
        self.viewer = viewer
        self.campaignID = campaignID
        self.surface = surface
    }

    init(encoded: String) throws {
        let invalid = MobiliseError(.invalid, code: .invalidCursor, "the cursor is not one this list returned (pass next_cursor as it came)")
        guard encoded.count <= 2_000 else { throw invalid }
        var base64 = encoded.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64),
              let decoded = try? JSONDecoder().decode(Self.self, from: data), Instants.isSupported(decoded.hour) else { throw invalid }
        self = decoded
    }

    var encoded: String {
        let data = (try? JSONEncoder().encode(self)) ?? Data()
        return data.base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }
}

extension MobiliseStore {
    /// The campaign's ``CountRounding``, from its publication key (for counts a leader sees outside
    /// the rankings, such as an event's RSVP counts).
    ///
    /// - Parameter publication: hold the counts to published instants: the rounding's ledger
    ///   decides each count's value once per instant (at the first leader read in it), stores it and
    ///   keeps it until the next, with the hysteresis (``PublicationLedger``). Store its decisions
    ///   with ``storePublications(organisationID:campaignID:ledger:)`` once the counts are published.
    public func countRounding(organisationID: UUID, campaignID: UUID, publication: Publication? = nil) async throws -> CountRounding {
        try await pool.withConnection { connection in
            let result = try connection.query("""
                SELECT publication_key, now() FROM campaigns WHERE organisation_id = \(organisationID) AND id = \(campaignID)
                """)
            guard result.count > 0 else {
                throw MobiliseError(.notFound, code: .campaignNotFound, "no campaign '\(campaignID)' in this organisation")
            }
            let (key, now) = try result[0].decode((Data, Date).self)
            guard let publication else { return CountRounding(key: key) }
            let instant = publication.instant(atOrBefore: now)
            let ledger = try Self.publicationLedger(
                connection, organisationID: organisationID, campaignID: campaignID, current: instant, instants: [instant],
                recordsEveryDecision: true)
            return CountRounding(key: key, ledger: ledger, instants: PublishedInstants(asOf: instant, lastWeekStart: instant, previousWeekStart: instant))
        }
    }
}
