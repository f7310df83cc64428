import ArgumentParser
import Foundation
import Logging
import MobiliseDomain
import MobiliseStore
import Postgres

/// `--org SLUG`: the organisation a command acts in.
struct OrganisationOption: ParsableArguments {
    @Option(name: .customLong("org"), help: ArgumentHelp("The organisation's slug (see `mobilise org create`).", valueName: "slug"))
    var slug: String
}

extension DatabaseOptions {
    /// Runs `body` with the campaign library on the configured database. The library's refusals
    /// become a sentence on standard error and exit status 1.
    func withStore<T: Sendable>(logger: Logger, _ body: (MobiliseStore) async throws -> T) async throws -> T {
        try await CommandFailure.reporting {
            try await withPool(logger: logger) { pool in
                try await body(MobiliseStore(pool: pool, logger: logger))
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
        } catch let error as PostgresError where error.code == .undefinedTable {
            StandardError.print("error: the database has no Mobilise schema yet: run `mobilise migrate` with the same database options first")
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

/// ISO 8601 instants on the command line.
enum ISO8601 {
    /// `2015-06-01`, `2015-06-01T09:00:00Z`, `2015-06-01T09:00:00+02:00`, with or without fractional
    /// seconds. A date alone is midnight UTC.
    static func parse(_ text: String) -> Date? {
        let text = text.trimmingCharacters(in: .whitespaces)
        guard Instants.hasFourDigitYear(text) else { return nil }
        let formatter = ISO8601DateFormatter()
        let variants: [ISO8601DateFormatter.Options] = [
            [.withInternetDateTime, .withFractionalSeconds], [.withInternetDateTime], [.withFullDate],
        ]
        for options in variants {
            formatter.formatOptions = options
            if let date = formatter.date(from: text) { return Instants.isSupported(date) ? date : nil }
        }
        return nil
    }

    static func format(_ date: Date) -> String {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }

    /// The sentence for a value that is not an ISO 8601 instant.
    static func invalid(_ option: String, _ value: String) -> ValidationError {
        ValidationError("\(option) '\(value)' is not an ISO 8601 date or time of years 1 to 9999: write it like 2015-06-01 or 2015-06-01T09:00:00Z.")
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
