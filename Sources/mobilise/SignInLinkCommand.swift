import ArgumentParser
import Foundation
import MobiliseAPI

/// `mobilise sign-in-link`: a one-click link to the dashboard or the employee's page, for one identity, usable once.
struct SignInLinkCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sign-in-link",
        abstract: "Print a one-click sign-in link to the dashboard or the employee's page: usable once, within 15 minutes.",
        discussion: """
            The link carries a code, not a token: the service exchanges it for a session (8 hours at most) the first \
            time it is opened, and refuses it afterwards or once it has expired. Needs the service's database (the same \
            database options as `serve`), not its token secret.
            """
    )

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var organisation: OrganisationOption

    @Option(help: ArgumentHelp("The person's HR id (external_id): whom the session stands for.", valueName: "external-id"))
    var sub: String

    @Option(name: .customLong("role"), help: ArgumentHelp("employee, leader or hr_admin (repeatable).", valueName: "role"))
    var roles: [TokenCommand.RoleArgument] = []

    @Option(help: ArgumentHelp("The service's address, as people's browsers reach it.", valueName: "url"))
    var service = "http://127.0.0.1:8080"

    @Option(help: ArgumentHelp("The campaign the page opens on.", valueName: "slug"))
    var campaign: String?

    enum Page: String, ExpressibleByArgument, CaseIterable { case dashboard, employee, console }

    @Option(help: ArgumentHelp(
        "The page the link opens: the leadership dashboard, the employee's page at /, or the HR console at /admin. Default: the employee's page when the only role is employee, else the dashboard.",
        valueName: "page"))
    var page: Page?

    func validate() throws {
        guard !sub.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw ValidationError("--sub is empty: give the person's HR id (their external_id in the workforce file).")
        }
        guard !roles.isEmpty else {
            throw ValidationError("Give at least one --role: employee, leader or hr_admin (e.g. --role leader).")
        }
        guard let url = URL(string: service), ["http", "https"].contains(url.scheme ?? ""), url.host != nil else {
            throw ValidationError("--service '\(service)' is not an address: write it like http://127.0.0.1:8080 or https://mobilise.example.com.")
        }
    }

    func run() async throws {
        let logger = MobiliseCommand.bootstrapLogging()
        let slug = organisation.slug, subject = sub, roles = roles.map(\.role)
        let code = try await database.withStore(logger: logger) { store in
            let organisation = try await store.organisation(slug: slug)
            return try await SignInLinks.createCode(
                store: store, organisationID: organisation.id, organisationSlug: organisation.slug, subject: subject, roles: roles)
        }
        let base = service.hasSuffix("/") ? String(service.dropLast()) : service
        switch page ?? (roles == [.employee] ? .employee : .dashboard) {
        case .employee: print(SignInLinks.employeePageLink(base: base, code: code.code, campaign: campaign))
        case .dashboard: print(SignInLinks.dashboardLink(base: base, code: code.code, campaign: campaign))
        case .console: print(SignInLinks.consoleLink(base: base, code: code.code))
        }
    }
}
