import Foundation
import MobiliseDomain
import Postgres

// The workforce: importing the HR system's file, and looking employees up.
//
// An import runs in two phases.
// 1. Reading, on the caller's task: the file's chunks go through `WorkforceCSVReader`, which checks
//    each record on its bytes (no String per field for plain-ASCII records) and writes each good
//    row straight into a buffer in COPY's text format (about the size of the good part of the file;
//    the file itself is never held whole). Unknown country codes are rejected here too, against the
//    `countries` table read once before the file.
// 2. Loading, in one transaction on a pooled connection's own thread: the buffer is COPY'd into a
//    temporary staging table, then one statement joins it with the organisation's employees and
//    writes only what differs: new employees are inserted, changed ones updated, unchanged ones
//    not touched at all (no new row version, no index entry, no WAL); a full sync deactivates the
//    leavers; the audit log records it all (`recordWorkforceChange`, the one place where "the
//    workforce changed" is known). Any failure rolls the whole import back.

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
    ///   - options: a dry run (the report of what the import would do, nothing changed), and the
    ///     full-sync guard: a full sync deactivating more than its share of the active workforce
    ///     is refused with `full_sync_unconfirmed` unless that many were confirmed (the API and the
    ///     command use 10% unless configured; ``ImportOptions``' own default is no guard).
    ///   - progress: called with the number of rows read so far, after each chunk.
    ///   - merging: called once the whole file is read, before its rows are written.
    /// - Throws: `invalid_header` when the header is wrong, `too_many_rows`, `full_sync_refused`,
    ///   `full_sync_unconfirmed`, `organisation_not_found`; nothing is changed when it throws.
    public func importEmployees<Chunks: AsyncSequence>(
        organisationID: UUID, csv: Chunks, mode: ImportMode, actor: Actor, options: ImportOptions = ImportOptions(),
        progress: (@Sendable (Int) -> Void)? = nil, merging: (@Sendable () -> Void)? = nil
    ) async throws -> ImportReport where Chunks.Element: Sequence<UInt8> {
        // Read before the file, so that unknown codes are rejected line by line as the file is read
        // (the foreign key on employees.country stays the guarantee).
        var reader = WorkforceCSVReader(knownCountries: Set(try await countryCodes()))
        var staging = WorkforceStaging()
        for try await chunk in csv {
            try Task.checkCancellation()
            try reader.feed(chunk, into: &staging)
            progress?(reader.recordsRead)
            await Task.yield()
        }
        try reader.finish(into: &staging)
        progress?(reader.recordsRead)
        merging?()
        let present = Set(reader.header?.positions.keys.map { $0 } ?? [])
        return try await load(
            organisationID: organisationID, staging: staging, columns: present, rowsRead: reader.recordsRead, mode: mode,
            actor: actor, options: options)
    }

    /// Imports a workforce file held in memory (a small upload, a test); see
    /// ``importEmployees(organisationID:csv:mode:actor:progress:)``.
    public func importEmployees(
        organisationID: UUID, csv bytes: [UInt8], mode: ImportMode, actor: Actor, options: ImportOptions = ImportOptions(),
        progress: (@Sendable (Int) -> Void)? = nil
    ) async throws -> ImportReport {
        try await importEmployees(
            organisationID: organisationID, csv: ChunkedBytes(bytes: bytes), mode: mode, actor: actor, options: options,
            progress: progress)
    }

    /// Every code an employee's country may be (ISO 3166-1 alpha-2), in order.
    public func countryCodes() async throws -> [String] {
        try await pool.withConnection { connection in
            try connection.query("SELECT alpha2 FROM countries ORDER BY alpha2").column(String.self)
        }
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
    /// external id of the previous page), optionally of one country only. Erased employees (their
    /// pseudonyms) are not listed: they are nobody an HR admin can look for.
    ///
    /// HR ids are ordered and compared byte by byte (`COLLATE "C"`, the order of the cluster's
    /// C.UTF-8 too), so that every question is a range of an index of migration 0019: a page stays
    /// a few index entries at 1,000,000 employees (bench/employee_search).
    ///
    /// - Parameter search: only employees whose HR id or name starts with it (the name ignoring case).
    public func employees(
        organisationID: UUID, country: String? = nil, search: String? = nil, after cursor: String? = nil, limit: Int = 100
    ) async throws -> [Employee] {
        let limit = min(max(limit, 1), 1000)
        let country = country?.uppercased()
        // A LIKE prefix with its wildcards escaped: the person's text is matched literally.
        let prefix = search.map { text in
            text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%")
                .replacingOccurrences(of: "_", with: "\\_") + "%"
        }
        return try await pool.withConnection { connection in
            guard let prefix else {
                return try connection.query("""
                    SELECT \(unsafeSQL: Self.employeeColumns) FROM employees
                    WHERE organisation_id = \(organisationID) AND erased_at IS NULL
                      AND (\(country)::text IS NULL OR country = \(country))
                      AND (\(cursor)::text IS NULL OR external_id COLLATE "C" > \(cursor))
                    ORDER BY external_id COLLATE "C" LIMIT \(limit)
                    """).rows.map(Self.employee(from:))
            }
            // By HR id: a range of the id index, already in page order.
            var found = try connection.query("""
                SELECT \(unsafeSQL: Self.employeeColumns) FROM employees
                WHERE organisation_id = \(organisationID) AND erased_at IS NULL
                  AND (\(country)::text IS NULL OR country = \(country))
                  AND (\(cursor)::text IS NULL OR external_id COLLATE "C" > \(cursor))
                  AND external_id COLLATE "C" LIKE \(prefix)
                ORDER BY external_id COLLATE "C" LIMIT \(limit)
                """).rows.map(Self.employee(from:))
            // By name, two ways, as the name is common or rare (an OR of the two questions, or one
            // query left to the planner, read the table in id order and filtered every row: its
            // estimate of a LIKE on an expression is a constant 0.5%). First the next
            // `nameWindow` employees in id order, filtered (an index-only scan: the id index
            // includes the name and country): a common name fills its page there.
            let window = try connection.query("""
                WITH next AS MATERIALIZED (
                    SELECT external_id, display_name FROM employees
                    WHERE organisation_id = \(organisationID) AND erased_at IS NULL
                      AND (\(country)::text IS NULL OR country = \(country))
                      AND (\(cursor)::text IS NULL OR external_id COLLATE "C" > \(cursor))
                    ORDER BY external_id COLLATE "C" LIMIT \(Self.nameWindow)),
                hits AS (
                    SELECT external_id FROM next WHERE display_name IS NOT NULL AND lower(display_name) LIKE lower(\(prefix))
                    ORDER BY external_id COLLATE "C" LIMIT \(limit))
                SELECT \(unsafeSQL: Self.employeeColumns), (SELECT count(*) FROM next) AS seen FROM employees
                WHERE organisation_id = \(organisationID) AND erased_at IS NULL AND external_id IN (SELECT external_id FROM hits)
                """).rows
            let seen = try window.first.map { try $0.decode(Int.self, column: "seen") }
            found += try window.map(Self.employee(from:))
            // Fewer than a page there while the window was full (or nothing there at all): the
            // name is rare, so its matches in the name index (an index-only scan too) are few
            // enough to sort by id, and the page's rows are read by id.
            if window.count < limit && (seen ?? Self.nameWindow) >= Self.nameWindow {
                found += try connection.query("""
                    WITH matches AS MATERIALIZED (
                        SELECT external_id FROM employees
                        WHERE organisation_id = \(organisationID) AND erased_at IS NULL AND display_name IS NOT NULL
                          AND lower(display_name) LIKE lower(\(prefix))
                          AND (\(country)::text IS NULL OR country = \(country))
                          AND (\(cursor)::text IS NULL OR external_id COLLATE "C" > \(cursor)))
                    SELECT \(unsafeSQL: Self.employeeColumns) FROM employees
                    WHERE organisation_id = \(organisationID) AND erased_at IS NULL
                      AND external_id IN (SELECT external_id FROM matches ORDER BY external_id COLLATE "C" LIMIT \(limit))
                    """).rows.map(Self.employee(from:))
            }
            // The page: both questions' rows, each employee once, in byte order of HR ids.
            var ids = Set<UUID>()
            return Array(found.filter { ids.insert($0.id).inserted }
                .sorted { $0.externalID.utf8.lexicographicallyPrecedes($1.externalID.utf8) }.prefix(limit))
        }
    }

    /// How many employees, in id order past the cursor, a name search reads before it takes the
    /// name index instead (``employees(organisationID:country:search:after:limit:)``).
    static let nameWindow = 5000

    /// The organisation's employees per country: active and inactive, by country code.
    public func workforceByCountry(organisationID: UUID) async throws -> [(country: String, active: Int, inactive: Int)] {
        try await pool.withConnection { connection in
            try connection.query("""
                SELECT country, count(*) FILTER (WHERE active), count(*) FILTER (WHERE NOT active)
                FROM employees WHERE organisation_id = \(organisationID)
                GROUP BY country ORDER BY count(*) FILTER (WHERE active) DESC, country
                """).rows.map { row in
                let (country, active, inactive) = try row.decode((String, Int, Int).self)
                return (country: country, active: active, inactive: inactive)
            }
        }
    }

    // MARK: - Loading

    /// The temporary table an import loads into: the file's good rows, with their lines.
    private static let stagingColumns = WorkforceStaging.columns.joined(separator: ", ")

    /// Loads the staged rows in one transaction, and reports. A dry run does it all and rolls back.
    private func load(
        organisationID: UUID, staging: WorkforceStaging, columns: Set<String>, rowsRead: Int, mode: ImportMode, actor: Actor,
        options: ImportOptions
    ) async throws -> ImportReport {
        let rejected = staging.rejected
        let rejectedCount = staging.rejectedCount
        if mode == .fullSync {
            if rejectedCount > 0 { throw Self.fullSyncRefused(rejected, count: rejectedCount) }
            if rowsRead == 0 {
                throw MobiliseError(.unprocessable, code: .fullSyncRefused,
                                    "full sync refused: the file has no rows, and syncing it would deactivate every employee")
            }
        }
        let copyData = staging.copyData
        let staged = staging.rows
        let merge = Self.mergeStatement(organisationID: organisationID, columns: columns)
        let loaded: LoadOutcome
        do {
            loaded = try await pool.withTransaction { connection -> LoadOutcome in
                let today = try Self.lockWorkforce(connection, organisationID: organisationID)
                // What the full-sync guard's share is of: the active workforce before the file.
                var activeBefore = 0
                if mode == .fullSync {
                    activeBefore = try connection.query("""
                        SELECT count(*) FROM employees WHERE organisation_id = \(organisationID) AND active
                        """).scalar(Int.self) ?? 0
                }

                // Room for the merge's hash join of a big file in memory (200,000 rows spill to disk
                // at the default 4 MB); for this transaction only.
                try connection.execute("SET LOCAL work_mem = '64MB'")
                // Temporary: no WAL, dropped at commit. No index and no ANALYZE: the reader already
                // rejected repeated ids, and the merge reads the table once.
                try connection.execute("""
                    CREATE TEMP TABLE workforce_staging (
                        line integer NOT NULL, external_id text NOT NULL, email text, display_name text,
                        country text NOT NULL, site text, org_unit text, gender text NOT NULL,
                        manager_external_id text, active boolean NOT NULL, preferred_language text, time_zone text
                    ) ON COMMIT DROP
                    """)
                try connection.copyFrom("COPY workforce_staging (\(unsafeSQL: Self.stagingColumns)) FROM STDIN") { writer in
                    var start = 0
                    while start < copyData.count {
                        let end = min(start + Self.copySlice, copyData.count)
                        try writer.write(copyData[start..<end])
                        start = end
                    }
                }

                let (inserted, updated) = try connection.query(merge.query(today: today))[0].decode((Int, Int).self)

                var deactivated = 0
                if mode == .fullSync {
                    deactivated = try connection.execute("""
                        UPDATE employees e SET active = false, left_on = \(today)::date, updated_at = now()
                        WHERE e.organisation_id = \(organisationID) AND e.active
                          AND NOT EXISTS (SELECT 1 FROM workforce_staging s WHERE s.external_id = e.external_id)
                        """)
                }

                let held = mode == .fullSync && options.holds(deactivated: deactivated, active: activeBefore)
                if held && !options.dryRun { throw options.refusal(deactivated: deactivated, active: activeBefore) }
                let outcome = LoadOutcome(
                    inserted: inserted, updated: updated, unchanged: staged - inserted - updated, deactivated: deactivated,
                    rejected: rejected, rejectedCount: rejectedCount, activeBefore: activeBefore, held: held)
                // A dry run leaves by an error, so that the transaction rolls everything back.
                if options.dryRun { throw DryRunFinished(outcome: outcome) }
                try Self.recordWorkforceChange(
                    connection, organisationID: organisationID, actor: actor,
                    .file(mode: mode, rowsRead: rowsRead, outcome: outcome))
                return outcome
            }
        } catch let finished as DryRunFinished {
            loaded = finished.outcome
        }
        let outcome = loaded
        var report = ImportReport(
            mode: mode, rowsRead: rowsRead, inserted: outcome.inserted, updated: outcome.updated,
            unchanged: outcome.unchanged, deactivated: outcome.deactivated, rejected: outcome.rejected,
            rejectedCount: outcome.rejectedCount)
        report.dryRun = options.dryRun
        report.activeBefore = outcome.activeBefore
        report.confirmationRequired = outcome.held
        if options.dryRun { return report }
        logger.info("imported the workforce file", metadata: [
            "organisation.id": "\(organisationID)", "import.mode": "\(mode.rawValue)", "import.rows": "\(rowsRead)",
            "import.inserted": "\(outcome.inserted)", "import.updated": "\(outcome.updated)",
            "import.deactivated": "\(outcome.deactivated)", "import.rejected": "\(outcome.rejectedCount)",
        ])
        return report
    }

    /// How a dry run leaves its transaction (rolled back) with what it would have done.
    private struct DryRunFinished: Error {
        let outcome: LoadOutcome
    }

    /// COPY data goes to the connection in slices of this size.
    private static let copySlice = 1 << 20

    /// `synchronous_commit = off` for the rest of the transaction: its COMMIT returns once the WAL is
    /// written to the server's buffers, without waiting for the fsync (the WAL writer flushes within
    /// `wal_writer_delay`, 200 ms by default; a crash of the database server may lose the last such
    /// commits, whole: never part of one, and never a synchronous commit made after them).
    static let asynchronousCommit = PostgresQuery(
        unsafeSQL: "SELECT set_config('synchronous_commit', 'off', true)"
    ).prepared()

    /// Locks the organisation's workforce for the transaction, and gives "today" in its time zone.
    ///
    /// Every write of employees takes it (imports, provisioning): they are serialised per
    /// organisation, so a merge may insert new employees with a plain INSERT. NO KEY UPDATE does not
    /// block the inserts of other tables that reference the organisation.
    ///
    /// - Parameter indexPlans: also plan the rest of the transaction with index look-ups only
    ///   (``indexPlans``, as the signing path does), in the same round trip: for the writes of one
    ///   employee, whose prepared statements must not keep a plan made while the organisation had
    ///   none.
    /// - Parameter asynchronousCommit: commit without waiting for the WAL to reach the disk
    ///   (``asynchronousCommit``), in the same round trip: for an identity provider's writes of one
    ///   employee only (see RELIABILITY.md, "SCIM writes and durability").
    /// The statement of ``lockWorkforce(_:organisationID:indexPlans:asynchronousCommit:)``: one row, today
    /// in the organisation's time zone; none when there is no such organisation.
    static func workforceLock(organisationID: UUID) -> PostgresQuery {
        """
        SELECT (now() AT TIME ZONE time_zone)::date::text FROM organisations
        WHERE id = \(organisationID) FOR NO KEY UPDATE
        """
    }

    static func lockWorkforce(
        _ connection: PostgresConnection, organisationID: UUID, indexPlans: Bool = false, asynchronousCommit: Bool = false
    ) throws -> String {
        let lock = workforceLock(organisationID: organisationID)
        let found: String?
        if indexPlans || asynchronousCommit {
            let settings = (indexPlans ? [Self.indexPlans] : []) + (asynchronousCommit ? [Self.asynchronousCommit] : [])
            found = try connection.pipeline(settings + [lock], mode: .transaction)[settings.count].get().scalar(String.self)
        } else {
            found = try connection.query(lock).scalar(String.self)
        }
        guard let today = found else {
            throw MobiliseError(.notFound, code: .organisationNotFound, "no organisation with id \(organisationID)")
        }
        return today
    }

    /// The merge of the staging table (or of one row written by a provisioning client) into the
    /// organisation's employees, in one statement: the staging rows are joined once with the
    /// employees (a hash join for a big file, index lookups for a small one); the rows that are new
    /// are inserted, the rows where a column of the file differs (`IS DISTINCT FROM`) are updated,
    /// and the others are not written at all.
    ///
    /// Existing employees get the values of the file's columns only: a file without, say, an email
    /// column leaves emails alone (new employees get the columns' defaults). A plain INSERT is
    /// enough for the new ones: every write of an organisation's employees holds
    /// ``lockWorkforce(_:organisationID:)``.
    struct MergeStatement: Sendable {
        let organisationID: UUID
        let assignments: String
        let current: String
        let incoming: String
        let updatesActive: Bool

        /// - Parameter source: the rows to merge, with the staging table's columns.
        func query(from source: PostgresQuery = "workforce_staging", today: String) -> PostgresQuery {
            """
            WITH incoming AS (
                SELECT s.*, e.id AS existing_id
                FROM \(source) s
                LEFT JOIN employees e ON e.organisation_id = \(organisationID) AND e.external_id = s.external_id
                WHERE e.id IS NULL OR ROW(\(unsafeSQL: current)) IS DISTINCT FROM ROW(\(unsafeSQL: incoming))
            ), updated AS (
                UPDATE employees e SET
                    \(unsafeSQL: assignments),
                    -- Leaving (per the file) starts today; coming back clears the date.
                    left_on = CASE WHEN NOT \(updatesActive) THEN e.left_on
                                   WHEN i.active THEN NULL
                                   WHEN e.active THEN \(today)::date
                                   ELSE e.left_on END,
                    updated_at = now()
                FROM incoming i
                WHERE i.existing_id IS NOT NULL AND e.organisation_id = \(organisationID) AND e.id = i.existing_id
                  -- Rechecked on a row changed meanwhile (an erasure renames external_id).
                  AND e.external_id = i.external_id
                RETURNING 1
            ), inserted AS (
                INSERT INTO employees (organisation_id, external_id, email, display_name, country, site, org_unit, gender,
                                       manager_external_id, active, preferred_language, time_zone)
                SELECT \(organisationID), external_id, email, display_name, country, site, org_unit, gender,
                       manager_external_id, active, preferred_language, time_zone
                FROM incoming WHERE existing_id IS NULL
                RETURNING 1
            )
            SELECT (SELECT count(*) FROM inserted), (SELECT count(*) FROM updated)
            """
        }
    }

    static func mergeStatement(organisationID: UUID, columns: Set<String>) -> MergeStatement {
        let updatable = updatableColumns.filter(columns.contains)
        return MergeStatement(
            organisationID: organisationID,
            assignments: updatable.map { "\($0) = i.\($0)" }.joined(separator: ", "),
            current: updatable.map { "e.\($0)" }.joined(separator: ", "),
            incoming: updatable.map { "s.\($0)" }.joined(separator: ", "),
            updatesActive: columns.contains("active"))
    }

    /// A write of the workforce, as the audit log records it.
    enum WorkforceChange {
        /// An import of the HR system's file.
        case file(mode: ImportMode, rowsRead: Int, outcome: LoadOutcome)
        /// One employee written by a provisioning client: `operation` is `create`, `replace`,
        /// `update` or `delete`; `changed` names the columns written.
        case provisioning(operation: String, employeeID: UUID, changed: [String])
    }

    /// The one place where a change to the workforce (an import, or one provisioning write) is
    /// recorded, inside its transaction: one audit entry. Headcounts follow by themselves (the
    /// employees table's triggers); anything else derived from the employees belongs here.
    static func recordWorkforceChange(
        _ connection: PostgresConnection, organisationID: UUID, actor: Actor, _ change: WorkforceChange
    ) throws {
        switch change {
        case .file(let mode, let rowsRead, let outcome):
            try audit(
                connection, organisationID: organisationID, actor: actor, action: "employees.import", subject: nil,
                details: [
                    "mode": mode.rawValue, "rows": String(rowsRead), "inserted": String(outcome.inserted),
                    "updated": String(outcome.updated), "unchanged": String(outcome.unchanged),
                    "deactivated": String(outcome.deactivated), "rejected": String(outcome.rejectedCount),
                ])
        case .provisioning(let operation, let employeeID, let changed):
            try audit(
                connection, organisationID: organisationID, actor: actor, action: "employees.provision",
                subject: employeeID.uuidString.lowercased(),
                details: ["operation": operation, "changed": changed.joined(separator: ",")])
        }
    }

    struct LoadOutcome: Sendable {
        var inserted, updated, unchanged, deactivated: Int
        var rejected: [WorkforceRejection]
        var rejectedCount: Int
        /// Active employees before a full sync (0 otherwise), and whether the guard held it.
        var activeBefore = 0
        var held = false
    }

    /// The refusal of a full sync over a file with rejected lines, listing the first few.
    private static func fullSyncRefused(_ rejected: [WorkforceRejection], count: Int) -> MobiliseError {
        let shown = 10
        var lines = rejected.prefix(shown).map(\.description).joined(separator: "; ")
        if count > shown { lines += "; and \(count - shown) more" }
        return MobiliseError(
            .unprocessable, code: .fullSyncRefused,
            "full sync refused: \(count) line\(count == 1 ? " was" : "s were") rejected, and a full sync only deactivates "
                + "employees from a complete file (fix the file, or import it in upsert mode): \(lines)")
    }

    // MARK: - Employees

    /// The columns an import may change on an existing employee (country is always in the file).
    private static let updatableColumns =
        ["email", "display_name", "country", "site", "org_unit", "gender", "manager_external_id", "active", "preferred_language",
         "time_zone"]

    static let employeeColumns =
        "id, organisation_id, external_id, email, display_name, country, site, org_unit, gender, manager_external_id, active, "
        + "preferred_language, time_zone"

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
            active: try row.decode(Bool.self, column: "active"),
            preferredLanguage: try row.decode(String?.self, column: "preferred_language"),
            timeZone: try row.decode(String?.self, column: "time_zone"))
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
