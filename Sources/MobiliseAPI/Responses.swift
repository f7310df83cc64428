import Foundation
import Hummingbird
import MobiliseDomain
import MobiliseStore
import NIOCore

// The JSON shapes of the public contract. Property names are camelCase here and snake_case on the
// wire (the encoder converts); timestamps are RFC 3339 UTC.

struct CampaignResponse: ResponseEncodable {
    var id: UUID
    var slug: String
    var hashtag: String
    var defaultLanguage: String
    var title: [String: String]
    var pledgeText: [String: String]
    var status: CampaignStatus
    var startsAt: Date
    var endsAt: Date
    var audience: AudienceBody
    var goalSignatures: Int?
    var goalParticipation: Double?
    var countryGoals: [String: CountryGoalBody]
    var successMinCountries: Int?
    /// For employees: whether they have a current signature.
    var signed: Bool?
    /// For employees whose signature is withdrawn: when (they may sign again).
    var withdrawnAt: Date?

    init(_ campaign: Campaign, signed: Bool? = nil, withdrawnAt: Date? = nil) {
        id = campaign.id
        slug = campaign.slug
        hashtag = campaign.hashtag
        defaultLanguage = campaign.defaultLanguage
        title = campaign.title
        pledgeText = campaign.pledgeText
        status = campaign.status
        startsAt = campaign.startsAt
        endsAt = campaign.endsAt
        audience = AudienceBody(campaign.audience)
        goalSignatures = campaign.goalSignatures
        goalParticipation = campaign.goalParticipation
        countryGoals = campaign.countryGoals.mapValues(CountryGoalBody.init)
        successMinCountries = campaign.successMinCountries
        self.signed = signed
        self.withdrawnAt = withdrawnAt
    }
}

struct AudienceBody: Codable {
    var genders: [Gender]?
    var countries: [String]?
    var orgUnits: [String]?

    init(_ audience: Audience) {
        genders = audience.genders
        countries = audience.countries
        orgUnits = audience.orgUnits
    }

    var audience: Audience { Audience(genders: genders ?? [], countries: countries ?? [], orgUnits: orgUnits ?? []) }
}

/// `{"signatures": 5000}` or `{"participation": 0.3}`.
struct CountryGoalBody: Codable {
    var signatures: Int?
    var participation: Double?

    init(_ goal: CountryGoal) {
        switch goal {
        case .signatures(let count): signatures = count
        case .participation(let rate): participation = rate
        }
    }

    func goal(for country: String) throws -> CountryGoal {
        switch (signatures, participation) {
        case (let count?, nil): return .signatures(count)
        case (nil, let rate?): return .participation(rate)
        default: throw APIError(.badRequest, code: .invalidGoal, "the goal for \(country) needs exactly one of 'signatures' or 'participation'")
        }
    }
}

struct CampaignList: ResponseEncodable {
    var campaigns: [CampaignResponse]
    var nextCursor: String?
}

struct SignatureResponse: ResponseEncodable {
    var id: UUID
    var campaignId: UUID
    var country: String
    var site: String?
    var orgUnit: String?
    var channel: SignatureChannel
    var eventId: UUID?
    var signedAt: Date
    var withdrawnAt: Date?

    init(_ signature: Signature) {
        id = signature.id
        campaignId = signature.campaignID
        country = signature.country
        site = signature.site
        orgUnit = signature.orgUnit
        channel = signature.channel
        eventId = signature.eventID
        signedAt = signature.signedAt
        withdrawnAt = signature.withdrawnAt
    }
}

extension SignatureResponse {
    /// The same bytes as ``JSONCoding/encoder`` writes for this value (snake_case keys in sorted
    /// order, absent optionals left out), written directly: this is the answer of the signing hot
    /// path, where the generic encoder was a tenth of the service's CPU. A test compares the two.
    var json: [UInt8] {
        var out = JSONBytes(capacity: 320)
        out.append("{\"campaign_id\":"); out.string(campaignId.uuidString)
        out.append(",\"channel\":"); out.string(channel.rawValue)
        out.append(",\"country\":"); out.string(country)
        if let eventId { out.append(",\"event_id\":"); out.string(eventId.uuidString) }
        out.append(",\"id\":"); out.string(id.uuidString)
        if let orgUnit { out.append(",\"org_unit\":"); out.string(orgUnit) }
        out.append(",\"signed_at\":"); out.string(JSONCoding.timestamp(signedAt))
        if let site { out.append(",\"site\":"); out.string(site) }
        if let withdrawnAt { out.append(",\"withdrawn_at\":"); out.string(JSONCoding.timestamp(withdrawnAt)) }
        out.append("}")
        return out.bytes
    }
}

/// A JSON text being written by hand, escaping strings the way Foundation's encoder does
/// (with `.withoutEscapingSlashes`).
struct JSONBytes {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int) { bytes.reserveCapacity(capacity) }

    /// Literal JSON text.
    mutating func append(_ literal: StaticString) {
        literal.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// JSON text made by the program (a number's digits), as is.
    mutating func append(text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    /// A JSON string: quoted, with `"`, `\\` and control characters escaped.
    mutating func string(_ value: String) {
        bytes.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): append("\\\"")
            case UInt8(ascii: "\\"): append("\\\\")
            case 0x08: append("\\b")
            case 0x0C: append("\\f")
            case 0x0A: append("\\n")
            case 0x0D: append("\\r")
            case 0x09: append("\\t")
            case 0x00..<0x20:
                append("\\u00")
                bytes.append(Self.hexDigits[Int(byte >> 4)])
                bytes.append(Self.hexDigits[Int(byte & 0x0F)])
            default: bytes.append(byte)
            }
        }
        bytes.append(UInt8(ascii: "\""))
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)
}

struct EmployeeResponse: ResponseEncodable {
    var externalId: String
    var email: String?
    var displayName: String?
    var country: String
    var site: String?
    var orgUnit: String?
    var gender: Gender
    var managerExternalId: String?
    var active: Bool
    var preferredLanguage: String?
    var timeZone: String?

    init(_ employee: Employee) {
        externalId = employee.externalID
        email = employee.email
        displayName = employee.displayName
        country = employee.country
        site = employee.site
        orgUnit = employee.orgUnit
        gender = employee.gender
        managerExternalId = employee.managerExternalID
        active = employee.active
        preferredLanguage = employee.preferredLanguage
        timeZone = employee.timeZone
    }
}

struct MeResponse: ResponseEncodable {
    struct OrganisationBody: Encodable {
        var slug: String
        var name: String
    }
    var subject: String
    var roles: [Role]
    var organisation: OrganisationBody
    /// The caller's employee record, when the subject is one.
    var employee: EmployeeResponse?
}

struct EmployeePage: ResponseEncodable {
    var employees: [EmployeeResponse]
    var nextCursor: String?
}

struct ImportResponse: ResponseEncodable {
    struct Rejection: Encodable {
        var line: Int
        var error: String
    }
    var mode: String
    var rowsRead: Int
    var inserted: Int
    var updated: Int
    var unchanged: Int
    var deactivated: Int
    var rejectedCount: Int
    var rejected: [Rejection]
    /// Nothing was changed: what the import would do.
    var dryRun: Bool
    /// Full sync only: the active employees before it, the guard's share, and whether this many
    /// deactivations need `confirm_deactivations` (a dry run says so; a real import is refused).
    var activeBefore: Int?
    var deactivationGuard: Double?
    var confirmationRequired: Bool

    init(_ report: ImportReport, guard share: Double) {
        dryRun = report.dryRun
        activeBefore = report.mode == .fullSync ? report.activeBefore : nil
        deactivationGuard = report.mode == .fullSync ? share : nil
        confirmationRequired = report.confirmationRequired
        mode = report.mode == .upsert ? "upsert" : "full_sync"
        rowsRead = report.rowsRead
        inserted = report.inserted
        updated = report.updated
        unchanged = report.unchanged
        deactivated = report.deactivated
        rejectedCount = report.rejectedCount
        rejected = report.rejected.map { Rejection(line: $0.line, error: $0.error) }
    }
}

struct WorkforceResponse: ResponseEncodable {
    struct Country: Encodable {
        var country: String
        var active: Int
        var inactive: Int
    }
    var active: Int
    var inactive: Int
    var countries: [Country]
}

struct PostResponse: ResponseEncodable {
    struct Media: Encodable {
        var type: String
        var size: Int
        var sha256: String
        var url: String
    }
    var id: UUID
    var campaignId: UUID
    var author: String
    var body: String
    var hashtags: [String]
    var media: Media?
    var status: PostStatus
    var moderationReason: String?
    var hidden: Bool
    var createdAt: Date

    init(_ post: Post) {
        id = post.id
        campaignId = post.campaignID
        author = post.authorExternalID
        body = post.body
        hashtags = post.hashtags
        media = post.media.map { Media(type: $0.type.rawValue, size: $0.size, sha256: $0.sha256, url: "/v1/posts/\(post.id)/media") }
        status = post.status
        moderationReason = post.moderationReason
        hidden = post.hiddenAt != nil
        createdAt = post.createdAt
    }
}

struct PostPage: ResponseEncodable {
    var posts: [PostResponse]
    var nextCursor: String?
}

struct ReportResponse: ResponseEncodable {
    var recorded: Bool
    var hidden: Bool
}

struct EventResponse: ResponseEncodable {
    var id: UUID
    var campaignId: UUID
    var title: String
    var kind: EventKind
    var country: String
    var city: String?
    var startsAt: Date
    var endsAt: Date
    var capacity: Int?
    var host: String
    var going: Int
    var waiting: Int
    var checkedIn: Int

    init(_ event: Event) {
        id = event.id
        campaignId = event.campaignID
        title = event.title
        kind = event.kind
        country = event.country
        city = event.city
        startsAt = event.startsAt
        endsAt = event.endsAt
        capacity = event.capacity
        host = event.hostExternalID
        going = event.counts.going
        waiting = event.counts.waiting
        checkedIn = event.counts.checkedIn
    }

    /// The counts as a leader sees them: each published with the campaign's rounding, as a group of
    /// its own per event and count, within the event's capacity when it has one; held to published
    /// instants, with the hysteresis, when the rounding has a ledger.
    func published(by rounding: CountRounding) -> EventResponse {
        var copy = self
        let size = capacity ?? 0
        let instant = rounding.ledger?.current
        copy.going = rounding.published(going, group: "event:\(id.uuidString.lowercased()):going", groupSize: size, at: instant)
        copy.waiting = rounding.published(waiting, group: "event:\(id.uuidString.lowercased()):waiting", groupSize: 0, at: instant)
        copy.checkedIn = rounding.published(
            checkedIn, group: "event:\(id.uuidString.lowercased()):checked_in", groupSize: size, at: instant)
        return copy
    }
}

struct EventList: ResponseEncodable {
    var events: [EventResponse]
    var nextCursor: String?
}

struct RSVPResponse: ResponseEncodable {
    var status: String
    /// Place in the waiting list (1 = next), when waiting.
    var position: Int?

    init(_ status: RSVPStatus) {
        switch status {
        case .going: self.status = "going"
        case .waiting(let position):
            self.status = "waiting"
            self.position = position
        }
    }
}

/// A check-in batch's outcome. Counts for everyone; the ids of `unknown` and `inactive` for HR
/// admins only: a host learns nothing about an id without an RSVP (whether it exists, whether its
/// owner has left), only how many of the batch were `refused`.
struct CheckInResponse: ResponseEncodable {
    var checkedIn: Int
    var walkIns: Int
    var alreadyCheckedIn: Int
    var full: Int
    var refused: Int
    var unknown: [String]?
    var inactive: [String]?

    init(_ report: CheckInReport, for authority: CheckInAuthority) {
        checkedIn = report.checkedIn
        walkIns = report.walkIns
        alreadyCheckedIn = report.alreadyCheckedIn
        full = report.full
        refused = report.refused
        if authority == .hrAdmin {
            unknown = report.unknown
            inactive = report.inactive
        }
    }
}

struct AuditPage: ResponseEncodable {
    struct Entry: Encodable {
        var id: Int64
        var at: Date
        var actor: String
        var action: String
        var subject: String?
        var details: [String: String]
    }
    var entries: [Entry]
    var nextCursor: String?
}

/// A ranking row on the wire; `rank` is absent for the `total` and `other` rows.
struct RankingRowBody: Encodable {
    var rank: Int?
    var country: String
    var countryName: String
    var signatures: Int
    var eligible: Int
    var participation: Double?
    var rateLowerBound: Double?
    var last7Days: Int
    var previous7Days: Int
    var goal: Int?
    var goalProgress: Double?
    var momentum: Double?
    var momentumLowerBound: Double?
    var neededPerDay: Double?
    var currentPerDay: Double

    enum CodingKeys: String, CodingKey {
        case rank, country, countryName = "country_name", signatures, eligible, participation
        case rateLowerBound = "rate_lower_bound", last7Days = "last_7_days", previous7Days = "previous_7_days"
        case goal, goalProgress = "goal_progress", momentum, momentumLowerBound = "momentum_lower_bound", neededPerDay = "needed_per_day"
        case currentPerDay = "current_per_day"
    }

    init(_ row: RankingRow, ranked: Bool) {
        rank = ranked ? row.rank : nil
        country = row.key
        countryName = row.name
        signatures = row.signatures
        eligible = row.eligible
        participation = row.participation
        rateLowerBound = row.rateLowerBound
        last7Days = row.last7Days
        previous7Days = row.previous7Days
        goal = row.goal
        goalProgress = row.goalProgress
        momentum = row.momentum
        momentumLowerBound = row.momentumLowerBound
        // Infinite once the campaign has ended short of the goal: then there is no pace to give.
        neededPerDay = row.neededPerDay.flatMap { $0.isFinite ? $0 : nil }
        currentPerDay = row.currentPerDay
    }

    /// The CSV columns, in the contract's order.
    static let csvHeader = ["rank", "country", "country_name", "signatures", "eligible", "participation", "rate_lower_bound",
                            "last_7_days", "previous_7_days", "goal", "goal_progress"]

    var csvFields: [String] {
        func number(_ value: Double?) -> String { value.map { String($0) } ?? "" }
        return [rank.map(String.init) ?? "", country, countryName, String(signatures), String(eligible), number(participation),
                number(rateLowerBound), String(last7Days), String(previous7Days), goal.map(String.init) ?? "", number(goalProgress)]
    }
}

/// Every coding key below is written out in snake_case: encode with ``JSONCoding/literalKeysEncoder``.
struct RankingResponse: ResponseEncodable {
    var campaignId: UUID
    var metric: RankingMetric
    var asOf: Date
    /// True for a leader: counts are rounded and published at intervals (PRIVACY.md).
    var approximate: Bool
    var total: RankingRowBody?
    var rows: [RankingRowBody]
    var other: RankingRowBody?
    var countriesMeetingGoal: Int
    var successMet: Bool?
    /// Every metric the rankings can be asked for (`RankingMetric`): the dashboard lists them from here.
    var metrics: [RankingMetric] = RankingMetric.allCases

    enum CodingKeys: String, CodingKey {
        case campaignId = "campaign_id", metric, asOf = "as_of", approximate, total, rows, other
        case countriesMeetingGoal = "countries_meeting_goal", successMet = "success_met", metrics
    }

    init(_ ranking: CampaignRanking) {
        campaignId = ranking.campaignID
        metric = ranking.ranking.metric
        asOf = ranking.asOf
        approximate = ranking.approximate
        total = ranking.ranking.total.map { RankingRowBody($0, ranked: false) }
        rows = ranking.ranking.rows.map { RankingRowBody($0, ranked: true) }
        other = ranking.ranking.other.map { RankingRowBody($0, ranked: false) }
        countriesMeetingGoal = ranking.countriesMeetingGoal
        successMet = ranking.successMet
    }

    // `other` and `total` are encoded even when null: clients test for them.
    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(campaignId, forKey: .campaignId)
        try container.encode(metric, forKey: .metric)
        try container.encode(asOf, forKey: .asOf)
        try container.encode(approximate, forKey: .approximate)
        try container.encode(total, forKey: .total)
        try container.encode(rows, forKey: .rows)
        try container.encode(other, forKey: .other)
        try container.encode(countriesMeetingGoal, forKey: .countriesMeetingGoal)
        try container.encode(successMet, forKey: .successMet)
        try container.encode(metrics, forKey: .metrics)
    }

    /// The ranking as CSV: the header, one row per country, then `other` (country `other`).
    var csv: String {
        var lines = [RankingRowBody.csvHeader.joined(separator: ",")]
        for row in rows + (other.map { [$0] } ?? []) {
            lines.append(row.csvFields.map(CSV.field).joined(separator: ","))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }
}

/// A ranking in the API's export formats, for other front ends (the `mobilise rankings` command).
public enum RankingExport {
    /// The CSV of `GET /v1/campaigns/{id}/rankings.csv`.
    public static func csv(_ ranking: CampaignRanking) -> String { RankingResponse(ranking).csv }

    /// The JSON of `GET /v1/campaigns/{id}/rankings`.
    public static func json(_ ranking: CampaignRanking) throws -> Data { try JSONCoding.literalKeysEncoder.encode(RankingResponse(ranking)) }
}

struct GroupRankingBody: Encodable {
    var rows: [RankingRowBody]
    var other: RankingRowBody?

    init(_ ranking: Ranking) {
        rows = ranking.rows.map { RankingRowBody($0, ranked: true) }
        other = ranking.other.map { RankingRowBody($0, ranked: false) }
    }
}

struct CountryResponse: ResponseEncodable {
    struct Week: Encodable {
        var week: Date
        var signatures: Int
    }
    var asOf: Date
    var approximate: Bool
    var country: RankingRowBody
    var bySite: GroupRankingBody
    var byOrgUnit: GroupRankingBody
    var weekly: [Week]

    enum CodingKeys: String, CodingKey {
        case asOf = "as_of", approximate, country, bySite = "by_site", byOrgUnit = "by_org_unit", weekly
    }

    init(_ breakdown: CountryBreakdown) {
        asOf = breakdown.asOf
        approximate = breakdown.approximate
        country = RankingRowBody(breakdown.country, ranked: true)
        bySite = GroupRankingBody(breakdown.bySite)
        byOrgUnit = GroupRankingBody(breakdown.byOrgUnit)
        weekly = breakdown.weekly.map { Week(week: $0.week, signatures: $0.signatures) }
    }
}

struct TimelineResponse: ResponseEncodable {
    struct Series: Encodable {
        var country: String
        var cumulative: [Int]
    }
    var interval: String
    var asOf: Date
    var approximate: Bool
    var weeks: [Date]
    var series: [Series]
    var other: [Int]?
    var total: [Int]

    init(_ timeline: Timeline) {
        interval = "week"
        asOf = timeline.asOf
        approximate = timeline.approximate
        weeks = timeline.weeks
        series = timeline.series.keys.sorted().map { Series(country: $0, cumulative: timeline.series[$0] ?? []) }
        other = timeline.other
        total = timeline.total
    }
}

enum CSV {
    /// A field quoted when it holds a comma, quote or line break. A leading `=`, `+`, `-` or `@`
    /// is prefixed with `'` so a spreadsheet never runs it as a formula.
    static func field(_ text: String) -> String {
        var value = text
        if let first = value.first, "=+@".contains(first) || (first == "-" && Double(value) == nil) { value = "'" + value }
        guard value.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}

/// A plain-text response.
func textResponse(_ text: String, contentType: String, status: HTTPResponse.Status = .ok) -> Response {
    Response(status: status, headers: [.contentType: contentType], body: .init(byteBuffer: ByteBuffer(string: text)))
}

/// A JSON response with a status other than 200.
func jsonResponse(_ value: some Encodable, status: HTTPResponse.Status, encoder: JSONEncoder = JSONCoding.encoder) throws -> Response {
    let data = try encoder.encode(value)
    return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(bytes: data)))
}
