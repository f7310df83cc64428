import Foundation
import HummingbirdTesting
import MobiliseTesting
import Testing

/// Issue 7: the service process is killed, or asked to stop, under load.
@Suite(.serialized) struct ServiceSignalTests {
    /// SIGKILL while employees sign, then a new process on the same port: every signature that was
    /// acknowledged is there (none acknowledged before its commit), none twice, and the counts match.
    @Test func sigkillLosesNoAcknowledgedSignature() async throws {
        let employees = Scale.pick(short: 400, long: 4000)
        let connections = Scale.pick(short: 16, long: 48)
        let kills = Scale.pick(short: 1, long: 3)
        try await withServiceAndCampaign(employees: employees, environment: ["MOBILISE_DB_POOL": "8"]) { first, campaign, url in
            let environment = ["MOBILISE_RATE_LIMIT": "1000000", "MOBILISE_DB_POOL": "8"]
            var current = first
            let port = first.port
            let ledger = Ledger()
            let traffic = SigningRounds(employees: employees)
            let load = Task { await drive(port: port, campaign: campaign, connections: connections, jobs: traffic, ledger: ledger) }
            do {
                for round in 1...kills {
                    let before = ledger.count { $0.succeeded }
                    try await waitUntil("signing goes on", timeout: .seconds(120), interval: .milliseconds(50)) { ledger.count { $0.succeeded } >= before + employees / 5 }
                    let victim = current
                    victim.signal(SIGKILL)
                    let status = await victim.waitForExit()
                    #expect(status == 128 + SIGKILL, "round \(round): exit status \(status)")
                    let killed = ContinuousClock.now
                    try await waitUntil("clients notice", timeout: .seconds(60), interval: .milliseconds(50)) { ledger.count { $0.started > killed && $0.status == nil } >= 1 }
                    let next = try await ServiceProcess.start(arguments: ["--database-url", url], environment: environment, port: port)
                    current = next
                    let up = ContinuousClock.now
                    try await waitUntil("signing succeeds on the new process", timeout: .seconds(120), interval: .milliseconds(50)) {
                        ledger.count { $0.started > up && $0.succeeded } >= 100
                    }
                }
            } catch {
                traffic.stop()
                await load.value
                await current.stop()
                throw error
            }
            traffic.stop()
            await load.value
            let service = current
            let unanswered = ledger.count { $0.status == nil }
            let summary = try await campaign.check(ledger, port: port, signOnly: true)
            let final = await finalSigningPass(port: port, campaign: campaign, connections: connections)
            let recovered = final.all.allSatisfy { $0.succeeded }
            #expect(recovered, "after the kills: \(final.all.filter { !$0.succeeded }.prefix(3).map { "\($0.status ?? 0) \($0.code ?? $0.failure ?? "")" })")
            try await campaign.check(Ledger(ledger.all + final.all), port: port, signOnly: true)
            let signedAtTheEnd = try await campaign.rows().values.filter(\.current).count
            #expect(signedAtTheEnd == employees)
            await service.stop()
            print("[faults] SIGKILL: \(employees) employees, \(connections) connections, \(kills) kill(s); \(summary); "
                + "\(unanswered) requests got no answer while no process listened; all \(employees) signed afterwards")
        }
    }

    /// SIGTERM while requests wait on the database: the service stops taking connections, the
    /// requests in flight finish with their answers, then the process exits 0.
    @Test func sigtermFinishesInFlightRequestsThenExitsZero() async throws {
        let requests = 10
        // At `info`, as the service runs by default: one request line each, written off the request path.
        try await withServiceAndCampaign(employees: requests, environment: ["MOBILISE_DB_POOL": "16", "MOBILISE_LOG_LEVEL": "info"]) {
            service, campaign, _ in
            let holder = try await lockSignatures(campaign.pool)
            defer { holder.cancel() }  // also when the test throws: the pool cannot close while the lock's session sleeps
            let ledger = Ledger()
            let load = Task {
                await drive(port: service.port, campaign: campaign, connections: requests,
                            jobs: JobList((0..<requests).map { Job(employee: $0, operation: .sign) }), ledger: ledger)
            }
            // Every request in flight (/metrics does not count itself), the signing writers waiting on the lock.
            try await waitUntil("every request waits on the lock", timeout: .seconds(60), interval: .milliseconds(50)) {
                let inFlight = try await HTTP.metric(port: service.port, "mobilise_http_requests_in_flight")
                return try await sessionsWaitingForALock(campaign.pool) >= 1 && inFlight == Double(requests)
            }
            service.signal(SIGTERM)
            try await waitUntil("the service stops accepting connections", timeout: .seconds(30), interval: .milliseconds(50)) {
                (try? await HTTP.request(port: service.port, .get, "/healthz", timeout: .seconds(5))) == nil
            }
            #expect(ledger.all.isEmpty, "answered before the lock was released: \(ledger.all.map { $0.status ?? 0 })")
            #expect(service.exitStatus == nil, "exited with requests in flight")
            holder.cancel()
            await load.value
            let status = await service.waitForExit()
            #expect(status == 0, "exit status \(status): \(service.logTail)")
            #expect(ledger.all.count == requests && ledger.all.allSatisfy { $0.status == 201 },
                    "\(ledger.all.map { "\($0.status ?? 0) \($0.code ?? $0.failure ?? "")" })")
            let rows = try await campaign.rows()
            #expect(rows.count == requests && rows.values.allSatisfy { $0.current && $0.plus == 1 })
            // The log lines still in memory at the signal were written before the process ended.
            let log = try String(contentsOf: service.log, encoding: .utf8)
            let signings = log.split(separator: "\n").filter { $0.contains("http.method=PUT") && $0.contains("http.status=201") }
            #expect(signings.count == requests, "\(signings.count) request lines for \(requests) signatures")
            print("[faults] SIGTERM: \(requests) requests in flight all answered 201 after the signal; exit status \(status)")
        }
    }
}
