import Foundation
import MobiliseDomain
import Postgres

// The workforce: importing the HR system's file, and looking employees up.
//
// An import runs in two phases.
// 1. Reading, on the caller's task: the file's chunks go through `WorkforceCSVReader`, and each
//    good row is appended to a buffer already in COPY's text format (about the size of the good
//    part of the file; the file itself is never held whole, nor as a String).
// 2. Loading, in one transaction on a pooled connection's own thread: the buffer is COPY'd into a
//    temporary staging table, rows whose country is unknown are rejected (and removed from the
//    staging table), then one INSERT … ON CONFLICT merges the rest into `employees`, touching only
//    rows where something changed; a full sync deactivates the leavers; the audit log records it
//    all. Any failure rolls the whole import back.

extension MobiliseStore {
    /// Imports the workforce file (CSV with a header row, see ``WorkforceCSV``) into an organisation.
    ///
    /// ```swift
    /// let report = try await store.importEmployees(
    ///     organisationID: organisation.id, csv: chunks, mode: .fullSync, actor: .operatorCLI,
    ///     progress: { rows in bar.update(rows) })
    /// print("\(report.inserted) new, \(report.updated) changed, \(report.rejectedCount) rejected")
    /// ```
    ///
    /// - Parameters:
    ///   - csv: the file's bytes, in chunks of any size, as they arrive (a file read piece by piece,
    ///     an HTTP body).
    ///   - mode: `.upsert` loads the good lines and reports the rejected ones. `.fullSync` also
    ///     deactivates active employees missing from the file (`active = false`, `left_on` = today in
    ///     the organisation's time zone), and is refused with `full_sync_refused`, changing nothing,
    ///     when any line is rejected or the file has no rows.
    ///   - progress: called with the number of rows read so far, after each chunk.
    /// - Throws: `invalid_header` when the header is wrong, `too_many_rows`, `full_sync_refused`,
    ///   `organisation_not_found`; nothing is changed when it throws.
    public func importEmployees<Chunks: AsyncSequence>(
        organisationID: UUID, csv: Chunks, mode: ImportMode, actor: Actor,
        progress: (@Sendable (Int) -> Void)? = nil
    ) async throws -> ImportReport where Chunks.Element: Sequence<UInt8> {
        var reader = WorkforceCSVReader()
        var staging = StagingBuffer()
        for try await chunk in csv {
            try Task.checkCancellation()
            try reader.feed(chunk) { staging.take($0) }
            progress?(reader.recordsRead)
            await Task.yield()
        }
        try reader.finish { staging.take($0) }
        progress?(reader.recordsRead)
        let present = Set(reader.header?.positions.keys.map { $0 } ?? [])
        return try await load(
            organisationID: organisationID, staging: staging, columns: present, rowsRead: reader.recordsRead, mode: mode,
            actor: actor)
    }

    /// Imports a workforce file held in memory (a small upload, a test); see
    /// ``importEmployees(organisationID:csv:mode:actor:progress:)``.
    public func importEmployees(
        organisationID: UUID, csv bytes: [UInt8], mode: ImportMode, actor: Actor,
        progress: (@Sendable (Int) -> Void)? = nil
    ) async throws -> ImportReport {
        try await importEmployees(
            organisationID: organisationID, csv: ChunkedBytes(bytes: bytes), mode: mode, actor: actor, progress: progress)
    }

    /// The employee with this HR id, active or not.
    public func employee(organisationID: UUID, externalID: String) async throws -> Employee? {
        try await pool.withConnection { connection in
            try connection.query("""
                SELECT \(unsafeSQL: Self.employeeColumns) FROM employees
                WHERE organisation_id = \(organisationID) AND external_id = \(externalID)
                """).rows.first.map(Self.employee(from:))
        }
    }

    /// Employees ordered by external id, `limit` (1 to 1000) after the `after` cursor (the last
    /// external id of the previous page), optionally of one country only.
    public func employees(
        organisationID: UUID, country: String? = nil, after cursor: String? = nil, limit: Int = 100
    ) async throws -> [Employee] {
        let limit = min(max(limit, 1), 1000)
        let country = country?.uppercased()
        return try await pool.withConnection { connection in
            try connection.query("""
                SELECT \(unsafeSQL: Self.employeeColumns) FROM employees
                WHERE organisation_id = \(organisationID)
                  AND (\(country)::text IS NULL OR country = \(country))
                  AND (\(cursor)::text IS NULL OR external_id > \(cursor))
                ORDER BY external_id LIMIT \(limit)
                """).rows.map(Self.employee(from:))
        }
    }

    // MARK: - Loading

    /// The temporary table an import loads into: the file's good rows, with their lines.
    private static let stagingColumns =
        "line, external_id, email, display_name, country, site, org_unit, gender, manager_external_id, active"

    /// Loads the staged rows in one transaction, and reports.
    private func load(
        organisationID: UUID, staging: StagingBuffer, columns: Set<String>, rowsRead: Int, mode: ImportMode, actor: Actor
    ) async throws -> ImportReport {
        if mode == .fullSync {
            if staging.rejectedCount > 0 { throw Self.fullSyncRefused(staging.rejected, count: staging.rejectedCount) }
            if rowsRead == 0 {
                throw MobiliseError(.unprocessable, code: "full_sync_refused",
                                    "full sync refused: the file has no rows, and syncing it would deactivate every employee")
            }
        }
        let copyData = staging.copyData
        let fileRejections = staging.rejected
        let fileRejectedCount = staging.rejectedCount
        let staged = staging.rows
        // Existing employees get the values of the file's columns only: a file without, say, an
        // email column leaves emails alone. (New employees get the columns' defaults.)
        let updatable = Self.updatableColumns.filter(columns.contains)
        let assignments = updatable.map { "\($0) = EXCLUDED.\($0)" }.joined(separator: ", ")
        let current = updatable.map { "e.\($0)" }.joined(separator: ", ")
        let incoming = updatable.map { "EXCLUDED.\($0)" }.joined(separator: ", ")
        let updatesActive = columns.contains("active")
        let outcome = try await pool.withTransaction { connection -> LoadOutcome in
            // Serialises imports of one organisation (NO KEY UPDATE does not block inserts that
            // reference the organisation), and gives "today" in its time zone.
            let found = try connection.query("""
                SELECT (now() AT TIME ZONE time_zone)::date::text FROM organisations
                WHERE id = \(organisationID) FOR NO KEY UPDATE
                """).scalar(String.self)
            guard let today = found else {
                throw MobiliseError(.notFound, code: "organisation_not_found", "no organisation with id \(organisationID)")
            }

            try connection.execute("""
                CREATE TEMP TABLE workforce_staging (
                    line integer NOT NULL, external_id text NOT NULL, email text, display_name text,
                    country text NOT NULL, site text, org_unit text, gender text NOT NULL,
                    manager_external_id text, active boolean NOT NULL
                ) ON COMMIT DROP
                """)
            try connection.copyFrom("COPY workforce_staging (\(unsafeSQL: Self.stagingColumns)) FROM STDIN") { writer in
                var start = 0
                while start < copyData.count {
                    let end = min(start + 64 * 1024, copyData.count)
                    try writer.write(copyData[start..<end])
                    start = end
                }
            }

            // Unknown countries are rejected line by line, not left to fail the whole merge on the
            // foreign key.
            let unknown = try connection.query("""
                DELETE FROM workforce_staging s
                WHERE NOT EXISTS (SELECT 1 FROM countries c WHERE c.alpha2 = s.country)
                RETURNING s.line, s.country
                """).rows.map { row in
                let (line, country) = try row.decode((Int, String).self)
                return WorkforceRejection(line: line, error: "unknown country code '\(country)' (not an ISO 3166-1 alpha-2 code)")
            }
            var rejected = fileRejections + unknown
            rejected.sort { $0.line < $1.line }
            let rejectedCount = fileRejectedCount + unknown.count
            if mode == .fullSync, rejectedCount > 0 { throw Self.fullSyncRefused(rejected, count: rejectedCount) }

            try connection.execute("CREATE UNIQUE INDEX ON workforce_staging (external_id)")
            try connection.execute("ANALYZE workforce_staging")

            // Only rows where something changed are written; xmax = 0 marks a row this statement
            // inserted (an updated row carries the updating transaction's id).
            let merged = try connection.query("""
                WITH merged AS (
                    INSERT INTO employees AS e (organisation_id, external_id, email, display_name, country, site,
                                                org_unit, gender, manager_external_id, active)
                    SELECT \(organisationID), external_id, email, display_name, country, site,
                           org_unit, gender, manager_external_id, active
                    FROM workforce_staging
                    ON CONFLICT (organisation_id, external_id) DO UPDATE SET
                        \(unsafeSQL: assignments),
                        -- Leaving (per the file) starts today; coming back clears the date.
                        left_on = CASE WHEN NOT \(updatesActive) THEN e.left_on
                                       WHEN EXCLUDED.active THEN NULL
                                       WHEN e.active THEN \(today)::date
                                       ELSE e.left_on END,
                        updated_at = now()
                    WHERE ROW(\(unsafeSQL: current)) IS DISTINCT FROM ROW(\(unsafeSQL: incoming))
                    RETURNING (xmax = 0) AS inserted
                )
                SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM merged
                """)[0]
            let (inserted, updated) = try merged.decode((Int, Int).self)

            var deactivated = 0
            if mode == .fullSync {
                deactivated = try connection.execute("""
                    UPDATE employees e SET active = false, left_on = \(today)::date, updated_at = now()
                    WHERE e.organisation_id = \(organisationID) AND e.active
                      AND NOT EXISTS (SELECT 1 FROM workforce_staging s WHERE s.external_id = e.external_id)
                    """)
            }

            let unchanged = staged - unknown.count - inserted - updated
            try Self.audit(
                connection, organisationID: organisationID, actor: actor, action: "employees.import", subject: nil,
                details: [
                    "mode": mode.rawValue, "rows": String(rowsRead), "inserted": String(inserted),
                    "updated": String(updated), "unchanged": String(unchanged), "deactivated": String(deactivated),
                    "rejected": String(rejectedCount),
                ])
            return LoadOutcome(
                inserted: inserted, updated: updated, unchanged: unchanged, deactivated: deactivated,
                rejected: Array(rejected.prefix(ImportReport.maxListedRejections)), rejectedCount: rejectedCount)
        }
        logger.info("imported the workforce file", metadata: [
            "organisation.id": "\(organisationID)", "import.mode": "\(mode.rawValue)", "import.rows": "\(rowsRead)",
            "import.inserted": "\(outcome.inserted)", "import.updated": "\(outcome.updated)",
            "import.deactivated": "\(outcome.deactivated)", "import.rejected": "\(outcome.rejectedCount)",
        ])
        return ImportReport(
            mode: mode, rowsRead: rowsRead, inserted: outcome.inserted, updated: outcome.updated,
            unchanged: outcome.unchanged, deactivated: outcome.deactivated, rejected: outcome.rejected,
            rejectedCount: outcome.rejectedCount)
    }

    private struct LoadOutcome: Sendable {
        var inserted, updated, unchanged, deactivated: Int
        var rejected: [WorkforceRejection]
        var rejectedCount: Int
    }

    /// The refusal of a full sync over a file with rejected lines, listing the first few.
    private static func fullSyncRefused(_ rejected: [WorkforceRejection], count: Int) -> MobiliseError {
        let shown = 10
        var lines = rejected.prefix(shown).map(\.description).joined(separator: "; ")
        if count > shown { lines += "; and \(count - shown) more" }
        return MobiliseError(
            .unprocessable, code: "full_sync_refused",
            "full sync refused: \(count) line\(count == 1 ? " was" : "s were") rejected, and a full sync only deactivates "
                + "employees from a complete file (fix the file, or import it in upsert mode): \(lines)")
    }

    // MARK: - Employees

    /// The columns an import may change on an existing employee (country is always in the file).
    private static let updatableColumns =
        ["email", "display_name", "country", "site", "org_unit", "gender", "manager_external_id", "active"]

    static let employeeColumns =
        "id, organisation_id, external_id, email, display_name, country, site, org_unit, gender, manager_external_id, active"

    static func employee(from row: PostgresRow) throws -> Employee {
        let genderCell = try row.cell("gender")
        guard let gender = Gender(rawValue: try String(postgresCell: genderCell)) else {
            throw genderCell.malformed(as: Gender.self)
        }
        return Employee(
            id: try row.decode(UUID.self, column: "id"),
            organisationID: try row.decode(UUID.self, column: "organisation_id"),
            externalID: try row.decode(String.self, column: "external_id"),
            email: try row.decode(String?.self, column: "email"),
            displayName: try row.decode(String?.self, column: "display_name"),
            country: try row.decode(String.self, column: "country"),
            site: try row.decode(String?.self, column: "site"),
            orgUnit: try row.decode(String?.self, column: "org_unit"),
            gender: gender,
            managerExternalID: try row.decode(String?.self, column: "manager_external_id"),
            active: try row.decode(Bool.self, column: "active"))
    }
}

/// The good rows of a file in COPY's text format (with their lines), and the rejected lines.
private struct StagingBuffer {
    var copyData: [UInt8] = []
    var rows = 0
    var rejected: [WorkforceRejection] = []
    var rejectedCount = 0

    mutating func take(_ item: WorkforceCSVItem) {
        switch item {
        case .row(let row):
            rows += 1
            append([
                String(row.line), row.externalID, row.email, row.displayName, row.country, row.site, row.orgUnit,
                row.gender.rawValue, row.managerExternalID, row.active ? "t" : "f",
            ])
        case .rejected(let rejection):
            rejectedCount += 1
            if rejected.count < ImportReport.maxListedRejections { rejected.append(rejection) }
        }
    }

    /// One row: tab-separated, `\N` for NULL, backslash, tab, newline and carriage return escaped.
    private mutating func append(_ fields: [String?]) {
        for (index, field) in fields.enumerated() {
            if index > 0 { copyData.append(UInt8(ascii: "\t")) }
            guard let field else {
                copyData += [UInt8(ascii: "\\"), UInt8(ascii: "N")]
                continue
            }
            for byte in field.utf8 {
                switch byte {
                case UInt8(ascii: "\\"): copyData += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
                case UInt8(ascii: "\t"): copyData += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
                case UInt8(ascii: "\n"): copyData += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
                case UInt8(ascii: "\r"): copyData += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
                default: copyData.append(byte)
                }
            }
        }
        copyData.append(UInt8(ascii: "\n"))
    }
}

/// Bytes in memory, handed out in 64 KiB chunks.
private struct ChunkedBytes: AsyncSequence, Sendable {
    let bytes: [UInt8]

    struct AsyncIterator: AsyncIteratorProtocol {
        let bytes: [UInt8]
        var offset = 0

        mutating func next() async -> ArraySlice<UInt8>? {
            guard offset < bytes.count else { return nil }
            let end = Swift.min(offset + 64 * 1024, bytes.count)
            defer { offset = end }
            return bytes[offset..<end]
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(bytes: bytes) }
}
