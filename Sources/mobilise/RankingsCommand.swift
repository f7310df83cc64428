import ArgumentParser
import Foundation
import MobiliseAPI
import MobiliseDomain
import MobiliseStore

/// `mobilise rankings CAMPAIGN`: the per-country ranking, for a terminal, a spreadsheet or a program.
struct RankingsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rankings",
        abstract: "Rank a campaign's countries (as a table, CSV or JSON).",
        discussion: """
            participation ranks by the lower bound of the 95% Wilson interval, so a tiny office at 100% does not \
            outrank a large country at 60%. As a leader (--viewer leader), countries with fewer than k eligible \
            employees are folded into 'other'. CSV and JSON give rates as fractions (0.8123); the table as percentages.
            """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, csv, json
    }

    enum ViewerArgument: String, ExpressibleByArgument, CaseIterable {
        case hrAdmin = "hr_admin"
        case leader

        var viewer: Viewer { self == .hrAdmin ? .hrAdmin : .leader }
    }

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var organisation: OrganisationOption

    @Argument(help: ArgumentHelp("The campaign's slug.", valueName: "campaign"))
    var campaign: String

    @Option(help: "What to rank by.")
    var metric: RankingMetric = .participation

    @Option(help: "table, csv or json (default: table on a terminal, else csv).")
    var format: Format?

    @Option(name: .customLong("as-of"), help: ArgumentHelp("The instant the figures are for, not in the future: 2026-09-01 (midnight UTC) or 2026-09-01T09:00:00Z (default now).", valueName: "date"))
    var asOf: String?

    @Option(help: "Whose view: hr_admin sees every country; leader sees small countries folded into 'other'.")
    var viewer: ViewerArgument = .hrAdmin

    func validate() throws {
        _ = try instant()
    }

    /// `--as-of` by the API's rule for `as_of` (``Instants/asOf(_:name:now:)``).
    func instant() throws -> Date? {
        do {
            return try asOf.map { try Instants.asOf($0.trimmingCharacters(in: .whitespaces), name: "--as-of") }
        } catch let error as MobiliseError {
            throw ValidationError(error.message + ".")
        }
    }

    func run() async throws {
        let logger = MobiliseCommand.bootstrapLogging()
        let instant = try instant()
        let (result, hashtag) = try await database.withStore(logger: logger) { store in
            let target = try await store.organisation(slug: organisation.slug)
            let found = try await store.campaign(organisationID: target.id, reference: campaign)
            let ranking = try await store.ranking(organisationID: target.id, campaign: found.slug, metric: metric,
                                                  viewer: viewer.viewer, asOf: instant)
            return (ranking, found.hashtag)
        }
        let output = RankingOutput(
            campaign: campaign, organisation: organisation.slug, hashtag: hashtag, metric: metric.rawValue,
            viewer: viewer.rawValue, result: result)
        switch format ?? (standardOutputIsTerminal ? .table : .csv) {
        case .table: print(output.table(), terminator: "")
        case .csv: print(output.csv(), terminator: "")
        case .json: print(try output.json())
        }
    }
}

/// A ranking written out in the command's three formats.
struct RankingOutput {
    var campaign: String
    var organisation: String
    var hashtag: String
    var metric: String
    var viewer: String
    var result: CampaignRanking

    /// The API's CSV (`GET …/rankings.csv`).
    func csv() -> String { RankingExport.csv(result) }

    static func percent(_ value: Double?) -> String {
        guard let value, value.isFinite else { return "–" }
        return String(format: "%.1f %%", value * 100)
    }

    func table() -> String {
        let header = ["rank", "country", "signatures", "eligible", "participation", "lower bound", "last 7 days", "goal progress"]
        func cells(_ row: RankingRow, rank: String, name: String) -> [String] {
            [rank, name, grouped(row.signatures), grouped(row.eligible), Self.percent(row.participation),
             Self.percent(row.rateLowerBound), (row.last7Days > 0 ? "+" : "") + grouped(row.last7Days),
             row.goalProgress.map { Self.percent($0) + " of " + grouped(row.goal ?? 0) } ?? "–"]
        }
        let body = result.ranking.rows.map { cells($0, rank: String($0.rank), name: "\($0.key) \($0.name)") }
        var footer: [[String]] = []
        if let other = result.ranking.other { footer.append(cells(other, rank: "", name: "other (countries under k, folded)")) }
        if let total = result.ranking.total { footer.append(cells(total, rank: "", name: "total")) }
        let all = [header] + body + footer
        let widths = header.indices.map { column in all.map { $0[column].count }.max() ?? 0 }
        func line(_ row: [String]) -> String {
            row.indices.map { padded(row[$0], widths[$0], right: $0 != 1) }.joined(separator: "  ")
        }
        var lines = ["\(hashtag) (\(campaign) in \(organisation)): ranked by \(metric), as of \(ISO8601.format(result.asOf)), as seen by \(viewer)", ""]
        lines.append(line(header))
        lines += body.map(line)
        if !footer.isEmpty {
            lines.append(widths.map { String(repeating: "-", count: $0) }.joined(separator: "  "))
            lines += footer.map(line)
        }
        if body.isEmpty && footer.isEmpty { lines.append("(nothing to show: no eligible employees or signatures yet, or fewer than k in all)") }
        lines.append("")
        lines.append("countries meeting their goal: \(result.countriesMeetingGoal)"
            + (result.successMet.map { $0 ? " (the success rule is met)" : " (the success rule is not met yet)" } ?? ""))
        return lines.joined(separator: "\n") + "\n"
    }

    /// The API's JSON.
    func json() throws -> String { String(decoding: try RankingExport.json(result), as: UTF8.self) }
}

/// The CLI takes the domain's metrics by their API names (`signatures`, `participation`, `momentum`,
/// `goal_progress`): one list, so a metric added to the domain is an option here too.
extension RankingMetric: ExpressibleByArgument {}
