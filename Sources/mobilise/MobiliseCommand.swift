import ArgumentParser
import Foundation
import Logging
import MobiliseAPI

/// `mobilise`: the service's command line.
@main
struct MobiliseCommand: AsyncParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "mobilise",
        abstract: "Internal solidarity campaigns: pledges, stories, events and per-country rankings.",
        version: version,
        subcommands: [
            ServeCommand.self, DatabaseCommand.self, MigrateCommand.self, OrganisationCommand.self, ImportCommand.self, EmployeeCommand.self,
            CampaignCommand.self, RankingsCommand.self, TokenCommand.self, SignInLinkCommand.self, SCIMTokenCommand.self, MediaCommand.self,
            DemoCommand.self,
        ]
    )

    /// Sends logs to standard error (written by a thread of their own: ``BufferedLogOutput``), at the level MOBILISE_LOG_LEVEL names, else `standard`: warning
    /// for the commands, whose output says what they did (an info line of the library would land in
    /// the middle of it on a terminal), info for `serve`.
    static func bootstrapLogging(standard: Logger.Level = .warning) -> Logger {
        let level = Environment.value("MOBILISE_LOG_LEVEL").flatMap(Logger.Level.init(rawValue:)) ?? standard
        LoggingSystem.bootstrap { label in
            var handler = BufferedLogHandler(label: label, output: .standardError)
            handler.logLevel = level
            return handler
        }
        // The lines still in memory are written before the process ends (after a SIGTERM's graceful
        // stop too): `exit` runs this on the main thread, off the cooperative pool.
        atexit { BufferedLogOutput.standardError.flush() }
        return Logger(label: "mobilise")
    }
}
