import ArgumentParser
import Foundation
import MobiliseAPI
import MobiliseDemo
import MobiliseStore

/// `mobilise demo`: loads the demo organisation and says how to sign in.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Load the demo organisation: a Schneider-like workforce and its #HeForShe drive (idempotent).",
        discussion: """
            About 147,000 employees in 74 countries at --scale 1.0; the campaign asks men to sign and about 23,000 \
            of some 101,000 have (23%, short of its 30% goal), generated from --seed: the same seed gives the same \
            data, with dates relative to now. Applies pending migrations first. When the \
            organisation exists already, nothing is changed and its summary is printed.
            """
    )

    @OptionGroup var database: DatabaseOptions

    @Option(help: ArgumentHelp("The demo organisation's slug.", valueName: "slug"))
    var slug = "demo"

    @Option(help: "The seed of the generator: the same seed gives the same organisation.")
    var seed: UInt64 = 2015

    @Option(help: "The size of the demo: 1.0 is about 147,000 employees; 0.02 about 3,000.")
    var scale = 1.0

    func validate() throws {
        guard slug.range(of: "^[a-z0-9][a-z0-9-]{0,62}$", options: .regularExpression) != nil else {
            throw ValidationError("The slug '\(slug)' is not usable: use 1 to 63 lowercase letters, digits and dashes.")
        }
        guard scale > 0, scale <= 5 else {
            throw ValidationError("--scale must be above 0 and at most 5 (1.0 is about 147,000 employees; try 0.05 for a quick one).")
        }
    }

    /// `12.3 s`.
    static func seconds(_ duration: Duration) -> String {
        let parts = duration.components
        return String(format: "%.1f s", Double(parts.seconds) + Double(parts.attoseconds) / 1e18)
    }

    func run() async throws {
        let logger = MobiliseCommand.bootstrapLogging()
        let started = ContinuousClock.now
        let slug = slug, seed = seed, scale = scale
        let summary = try await database.withStore(logger: logger) { store in
            try await DemoOrganisation.load(into: store, slug: slug, seed: seed, scale: scale) { step in
                let elapsed = ContinuousClock.now - started
                StandardError.print("[\(Self.seconds(elapsed))] \(step)")
            }
        }
        let elapsed = ContinuousClock.now - started
        let organisation = summary.organisation
        if summary.created {
            print("Loaded the demo organisation '\(organisation.slug)' in \(Self.seconds(elapsed)).")
        } else {
            print("The organisation '\(organisation.slug)' exists already: nothing was changed.")
        }
        print("""

            \(organisation.name): \(grouped(summary.employees)) employees (\(grouped(summary.activeEmployees)) active) in \(summary.countries) countries, privacy k = \(organisation.privacyK)
            campaign \(summary.campaignSlug) (#HeForShe): \(grouped(summary.signatures)) signatures (\(grouped(summary.signedAtEvents)) at events, \(grouped(summary.withdrawn)) withdrawn)
            stories: \(summary.approvedStories) approved, \(summary.pendingStories) pending, \(summary.rejectedStories) rejected; events: \(summary.pastEvents) past, \(summary.upcomingEvents) upcoming

            Sign in as:
            """)
        try await Self.printSignIn(summary, secret: TokenCommand.secret(database: database))
        print("""

            Reach it:
              the API: `mobilise serve` with the same database options and \(TokenCommand.secretVariable); send each request with
                       the header `Authorization: Bearer <token>`
              rankings here: mobilise rankings \(summary.campaignSlug) --org \(organisation.slug) [--viewer leader]
            """)
    }

    /// Prints the demo's three identities with a token for each, or why there are none.
    /// - Parameter dashboard: the service's address and its library, to print a one-click dashboard
    ///   sign-in link too (a code usable once, within ``SignInLinks/codeLifetime``).
    static func printSignIn(
        _ summary: DemoSummary, secret: Result<String, TokenCommand.SecretProblem>, dashboard: (base: String, store: MobiliseStore)? = nil
    ) async throws {
        let organisation = summary.organisation
        var issuer: TokenIssuer?
        var secretProblem: String?
        switch secret {
        case .success(let secret): issuer = try await TokenIssuer(secret: secret)
        case .failure(let problem): secretProblem = problem.message
        }
        for (what, identity) in [("HR admin", summary.hrAdmin), ("leader", summary.leader), ("employee (has not signed yet)", summary.employee)] {
            print("  \(what): \(identity.displayName), \(identity.externalID) (\(identity.country)), roles \(identity.roles.joined(separator: ", "))")
            let roles = identity.roles.compactMap(Role.init(rawValue:))
            if let issuer {
                let token = try await issuer.token(subject: identity.externalID, organisation: organisation.slug, roles: roles)
                print("    token (8 h): \(token)")
            }
            if let dashboard {
                let code = try await SignInLinks.createCode(
                    store: dashboard.store, organisationID: organisation.id, organisationSlug: organisation.slug,
                    subject: identity.externalID, roles: roles)
                if roles == [.employee] {
                    print("    employee page (once, within 15 min): \(SignInLinks.employeePageLink(base: dashboard.base, code: code.code, campaign: summary.campaignSlug))")
                } else {
                    print("    dashboard (once, within 15 min): \(SignInLinks.dashboardLink(base: dashboard.base, code: code.code, campaign: summary.campaignSlug))")
                }
                if roles.contains(.hrAdmin) {
                    let console = try await SignInLinks.createCode(
                        store: dashboard.store, organisationID: organisation.id, organisationSlug: organisation.slug,
                        subject: identity.externalID, roles: roles)
                    print("    HR console (once, within 15 min): \(SignInLinks.consoleLink(base: dashboard.base, code: console.code))")
                }
            }
        }
        if dashboard != nil {
            print("  New links: mobilise sign-in-link --org \(organisation.slug) --sub <HR id> --role <role> --campaign \(summary.campaignSlug)")
        }
        if let secretProblem {
            print("""

                No tokens: \(secretProblem)
                Then run `mobilise demo` again (it changes nothing), or `mobilise token --org \(organisation.slug) --sub \(summary.hrAdmin.externalID) --role hr_admin`.
                """)
        }
    }
}
