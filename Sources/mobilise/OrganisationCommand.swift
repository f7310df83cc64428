import ArgumentParser
import Foundation

/// `mobilise org create`: organisations (tenants).
struct OrganisationCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "org",
        abstract: "Create organisations (each one a company running its own campaigns).",
        subcommands: [Create.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an organisation.")

        @OptionGroup var database: DatabaseOptions

        @Argument(help: ArgumentHelp("Its slug: lowercase letters, digits and dashes (used in URLs and --org).", valueName: "slug"))
        var slug: String

        @Option(help: "Its display name.")
        var name: String

        @Option(name: .customLong("privacy-k"), help: "Leaders never see a figure covering fewer than this many employees.")
        var privacyK = 10

        @Option(name: .customLong("time-zone"), help: "IANA time zone in which days and weeks are counted (e.g. Europe/Paris).")
        var timeZone = "UTC"

        func validate() throws {
            guard slug.range(of: "^[a-z0-9][a-z0-9-]{0,62}$", options: .regularExpression) != nil else {
                throw ValidationError("The slug '\(slug)' is not usable: use 1 to 63 lowercase letters, digits and dashes, starting with a letter or digit (e.g. acme-france).")
            }
            guard !name.trimmingCharacters(in: .whitespaces).isEmpty, name.count <= 200 else {
                throw ValidationError("--name must be 1 to 200 characters.")
            }
            guard privacyK >= 1 else {
                throw ValidationError("--privacy-k must be at least 1 (10 is a common choice; 1 shows every country to leaders).")
            }
            guard TimeZone(identifier: timeZone) != nil else {
                throw ValidationError("--time-zone '\(timeZone)' is not an IANA time zone name: write it like Europe/Paris, America/Sao_Paulo or UTC.")
            }
        }

        func run() async throws {
            let logger = MobiliseCommand.bootstrapLogging()
            let organisation = try await database.withStore(logger: logger) { store in
                try await store.createOrganisation(slug: slug, name: name, privacyK: privacyK, timeZone: timeZone)
            }
            print("created organisation \(organisation.slug) (\(organisation.name)): privacy threshold k = \(organisation.privacyK), time zone \(organisation.timeZone), id \(organisation.id)")
            print("next: mobilise import employees FILE.csv --org \(organisation.slug)")
        }
    }
}
