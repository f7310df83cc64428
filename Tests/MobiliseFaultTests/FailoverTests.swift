import Foundation
import MobiliseTesting
import Testing

/// Issue 24: `deploy/failover/run --short`, this build over a pg_auto_failover formation (a monitor
/// and two PostgreSQL 15 nodes with synchronous replication), connected with the multi-host URL and
/// `target_session_attrs=read-write`; the primary's keeper and postgres SIGKILLed mid-load. It needs
/// pg_auto_failover (Debian's `postgresql-15-auto-failover`), HAProxy and wrk, and about two minutes of
/// the whole machine: the long fault suite only (`MOBILISE_LONG_FAULTS=1`), never CI's `swift test`.
@Suite(.serialized) struct FailoverTests {
    static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("deploy/failover/run").path
    static let autoctl = "/usr/bin/pg_autoctl"
    static var installed: Bool { FileManager.default.isExecutableFile(atPath: autoctl) }

    @Test(.enabled(if: Scale.long, "the long fault suite only (MOBILISE_LONG_FAULTS=1)"),
          .enabled(if: FailoverTests.installed, "pg_auto_failover is not installed (apt-get install postgresql-15-auto-failover)"))
    func noAcknowledgedSignatureIsLostWhenThePrimaryDies() async throws {
        for tool in ["/usr/sbin/haproxy", "/usr/bin/wrk", "/usr/lib/postgresql/15/bin/postgres"] {
            try #require(FileManager.default.isExecutableFile(atPath: tool), "\(tool) is missing: see deploy/README.md, \"Failover\"")
        }
        let run = try await CommandRunner.run("/bin/bash", [Self.script, "--short"], environment: ["MOBILISE_BIN": CommandRunner.mobilise])
        let report = run.standardOutput
        print(report)
        #expect(run.status == 0, "\(report)\n\(run.standardError.suffix(3000))")
        #expect(report.contains("RESULT: PASS"))
        #expect(report.contains("without exactly one current signature: 0; unknown: 0"))
        #expect(report.contains("probe 500s: 0; probe 503s without Retry-After: 0; probe unanswered: 0"))
        #expect(report.contains("counts equal rows (counts/verify): yes"))
        #expect(report.contains("signing after the failover, same service process: 20"))
    }
}
