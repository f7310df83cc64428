import Foundation
import MobiliseDomain
import MobiliseTesting
import Testing

/// Issue 7: no loss, no duplicate under concurrency, and overload shed rather than queued. The
/// service is the `mobilise` binary on a loopback port, over a fresh database of the test cluster.
@Suite(.serialized) struct LoadTests {
    /// Thousands of signings, withdrawals and re-signings at once, the same employee from several
    /// connections at once; then one last change per employee. Every 201 is exactly one recorded
    /// signing, every recorded withdrawal was answered 204, the last answer is the state, and the
    /// per-country counts equal the rows.
    @Test func everyAcknowledgedChangeIsRecordedExactlyOnce() async throws {
        let employees = Scale.pick(short: 240, long: 4000)
        let connections = Scale.pick(short: 24, long: 64)
        let seed = UInt64(ProcessInfo.processInfo.environment["MOBILISE_FAULTS_SEED"] ?? "") ?? UInt64.random(in: 0...UInt64(UInt32.max))
        var random = SplitMix64(seed: seed)
        try await withServiceAndCampaign(employees: employees, environment: ["MOBILISE_DB_POOL": "8"]) { service, campaign, _ in
            // Each employee: a first signing, then 2 to 5 signings and withdrawals; one in three
            // sends one of them from three connections at once.
            var groups: [[Job]] = []
            for employee in 0..<employees {
                groups.append([Job(employee: employee, operation: .sign)])
                for step in 0..<Int.random(in: 2...5, using: &random) {
                    let job = Job(employee: employee, operation: Bool.random(using: &random) ? .sign : .withdraw)
                    groups.append(employee % 3 == 0 && step == 0 ? [job, job, job] : [job])
                }
            }
            groups.shuffle(using: &random)
            let chaos = Ledger()
            let start = ContinuousClock.now
            await drive(port: service.port, campaign: campaign, connections: connections, jobs: JobList(groups.flatMap { $0 }), ledger: chaos)
            let chaosTime = ContinuousClock.now - start

            // The last word: one change per employee, concurrently across employees.
            let last = (0..<employees).map { Job(employee: $0, operation: Bool.random(using: &random) ? .sign : .withdraw) }
            let settle = Ledger()
            await drive(port: service.port, campaign: campaign, connections: connections, jobs: JobList(last), ledger: settle)

            let answers = chaos.all + settle.all
            #expect(answers.allSatisfy { $0.status != nil }, "requests without an answer: \(answers.filter { $0.status == nil }.prefix(3).map { $0.failure ?? "" })")
            let unexpected = answers.filter {
                !([200, 201, 204].contains($0.status) || ($0.status == 404 && $0.operation == .withdraw))
            }
            #expect(unexpected.isEmpty, "unexpected answers: \(unexpected.prefix(5).map { "\($0.operation) \($0.status ?? 0) \($0.code ?? "")" })")

            let rows = try await campaign.rows()
            let byEmployee = Dictionary(grouping: answers, by: \.employee)
            let finals = Dictionary(uniqueKeysWithValues: settle.all.map { ($0.employee, $0) })
            var mismatches = 0
            for employee in 0..<employees {
                let answers = byEmployee[employee] ?? []
                let row = rows[employee]
                let created = answers.filter { $0.operation == .sign && $0.status == 201 }.count
                let withdrawn = answers.filter { $0.operation == .withdraw && $0.status == 204 }.count
                let plus = row?.plus ?? 0
                let minus = row?.minus ?? 0
                let current = row?.current ?? false
                let ok = plus == created && minus == plus - (current ? 1 : 0) && minus <= withdrawn
                if !ok, mismatches < 5 {
                    let history = answers.sorted { $0.started < $1.started }.map { "\($0.operation.rawValue) \($0.status ?? 0)" }
                    let message = "employee \(employee): \(created) answered 201 / \(plus) recorded signings, \(withdrawn) answered 204 / "
                        + "\(minus) recorded withdrawals, current \(current); answers in order: \(history.joined(separator: ", "))"
                    Issue.record(Comment(rawValue: message))
                }
                if !ok { mismatches += 1 }
                if let final = finals[employee] {
                    switch (final.operation, final.status) {
                    case (.sign, 200), (.sign, 201): #expect(current, "employee \(employee): signed last, not current")
                    case (.withdraw, 204): #expect(!current, "employee \(employee): withdrew last, still current")
                    case (.withdraw, 404): #expect(row == nil, "employee \(employee): 404 on withdrawal, yet a signature")
                    default: Issue.record("employee \(employee): last answer \(final.status ?? 0)")
                    }
                }
            }
            #expect(mismatches == 0)
            let summary = try await campaign.check(chaos, port: service.port, signOnly: false)
            let rate = Double(chaos.all.count) / (Double(chaosTime.components.seconds) + Double(chaosTime.components.attoseconds) / 1e18)
            print("[faults] concurrency (seed \(seed)): \(employees) employees, \(connections) connections, \(summary) + \(settle.all.count) final changes; "
                + "\(Int(rate)) requests/s; \(mismatches) mismatches")
        }
    }

    /// Far more connections than the pool: with the database stalled, the service takes its limit
    /// of requests and answers every other one at once with 503 `overloaded` and `Retry-After`;
    /// without a stall, a crowd of connections gets answers (2xx or 503), never a hang or a 500;
    /// the peak memory stays bounded; shed requests leave no trace.
    @Test func overloadIsShedWithRetryAfterAndMemoryStaysBounded() async throws {
        let crowd = Scale.pick(short: 150, long: 1000)
        let rounds = Scale.pick(short: 4, long: 20)
        let limit = 8
        try await withServiceAndCampaign(
            employees: crowd,
            environment: ["MOBILISE_DB_POOL": "2", "MOBILISE_MAX_IN_FLIGHT": String(limit), "MOBILISE_DB_ACQUIRE_TIMEOUT": "120s"]
        ) { service, campaign, _ in
            let baseline = service.memory()
            // Stalled: the limit's worth of requests wait for the lock or a connection, the rest are shed.
            let holder = try await lockSignatures(campaign.pool)
            defer { holder.cancel() }  // also when the test throws: the pool cannot close while the lock's session sleeps
            let stalled = Ledger()
            let crowdTask = Task {
                await drive(port: service.port, campaign: campaign, connections: crowd,
                            jobs: JobList((0..<crowd).map { Job(employee: $0, operation: .sign) }), ledger: stalled)
            }
            try await waitUntil("every request past the limit is answered", timeout: .seconds(120), interval: .milliseconds(50)) {
                stalled.all.count >= crowd - limit
            }
            let shed = stalled.all
            let inFlight = try await HTTP.metric(port: service.port, "mobilise_http_requests_in_flight")
            holder.cancel()
            await crowdTask.value
            #expect(inFlight == Double(limit), "in flight while stalled: \(inFlight ?? -1)")
            #expect(shed.allSatisfy { $0.status == 503 && $0.code == "overloaded" && $0.retryAfter != nil },
                    "\(shed.filter { $0.code != "overloaded" }.prefix(3).map { "\($0.status ?? 0) \($0.code ?? $0.failure ?? "")" })")
            let slowest = shed.map(\.elapsed).max() ?? .zero
            #expect(slowest < .seconds(10), "shedding took \(slowest)")
            #expect(stalled.count { $0.succeeded } == limit, "after the stall: \(stalled.count { $0.succeeded }) of \(limit) admitted requests succeeded")

            // Not stalled: the crowd signs again and again.
            let free = Ledger()
            let jobs = (0..<rounds).flatMap { _ in (0..<crowd).map { Job(employee: $0, operation: .sign) } }
            await drive(port: service.port, campaign: campaign, connections: crowd, jobs: JobList(jobs), ledger: free)
            let answers = free.all
            #expect(answers.allSatisfy { [200, 201, 503].contains($0.status) },
                    "\(answers.filter { ![200, 201, 503].contains($0.status) }.prefix(3).map { "\($0.status ?? 0) \($0.code ?? $0.failure ?? "")" })")
            let memory = service.memory()
            let peakMiB = (memory?.peak ?? 0) / 1024
            #expect(memory != nil && peakMiB < 300, "peak memory \(peakMiB) MiB")
            let summary = try await campaign.check(Ledger(stalled.all + answers), port: service.port, signOnly: true)
            print("[faults] overload: \(crowd) connections against a pool of 2 and \(limit) requests in flight; stalled: \(shed.count) shed in at most "
                + "\(slowest); free: \(answers.count) requests, \(answers.count { $0.status == 503 }) shed; \(summary); "
                + "memory \((baseline?.rss ?? 0) / 1024) MiB before, peak \(peakMiB) MiB")
        }
    }
}
