import ArgumentParser
import Foundation
import MobiliseAPI
import MobiliseDomain

/// `mobilise scim-token`: the bearer tokens identity providers present to `/scim/v2`.
struct SCIMTokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scim-token",
        abstract: "Create, list and revoke an organisation's SCIM provisioning tokens.",
        discussion: """
            A SCIM token lets an identity provider (Entra ID, Okta…) create, change and remove the organisation's \
            employees through /scim/v2, and nothing else. It is printed once, when created; the database keeps only its \
            SHA-256. An organisation may have several at once, so that one can be replaced without a gap.
            """,
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a token and print it (once).")

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var organisation: OrganisationOption

        @Option(help: ArgumentHelp("What the token is for, e.g. \"Entra ID\".", valueName: "text"))
        var description: String?

        func run() async throws {
            let logger = MobiliseCommand.bootstrapLogging()
            let slug = organisation.slug, description = description
            let created = try await database.withStore(logger: logger) { store in
                let organisation = try await store.organisation(slug: slug)
                return try await SCIMTokens.create(store: store, organisationID: organisation.id, description: description, actor: .operatorCLI)
            }
            FileHandle.standardError.write(Data("SCIM token \(created.info.id.uuidString.lowercased()) for \(slug) (shown once):\n".utf8))
            print(created.token)
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the tokens: id, created, last used, description (never the secret).")

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var organisation: OrganisationOption

        func run() async throws {
            let logger = MobiliseCommand.bootstrapLogging()
            let slug = organisation.slug
            let tokens = try await database.withStore(logger: logger) { store in
                try await store.scimTokens(organisationID: try await store.organisation(slug: slug).id)
            }
            let format = Date.ISO8601FormatStyle(timeZone: .gmt)
            for token in tokens {
                let used = token.lastUsedAt.map { $0.formatted(format) } ?? "never"
                print("\(token.id.uuidString.lowercased())  created \(token.createdAt.formatted(format)) by \(token.createdBy)  last used \(used)  \(token.description ?? "")")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a token: it stops working at once.")

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var organisation: OrganisationOption

        @Argument(help: ArgumentHelp("The token's id (from `scim-token list`).", valueName: "id"))
        var id: String

        func run() async throws {
            let logger = MobiliseCommand.bootstrapLogging()
            guard let tokenID = UUID(uuidString: id) else { throw ValidationError("'\(id)' is not a token id (a UUID, as `scim-token list` prints)") }
            let slug = organisation.slug
            let revoked = try await database.withStore(logger: logger) { store in
                try await store.revokeSCIMToken(organisationID: try await store.organisation(slug: slug).id, id: tokenID, actor: .operatorCLI)
            }
            guard revoked else { throw ValidationError("no SCIM token \(id) in \(slug)") }
            print("revoked \(tokenID.uuidString.lowercased())")
        }
    }
}
