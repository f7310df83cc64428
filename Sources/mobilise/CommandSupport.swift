import ArgumentParser
import Foundation
import Logging
import MobiliseDomain
import MobiliseSchema
import MobiliseStore

/// `--org SLUG`: the organisation a command acts in.
struct OrganisationOption: ParsableArguments {
    @Option(name: .customLong("org"), help: ArgumentHelp("The organisation's slug (see `mobilise org create`).", valueName: "slug"))
    var slug: String
}

extension DatabaseOptions {
    /// Runs `body` with the campaign library on the configured database, after applying the
    /// migrations it lacks (as `serve` does: a fresh database works at once; an up-to-date one is
    /// only read). The library's refusals become a sentence on standard error and exit status 1.
    func withStore<T: Sendable>(logger: Logger, _ body: (MobiliseStore) async throws -> T) async throws -> T {
        try await CommandFailure.reporting {
            try await withPool(logger: logger) { pool in
                let migrator = try MobiliseSchema.migrator(logger: logger)
                let schema = try await migrator.schemaState(pool)
                // A database a newer version migrated: migrate() refuses it, with the reason, as serve does.
                if schema.pending > 0 || !schema.unknown.isEmpty {
                    let report = try await migrator.migrate(pool)
                    if !report.applied.isEmpty {
                        StandardError.print("applied \(report.applied.count) pending schema migrations to the database first")
                    }
                }
                return try await body(MobiliseStore(pool: pool, logger: logger))
            }
        }
    }
}

/// Turns the errors a person can act on into messages instead of stack-like dumps.
enum CommandFailure {
    static func reporting<T>(_ body: () async throws -> T) async throws -> T {
        do {
            return try await body()
        } catch let error as MobiliseError {
            StandardError.print("error: \(error.message) [\(error.code)]")
            throw ExitCode.failure
        }
    }
}

/// Writes to standard error (progress, diagnostics): standard output stays for results.
enum StandardError {
    static func print(_ line: String) { write(line + "\n") }

    static func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    /// Whether standard error is a terminal (so a progress bar can redraw itself).
    static var isTerminal: Bool { isatty(STDERR_FILENO) == 1 }
}

/// Whether standard output is a terminal.
var standardOutputIsTerminal: Bool { isatty(STDOUT_FILENO) == 1 }

/// Instants on the command line: read with ``Instants`` (the API's rule), written as RFC 3339.
enum ISO8601 {
    /// `text` as an instant, or the sentence the API would answer, for `option`.
    static func parse(_ text: String, option: String) throws -> Date {
        guard let date = Instants.parse(text.trimmingCharacters(in: .whitespaces)) else {
            throw ValidationError(Instants.notAnInstant(text, name: option) + ".")
        }
        return date
    }

    static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}

/// Integers with thousands separators (`23,104`), the same on every machine.
func grouped(_ value: Int) -> String {
    let digits = String(value.magnitude)
    var result = ""
    for (index, character) in digits.enumerated() {
        if index > 0, (digits.count - index) % 3 == 0 { result.append(",") }
        result.append(character)
    }
    return value < 0 ? "-" + result : result
}

/// Left- or right-aligned columns for terminal tables.
func padded(_ text: String, _ width: Int, right: Bool = false) -> String {
    let gap = String(repeating: " ", count: max(0, width - text.count))
    return right ? gap + text : text + gap
}
