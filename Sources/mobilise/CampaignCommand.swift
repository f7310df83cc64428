import ArgumentParser
import Foundation
import MobiliseDomain
import MobiliseStore

/// `mobilise campaign create|launch|close|archive|list`.
struct CampaignCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "campaign",
        abstract: "Create campaigns and move them along draft → active → closed → archived.",
        subcommands: [Create.self, Launch.self, Close.self, Archive.self, List.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a campaign (as a draft: launch it with `mobilise campaign launch`).",
            discussion: """
                Dates as the API takes them: 2015-06-01 (midnight UTC) or RFC 3339, 2015-06-01T09:00:00+02:00. Goals: \
                --goal-participation 0.3 (or 30%) for the whole audience; --country-goal IN=5000 for a number of \
                signatures, --country-goal FR=30% for a share of the country's eligible employees (repeatable).
                """
        )

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var organisation: OrganisationOption

        @Option(help: ArgumentHelp("The campaign's slug: lowercase letters, digits and dashes.", valueName: "slug"))
        var slug: String

        @Option(help: "The title, in the default language.")
        var title: String

        @Option(help: "The pledge employees sign, in the default language.")
        var pledge: String

        @Option(help: "The hashtag, e.g. #HeForShe.")
        var hashtag: String

        @Option(help: ArgumentHelp("When signing opens: 2026-09-01 (midnight UTC) or 2026-09-01T09:00:00+02:00.", valueName: "date"))
        var starts: String

        @Option(help: ArgumentHelp("When signing closes, written the same way.", valueName: "date"))
        var ends: String

        @Option(help: "The BCP 47 language of --title and --pledge.")
        var language = "en"

        @Option(name: .customLong("goal-participation"), help: ArgumentHelp("Overall goal: a share of the audience (0.3 or 30%).", valueName: "rate"))
        var goalParticipation: String?

        @Option(name: .customLong("goal-signatures"), help: ArgumentHelp("Overall goal: a number of signatures.", valueName: "count"))
        var goalSignatures: Int?

        @Option(name: .customLong("country-goal"), help: ArgumentHelp("A country's goal: IN=5000 (signatures) or FR=30% (participation).", valueName: "CC=goal"))
        var countryGoals: [String] = []

        @Option(name: .customLong("success-min-countries"), help: ArgumentHelp("The campaign succeeds when at least this many countries meet their goal.", valueName: "n"))
        var successMinCountries: Int?

        @Option(name: .customLong("audience-gender"), help: ArgumentHelp("Only employees of this gender may sign (female, male, non_binary, undisclosed; repeatable).", valueName: "gender"))
        var audienceGenders: [String] = []

        @Option(name: .customLong("audience-country"), help: ArgumentHelp("Only employees working in this country may sign (ISO code; repeatable).", valueName: "CC"))
        var audienceCountries: [String] = []

        @Option(name: .customLong("audience-org-unit"), help: ArgumentHelp("Only employees of this org unit or its sub-units may sign (repeatable).", valueName: "path"))
        var audienceOrgUnits: [String] = []

        func validate() throws {
            _ = try draft()
        }

        /// The campaign described by the options, or the first thing a person must fix.
        func draft() throws -> CampaignDraft {
            let startsAt = try ISO8601.parse(starts, option: "--starts")
            let endsAt = try ISO8601.parse(ends, option: "--ends")
            guard endsAt > startsAt else { throw ValidationError("--ends (\(ends)) must come after --starts (\(starts)).") }
            var goals: [String: CountryGoal] = [:]
            for entry in countryGoals {
                let parts = entry.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
                guard parts.count == 2, parts[0].count == 2, let goal = Self.countryGoal(parts[1]) else {
                    throw ValidationError("--country-goal '\(entry)' is not a goal: write a country code, '=', then signatures or a share, like IN=5000 or FR=30%.")
                }
                goals[parts[0].uppercased()] = goal
            }
            var participation: Double?
            if let goalParticipation {
                guard case .participation(let rate)? = Self.countryGoal(goalParticipation), !goalParticipation.allSatisfy(\.isNumber) else {
                    throw ValidationError("--goal-participation '\(goalParticipation)' is not a share: write 0.3 or 30%.")
                }
                participation = rate
            }
            var genders: [Gender] = []
            for raw in audienceGenders {
                guard let gender = Gender(rawValue: raw.lowercased()) else {
                    throw ValidationError("--audience-gender '\(raw)' is not a gender Mobilise knows: use female, male, non_binary or undisclosed.")
                }
                genders.append(gender)
            }
            let draft = CampaignDraft(
                slug: slug, hashtag: hashtag, defaultLanguage: language, title: [language: title], pledgeText: [language: pledge],
                startsAt: startsAt, endsAt: endsAt,
                audience: Audience(genders: genders, countries: audienceCountries.map { $0.uppercased() }, orgUnits: audienceOrgUnits),
                goalSignatures: goalSignatures, goalParticipation: participation, countryGoals: goals,
                successMinCountries: successMinCountries)
            do {
                try draft.validate()
            } catch let error as MobiliseError {
                throw ValidationError("The campaign cannot be created: \(error.message).")
            }
            return draft
        }

        /// `5000` (signatures), `30%` or `0.3` (participation).
        static func countryGoal(_ text: String) -> CountryGoal? {
            if text.hasSuffix("%"), let percent = Double(text.dropLast()) { return .participation(percent / 100) }
            if let count = Int(text) { return .signatures(count) }
            if let rate = Double(text), rate < 1 { return .participation(rate) }
            return nil
        }

        func run() async throws {
            let logger = MobiliseCommand.bootstrapLogging()
            let draft = try draft()
            let campaign = try await database.withStore(logger: logger) { store in
                let target = try await store.organisation(slug: organisation.slug)
                return try await store.createCampaign(organisationID: target.id, draft, actor: .operatorCLI)
            }
            print("created campaign \(campaign.slug) (\(campaign.status.rawValue)), \(campaign.hashtag), from \(ISO8601.format(campaign.startsAt)) to \(ISO8601.format(campaign.endsAt))")
            print("launch it with: mobilise campaign launch \(campaign.slug) --org \(organisation.slug)")
        }
    }

    /// The options of the commands that move a campaign along its life.
    struct Transition: ParsableArguments {
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var organisation: OrganisationOption

        @Argument(help: ArgumentHelp("The campaign's slug.", valueName: "campaign"))
        var campaign: String

        func move(to status: CampaignStatus) async throws {
            let logger = MobiliseCommand.bootstrapLogging()
            let moved = try await database.withStore(logger: logger) { store in
                let target = try await store.organisation(slug: organisation.slug)
                return try await store.moveCampaign(organisationID: target.id, reference: campaign, to: status, actor: .operatorCLI)
            }
            print("campaign \(moved.slug) is now \(moved.status.rawValue)")
        }
    }

    struct Launch: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Launch a draft campaign: employees can sign from its start date.")
        @OptionGroup var transition: Transition
        func run() async throws { try await transition.move(to: .active) }
    }

    struct Close: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Close an active campaign: no more signatures.")
        @OptionGroup var transition: Transition
        func run() async throws { try await transition.move(to: .closed) }
    }

    struct Archive: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Archive a closed campaign.")
        @OptionGroup var transition: Transition
        func run() async throws { try await transition.move(to: .archived) }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List an organisation's campaigns, newest first.")
        @OptionGroup var database: DatabaseOptions
        @OptionGroup var organisation: OrganisationOption

        func run() async throws {
            let logger = MobiliseCommand.bootstrapLogging()
            let campaigns = try await database.withStore(logger: logger) { store in
                let target = try await store.organisation(slug: organisation.slug)
                var page = try await store.campaigns(organisationID: target.id)
                var campaigns = page.campaigns
                while let next = page.nextCursor {
                    page = try await store.campaigns(organisationID: target.id, after: next)
                    campaigns += page.campaigns
                }
                return campaigns
            }
            guard !campaigns.isEmpty else {
                print("no campaigns in \(organisation.slug) yet: create one with `mobilise campaign create --org \(organisation.slug) …`")
                return
            }
            let rows = campaigns.map { campaign in
                [campaign.slug, campaign.status.rawValue, campaign.hashtag, ISO8601.format(campaign.startsAt),
                 ISO8601.format(campaign.endsAt), campaign.title(in: nil)]
            }
            let header = ["slug", "status", "hashtag", "starts", "ends", "title"]
            let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
            for row in [header] + rows {
                print(row.indices.map { padded(row[$0], $0 == row.count - 1 ? 0 : widths[$0]) }.joined(separator: "  "))
            }
        }
    }
}
