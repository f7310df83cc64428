import Foundation

/// Where a campaign is in its life: `draft → active → closed → archived`.
public enum CampaignStatus: String, Sendable, Codable, CaseIterable {
    case draft, active, closed, archived

    /// Whether a campaign in this status may move to `next`.
    public func canMove(to next: CampaignStatus) -> Bool {
        switch (self, next) {
        case (.draft, .active), (.active, .closed), (.closed, .archived): true
        default: false
        }
    }
}

/// Who may sign a campaign. An empty list means no restriction on that attribute.
public struct Audience: Sendable, Codable, Equatable {
    public var genders: [Gender]
    /// ISO alpha-2 codes of countries of work.
    public var countries: [String]
    /// Org unit paths; each admits its sub-units (`Energy Management` admits `Energy Management/Buildings`).
    public var orgUnits: [String]

    public init(genders: [Gender] = [], countries: [String] = [], orgUnits: [String] = []) {
        self.genders = genders
        self.countries = countries
        self.orgUnits = orgUnits
    }

    /// Everyone.
    public static let everyone = Audience()

    /// Whether an employee belongs to the audience.
    public func admits(gender: Gender, country: String, orgUnit: String?) -> Bool {
        (genders.isEmpty || genders.contains(gender))
            && (countries.isEmpty || countries.contains(country))
            && (orgUnits.isEmpty || orgUnits.contains { unit in
                guard let orgUnit else { return false }
                return orgUnit == unit || orgUnit.hasPrefix(unit + "/")
            })
    }
}

/// A country's target: a number of signatures, or a rate of its eligible headcount.
public enum CountryGoal: Sendable, Equatable, Codable {
    case signatures(Int)
    case participation(Double)

    /// The target as a number of signatures for a country with `eligible` employees.
    public func target(eligible: Int) -> Int {
        switch self {
        case .signatures(let count): count
        case .participation(let rate): Int((rate * Double(eligible)).rounded(.up))
        }
    }
}

/// An internal drive.
public struct Campaign: Sendable, Equatable {
    public var id: UUID
    public var organisationID: UUID
    public var slug: String
    public var hashtag: String
    public var defaultLanguage: String
    /// Title per BCP 47 language tag; holds the default language.
    public var title: [String: String]
    /// Pledge text per BCP 47 language tag; holds the default language.
    public var pledgeText: [String: String]
    public var status: CampaignStatus
    public var startsAt: Date
    public var endsAt: Date
    public var audience: Audience
    public var goalSignatures: Int?
    public var goalParticipation: Double?
    public var countryGoals: [String: CountryGoal]
    /// The campaign succeeds when its country goal is met in at least this many countries.
    public var successMinCountries: Int?

    public init(
        id: UUID, organisationID: UUID, slug: String, hashtag: String, defaultLanguage: String,
        title: [String: String], pledgeText: [String: String], status: CampaignStatus, startsAt: Date, endsAt: Date,
        audience: Audience, goalSignatures: Int?, goalParticipation: Double?, countryGoals: [String: CountryGoal],
        successMinCountries: Int?
    ) {
        self.id = id
        self.organisationID = organisationID
        self.slug = slug
        self.hashtag = hashtag
        self.defaultLanguage = defaultLanguage
        self.title = title
        self.pledgeText = pledgeText
        self.status = status
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.audience = audience
        self.goalSignatures = goalSignatures
        self.goalParticipation = goalParticipation
        self.countryGoals = countryGoals
        self.successMinCountries = successMinCountries
    }

    /// The title in `language` (compared without regard to case), else in the default language.
    public func title(in language: String?) -> String {
        language.flatMap { LanguageTag.text(title, in: $0)?.text } ?? LanguageTag.text(title, in: defaultLanguage)?.text ?? ""
    }
}

/// What an HR admin gives to create a campaign, or to change a draft.
public struct CampaignDraft: Sendable, Equatable {
    public var slug: String
    public var hashtag: String
    // Language tags are kept in their conventional case (pt-BR), whatever case they were typed in.
    public var defaultLanguage: String { didSet { defaultLanguage = LanguageTag.canonical(defaultLanguage) } }
    public var title: [String: String] { didSet { title = LanguageTag.canonicalKeys(title) } }
    public var pledgeText: [String: String] { didSet { pledgeText = LanguageTag.canonicalKeys(pledgeText) } }
    public var startsAt: Date
    public var endsAt: Date
    public var audience: Audience
    public var goalSignatures: Int?
    public var goalParticipation: Double?
    public var countryGoals: [String: CountryGoal]
    public var successMinCountries: Int?

    public init(
        slug: String, hashtag: String, defaultLanguage: String = "en", title: [String: String], pledgeText: [String: String],
        startsAt: Date, endsAt: Date, audience: Audience = .everyone, goalSignatures: Int? = nil,
        goalParticipation: Double? = nil, countryGoals: [String: CountryGoal] = [:], successMinCountries: Int? = nil
    ) {
        self.slug = slug
        self.hashtag = hashtag
        self.defaultLanguage = LanguageTag.canonical(defaultLanguage)
        self.title = LanguageTag.canonicalKeys(title)
        self.pledgeText = LanguageTag.canonicalKeys(pledgeText)
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.audience = audience
        self.goalSignatures = goalSignatures
        self.goalParticipation = goalParticipation
        self.countryGoals = countryGoals
        self.successMinCountries = successMinCountries
    }

    /// Checks everything that can be checked without the database (country codes are checked
    /// against the country list when stored).
    public func validate() throws {
        func invalid(_ code: ErrorCode, _ message: String) -> MobiliseError { MobiliseError(.invalid, code: code, message) }
        guard slug.range(of: "^[a-z0-9][a-z0-9-]{0,62}$", options: .regularExpression) != nil else {
            throw invalid(.invalidSlug, "a campaign slug is 1 to 63 lowercase letters, digits and dashes, starting with a letter or digit")
        }
        guard hashtag.range(of: "^#[\\p{L}\\p{N}_]{1,100}$", options: .regularExpression) != nil else {
            throw invalid(.invalidHashtag, "a hashtag is '#' followed by 1 to 100 letters, digits or underscores")
        }
        guard defaultLanguage.range(of: "^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$", options: .regularExpression) != nil else {
            throw invalid(.invalidLanguage, "'\(defaultLanguage)' is not a BCP 47 language tag")
        }
        for (field, texts) in [("title", title), ("pledge_text", pledgeText)] {
            guard let text = texts[defaultLanguage], !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
                throw invalid(.missingDefaultLanguage, "\(field) needs a text in the default language '\(defaultLanguage)'")
            }
            for (language, text) in texts {
                guard language.range(of: "^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$", options: .regularExpression) != nil else {
                    throw invalid(.invalidLanguage, "'\(language)' in \(field) is not a BCP 47 language tag")
                }
                guard text.count <= (field == "title" ? 200 : 5000) else {
                    throw invalid(.textTooLong, "\(field) in '\(language)' is longer than \(field == "title" ? 200 : 5000) characters")
                }
            }
        }
        guard Instants.isSupported(startsAt), Instants.isSupported(endsAt) else {
            throw invalid(.invalidDates, "starts_at and ends_at must lie within years 1 to 9999")
        }
        guard endsAt > startsAt else { throw invalid(.invalidDates, "ends_at must be after starts_at") }
        if let goal = goalSignatures, goal <= 0 { throw invalid(.invalidGoal, "goal_signatures must be positive") }
        if let goal = goalParticipation, !(goal > 0 && goal <= 1) { throw invalid(.invalidGoal, "goal_participation must be above 0 and at most 1") }
        for (country, goal) in countryGoals {
            guard country.range(of: "^[A-Z]{2}$", options: .regularExpression) != nil else {
                throw invalid(.invalidCountry, "'\(country)' is not an ISO 3166-1 alpha-2 country code")
            }
            switch goal {
            case .signatures(let count) where count <= 0:
                throw invalid(.invalidGoal, "the goal for \(country) must be a positive number of signatures")
            case .participation(let rate) where !(rate > 0 && rate <= 1):
                throw invalid(.invalidGoal, "the participation goal for \(country) must be above 0 and at most 1")
            default: break
            }
        }
        for country in audience.countries where country.range(of: "^[A-Z]{2}$", options: .regularExpression) == nil {
            throw invalid(.invalidCountry, "'\(country)' in the audience is not an ISO 3166-1 alpha-2 country code")
        }
        if let minimum = successMinCountries, minimum <= 0 {
            throw invalid(.invalidGoal, "success_min_countries must be positive")
        }
    }
}

/// How a signature was given.
public enum SignatureChannel: String, Sendable, Codable, CaseIterable {
    case web, mobile, event, paper
    /// Through the QR code of a printed poster (``PosterLink``), or of a QR code shown on its own.
    case poster, qr
}

/// A pledge: one per employee per campaign, current unless withdrawn.
public struct Signature: Sendable, Equatable, Codable {
    public var id: UUID
    public var campaignID: UUID
    /// The employee's country, site and org unit when they signed: a later move does not move it.
    public var country: String
    public var site: String?
    public var orgUnit: String?
    public var channel: SignatureChannel
    public var eventID: UUID?
    public var signedAt: Date
    public var withdrawnAt: Date?

    public init(
        id: UUID, campaignID: UUID, country: String, site: String?, orgUnit: String?, channel: SignatureChannel,
        eventID: UUID?, signedAt: Date, withdrawnAt: Date?
    ) {
        self.id = id
        self.campaignID = campaignID
        self.country = country
        self.site = site
        self.orgUnit = orgUnit
        self.channel = channel
        self.eventID = eventID
        self.signedAt = signedAt
        self.withdrawnAt = withdrawnAt
    }

    public var isCurrent: Bool { withdrawnAt == nil }
}
