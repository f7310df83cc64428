import Foundation
import MobiliseTesting
import Testing

/// Issue 24: `deploy/citus/check --short --citus-only`, this build over a Citus cluster (a coordinator
/// and two workers on loopback) prepared by `deploy/citus/distribute.sql`: imports, signing under
/// load through HAProxy (every acknowledged signature present once, no 500), rankings, drill-downs,
/// erasure, a paper batch, the outbox (a webhook delivered, then replayed) and a reminder wave (e-mails
/// sent over SMTP), a story, the count compaction, withdrawals; counts equal rows after each. It needs Citus built for
/// PostgreSQL 15 (deploy/citus/README.md, "Building Citus"), HAProxy and wrk, and a few minutes of
/// the whole machine: the long fault suite only (`MOBILISE_LONG_FAULTS=1`), never CI's `swift test`.
@Suite(.serialized) struct CitusTests {
    static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("deploy/citus/check").path
    static var installed: Bool { FileManager.default.fileExists(atPath: "/usr/lib/postgresql/15/lib/citus.so") }

    @Test(.enabled(if: Scale.long, "the long fault suite only (MOBILISE_LONG_FAULTS=1)"),
          .enabled(if: CitusTests.installed, "Citus is not installed for PostgreSQL 15 (deploy/citus/README.md, \"Building Citus\")"))
    func theServicesScenarioPassesOnCitus() async throws {
        for tool in ["/usr/sbin/haproxy", "/usr/bin/wrk", "/usr/lib/postgresql/15/bin/postgres"] {
            try #require(FileManager.default.isExecutableFile(atPath: tool), "\(tool) is missing: see deploy/citus/README.md")
        }
        let run = try await CommandRunner.run(
            "/bin/bash", [Self.script, "--short", "--citus-only"], environment: ["MOBILISE_BIN": CommandRunner.mobilise])
        let report = run.standardOutput
        print(report)
        #expect(report.contains("ok: [citus] every acknowledged signature present"))
        #expect(report.contains("ok: [citus] no 500 under load"))
        #expect(report.contains("ok: [citus] counts equal rows after signing"))
        #expect(report.contains("ok: [citus] a paper batch"))
        // The outbox's claim (Citus local tables on the coordinator) and the e-mail sender's (one
        // organisation at a time, on its worker): a launch delivered to a webhook receiver, a reminder
        // wave's due messages sent over SMTP.
        #expect(report.contains("ok: [citus] the outbox"))
        #expect(report.contains("ok: [citus] a reminder wave"))
        // What had not run on Citus before (issue 24): a story posted and approved, webhook replays (a
        // range and one), the shared e-mail rate's slots, the count compaction claimed through
        // scheduled_runs (no scheduled job failing), and the single-signature path (withdrawals).
        #expect(report.contains("ok: [citus] the e-mail rate shared"))
        #expect(report.contains("ok: [citus] a story"))
        #expect(report.contains("ok: [citus] webhook replays"))
        #expect(report.contains("ok: [citus] the count compaction"))
        #expect(report.contains("ok: [citus] the single-signature path"))
        #expect(report.contains("ok: [citus] counts equal rows after withdrawals and signing again"))
        #expect(run.status == 0, "\(report)\n\(run.standardError.suffix(3000))")
        #expect(report.contains("RESULT: PASS"))
        // The signing batch goes to one worker.
        #expect(report.contains("Function Scan on mobilise_sign_batch"))
    }
}
