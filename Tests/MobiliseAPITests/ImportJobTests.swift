import Foundation
import HTTPTypes
import MobiliseAPI
import MobiliseDomain
import MobiliseStore
import MobiliseTesting
import Testing

/// Workforce imports as jobs readable by id (`Prefer: respond-async`, `GET /v1/imports/{id}`):
/// over real HTTP against real PostgreSQL.
@Suite struct ImportJobTests {
    static let prefer = HTTPField.Name("Prefer")!  // a valid literal name

    typealias JSON = [String: any Sendable]

    /// Acme's file with one change, one new employee and `bad` rejected lines (an unknown country).
    static func file(bad: Int) -> String {
        var text = ConsoleTests.shortFile
        for index in 0..<bad { text += "bad-\(index),Nobody,XX,male\n" }
        return text
    }

    /// Starts the import as a job; its answer (202) and the job's id.
    static func start(_ service: ServiceHarness, _ query: String, _ file: String) async throws -> (reply: ServiceHarness.Reply, id: String) {
        let hr = try await service.token("hr-1", [.hrAdmin])
        let reply = try await service.call(.post, "/v1/employees/import?" + query, token: hr, raw: Array(file.utf8), contentType: "text/csv",
                                           headers: [prefer: "respond-async"])
        #expect(reply.status == .accepted, "\(reply.text)")
        let id = try #require(reply.json["id"] as? String, "\(reply.text)")
        #expect(reply.headers[.location] == "/v1/imports/\(id)")
        return (reply, id)
    }

    /// Polls the job until it has finished; its last answer.
    static func finished(_ service: ServiceHarness, _ id: String) async throws -> JSON {
        let hr = try await service.token("hr-1", [.hrAdmin])
        var last: JSON = [:]
        try await waitUntil("import \(id) has finished", timeout: .seconds(60), interval: .milliseconds(50)) {
            let reply = try await service.call(.get, "/v1/imports/\(id)", token: hr)
            #expect(reply.status == .ok, "\(reply.text)")
            last = reply.json
            return ["done", "failed", "held"].contains(last["state"] as? String ?? "")
        }
        return last
    }

    /// Every rejected line of a job: the report's first page, then `/rejections` pages of `limit`.
    static func allRejected(_ service: ServiceHarness, _ id: String, report: JSON, limit: Int) async throws -> [[String: any Sendable]] {
        let hr = try await service.token("hr-1", [.hrAdmin])
        var lines = report["rejected"] as? [JSON] ?? []
        var cursor = report["rejected_next_cursor"] as? String
        while let next = cursor {
            let page = try await service.call(.get, "/v1/imports/\(id)/rejections?limit=\(limit)&cursor=\(next)", token: hr)
            #expect(page.status == .ok, "\(page.text)")
            lines += page.json["rejected"] as? [JSON] ?? []
            cursor = page.json["next_cursor"] as? String
        }
        return lines
    }

    static func pairs(_ lines: [JSON]) -> [String] { lines.map { "\($0["line"] as? Int ?? -1): \($0["error"] as? String ?? "")" } }

    @Test func anImportStartedAsAJobReportsByIdWhatTheSynchronousImportReports() async throws {
        try await ServiceHarness.run { service in
            let hr = try await service.token("hr-1", [.hrAdmin])
            let file = Self.file(bad: 150)
            // The synchronous dry run: what the import will do.
            let expected = try await service.call(.post, "/v1/employees/import?mode=upsert&dry_run=true", token: hr, raw: Array(file.utf8), contentType: "text/csv")
            #expect(expected.status == .ok, "\(expected.text)")

            // The same file as a job, for real.
            let (started, id) = try await Self.start(service, "mode=upsert&file_name=staff.csv", file)
            #expect(["uploading", "validating", "merging", "done"].contains(started.json["state"] as? String ?? ""), "\(started.text)")
            #expect(started.json["file_name"] as? String == "staff.csv")
            #expect(started.json["actor"] as? String == "hr-1")
            let job = try await Self.finished(service, id)
            #expect(job["state"] as? String == "done", "\(job)")
            let report = try #require(job["report"] as? JSON, "\(job)")
            for key in ["rows_read", "inserted", "updated", "unchanged", "deactivated", "rejected_count"] {
                #expect(report[key] as? Int == expected.json[key] as? Int, "\(key): \(report[key] ?? "nil") against \(expected.json[key] ?? "nil")")
            }
            #expect(report["dry_run"] as? Bool == false && report["mode"] as? String == "upsert")
            let progress = try #require(job["progress"] as? JSON)
            #expect(progress["rows_read"] as? Int == 161)
            #expect(progress["rows_merged"] as? Int == 11, "new-1, in-1 and the nine unchanged: \(progress)")
            #expect(progress["bytes_received"] as? Int == file.utf8.count)
            #expect(job["finished_at"] is String)
            // The rejected lines: the first 100 in the report, the rest a page at a time; the same as the synchronous report's.
            #expect((report["rejected"] as? [JSON])?.count == 100)
            let lines = try await Self.allRejected(service, id, report: report, limit: 20)
            let wanted = try #require(expected.json["rejected"] as? [JSON])
            #expect(wanted.count == 150)
            #expect(Self.pairs(lines) == Self.pairs(wanted))
            // It did what it said.
            #expect(try await service.store.employee(organisationID: service.acme.id, externalID: "new-1") != nil)
            #expect(try await ConsoleTests.activeCount(service) == 15)

            // The organisation's imports, newest first, name it; another organisation sees none of it.
            let list = try await service.call(.get, "/v1/imports?limit=5", token: hr)
            #expect(list.status == .ok, "\(list.text)")
            let first = try #require((list.json["imports"] as? [JSON])?.first)
            #expect(first["id"] as? String == id && first["state"] as? String == "done")
            let other = try await service.token("g-1", [.hrAdmin], organisation: "globex")
            #expect(try await service.call(.get, "/v1/imports/\(id)", token: other).errorCode == "import_not_found")
            #expect(try await service.call(.get, "/v1/imports/\(id)/rejections", token: other).errorCode == "import_not_found")
            #expect((try await service.call(.get, "/v1/imports", token: other).json["imports"] as? [JSON])?.isEmpty == true)
            #expect(try await service.call(.get, "/v1/imports/not-an-id", token: hr).errorCode == "import_not_found")
            // HR only.
            #expect(try await service.call(.get, "/v1/imports/\(id)", token: try await service.token("lead-1", [.leader])).status == .forbidden)
        }
    }

    @Test func aDryRunJobAndAFullSyncHeldByTheGuardChangeNothing() async throws {
        try await ServiceHarness.run { service in
            let file = Self.file(bad: 0)
            let (_, dryID) = try await Self.start(service, "mode=full_sync&dry_run=true", file)
            let dry = try await Self.finished(service, dryID)
            #expect(dry["state"] as? String == "done" && dry["dry_run"] as? Bool == true, "\(dry)")
            let report = try #require(dry["report"] as? JSON)
            #expect(report["deactivated"] as? Int == 4 && report["confirmation_required"] as? Bool == true, "\(report)")
            #expect((dry["progress"] as? JSON)?["rows_merged"] as? Int == 0)

            // For real without a confirmation: held, nothing changed, the sentence says what to send.
            let (_, heldID) = try await Self.start(service, "mode=full_sync", file)
            let held = try await Self.finished(service, heldID)
            #expect(held["state"] as? String == "held", "\(held)")
            let error = try #require(held["error"] as? JSON)
            #expect(error["code"] as? String == "full_sync_unconfirmed")
            #expect((error["message"] as? String)?.contains("confirm_deactivations=4") == true, "\(error)")
            #expect(try await ConsoleTests.activeCount(service) == 14)

            // Confirmed: done.
            let (_, confirmedID) = try await Self.start(service, "mode=full_sync&confirm_deactivations=4", file)
            let confirmed = try await Self.finished(service, confirmedID)
            #expect(confirmed["state"] as? String == "done", "\(confirmed)")
            #expect(try await ConsoleTests.activeCount(service) == 11)
        }
    }

    @Test func aJobWhoseInstanceStoppedIsFailedWithItsReasonByTheNextReader() async throws {
        try await ServiceHarness.run { service in
            let hr = try await service.token("hr-1", [.hrAdmin])
            // A job as an instance leaves it when it stops mid-import: merging, its heartbeat no longer written.
            let job = try await service.store.createImportJob(
                organisationID: service.acme.id, actor: Actor("hr-1"), fileName: "big.csv", mode: .upsert, dryRun: false)
            try await service.store.recordImportJobProgress(
                organisationID: service.acme.id, jobID: job.id, state: .merging, bytesReceived: 1000, rowsRead: 20)
            let id = job.id.uuidString.lowercased()
            let running = try await service.call(.get, "/v1/imports/\(id)", token: hr)
            #expect(running.json["state"] as? String == "merging", "a live heartbeat: still running: \(running.text)")
            _ = try await service.store.pool.query("""
                UPDATE import_jobs SET heartbeat_at = now() - interval '1 minute' WHERE id = \(job.id)
                """)
            let failed = try await service.call(.get, "/v1/imports/\(id)", token: hr)
            #expect(failed.json["state"] as? String == "failed", "\(failed.text)")
            let error = try #require(failed.json["error"] as? JSON)
            #expect(error["code"] as? String == "import_abandoned")
            #expect((error["message"] as? String)?.contains("the service stopped while this import was running") == true)
            #expect((failed.json["progress"] as? JSON)?["rows_read"] as? Int == 20)
            #expect(failed.json["finished_at"] is String)
            // Its late progress, if any came, changes nothing.
            try await service.store.recordImportJobProgress(
                organisationID: service.acme.id, jobID: job.id, state: .merging, bytesReceived: 2000, rowsRead: 40)
            #expect(try await service.call(.get, "/v1/imports/\(id)", token: hr).json["state"] as? String == "failed")
        }
    }

    @Test func withoutThePreferenceTheImportStillAnswersWhenDone() async throws {
        try await ServiceHarness.run { service in
            let hr = try await service.token("hr-1", [.hrAdmin])
            let reply = try await service.call(.post, "/v1/employees/import?mode=upsert", token: hr, raw: Array(Self.file(bad: 1).utf8), contentType: "text/csv")
            #expect(reply.status == .ok && reply.json["inserted"] as? Int == 1 && reply.json["rejected_count"] as? Int == 1, "\(reply.text)")
            #expect((try await service.call(.get, "/v1/imports", token: hr).json["imports"] as? [JSON])?.isEmpty == true)
        }
    }
}
