import EmbeddedPostgres
import Foundation
import Logging
import MobiliseAPI
import MobiliseDomain
import MobiliseStore
import MobiliseTesting
import Postgres
import Testing

/// Issue 23: reminder e-mails survive SIGKILL of the service and a restart of the database, and
/// the sending rate holds for all instances together. The service is the `mobilise` binary; the
/// SMTP server a real one on loopback (aiosmtpd, `Tests/email/smtp_server.py`), which can accept a
/// message and never answer it: the window between the server's 250 and the sender's record.
@Suite(.serialized) struct EmailFaultTests {
    /// SIGKILL while the server holds a message it accepted: every planned message arrives; the
    /// one in the window arrives twice, with the same `Message-ID`, and no other.
    @Test func aWaveSurvivesSIGKILLOfTheServiceMidWave() async throws {
        try await EmailFaultRig.with(people: 30, hangAt: 5) { rig in
            let first = try await rig.startService()
            let wave = try await rig.scheduleWave(port: first.port)
            try await waitUntil("a message is on the wire", timeout: .seconds(90), interval: .milliseconds(20)) {
                rig.smtp.messages().contains { $0.hung }
            }
            first.signal(SIGKILL)
            _ = await first.waitForExit()
            rig.forget(first)
            #expect(rig.smtp.messages().count < 30, "the wave was not over when the service was killed")

            let second = try await rig.startService()
            try await rig.expectWaveDelivered(wave, port: second.port)
        }
    }

    /// The database stopped (`--immediate`) and started again while the server holds a message:
    /// the service, never restarted, delivers every planned message; the one in the window twice,
    /// with the same `Message-ID`.
    @Test func aWaveSurvivesADatabaseRestartMidWave() async throws {
        try await EmailFaultRig.with(people: 30, hangAt: 5) { rig in
            let service = try await rig.startService()
            let wave = try await rig.scheduleWave(port: service.port)
            try await waitUntil("a message is on the wire", timeout: .seconds(90), interval: .milliseconds(20)) {
                rig.smtp.messages().contains { $0.hung }
            }
            let stop = try await CommandRunner.run(CommandRunner.mobilise, ["db", "stop", "--data-dir", rig.root, "--immediate"])
            try #require(stop.status == 0, "\(stop.standardError)")
            let start = try await CommandRunner.run(CommandRunner.mobilise, ["db", "start", "--data-dir", rig.root])
            try #require(start.status == 0, "\(start.standardError)")
            #expect(rig.smtp.messages().count < 30, "the wave was not over when the database restarted")
            try await rig.expectWaveDelivered(wave, port: service.port)
            #expect(service.exitStatus == nil, "the service survived the restart")
        }
    }

    /// Two instances on one database, each configured with `MOBILISE_SMTP_RATE=10`: together they
    /// send at most ten a second (each reserves its batches' slots in the database), not twenty.
    @Test func twoInstancesTogetherKeepToTheConfiguredRate() async throws {
        let rate = 10.0, people = 40
        try await EmailFaultRig.with(people: people, rate: rate) { rig in
            let first = try await rig.startService()
            let second = try await rig.startService()
            let wave = try await rig.scheduleWave(port: first.port)
            try await rig.expectWaveDelivered(wave, port: second.port, duplicates: 0)
            let times = rig.smtp.messages().compactMap(\.receivedAt).sorted()
            let span = (times.last ?? 0) - (times.first ?? 0)
            // Slots are 1/rate apart for all instances together: the last message cannot leave
            // before (people - 1)/rate after the first (a quarter off for the network's jitter).
            // Each instance on a budget of its own sends in about half that (two at the rate each).
            let least = Double(people - 1) / rate
            var densest = 0
            for (index, time) in times.enumerated() {
                densest = max(densest, times[index...].prefix { $0 < time + 1 }.count)
            }
            print("[email-rate] \(people) messages, two instances at MOBILISE_SMTP_RATE=\(Int(rate)): first to last "
                  + "\(String(format: "%.2f", span)) s (slots alone: \(String(format: "%.2f", least)) s); densest second: \(densest)")
            #expect(span >= least * 0.75, "\(people) messages in \(span) s: faster than \(rate) a second")
        }
    }
}

/// A database, an SMTP server on loopback, a campaign with `people` employees (each in UTC, with
/// an address), and the services a test starts.
final class EmailFaultRig: @unchecked Sendable {
    let root: String
    let smtp: FaultSMTPServer
    let pool: PostgresPool
    let people: Int
    let environment: [String: String]
    /// Only the test's task touches it (the class is shared with its closures, never concurrently).
    private var services: [ServiceProcess] = []
    private var token = ""

    static func with(
        people: Int, hangAt: Int? = nil, rate: Double = 1000, _ body: (EmailFaultRig) async throws -> Void
    ) async throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("mobilise-email-\(UUID().uuidString.prefix(8))").path
        let started = try await CommandRunner.run(CommandRunner.mobilise, ["db", "start", "--data-dir", root])
        try #require(started.status == 0, "\(started.standardError)")
        let server = EmbeddedPostgres(configuration: .init(dataDirectory: root + "/postgres"), logger: Logger(label: "email-faults"))
        let pool = PostgresPool(
            configuration: .init(connection: try PostgresConfiguration(server.connectionString(database: "mobilise"), applicationName: "email-faults"),
                                 maxConnections: 2),
            logger: Logger(label: "email-faults"))
        var smtp: FaultSMTPServer?
        var rig: EmailFaultRig?
        do {
            let server = try await FaultSMTPServer.start(hangAt: hangAt)
            smtp = server
            let made = EmailFaultRig(root: root, smtp: server, pool: pool, people: people, environment: [
                "MOBILISE_SMTP_URL": "smtp://127.0.0.1:\(server.port)", "MOBILISE_SMTP_FROM": "Acme HR <hr-news@acme.example>",
                "MOBILISE_PUBLIC_URL": "https://mobilise.acme.example", "MOBILISE_SMTP_RATE": String(rate),
                "MOBILISE_SMTP_TIMEOUT": "2s", "MOBILISE_OUTBOX_POLL": "100ms", "MOBILISE_OUTBOX_RETRY_BASE": "200ms",
                "MOBILISE_OUTBOX_RETRY_CAP": "1s",
            ])
            rig = made
            try await body(made)
        } catch {
            for service in rig?.services ?? [] { print("[email-faults] service log:\n\(service.logTail)") }
            await rig?.stopAll()
            smtp?.stop()
            await pool.close()
            await Self.removeCluster(root)
            throw error
        }
        await rig?.stopAll()
        smtp?.stop()
        await pool.close()
        await Self.removeCluster(root)
    }

    private init(root: String, smtp: FaultSMTPServer, pool: PostgresPool, people: Int, environment: [String: String]) {
        self.root = root
        self.smtp = smtp
        self.pool = pool
        self.people = people
        self.environment = environment
    }

    func startService() async throws -> ServiceProcess {
        let service = try await ServiceProcess.start(arguments: ["--data-dir", root], environment: environment)
        services.append(service)
        return service
    }

    /// A killed service: not stopped again at the end.
    func forget(_ service: ServiceProcess) {
        services.removeAll { $0 === service }
    }

    func stopAll() async {
        for service in services { await service.stop() }
        services = []
    }

    /// The organisation, its people, a launched campaign and a wave due now (hour 0 today, UTC:
    /// everyone's time zone is UTC); returns the wave's id.
    func scheduleWave(port: Int) async throws -> String {
        let store = MobiliseStore(pool: pool, logger: Logger(label: "email-faults"))
        let organisation = try await store.createOrganisation(slug: "acme", name: "Acme", privacyK: 1)
        let rows = (1...people).map { "p-\($0),person\($0)@acme.example,Person \($0),GB,UTC" }
        let file = "external_id,email,display_name,country,time_zone\n" + rows.joined(separator: "\n") + "\n"
        let report = try await store.importEmployees(organisationID: organisation.id, csv: Array(file.utf8), mode: .upsert, actor: Actor("setup"))
        try #require(report.inserted == people && report.rejectedCount == 0)
        let issuer = try await TokenIssuer(secret: ServiceProcess.secret)
        token = try await issuer.token(subject: "hr-1", organisation: "acme", roles: [.hrAdmin])
        let now = Date()
        let created = try await HTTP.request(port: port, .post, "/v1/campaigns", token: token, body: """
            {"slug": "wave", "hashtag": "#Wave", "title": "Wave", "pledge_text": "I commit",
             "starts_at": "\(rfc3339(now.addingTimeInterval(-86_400)))", "ends_at": "\(rfc3339(now.addingTimeInterval(86_400)))"}
            """)
        try #require(created.status == 201, "\(created.text)")
        let launched = try await HTTP.request(port: port, .post, "/v1/campaigns/wave/launch", token: token)
        try #require(launched.status == 200, "\(launched.text)")
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        let scheduled = try await HTTP.request(port: port, .post, "/v1/campaigns/wave/reminder-waves", token: token, body: """
            {"send_on": "\(formatter.string(from: now))", "local_hour": 0}
            """)
        try #require(scheduled.status == 201, "\(scheduled.text)")
        let counts = scheduled.json["counts"] as? [String: any Sendable] ?? [:]
        try #require(counts["planned"] as? Int == people, "\(scheduled.text)")
        return try #require(scheduled.json["id"] as? String)
    }

    /// Every planned message arrives, the wave's report says so, and at most `duplicates` people
    /// got theirs twice: each time with the same `Message-ID` (one per message otherwise).
    func expectWaveDelivered(_ wave: String, port: Int, duplicates: Int = 1) async throws {
        let addresses = Set((1...people).map { "person\($0)@acme.example" })
        try await waitUntil("every planned message arrived and the wave is done", timeout: .seconds(150), interval: .milliseconds(100)) {
            guard Set(self.smtp.messages().flatMap(\.recipients)) == addresses else { return false }
            let report = try await HTTP.request(port: port, .get, "/v1/reminder-waves/\(wave)", token: self.token)
            let counts = report.json["counts"] as? [String: any Sendable] ?? [:]
            return counts["sent"] as? Int == self.people && counts["pending"] as? Int == 0
        }
        let received = smtp.messages()
        var byRecipient: [String: [String]] = [:]
        for message in received {
            for recipient in message.recipients { byRecipient[recipient, default: []].append(message.messageID ?? "") }
        }
        let twice = byRecipient.filter { $0.value.count > 1 }
        print("[email-faults] \(people) planned, \(received.count) received, \(twice.count) twice")
        #expect(twice.count <= duplicates, "sent twice: \(twice)")
        #expect(byRecipient.values.allSatisfy { $0.count <= 2 })
        for (recipient, ids) in twice { #expect(Set(ids).count == 1, "\(recipient): a repeat must carry the same Message-ID: \(ids)") }
        let ids = byRecipient.values.compactMap(\.first)
        #expect(Set(ids).count == people && ids.allSatisfy { $0.hasPrefix("<") && $0.hasSuffix("@acme.example>") })
        if duplicates > 0 {
            // The message held on the wire is the one repeated (when anything is).
            let hung = received.filter(\.hung).flatMap(\.recipients)
            #expect(Set(twice.keys).isSubset(of: Set(hung)), "repeated: \(twice.keys.sorted()), held: \(hung)")
        }
    }

    private static func removeCluster(_ root: String) async {
        _ = try? await CommandRunner.run(CommandRunner.mobilise, ["db", "stop", "--data-dir", root, "--immediate"])
        if let relocated = try? FileManager.default.destinationOfSymbolicLink(atPath: root + "/postgres") {
            try? FileManager.default.removeItem(atPath: relocated)
        }
        try? FileManager.default.removeItem(atPath: root)
    }
}

/// `Tests/email/smtp_server.py` (aiosmtpd) on loopback, without TLS; what it received.
final class FaultSMTPServer: Sendable {
    private let server: ScriptServer
    var port: Int { server.port }

    struct Received: Sendable {
        var object: [String: any Sendable]
        var recipients: [String] { object["rcpt_tos"] as? [String] ?? [] }
        var messageID: String? { object["message_id"] as? String }
        /// Accepted, and never answered (`--hang-at`).
        var hung: Bool { object["hung"] as? Bool ?? false }
        /// When the server had the whole message (Unix seconds).
        var receivedAt: Double? { object["received_at"] as? Double }
    }

    static func start(hangAt: Int?) async throws -> FaultSMTPServer {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("email/smtp_server.py")
        return FaultSMTPServer(server: try await ScriptServer.start(
            script: script, arguments: hangAt.map { ["--hang-at", String($0)] } ?? [], what: "the SMTP server",
            advice: "is aiosmtpd installed? pip install aiosmtpd"))
    }

    private init(server: ScriptServer) { self.server = server }

    func messages() -> [Received] { server.records("messages.jsonl").map(Received.init(object:)) }

    func stop() { server.stop() }
}
