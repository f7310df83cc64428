import Foundation
import MobiliseTesting
import Testing

/// Issue 24: `deploy/multi/run --short`, three instances of this build behind HAProxy over a
/// PostgreSQL primary and its streaming standby, one instance SIGKILLed mid-load and started again.
/// It needs HAProxy, wrk and PostgreSQL 15's server binaries, and about two minutes of the whole
/// machine: it runs in the long fault suite only (`MOBILISE_LONG_FAULTS=1`), never in CI's `swift test`.
@Suite(.serialized) struct MultiInstanceTests {
    static let script = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("deploy/multi/run").path

    @Test(.enabled(if: Scale.long, "the long fault suite only (MOBILISE_LONG_FAULTS=1)"))
    func everyAcknowledgedSignatureSurvivesAnInstanceKilledBehindHAProxy() async throws {
        try await Self.run(["--short"])
    }

    /// The same through PgBouncer (Debian 12's 1.18) in session mode, the mode the service supports.
    @Test(.enabled(if: Scale.long, "the long fault suite only (MOBILISE_LONG_FAULTS=1)"))
    func theSameHoldsThroughPgBouncerInSessionMode() async throws {
        try await Self.run(["--short", "--pgbouncer"])
    }

    static func run(_ arguments: [String]) async throws {
        var tools = ["/usr/sbin/haproxy", "/usr/bin/wrk", "/usr/lib/postgresql/15/bin/pg_basebackup"]
        if arguments.contains("--pgbouncer") { tools.append("/usr/sbin/pgbouncer") }
        for tool in tools {
            try #require(FileManager.default.isExecutableFile(atPath: tool), "\(tool) is missing: see deploy/README.md, \"Several instances\"")
        }
        let run = try await CommandRunner.run(
            "/bin/bash", [script] + arguments, environment: ["MOBILISE_BIN": CommandRunner.mobilise, "MULTI_POOL_MODE": "session"])
        let report = run.standardOutput
        print(report)
        #expect(run.status == 0, "\(report)\n\(run.standardError.suffix(3000))")
        #expect(report.contains("RESULT: PASS"))
        #expect(report.contains("without exactly one current signature: 0; unknown: 0"))
        #expect(report.contains("counts equal rows (counts/verify): yes"))
        if arguments.contains("--pgbouncer") { #expect(report.contains("through PgBouncer (session mode)")) }
    }
}
