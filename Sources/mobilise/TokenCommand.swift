import ArgumentParser
import Foundation
import MobiliseAPI

/// `mobilise token`: a development bearer token, signed with MOBILISE_JWT_SECRET, or else with the
/// development secret `serve` keeps in the data directory.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Mint a development token for the API (HS256, signed with MOBILISE_JWT_SECRET).",
        discussion: """
            Prints the token alone on standard output, so that TOKEN=$(mobilise token …) works. The service must \
            run with the same MOBILISE_JWT_SECRET to accept it. Without MOBILISE_JWT_SECRET (and without a \
            database URL), the token is signed with the development secret that `mobilise serve` keeps in the data \
            directory (./.mobilise/dev-jwt-secret by default), as `serve` then verifies them. For development and \
            demos: production tokens come from the company's identity provider.
            """
    )

    @OptionGroup var database: DatabaseOptions

    /// The name of the variable holding the signing secret.
    static let secretVariable = "MOBILISE_JWT_SECRET"

    enum RoleArgument: String, ExpressibleByArgument, CaseIterable {
        case employee, leader
        case hrAdmin = "hr_admin"

        var role: Role {
            switch self {
            case .employee: .employee
            case .leader: .leader
            case .hrAdmin: .hrAdmin
            }
        }
    }

    @OptionGroup var organisation: OrganisationOption

    @Option(help: ArgumentHelp("The employee's HR id (external_id): the token's subject.", valueName: "external-id"))
    var sub: String

    @Option(name: .customLong("role"), help: ArgumentHelp("employee, leader or hr_admin (repeatable).", valueName: "role"))
    var roles: [RoleArgument] = []

    @Option(help: ArgumentHelp("How long the token stays valid: 90m, 8h, 2d or seconds.", valueName: "duration"))
    var ttl = "8h"

    func validate() throws {
        guard !sub.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw ValidationError("--sub is empty: give the employee's HR id (their external_id in the workforce file).")
        }
        guard !roles.isEmpty else {
            throw ValidationError("Give at least one --role: employee, leader or hr_admin (e.g. --role employee --role leader).")
        }
        guard Self.seconds(ttl) != nil else {
            throw ValidationError("--ttl '\(ttl)' is not a duration: write it like 90m, 8h or 2d (between 1 second and 30 days).")
        }
    }

    /// `90m`, `8h`, `2d`, `3600s` or `3600` as seconds, between 1 second and 30 days.
    static func seconds(_ text: String) -> Int? {
        let units: [Character: Int] = ["s": 1, "m": 60, "h": 3_600, "d": 86_400]
        var digits = Substring(text.trimmingCharacters(in: .whitespaces).lowercased())
        var unit = 1
        if let last = digits.last, let multiplier = units[last] {
            unit = multiplier
            digits = digits.dropLast()
        }
        guard let value = Int(digits), value > 0 else { return nil }
        let (seconds, overflow) = value.multipliedReportingOverflow(by: unit)
        guard !overflow, seconds <= 30 * 86_400 else { return nil }
        return seconds
    }

    /// HS256 keys shorter than the hash output are refused by JWTKit (and weak).
    static let minimumSecretBytes = 32

    /// The signing secret, or why there is none usable (a sentence with the fix): the one `serve`
    /// would verify tokens with for the same `database` options (``ServeCommand``).
    static func secret(database: DatabaseOptions) -> Result<String, SecretProblem> {
        guard let secret = Environment.value(secretVariable) else {
            if database.externalURL == nil, let development = database.existingDevelopmentSecret() { return .success(development) }
            let development = database.externalURL == nil ? """
                , and there is no development secret in \(database.developmentSecretFile.path) (`mobilise serve` makes one \
                there when it starts on the embedded database without it)
                """ : ""
            return .failure(SecretProblem(message: """
                \(secretVariable) is not set\(development). Set it to the secret the service verifies tokens with, e.g.
                  export \(secretVariable)=$(openssl rand -hex 32)
                and start the service with the same value.
                """))
        }
        guard secret.utf8.count >= minimumSecretBytes else {
            return .failure(SecretProblem(message: """
                \(secretVariable) is \(secret.utf8.count) bytes long; HS256 needs at least \(minimumSecretBytes). Use a longer one, e.g.
                  export \(secretVariable)=$(openssl rand -hex 32)
                """))
        }
        return .success(secret)
    }

    /// Why the secret cannot be used.
    struct SecretProblem: Error {
        var message: String
    }

    func run() async throws {
        let secret: String
        switch Self.secret(database: database) {
        case .success(let value): secret = value
        case .failure(let problem):
            StandardError.print("error: " + problem.message)
            throw ExitCode.failure
        }
        let issuer = try await TokenIssuer(secret: secret)
        let token = try await issuer.token(
            subject: sub, organisation: organisation.slug, roles: roles.map(\.role), lifetime: .seconds(Self.seconds(ttl) ?? 8 * 3_600))
        print(token)
    }
}
