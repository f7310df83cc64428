import Foundation

// The workforce file (the HR system's export): a CSV with a header row. This file holds its rules:
// the columns, what a value of each may be, and the sentence a person can act on when a value is
// wrong ("unknown gender 'M' (expected …)"); the rows, rejections and reports that come of it.
// `WorkforceCSV.row(…)` is the one place where a row's rules are written (the file import and SCIM
// use it).
//
// The file is read in layers, each in a file of its own:
// - `CSVParser.swift`: bytes to records (the tokenizer);
// - `WorkforceCSVReader.swift`: the header, then each record to a `WorkforceRow` or a
//   `WorkforceRejection` (with a check on bytes for plain-ASCII records, held to the same rules);
// - `WorkforceCopySink.swift`: good rows in PostgreSQL's COPY text format, for the store's import.
//
// Whether a country code exists is the store's business (the `countries` table); everything else
// is checked here.

// MARK: - Workforce rows

/// One employee as the workforce file describes them, checked and normalised.
public struct WorkforceRow: Sendable, Equatable {
    /// The line of the file the row starts on.
    public var line: Int
    public var externalID: String
    public var email: String?
    public var displayName: String?
    /// Upper-case ISO 3166-1 alpha-2 (that it exists is checked by the store).
    public var country: String
    public var site: String?
    public var orgUnit: String?
    public var gender: Gender
    public var managerExternalID: String?
    public var active: Bool
    /// A BCP 47 tag, normalised (``PersonLocale/language(_:)``); nil: the country's language.
    public var preferredLanguage: String?
    /// An IANA time zone, as the time zone database spells it; nil: the country's main one.
    public var timeZone: String?

    public init(
        line: Int, externalID: String, email: String? = nil, displayName: String? = nil, country: String,
        site: String? = nil, orgUnit: String? = nil, gender: Gender = .undisclosed, managerExternalID: String? = nil,
        active: Bool = true, preferredLanguage: String? = nil, timeZone: String? = nil
    ) {
        self.line = line
        self.externalID = externalID
        self.email = email
        self.displayName = displayName
        self.country = country
        self.site = site
        self.orgUnit = orgUnit
        self.gender = gender
        self.managerExternalID = managerExternalID
        self.active = active
        self.preferredLanguage = preferredLanguage
        self.timeZone = timeZone
    }
}

/// A line of the workforce file that was not loaded, and why.
public struct WorkforceRejection: Error, Sendable, Equatable, CustomStringConvertible {
    /// The 1-based line the record starts on.
    public var line: Int
    /// What is wrong, as a sentence for a person (without the line number).
    public var error: String

    public init(line: Int, error: String) {
        self.line = line
        self.error = error
    }

    /// `line 12: unknown gender 'M' (…)`.
    public var description: String { "line \(line): \(error)" }
}

/// How an import treats employees that are not in the file.
public enum ImportMode: String, Sendable, CaseIterable {
    /// Insert new employees, update changed ones; employees missing from the file are left alone.
    case upsert
    /// As upsert, and deactivate active employees missing from the file. Refused when any line of
    /// the file is rejected, or when the file has no rows, so that a broken export cannot
    /// deactivate part of the workforce.
    case fullSync = "full_sync"

    /// The mode of this name, the same for the API (`?mode=`) and the command line (`--mode`): its
    /// raw value, or `full-sync`, accepted as another spelling of `full_sync`.
    public init?(name: some StringProtocol) {
        switch name {
        case "upsert": self = .upsert
        case "full_sync", "full-sync": self = .fullSync
        default: return nil
        }
    }

    /// The sentence for a name that is not a mode.
    public static let expected = "mode is upsert or full_sync (full-sync is accepted too)"
}

/// What an import did.
public struct ImportReport: Sendable, Equatable {
    public var mode: ImportMode
    /// Data records read (the header excluded), loaded or rejected.
    public var rowsRead: Int
    /// New employees.
    public var inserted: Int
    /// Existing employees with at least one changed value.
    public var updated: Int
    /// Existing employees the file describes exactly as they are.
    public var unchanged: Int
    /// Active employees missing from the file, now inactive (full sync only).
    public var deactivated: Int
    /// Rejected lines in line order: all of them, or the first ``maxListedRejections``.
    public var rejected: [WorkforceRejection]
    /// How many lines were rejected in all (may exceed `rejected.count`).
    public var rejectedCount: Int
    /// A dry run: what the import would do; nothing was changed.
    public var dryRun = false
    /// Active employees before the import (full sync only, else 0): what ``deactivated`` is a share of.
    public var activeBefore = 0
    /// A full sync deactivating more than the guard's share of ``activeBefore``: a dry run's report
    /// says so, and the import itself is held until confirmed (``ImportOptions``).
    public var confirmationRequired = false

    /// At most this many rejections are listed in a report or an error.
    public static let maxListedRejections = 1000

    public init(
        mode: ImportMode, rowsRead: Int, inserted: Int, updated: Int, unchanged: Int, deactivated: Int,
        rejected: [WorkforceRejection], rejectedCount: Int
    ) {
        self.mode = mode
        self.rowsRead = rowsRead
        self.inserted = inserted
        self.updated = updated
        self.unchanged = unchanged
        self.deactivated = deactivated
        self.rejected = rejected
        self.rejectedCount = rejectedCount
    }
}

/// The columns of the workforce file, and what a value of each may be.
public enum WorkforceCSV {
    /// The column names, in their usual order.
    public static let columns = [
        "external_id", "email", "display_name", "country", "gender", "site", "org_unit", "manager_external_id", "active",
        "preferred_language", "time_zone",
    ]
    /// Columns every file must have.
    public static let requiredColumns: Set<String> = ["external_id", "country"]

    /// Longest value, in characters (Unicode scalars, as PostgreSQL's `length` counts), per column.
    public static let maxLength: [String: Int] = [
        "external_id": 200, "email": 320, "display_name": 200, "site": 200, "org_unit": 1000,
        "manager_external_id": 200, "preferred_language": PersonLocale.maxLanguageLength, "time_zone": PersonLocale.maxTimeZoneLength,
    ]

    /// Bounds on a whole file.
    public struct Limits: Sendable, Equatable {
        public var parser: CSVParser.Limits
        /// Most data rows in one file. Default 1,000,000.
        public var maxRows: Int

        public init(parser: CSVParser.Limits = CSVParser.Limits(), maxRows: Int = 1_000_000) {
            self.parser = parser
            self.maxRows = max(1, maxRows)
        }
    }

    /// A header row, checked: where each known column is.
    public struct Header: Sendable, Equatable {
        /// The position of each column present.
        public let positions: [String: Int]
        /// Fields every record must have.
        public let fieldCount: Int

        /// Checks a header row: names trimmed then matched exactly; every column known, none twice,
        /// the required ones present. Throws `invalid_header` otherwise.
        public init(_ names: [String]) throws {
            var positions: [String: Int] = [:]
            var unknown: [String] = []
            var repeated: [String] = []
            for (position, raw) in names.enumerated() {
                let name = raw.trimmingCharacters(in: .whitespacesAndNewlines)
                if name.isEmpty {
                    unknown.append("an unnamed column (position \(position + 1))")
                } else if !WorkforceCSV.columns.contains(name) {
                    unknown.append(WorkforceCSV.quoted(name))
                } else if positions[name] != nil {
                    if !repeated.contains(name) { repeated.append(name) }
                } else {
                    positions[name] = position
                }
            }
            let expected = "expected: " + WorkforceCSV.columns.joined(separator: ", ")
            if !unknown.isEmpty {
                let list = unknown.joined(separator: ", ")
                throw MobiliseError(.invalid, code: .invalidHeader,
                                    "the header names unknown column\(unknown.count == 1 ? "" : "s") \(list) (\(expected))")
            }
            if !repeated.isEmpty {
                let list = repeated.map { "'\($0)'" }.joined(separator: ", ")
                throw MobiliseError(.invalid, code: .invalidHeader, "the header names \(list) more than once")
            }
            let missing = WorkforceCSV.columns.filter { WorkforceCSV.requiredColumns.contains($0) && positions[$0] == nil }
            if !missing.isEmpty {
                let list = missing.map { "'\($0)'" }.joined(separator: " and ")
                throw MobiliseError(.invalid, code: .invalidHeader,
                                    "the header lacks the required column\(missing.count == 1 ? "" : "s") \(list) (\(expected))")
            }
            self.positions = positions
            self.fieldCount = names.count
        }

        /// The external id of a record, when it has one usable for duplicate detection.
        public func externalID(of fields: [String]) -> String? {
            guard fields.count == fieldCount, let position = positions["external_id"] else { return nil }
            let value = fields[position].trimmingCharacters(in: .whitespacesAndNewlines)
            guard !value.isEmpty, value.unicodeScalars.count <= WorkforceCSV.maxLength["external_id", default: 200] else { return nil }
            return value
        }

        /// Checks one record: a row, or a rejection naming every problem found.
        public func row(from fields: [String], line: Int) -> Result<WorkforceRow, WorkforceRejection> {
            guard fields.count == fieldCount else {
                return .failure(WorkforceRejection(
                    line: line, error: "expected \(fieldCount) field\(fieldCount == 1 ? "" : "s") as in the header, found \(fields.count)"))
            }
            return WorkforceCSV.row(line: line) { column in positions[column].map { fields[$0] } }
        }
    }

    /// Checks one employee described column by column, by a line of the file or by any other source
    /// (a SCIM client): a row, or a rejection naming every problem found. The one place where the
    /// workforce's rules are written.
    ///
    /// - Parameters:
    ///   - field: the raw text of a column (untrimmed), nil when the source has no such column.
    ///   - name: how messages name a column (a SCIM client knows `userName`, not `external_id`).
    public static func row(
        line: Int, name: (String) -> String = { $0 }, field: (String) -> String?
    ) -> Result<WorkforceRow, WorkforceRejection> {
        var problems: [String] = []
        func value(_ column: String) -> String? {
            guard let raw = field(column) else { return nil }
            let value = raw.trimmingCharacters(in: .whitespacesAndNewlines)
            if value.isEmpty { return nil }
            if value.utf8.contains(0) {
                problems.append("\(name(column)) contains a NUL character")
                return nil
            }
            if let limit = maxLength[column], value.unicodeScalars.count > limit {
                problems.append("\(name(column)) is \(value.unicodeScalars.count) characters long (the limit is \(limit))")
                return nil
            }
            return value
        }

        let externalID = value("external_id")
        if externalID == nil, !problems.contains(where: { $0.hasPrefix(name("external_id")) }) {
            problems.append("\(name("external_id")) is empty")
        }
        let email = value("email")
        if let email, !looksLikeEmail(email) {
            problems.append("\(name("email")) \(quoted(email)) does not look like an email address")
        }
        let displayName = value("display_name")
        var country = ""
        if let raw = value("country") {
            if raw.utf8.count == 2, raw.utf8.allSatisfy({ (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }) {
                country = raw.uppercased()
            } else if let code = CountryNames.alpha2(for: raw) {
                // HR systems export alpha-3 codes (FRA) or English names (France): only rows that
                // are not already alpha-2 come here, so the fast path is untouched.
                country = code
            } else {
                problems.append("\(name("country")) \(quoted(raw)) is not a country: give an ISO 3166-1 alpha-2 code (FR), "
                                + "an alpha-3 code (FRA) or the English name (France)")
            }
        } else if !problems.contains(where: { $0.hasPrefix(name("country")) }) {
            problems.append("\(name("country")) is empty (an ISO 3166-1 alpha-2 code is required, e.g. FR)")
        }
        var gender = Gender.undisclosed
        if let raw = value("gender") {
            if let known = Gender(rawValue: raw.lowercased()) {
                gender = known
            } else {
                problems.append("unknown \(name("gender")) \(quoted(raw)) (expected female, male, non_binary or undisclosed)")
            }
        }
        let site = value("site")
        let orgUnit = value("org_unit")
        let manager = value("manager_external_id")
        var active = true
        if let raw = value("active") {
            switch raw.lowercased() {
            case "true", "1", "yes": active = true
            case "false", "0", "no": active = false
            default: problems.append("\(name("active")) \(quoted(raw)) is not a yes/no value (expected true, false, 1, 0, yes or no)")
            }
        }
        var language: String?
        if let raw = value("preferred_language") {
            language = PersonLocale.language(raw)
            if language == nil {
                problems.append("\(name("preferred_language")) \(quoted(raw)) is not a language tag (BCP 47, e.g. fr, pt-BR or zh-Hans)")
            }
        }
        var timeZone: String?
        if let raw = value("time_zone") {
            timeZone = PersonLocale.timeZone(raw)
            if timeZone == nil {
                problems.append("\(name("time_zone")) \(quoted(raw)) is not a time zone of the IANA database (e.g. Europe/Paris or America/Chicago)")
            }
        }
        guard problems.isEmpty, let externalID else {
            return .failure(WorkforceRejection(line: line, error: problems.joined(separator: "; ")))
        }
        return .success(WorkforceRow(
            line: line, externalID: externalID, email: email, displayName: displayName, country: country, site: site,
            orgUnit: orgUnit, gender: gender, managerExternalID: manager, active: active, preferredLanguage: language,
            timeZone: timeZone))
    }

    /// A plausible email address: one `@` between a local part and a dotted domain, no spaces,
    /// no control characters, none of `<>(),;:"[]\`.
    public static func looksLikeEmail(_ text: String) -> Bool {
        let parts = text.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2 else { return false }
        let local = parts[0], domain = parts[1]
        guard !local.isEmpty, !domain.isEmpty, local.utf8.count <= 64 else { return false }
        for scalar in text.unicodeScalars where scalar != "@" {
            if scalar.properties.isWhitespace || scalar.value < 0x20 || scalar.value == 0x7F || forbiddenInEmail.contains(scalar) {
                return false
            }
        }
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        return labels.count >= 2 && labels.allSatisfy { !$0.isEmpty && !$0.hasPrefix("-") && !$0.hasSuffix("-") }
    }

    private static let forbiddenInEmail: Set<Unicode.Scalar> = ["<", ">", "(", ")", ",", ";", ":", "\"", "[", "]", "\\", "@"]

    /// A value for a message: single-quoted, shortened when long.
    static func quoted(_ value: String) -> String {
        let shown = value.count > 40 ? String(value.prefix(40)) + "…" : value
        return "'\(shown)'"
    }
}
