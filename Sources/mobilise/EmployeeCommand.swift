import ArgumentParser
import Foundation
import MobiliseDomain
import MobiliseStore

/// `mobilise employee erase`: GDPR erasure, as `DELETE /v1/employees/{external_id}`.
struct EmployeeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "employee",
        abstract: "Act on one employee of an organisation.",
        subcommands: [Erase.self]
    )

    struct Erase: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Erase an employee (GDPR): their personal data goes, their signatures stay anonymised.",
            discussion: """
                \(Erase.consequences)

                Asks for confirmation on a terminal; elsewhere (a script, a pipe) it needs --yes. Exit status: 0 when \
                erased, 1 when there is no such employee or nothing was confirmed.
                """
        )

        /// What an erasure removes and what it keeps, for the help and the confirmation.
        static let consequences = """
            Removed: the HR id, email, name and manager (replaced by a pseudonym), the employee's posts, reports and \
            event RSVPs, and their name in the audit log; they are deactivated without gender, site or org unit, so \
            they leave every campaign's eligible headcount as a leaver does. Kept: their signatures, anonymised, \
            counted in the same country and week. Remove them from the HR system's file too, or the next import \
            brings them back as a new employee.
            """

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var organisation: OrganisationOption

        @Argument(help: ArgumentHelp("The employee's HR id (external_id), as in the workforce file.", valueName: "HR id"))
        var externalID: String

        @Flag(help: "Erase without asking for confirmation.")
        var yes = false

        func validate() throws {
            guard !externalID.isEmpty else { throw ValidationError("The HR id is empty: give the employee's external_id.") }
        }

        func run() async throws {
            let logger = MobiliseCommand.bootstrapLogging()
            guard try await confirmed() else {
                StandardError.print("error: not confirmed: nothing was erased (run it again with --yes to erase '\(externalID)' without a question)")
                throw ExitCode.failure
            }
            let pseudonym = try await database.withStore(logger: logger) { store in
                let target = try await store.organisation(slug: organisation.slug)
                guard let pseudonym = try await store.eraseEmployee(organisationID: target.id, externalID: externalID, actor: .operatorCLI) else {
                    throw MobiliseError(.notFound, code: .employeeNotFound, "no employee '\(externalID)' in \(organisation.slug)")
                }
                return pseudonym
            }
            print("erased employee '\(externalID)' of \(organisation.slug); the record is now \(pseudonym)")
            print(Self.consequences)
        }

        /// `--yes`, or a person at a terminal typing yes; false elsewhere.
        func confirmed() async throws -> Bool {
            if yes { return true }
            guard isatty(STDIN_FILENO) == 1 else { return false }
            StandardError.print(Self.consequences)
            StandardError.write("Erase '\(externalID)' of \(organisation.slug)? Type yes to confirm: ")
            // A read from the terminal blocks its thread: not one of Swift's cooperative threads.
            let answer = await withCheckedContinuation { (continuation: CheckedContinuation<String?, Never>) in
                DispatchQueue.global().async { continuation.resume(returning: readLine()) }
            }
            return answer?.trimmingCharacters(in: .whitespaces).lowercased() == "yes"
        }
    }
}
