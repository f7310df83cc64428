import Foundation
import MobiliseDomain
import Postgres

extension MobiliseStore {
    /// Creates a campaign in `draft`.
    public func createCampaign(organisationID: UUID, _ draft: CampaignDraft, actor: Actor) async throws -> Campaign {
        try draft.validate()
        do {
            return try await pool.withTransaction { connection in
                try Self.checkAudienceCountries(connection, draft.audience.countries)
                let id = try connection.query("""
                    INSERT INTO campaigns (organisation_id, slug, hashtag, default_language, title, pledge_text, starts_at, ends_at,
                        audience_genders, audience_countries, audience_org_units, goal_signatures, goal_participation, success_min_countries)
                    VALUES (\(organisationID), \(draft.slug), \(draft.hashtag), \(draft.defaultLanguage), \(try JSONB(draft.title)),
                        \(try JSONB(draft.pledgeText)), \(draft.startsAt), \(draft.endsAt), \(draft.audience.genders.map(\.rawValue)),
                        \(draft.audience.countries), \(draft.audience.orgUnits), \(draft.goalSignatures), \(draft.goalParticipation),
                        \(draft.successMinCountries))
                    RETURNING id
                    """).scalar(UUID.self)
                guard let id else { throw PostgresError(kind: .client, message: "INSERT … RETURNING returned no row") }
                try Self.replaceCountryGoals(connection, organisationID: organisationID, campaignID: id, goals: draft.countryGoals)
                try Self.audit(connection, organisationID: organisationID, actor: actor, action: "campaign.create", subject: id.uuidString,
                               details: ["slug": draft.slug])
                return try Self.campaign(connection, organisationID: organisationID, reference: id.uuidString)
            }
        } catch let error as PostgresError {
            throw Self.campaignInputError(error, slug: draft.slug)
        }
    }

    /// Replaces a draft's settings (only drafts can be edited: a running campaign's rules stay fixed).
    public func updateCampaign(organisationID: UUID, reference: String, _ draft: CampaignDraft, actor: Actor) async throws -> Campaign {
        try draft.validate()
        do {
            return try await pool.withTransaction { connection in
                let current = try Self.campaign(connection, organisationID: organisationID, reference: reference, lock: true)
                guard current.status == .draft else {
                    throw MobiliseError(.conflict, code: .campaignNotDraft, "only a draft campaign can be changed; this one is \(current.status.rawValue)")
                }
                try Self.checkAudienceCountries(connection, draft.audience.countries)
                try connection.execute("""
                    UPDATE campaigns SET slug = \(draft.slug), hashtag = \(draft.hashtag), default_language = \(draft.defaultLanguage),
                        title = \(try JSONB(draft.title)), pledge_text = \(try JSONB(draft.pledgeText)), starts_at = \(draft.startsAt),
                        ends_at = \(draft.endsAt), audience_genders = \(draft.audience.genders.map(\.rawValue)),
                        audience_countries = \(draft.audience.countries), audience_org_units = \(draft.audience.orgUnits),
                        goal_signatures = \(draft.goalSignatures), goal_participation = \(draft.goalParticipation),
                        success_min_countries = \(draft.successMinCountries), updated_at = now()
                    WHERE organisation_id = \(organisationID) AND id = \(current.id)
                    """)
                try Self.replaceCountryGoals(connection, organisationID: organisationID, campaignID: current.id, goals: draft.countryGoals)
                try Self.audit(connection, organisationID: organisationID, actor: actor, action: "campaign.update", subject: current.id.uuidString)
                return try Self.campaign(connection, organisationID: organisationID, reference: current.id.uuidString)
            }
        } catch let error as PostgresError {
            throw Self.campaignInputError(error, slug: draft.slug)
        }
    }

    /// Moves a campaign along `draft → active → closed → archived`; any other move is a conflict.
    public func moveCampaign(organisationID: UUID, reference: String, to status: CampaignStatus, actor: Actor) async throws -> Campaign {
        try await pool.withTransaction { connection in
            let current = try Self.campaign(connection, organisationID: organisationID, reference: reference, lock: true)
            guard current.status.canMove(to: status) else {
                throw MobiliseError(.conflict, code: .invalidTransition, "\(current.status.rawValue.withIndefiniteArticle) campaign cannot become \(status.rawValue)")
            }
            try connection.execute("""
                UPDATE campaigns SET status = \(status.rawValue), updated_at = now()
                WHERE organisation_id = \(organisationID) AND id = \(current.id)
                """)
            var moved = current
            moved.status = status
            // Told to the organisation's webhooks and channels in this same transaction (the outbox).
            if let type: OutboundEventType = status == .active ? .campaignLaunched : status == .closed ? .campaignClosed : nil {
                try Self.enqueueOutboundEvent(
                    connection, organisationID: organisationID, type: type, dedupeKey: "\(type.rawValue):\(current.id.uuidString.lowercased())",
                    data: Self.campaignFacts(moved))
            }
            try Self.audit(connection, organisationID: organisationID, actor: actor, action: "campaign.\(status.rawValue)", subject: current.id.uuidString)
            return moved
        }
    }

    /// The campaign with this id or slug.
    public func campaign(organisationID: UUID, reference: String) async throws -> Campaign {
        try await pool.withConnection { try Self.campaign($0, organisationID: organisationID, reference: reference) }
    }

    /// The organisation's campaigns, newest first, a page at a time.
    ///
    /// - Parameters:
    ///   - status: only the campaigns in this status.
    ///   - employee: only the campaigns whose audience admits this employee (the rule of
    ///     ``Audience/admits(gender:country:orgUnit:)``, applied by the database).
    ///   - after: the `nextCursor` of the previous page (opaque), nil for the first page.
    ///   - limit: campaigns per page, 1 to 100 (clamped).
    /// - Returns: the page and the cursor of the next one (nil on the last page).
    /// - Throws: ``MobiliseError`` `.invalid` `invalid_cursor`.
    public func campaigns(
        organisationID: UUID, status: CampaignStatus? = nil, admitting employee: Employee? = nil, after cursor: String? = nil,
        limit: Int = 100
    ) async throws -> (campaigns: [Campaign], nextCursor: String?) {
        let limit = min(max(limit, 1), 100)
        let position = try cursor.map(PageCursor.init(encoded:)) ?? .newestFirst
        return try await pool.withConnection { connection in
            let rows = try connection.query("""
                SELECT id, created_at FROM campaigns
                WHERE organisation_id = \(organisationID) AND (\(status?.rawValue)::text IS NULL OR status = \(status?.rawValue))
                  AND (\(employee == nil) OR mobilise_audience_admits(
                        audience_genders, audience_countries, audience_org_units,
                        \(employee?.gender.rawValue), \(employee?.country), \(employee?.orgUnit)))
                  AND (created_at, id) < (\(position.instant), \(position.id))
                ORDER BY created_at DESC, id DESC
                LIMIT \(limit + 1)
                """).rows.map { try $0.decode((UUID, Date).self) }
            let page = PageCursor.page(rows, limit: limit) { PageCursor(instant: $0.1, id: $0.0) }
            let campaigns = try page.rows.map { try Self.campaign(connection, organisationID: organisationID, reference: $0.0.uuidString) }
            return (campaigns, page.next)
        }
    }

    // MARK: - Helpers

    /// - Parameter lock: lock the row against other changes of the campaign until the transaction
    ///   ends. NO KEY UPDATE, not UPDATE: rows that reference the campaign (signatures, an import's
    ///   `campaign_headcount` rows) can still be written meanwhile, so an audience change, which then
    ///   waits for the organisation's row, cannot deadlock with an import holding it.
    static func campaign(_ connection: PostgresConnection, organisationID: UUID, reference: String, lock: Bool = false) throws -> Campaign {
        let id = UUID(uuidString: reference)
        let result = try connection.query("""
            SELECT id, slug, hashtag, default_language, title, pledge_text, status, starts_at, ends_at, audience_genders,
                   audience_countries, audience_org_units, goal_signatures, goal_participation, success_min_countries
            FROM campaigns
            WHERE organisation_id = \(organisationID) AND (id = \(id) OR slug = \(reference))
            \(unsafeSQL: lock ? "FOR NO KEY UPDATE" : "")
            """)
        guard result.count > 0 else {
            throw MobiliseError(.notFound, code: .campaignNotFound, "no campaign '\(reference)' in this organisation")
        }
        let row = result[0]
        let campaignID = try row.decode(UUID.self, column: "id")
        var goals: [String: CountryGoal] = [:]
        for goal in try connection.query("""
            SELECT country, signatures, participation FROM campaign_country_goals
            WHERE organisation_id = \(organisationID) AND campaign_id = \(campaignID)
            """).rows {
            let (country, signatures, participation) = try goal.decode((String, Int?, Double?).self)
            if let signatures { goals[country] = .signatures(signatures) } else if let participation { goals[country] = .participation(participation) }
        }
        return Campaign(
            id: campaignID, organisationID: organisationID, slug: try row.decode(String.self, column: "slug"),
            hashtag: try row.decode(String.self, column: "hashtag"),
            defaultLanguage: try row.decode(String.self, column: "default_language"),
            title: try row.decode(JSONB<[String: String]>.self, column: "title").value,
            pledgeText: try row.decode(JSONB<[String: String]>.self, column: "pledge_text").value,
            status: try row.decode(CampaignStatus.self, column: "status"),
            startsAt: try row.decode(Date.self, column: "starts_at"), endsAt: try row.decode(Date.self, column: "ends_at"),
            audience: Audience(
                genders: try row.decode([String].self, column: "audience_genders").compactMap(Gender.init(rawValue:)),
                countries: try row.decode([String].self, column: "audience_countries"),
                orgUnits: try row.decode([String].self, column: "audience_org_units")),
            goalSignatures: try row.decode(Int?.self, column: "goal_signatures"),
            goalParticipation: try row.decode(Double?.self, column: "goal_participation"),
            countryGoals: goals, successMinCountries: try row.decode(Int?.self, column: "success_min_countries"))
    }

    private static func replaceCountryGoals(_ connection: PostgresConnection, organisationID: UUID, campaignID: UUID, goals: [String: CountryGoal]) throws {
        try connection.execute("DELETE FROM campaign_country_goals WHERE organisation_id = \(organisationID) AND campaign_id = \(campaignID)")
        for (country, goal) in goals.sorted(by: { $0.key < $1.key }) {
            var signatures: Int?
            var participation: Double?
            switch goal {
            case .signatures(let count): signatures = count
            case .participation(let rate): participation = rate
            }
            try connection.execute("""
                INSERT INTO campaign_country_goals (organisation_id, campaign_id, country, signatures, participation)
                VALUES (\(organisationID), \(campaignID), \(country), \(signatures), \(participation))
                """)
        }
    }

    /// Refuses an audience naming a country that is not in the country list, as goals and employees
    /// are (their foreign keys): a mistyped code, UK for GB say, would otherwise admit no one, silently.
    private static func checkAudienceCountries(_ connection: PostgresConnection, _ countries: [String]) throws {
        guard !countries.isEmpty else { return }
        let unknown = try connection.query("""
            SELECT code FROM unnest(\(countries)) WITH ORDINALITY AS given(code, position)
            WHERE NOT EXISTS (SELECT 1 FROM countries WHERE alpha2 = given.code)
            ORDER BY position
            """).rows.map { try $0.decode(String.self, at: 0) }
        guard let first = unknown.first else { return }
        let hint = CountryNames.suggestion(for: first).map { " (did you mean \($0)?)" } ?? ""
        throw MobiliseError(.unprocessable, code: .unknownCountry,
                            "'\(first)' in the audience is not an ISO 3166-1 alpha-2 country code\(hint)")
    }

    private static func campaignInputError(_ error: PostgresError, slug: String) -> any Error {
        if error.isUniqueViolation {
            return MobiliseError(.conflict, code: .campaignExists, "a campaign with slug '\(slug)' already exists")
        }
        if error.isForeignKeyViolation {
            return MobiliseError(.unprocessable, code: .unknownCountry, "a country goal names a country that is not in the ISO 3166-1 list")
        }
        return error
    }
}

extension CampaignStatus: PostgresCodable {}
