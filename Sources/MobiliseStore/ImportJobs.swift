import Foundation
import MobiliseDomain
import Postgres

/// Where a workforce import job stands (`sql/0026_import_jobs.sql`).
public enum ImportJobState: String, Sendable, CaseIterable, PostgresCodable {
    /// The file is arriving; its lines are checked as they come.
    case uploading
    /// The file has arrived; its last lines are being read (a converted file: all of them).
    case validating
    /// The rows are being written, in one transaction.
    case merging
    /// A full sync past the guard: nothing changed; an import with `confirm_deactivations` is needed.
    case held
    case done
    case failed

    /// Held, done or failed: the job will not change any more.
    public var isFinished: Bool { self == .held || self == .done || self == .failed }
}

/// A workforce import run on the server after its request ended, readable by id.
public struct ImportJob: Sendable, Equatable {
    public var id: UUID
    public var actor: String
    public var fileName: String?
    public var mode: ImportMode
    public var dryRun: Bool
    public var state: ImportJobState
    public var bytesReceived: Int
    public var rowsRead: Int
    public var rowsMerged: Int
    /// The report once done (held: what the full sync would do); the rejected lines are read apart
    /// (``MobiliseStore/importJobRejections(organisationID:jobID:after:limit:)``).
    public var report: Report?
    /// Why it failed, or is held: the API's error code and sentence.
    public var errorCode: String?
    public var errorMessage: String?
    public var createdAt: Date
    public var heartbeatAt: Date
    public var finishedAt: Date?

    public struct Report: Sendable, Equatable {
        public var inserted: Int
        public var updated: Int
        public var unchanged: Int
        public var deactivated: Int
        public var rejectedCount: Int
        public var activeBefore: Int?
        public var deactivationGuard: Double?
        public var confirmationRequired: Bool
    }
}

/// Workforce imports as jobs (issue 20): the HTTP layer runs the import on a task of its own and
/// records its progress here every second; any instance reads it back by id.
///
/// A job whose heartbeat is older than ``importJobHeartbeatTimeout`` while it is not finished was
/// being run by an instance that stopped (restarted, killed, lost): the next reader marks it failed
/// with a sentence saying so, before answering.
extension MobiliseStore {
    /// After this long without a heartbeat (written every second by the instance running it), a job is failed.
    public static let importJobHeartbeatTimeout: Duration = .seconds(15)
    /// The sentence of a job whose instance stopped while it ran.
    public static let abandonedImportMessage =
        "the service stopped while this import was running (a restart or a failure); nothing of it was written: send the file again"

    static let importJobColumns = """
        id, actor, file_name, mode, dry_run, state, bytes_received, rows_read, rows_merged, inserted, updated, unchanged,
        deactivated, rejected_count, active_before, deactivation_guard, confirmation_required, error_code, error_message,
        created_at, heartbeat_at, finished_at
        """

    static func importJob(from row: PostgresRow) throws -> ImportJob {
        let modeName = try row.decode(String.self, column: "mode")
        let state = try row.decode(ImportJobState.self, column: "state")
        var report: ImportJob.Report?
        if let inserted = try row.decode(Int?.self, column: "inserted") {
            report = ImportJob.Report(
                inserted: inserted, updated: try row.decode(Int?.self, column: "updated") ?? 0,
                unchanged: try row.decode(Int?.self, column: "unchanged") ?? 0,
                deactivated: try row.decode(Int?.self, column: "deactivated") ?? 0,
                rejectedCount: try row.decode(Int?.self, column: "rejected_count") ?? 0,
                activeBefore: try row.decode(Int?.self, column: "active_before"),
                deactivationGuard: try row.decode(Double?.self, column: "deactivation_guard"),
                confirmationRequired: try row.decode(Bool?.self, column: "confirmation_required") ?? false)
        }
        return ImportJob(
            id: try row.decode(UUID.self, column: "id"), actor: try row.decode(String.self, column: "actor"),
            fileName: try row.decode(String?.self, column: "file_name"), mode: ImportMode(name: modeName) ?? .upsert,
            dryRun: try row.decode(Bool.self, column: "dry_run"), state: state,
            bytesReceived: try row.decode(Int.self, column: "bytes_received"), rowsRead: try row.decode(Int.self, column: "rows_read"),
            rowsMerged: try row.decode(Int.self, column: "rows_merged"), report: report,
            errorCode: try row.decode(String?.self, column: "error_code"), errorMessage: try row.decode(String?.self, column: "error_message"),
            createdAt: try row.decode(Date.self, column: "created_at"), heartbeatAt: try row.decode(Date.self, column: "heartbeat_at"),
            finishedAt: try row.decode(Date?.self, column: "finished_at"))
    }

    /// A new job, `uploading`, of `actor`'s import of a file.
    public func createImportJob(
        organisationID: UUID, actor: Actor, fileName: String?, mode: ImportMode, dryRun: Bool
    ) async throws -> ImportJob {
        let name = fileName.map { String($0.prefix(255)) }
        return try await pool.withConnection { connection in
            guard let row = try connection.query("""
                INSERT INTO import_jobs (organisation_id, actor, file_name, mode, dry_run)
                VALUES (\(organisationID), \(actor.identity), \(name), \(mode.rawValue), \(dryRun))
                RETURNING \(unsafeSQL: Self.importJobColumns)
                """).rows.first else {
                throw PostgresError(kind: .client, message: "the import job just inserted was not returned")
            }
            return try Self.importJob(from: row)
        }
    }

    /// A running job's progress and heartbeat (nothing when it has finished, or was failed by a reader).
    public func recordImportJobProgress(
        organisationID: UUID, jobID: UUID, state: ImportJobState, bytesReceived: Int, rowsRead: Int
    ) async throws {
        _ = try await pool.withConnection { connection in
            try connection.execute("""
                UPDATE import_jobs SET state = \(state), bytes_received = \(bytesReceived), rows_read = \(rowsRead), heartbeat_at = now()
                WHERE organisation_id = \(organisationID) AND id = \(jobID) AND finished_at IS NULL
                """)
        }
    }

    /// The end of a job that ran to its report (`done`), with its counts and its rejected lines.
    public func finishImportJob(
        organisationID: UUID, jobID: UUID, report: ImportReport, deactivationGuard: Double?, bytesReceived: Int
    ) async throws {
        let lines = report.rejected.map(\.line)
        let reasons = report.rejected.map(\.error)
        let merged = report.dryRun ? 0 : report.inserted + report.updated + report.unchanged
        try await pool.withTransaction { connection in
            try connection.execute("""
                UPDATE import_jobs SET state = 'done', bytes_received = \(bytesReceived), rows_read = \(report.rowsRead),
                    rows_merged = \(merged), inserted = \(report.inserted), updated = \(report.updated), unchanged = \(report.unchanged),
                    deactivated = \(report.deactivated), rejected_count = \(report.rejectedCount),
                    active_before = \(report.mode == .fullSync ? report.activeBefore : nil),
                    deactivation_guard = \(report.mode == .fullSync ? deactivationGuard : nil),
                    confirmation_required = \(report.confirmationRequired),
                    error_code = NULL, error_message = NULL, heartbeat_at = now(), finished_at = now()
                WHERE organisation_id = \(organisationID) AND id = \(jobID)
                """)
            try connection.execute("""
                INSERT INTO import_job_rejections (organisation_id, job_id, line, reason)
                SELECT \(organisationID), \(jobID), line, reason FROM unnest(\(lines)::int8[], \(reasons)::text[]) AS r (line, reason)
                ON CONFLICT DO NOTHING
                """)
        }
    }

    /// The end of a job that changed nothing: `failed`, or `held` (a full sync past the guard), with
    /// the API's code and sentence.
    public func endImportJob(
        organisationID: UUID, jobID: UUID, state: ImportJobState, code: String, message: String, bytesReceived: Int, rowsRead: Int
    ) async throws {
        let state: ImportJobState = state == .held ? .held : .failed
        _ = try await pool.withConnection { connection in
            try connection.execute("""
                UPDATE import_jobs SET state = \(state), error_code = \(code), error_message = \(message),
                    bytes_received = \(bytesReceived), rows_read = \(rowsRead), heartbeat_at = now(), finished_at = now()
                WHERE organisation_id = \(organisationID) AND id = \(jobID) AND finished_at IS NULL
                """)
        }
    }

    /// Fails the organisation's unfinished jobs whose heartbeat stopped (their instance is gone).
    static func failAbandonedImportJobs(_ connection: PostgresConnection, organisationID: UUID) throws {
        let seconds = Double(importJobHeartbeatTimeout.components.seconds)
        try connection.execute("""
            UPDATE import_jobs SET state = 'failed', error_code = \(ErrorCode.importAbandoned.rawValue), error_message = \(abandonedImportMessage),
                finished_at = now()
            WHERE organisation_id = \(organisationID) AND finished_at IS NULL
              AND heartbeat_at < now() - make_interval(secs => \(seconds))
            """)
    }

    /// One job of the organisation, or nil.
    public func importJob(organisationID: UUID, id: UUID) async throws -> ImportJob? {
        try await pool.withConnection { connection in
            try Self.failAbandonedImportJobs(connection, organisationID: organisationID)
            return try connection.query("""
                SELECT \(unsafeSQL: Self.importJobColumns) FROM import_jobs WHERE organisation_id = \(organisationID) AND id = \(id)
                """).rows.first.map(Self.importJob(from:))
        }
    }

    /// The organisation's jobs, newest first, `limit` (1 to 100) of them started before the job `before`.
    public func importJobs(organisationID: UUID, before cursor: UUID? = nil, limit: Int = 20) async throws -> [ImportJob] {
        let limit = min(max(limit, 1), 100)
        return try await pool.withConnection { connection in
            try Self.failAbandonedImportJobs(connection, organisationID: organisationID)
            return try connection.query("""
                SELECT \(unsafeSQL: Self.importJobColumns) FROM import_jobs
                WHERE organisation_id = \(organisationID)
                  AND (\(cursor)::uuid IS NULL OR (created_at, id) < (
                        SELECT created_at, id FROM import_jobs WHERE organisation_id = \(organisationID) AND id = \(cursor)))
                ORDER BY created_at DESC, id DESC LIMIT \(limit)
                """).rows.map(Self.importJob(from:))
        }
    }

    /// A job's rejected lines in line order, `limit` (1 to 1000) after line `after`.
    public func importJobRejections(organisationID: UUID, jobID: UUID, after line: Int? = nil, limit: Int = 100) async throws -> [WorkforceRejection] {
        let limit = min(max(limit, 1), 1000)
        return try await pool.withConnection { connection in
            try connection.query("""
                SELECT line, reason FROM import_job_rejections
                WHERE organisation_id = \(organisationID) AND job_id = \(jobID) AND line > \(line ?? 0)
                ORDER BY line LIMIT \(limit)
                """).rows.map { WorkforceRejection(line: try $0.decode(Int.self, column: "line"), error: try $0.decode(String.self, column: "reason")) }
        }
    }
}
