import Foundation
import Logging
@testable import MobiliseAPI
import MobiliseDomain
import MobiliseStore
import MobiliseTesting
import Postgres
import Testing

/// E-mail reminder waves over the real service and a real SMTP server on loopback (aiosmtpd, with
/// STARTTLS on a self-signed certificate and AUTH): who gets a message (people in the audience who
/// have not signed, have an address and have not opted out), in which language, at which local
/// hour, with which headers and links; one-click unsubscribe (RFC 8058) and the next wave skipping
/// the person; refusals (4xx, 5xx) in the wave's counts; HR's report holding counts only.
@Suite(.serialized) struct EmailReminderTests {
    static let workforce = """
        external_id,email,display_name,country,gender,site,org_unit,active
        fr-1,elodie@acme.example,Élodie Martin,FR,female,Lyon,Energy Management,true
        fr-2,signer@acme.example,Sophie Signer,FR,female,Lyon,Energy Management,true
        de-1,jonas@acme.example,Jonas Müller,DE,male,Berlin,Energy Management,true
        br-5,beatriz@acme.example,Beatriz Souza,BR,female,São Paulo,Energy Management,true
        pl-1,kasia@acme.example,Katarzyna Nowak,PL,female,Warsaw,Energy Management,true
        cn-1,li@acme.example,李娜,CN,female,Shanghai,Energy Management,true
        in-7,meera@acme.example,Meera Iyer,IN,female,Pune,Energy Management,true
        in-8,former@acme.example,Gone Person,IN,female,Pune,Energy Management,false

        """

    static func environment(_ server: SMTPTestServer, url: String) -> [String: String] {
        [
            "MOBILISE_SMTP_URL": url, "MOBILISE_SMTP_CA_FILE": server.certificate, "MOBILISE_SMTP_FROM": "Acme HR <hr-news@acme.example>",
            "MOBILISE_PUBLIC_URL": "https://mobilise.acme.example", "MOBILISE_SMTP_RATE": "1000", "MOBILISE_SMTP_TIMEOUT": "10s",
            "MOBILISE_OUTBOX_RETRY_BASE": "20ms", "MOBILISE_OUTBOX_RETRY_CAP": "100ms", "MOBILISE_OUTBOX_MAX_ATTEMPTS": "3",
        ]
    }

    /// A day `days` after today (UTC), `YYYY-MM-DD`.
    static func day(_ days: Int) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        return formatter.string(from: Date().addingTimeInterval(Double(days) * 86_400))
    }

    /// `hour`:00 on `day` in `zone`.
    static func instant(_ day: String, hour: Int, zone: String) throws -> Date {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = try #require(TimeZone(identifier: zone))
        let parts = day.split(separator: "-").compactMap { Int($0) }
        return try #require(calendar.date(from: DateComponents(year: parts[0], month: parts[1], day: parts[2], hour: hour)))
    }

    static func schedule(_ harness: ServiceHarness, day: String, hour: Int = 9) async throws -> ServiceHarness.Reply {
        let hr = try await harness.token("hr-1", [.hrAdmin])
        return try await harness.call(.post, "/v1/campaigns/heforshe/reminder-waves", token: hr, json: #"{"send_on": "\#(day)", "local_hour": \#(hour)}"#)
    }

    static func report(_ harness: ServiceHarness, _ id: String) async throws -> [String: any Sendable] {
        let hr = try await harness.token("hr-1", [.hrAdmin])
        let reply = try await harness.call(.get, "/v1/reminder-waves/\(id)", token: hr)
        return reply.json["counts"] as? [String: any Sendable] ?? [:]
    }

    /// Time passes: the wave's messages are due now (their planned instants were checked before).
    static func makeDue(_ harness: ServiceHarness, wave: String) async throws {
        let id = try #require(UUID(uuidString: wave))
        _ = try await harness.store.pool.withConnection { connection in
            try connection.execute("UPDATE email_messages SET next_attempt_at = clock_timestamp() WHERE wave_id = \(id)")
        }
    }

    /// Runs the sender (as a service runs it, driven by the test) until the wave has nothing pending.
    static func deliver(_ harness: ServiceHarness, environment: [String: String], wave: String) async throws {
        let sender = EmailSender(store: harness.store, configuration: try EmailConfiguration.fromEnvironment(environment), logger: Logger(label: "test-email"))
        try await waitUntil("the wave has nothing pending", timeout: .seconds(60), interval: .milliseconds(20)) {
            try await sender.deliverDue()
            return try await report(harness, wave)["pending"] as? Int == 0
        }
    }

    @Test func aWaveRemindsNonSignersInTheirLanguageAtTheirHourAndOneClickUnsubscribes() async throws {
        try await SMTPTestServer.with(tls: true, auth: "mobilise:s3cret pass!") { server in
            let environment = Self.environment(server, url: "smtp://mobilise:s3cret%20pass%21@127.0.0.1:\(server.port)")
            try await ServiceHarness.run(environment: environment) { harness in
                _ = try await harness.store.importEmployees(
                    organisationID: harness.acme.id, csv: Array(Self.workforce.utf8), mode: .upsert, actor: Actor("setup"))
                _ = try await harness.launchedCampaign()
                let signer = try await harness.token("fr-2", [.employee])
                #expect(try await harness.call(.put, "/v1/campaigns/heforshe/signature", token: signer).status.code < 300)

                // Tomorrow at 09:00, local time.
                let tomorrow = Self.day(1)
                let scheduled = try await Self.schedule(harness, day: tomorrow)
                #expect(scheduled.status == .created, "\(scheduled.text)")
                let wave = try #require(scheduled.json["id"] as? String)
                let counts = scheduled.json["counts"] as? [String: any Sendable] ?? [:]
                // hr-1 and lead-1 (France) have addresses too; twelve others have none; in-8 left; fr-2 signed.
                #expect(counts["planned"] as? Int == 8 && counts["excluded_no_email"] as? Int == 12 && counts["sent"] as? Int == 0)

                // Each message waits for 09:00 in its person's time zone, in their language.
                let planned = try await harness.store.pool.withConnection { connection in
                    try connection.query("""
                        SELECT e.external_id, m.language, m.next_attempt_at FROM email_messages m
                        JOIN employees e ON e.organisation_id = m.organisation_id AND e.id = m.employee_id ORDER BY 1
                        """).rows.map { try $0.decode((String, String, Date).self) }
                }
                let expected: [String: (String, String)] = [
                    "hr-1": ("fr", "Europe/Paris"), "lead-1": ("fr", "Europe/Paris"), "fr-1": ("fr", "Europe/Paris"),
                    "de-1": ("de", "Europe/Berlin"), "br-5": ("pt-BR", "America/Sao_Paulo"), "pl-1": ("pl", "Europe/Warsaw"),
                    "cn-1": ("zh-Hans", "Asia/Shanghai"), "in-7": ("en", "Asia/Kolkata"),
                ]
                #expect(Set(planned.map(\.0)) == Set(expected.keys))
                for (person, language, at) in planned {
                    let (wantedLanguage, zone) = try #require(expected[person])
                    #expect(language == wantedLanguage, "\(person)")
                    #expect(at == (try Self.instant(tomorrow, hour: 9, zone: zone)), "\(person): \(at)")
                }
                // Not yet due: nothing is sent before the hour.
                let sender = EmailSender(
                    store: harness.store, configuration: try EmailConfiguration.fromEnvironment(environment), logger: Logger(label: "test-email"))
                #expect(try await sender.deliverDue() == 0)
                #expect(server.messages().isEmpty)

                // The hour comes: eight messages, over STARTTLS, after AUTH.
                try await Self.makeDue(harness, wave: wave)
                try await Self.deliver(harness, environment: environment, wave: wave)
                let received = server.messages()
                #expect(received.count == 8)
                #expect(Set(received.flatMap(\.recipients)) == [
                    "hr@acme.example", "lead@acme.example", "elodie@acme.example", "jonas@acme.example", "beatriz@acme.example",
                    "kasia@acme.example", "li@acme.example", "meera@acme.example",
                ])
                let subjects: [String: String] = [
                    "elodie@acme.example": "Rappel : ElleLui chez Acme", "jonas@acme.example": "Erinnerung: HeForShe at Acme",
                    "beatriz@acme.example": "Lembrete: HeForShe at Acme", "kasia@acme.example": "Przypomnienie: HeForShe at Acme",
                    "li@acme.example": "提醒：HeForShe at Acme", "meera@acme.example": "Reminder: HeForShe at Acme",
                ]
                var tokens: [String: String] = [:]
                for message in received {
                    let address = message.recipients.first ?? ""
                    #expect(message.tls && message.auth == "mobilise", "\(address): tls \(message.tls), auth \(message.auth ?? "none")")
                    #expect(message.problems.isEmpty, "\(address): \(message.problems)")
                    #expect(message.mailFrom == "hr-news@acme.example" && message.from.contains("hr-news@acme.example"))
                    #expect(message.to.contains(address))
                    #expect(message.partTypes == ["text/plain", "text/html"])
                    #expect(message.date != nil && message.messageID?.hasPrefix("<") == true)
                    if let subject = subjects[address] { #expect(message.subject == subject, "\(address)") }
                    // Non-ASCII subjects travel as RFC 2047 encoded words.
                    if !message.subject.allSatisfy(\.isASCII) { #expect(message.rawSubject.contains("=?UTF-8?B?")) }
                    #expect(message.contentLanguage == expected[Self.person(address)]?.0, "\(address)")
                    #expect(message.listUnsubscribePost == "List-Unsubscribe=One-Click")
                    let unsubscribe = try #require(message.unsubscribeURL, "\(address)")
                    #expect(unsubscribe.hasPrefix("https://mobilise.acme.example/unsubscribe/"))
                    let token = String(unsubscribe.dropFirst("https://mobilise.acme.example/unsubscribe/".count))
                    #expect(token.count == 43)
                    tokens[address] = token
                    // Both parts link to the campaign's page and to the unsubscribe address.
                    #expect(message.text.contains("https://mobilise.acme.example/?campaign=heforshe"))
                    #expect(message.html.contains("href=\"https://mobilise.acme.example/?campaign=heforshe\""))
                    #expect(message.text.contains(unsubscribe) && message.html.contains(unsubscribe))
                }
                #expect(Set(tokens.values).count == 8, "each message has its own token")
                let jonas = try #require(received.first { $0.recipients == ["jonas@acme.example"] })
                #expect(jonas.text.contains("Hallo Jonas Müller,") && jonas.text.contains("bei Acme arbeiten"))
                let li = try #require(received.first { $0.recipients == ["li@acme.example"] })
                #expect(li.to.contains("李娜") && li.html.contains("lang=\"zh-Hans\""))

                // HR's report: counts only, no address, no name.
                let hr = try await harness.token("hr-1", [.hrAdmin])
                let report = try await harness.call(.get, "/v1/reminder-waves/\(wave)", token: hr)
                #expect(report.status == .ok)
                #expect((report.json["counts"] as? [String: any Sendable])?["sent"] as? Int == 8)
                for secret in ["acme.example", "Jonas", "Élodie", "fr-1", "de-1"] { #expect(!report.text.contains(secret), "\(secret)") }
                // Leaders and employees do not see waves at all.
                let leader = try await harness.token("lead-1", [.leader])
                #expect(try await harness.call(.get, "/v1/reminder-waves/\(wave)", token: leader).status == .forbidden)
                #expect(try await harness.call(.get, "/v1/campaigns/heforshe/reminder-waves", token: leader).status == .forbidden)

                // A GET of the link only asks (mail scanners follow links); the one-click POST opts out.
                let elodie = try #require(tokens["elodie@acme.example"])
                let jonasToken = try #require(tokens["jonas@acme.example"])
                let page = try await harness.call(.get, "/unsubscribe/\(elodie)")
                #expect(page.status == .ok && page.text.contains("Arrêter les rappels") && page.text.contains("method=\"post\""))
                let click = try await harness.call(
                    .post, "/unsubscribe/\(jonasToken)", raw: Array("List-Unsubscribe=One-Click".utf8),
                    contentType: "application/x-www-form-urlencoded")
                #expect(click.status == .ok && click.text.contains("Sie erhalten keine Erinnerungs-E-Mails mehr"))
                #expect(try await harness.call(.post, "/unsubscribe/\(String(repeating: "A", count: 43))").status == .notFound)
                #expect(try await Self.report(harness, wave)["opted_out"] as? Int == 1)

                // The same day again: refused, not sent twice.
                let again = try await Self.schedule(harness, day: tomorrow)
                #expect(again.status == .conflict && again.errorCode == "reminder_wave_exists")

                // The next wave skips Jonas (opted out), not Élodie (who only looked at the page).
                let second = try await Self.schedule(harness, day: Self.day(2), hour: 14)
                #expect(second.status == .created, "\(second.text)")
                let secondWave = try #require(second.json["id"] as? String)
                let secondCounts = second.json["counts"] as? [String: any Sendable] ?? [:]
                #expect(secondCounts["planned"] as? Int == 7 && secondCounts["excluded_opted_out"] as? Int == 1)
                try await Self.makeDue(harness, wave: secondWave)
                try await Self.deliver(harness, environment: environment, wave: secondWave)
                let all = server.messages()
                #expect(all.count == 15)
                let secondRecipients = all.dropFirst(8).flatMap(\.recipients)
                #expect(!secondRecipients.contains("jonas@acme.example") && secondRecipients.contains("elodie@acme.example"))
                let waves = try await harness.call(.get, "/v1/campaigns/heforshe/reminder-waves", token: hr)
                #expect((waves.json["waves"] as? [[String: any Sendable]])?.count == 2)
            }
        }
    }

    static func person(_ address: String) -> String {
        [
            "elodie@acme.example": "fr-1", "jonas@acme.example": "de-1", "beatriz@acme.example": "br-5", "kasia@acme.example": "pl-1",
            "li@acme.example": "cn-1", "meera@acme.example": "in-7", "hr@acme.example": "hr-1", "lead@acme.example": "lead-1",
        ][address] ?? ""
    }

    /// People of one country (the United States: English, New York's hour, for anyone who says
    /// nothing else), each with their own language and time zone from the HR file or SCIM.
    @Test func peopleOfOneCountryEachGetTheirOwnLanguageAtTheirOwnHour() async throws {
        try await SMTPTestServer.with { server in
            let environment = Self.environment(server, url: "smtp://127.0.0.1:\(server.port)")
            try await ServiceHarness.run(environment: environment) { harness in
                let workforce = """
                    external_id,email,display_name,country,preferred_language,time_zone
                    us-1,ann@acme.example,Ann,US,,
                    us-2,chloe@acme.example,Chloé,US,fr-CA,America/Chicago
                    us-3,diego@acme.example,Diego,US,es-MX,America/Los_Angeles
                    us-4,joao@acme.example,João,US,pt,
                    us-5,mei@acme.example,Mei,US,zh-TW,Pacific/Honolulu
                    us-6,kai@acme.example,Kai,US,de,asia/tokyo

                    """
                let report = try await harness.store.importEmployees(
                    organisationID: harness.acme.id, csv: Array(workforce.utf8), mode: .upsert, actor: Actor("setup"))
                #expect(report.inserted == 6 && report.rejectedCount == 0, "\(report.rejected)")
                // An identity provider says where someone else is, and in which language.
                let scim = try await SCIMSession.open(harness)
                let created = try await scim.call(.post, "/Users", """
                    {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "us-7", "displayName": "Zofia",
                     "emails": [{"value": "zofia@acme.example", "type": "work"}], "addresses": [{"country": "US", "type": "work"}],
                     "preferredLanguage": "pl-PL", "timezone": "America/Denver"}
                    """)
                #expect(created.status == .created, "\(created.text)")
                _ = try await harness.launchedCampaign()
                let tomorrow = Self.day(1)
                let scheduled = try await Self.schedule(harness, day: tomorrow, hour: 10)
                #expect(scheduled.status == .created, "\(scheduled.text)")
                let wave = try #require(scheduled.json["id"] as? String)

                let expected: [String: (language: String, zone: String, subject: String)] = [
                    "ann@acme.example": ("en", "America/New_York", "Reminder: HeForShe at Acme"),
                    "chloe@acme.example": ("fr", "America/Chicago", "Rappel : ElleLui chez Acme"),
                    "diego@acme.example": ("es", "America/Los_Angeles", "Recordatorio: HeForShe at Acme"),
                    "joao@acme.example": ("pt-BR", "America/New_York", "Lembrete: HeForShe at Acme"),
                    // No catalogue in Traditional Chinese: the country's language; her own hour.
                    "mei@acme.example": ("en", "Pacific/Honolulu", "Reminder: HeForShe at Acme"),
                    "kai@acme.example": ("de", "Asia/Tokyo", "Erinnerung: HeForShe at Acme"),
                    "zofia@acme.example": ("pl", "America/Denver", "Przypomnienie: HeForShe at Acme"),
                ]
                let planned = try await harness.store.pool.withConnection { connection in
                    try connection.query("""
                        SELECT e.email, m.language, m.next_attempt_at FROM email_messages m
                        JOIN employees e ON e.organisation_id = m.organisation_id AND e.id = m.employee_id
                        WHERE e.country = 'US'
                        """).rows.map { try $0.decode((String, String, Date).self) }
                }
                #expect(Set(planned.map(\.0)) == Set(expected.keys))
                for (address, language, at) in planned {
                    let wanted = try #require(expected[address])
                    #expect(language == wanted.language, "\(address)")
                    #expect(at == (try Self.instant(tomorrow, hour: 10, zone: wanted.zone)), "\(address): \(at)")
                }
                try await Self.makeDue(harness, wave: wave)
                try await Self.deliver(harness, environment: environment, wave: wave)
                let received = server.messages().filter { expected[$0.recipients.first ?? ""] != nil }
                #expect(received.count == expected.count)
                for message in received {
                    let address = message.recipients.first ?? ""
                    let wanted = try #require(expected[address])
                    #expect(message.contentLanguage == wanted.language && message.subject == wanted.subject, "\(address): \(message.subject)")
                    #expect(message.problems.isEmpty, "\(address): \(message.problems)")
                }
            }
        }
    }

    @Test func refusalsEndFailedOrRetriedAndSigningBeforeTheHourSkipsTheMessage() async throws {
        try await SMTPTestServer.with { server in
            let environment = Self.environment(server, url: "smtp://127.0.0.1:\(server.port)")
            try await ServiceHarness.run(environment: environment) { harness in
                let workforce = """
                    external_id,email,display_name,country,gender,active
                    ok-1,ok@acme.example,Olivia,GB,female,true
                    busy-1,refuse4@acme.example,Busy,GB,female,true
                    gone-2,refuse5@acme.example,Nobody,GB,female,true
                    late-1,late@acme.example,Late Signer,GB,female,true

                    """
                _ = try await harness.store.importEmployees(
                    organisationID: harness.acme.id, csv: Array(workforce.utf8), mode: .upsert, actor: Actor("setup"))
                _ = try await harness.launchedCampaign()
                let scheduled = try await Self.schedule(harness, day: Self.day(1))
                #expect(scheduled.status == .created, "\(scheduled.text)")
                let wave = try #require(scheduled.json["id"] as? String)
                // Planned, then the person signs before their hour: not reminded.
                let late = try await harness.token("late-1", [.employee])
                #expect(try await harness.call(.put, "/v1/campaigns/heforshe/signature", token: late).status.code < 300)
                try await Self.makeDue(harness, wave: wave)
                try await Self.deliver(harness, environment: environment, wave: wave)

                let counts = try await Self.report(harness, wave)
                // ok-1, hr-1 and lead-1 sent; 550 failed at once, 451 failed after three attempts.
                #expect(counts["planned"] as? Int == 6 && counts["sent"] as? Int == 3 && counts["failed"] as? Int == 2
                        && counts["skipped_signed"] as? Int == 1 && counts["pending"] as? Int == 0, "\(counts)")
                #expect(Set(server.messages().flatMap(\.recipients)) == ["ok@acme.example", "hr@acme.example", "lead@acme.example"])
                let attempts = try await harness.store.pool.withConnection { connection in
                    try connection.query("""
                        SELECT e.external_id, m.attempts, m.last_reply_code, m.status FROM email_messages m
                        JOIN employees e ON e.organisation_id = m.organisation_id AND e.id = m.employee_id
                        WHERE e.external_id IN ('busy-1', 'gone-2') ORDER BY 1
                        """).rows.map { try $0.decode((String, Int, Int?, String).self) }
                }
                #expect(attempts.map(\.0) == ["busy-1", "gone-2"])
                #expect(attempts.first.map { $0.1 == 3 && $0.2 == 451 && $0.3 == "failed" } == true, "\(attempts)")
                #expect(attempts.last.map { $0.1 == 1 && $0.2 == 550 && $0.3 == "failed" } == true, "\(attempts)")
            }
        }
    }

    @Test func aPasswordIsNeverSentOverAnUnencryptedConnection() async throws {
        try await SMTPTestServer.with { server in
            let environment = Self.environment(server, url: "smtp://mobilise:secret@127.0.0.1:\(server.port)")
                .merging(["MOBILISE_OUTBOX_MAX_ATTEMPTS": "1"]) { $1 }
            try await ServiceHarness.run(environment: environment) { harness in
                _ = try await harness.launchedCampaign()
                let wave = try #require(try await Self.schedule(harness, day: Self.day(1)).json["id"] as? String)
                try await Self.makeDue(harness, wave: wave)
                try await Self.deliver(harness, environment: environment, wave: wave)
                #expect(try await Self.report(harness, wave)["failed"] as? Int == 2)
                #expect(server.messages().isEmpty)
                let errors = try await harness.store.pool.withConnection { connection in
                    try connection.query("SELECT DISTINCT last_error FROM email_messages").rows.map { try $0.decode(String?.self, column: "last_error") }
                }
                #expect(errors.count == 1 && errors.first??.contains("does not offer STARTTLS") == true, "\(errors)")
            }
        }
    }

    @Test func smtpsSpeaksTLSFromTheFirstByte() async throws {
        try await SMTPTestServer.with(implicitTLS: true, auth: "mobilise:pw") { server in
            let environment = Self.environment(server, url: "smtps://mobilise:pw@127.0.0.1:\(server.port)")
            try await ServiceHarness.run(environment: environment) { harness in
                _ = try await harness.launchedCampaign()
                let wave = try #require(try await Self.schedule(harness, day: Self.day(1)).json["id"] as? String)
                try await Self.makeDue(harness, wave: wave)
                try await Self.deliver(harness, environment: environment, wave: wave)
                #expect(try await Self.report(harness, wave)["sent"] as? Int == 2)
                let received = server.messages()
                #expect(received.count == 2 && received.allSatisfy { $0.tls && $0.auth == "mobilise" })
            }
        }
    }

    @Test func withoutSMTPAWaveIsRefusedWithAReason() async throws {
        try await ServiceHarness.run { harness in
            _ = try await harness.launchedCampaign()
            let reply = try await Self.schedule(harness, day: Self.day(1))
            #expect(reply.status == .conflict && reply.errorCode == "email_not_configured")
        }
    }

    @Test func wavesAreCheckedBeforeAnythingIsPlanned() async throws {
        try await SMTPTestServer.with { server in
            try await ServiceHarness.run(environment: Self.environment(server, url: "smtp://127.0.0.1:\(server.port)")) { harness in
                _ = try await harness.launchedCampaign()
                for (day, hour) in [(Self.day(1), 24), (Self.day(1), -1), ("2026-02-30", 9), ("tomorrow", 9), (Self.day(-3), 9), (Self.day(400), 9)] {
                    let reply = try await Self.schedule(harness, day: day, hour: hour)
                    #expect(reply.status == .unprocessableContent && reply.errorCode == "invalid_value", "\(day) \(hour): \(reply.text)")
                }
                let employee = try await harness.token("in-1", [.employee])
                let refused = try await harness.call(
                    .post, "/v1/campaigns/heforshe/reminder-waves", token: employee, json: #"{"send_on": "\#(Self.day(1))", "local_hour": 9}"#)
                #expect(refused.status == .forbidden)
                let hr = try await harness.token("hr-1", [.hrAdmin])
                _ = try await harness.call(.post, "/v1/campaigns/heforshe/close", token: hr)
                let closed = try await Self.schedule(harness, day: Self.day(1))
                #expect(closed.status == .conflict && closed.errorCode == "campaign_not_active")
            }
        }
    }

    // MARK: - Without a server

    @Test func smtpURLsAreReadWithTheirSecurityAndThePasswordIsNeverPrinted() throws {
        let plain = try SMTPSettings.parse("smtp://user%40corp:p%40ss%3Aword@mail.example.com:587")
        #expect(plain.security == .startTLS && plain.host == "mail.example.com" && plain.port == 587)
        #expect(plain.username == "user@corp" && plain.password == "p@ss:word")
        #expect(!plain.description.contains("p@ss") && !plain.description.contains("ss%3A"))
        let implicit = try SMTPSettings.parse("smtps://mail.example.com")
        #expect(implicit.security == .implicitTLS && implicit.port == 465 && implicit.username == nil)
        #expect(try SMTPSettings.parse("smtp://[::1]:2525").host == "::1")
        for bad in ["http://mail.example.com", "smtp://", "smtp://mail.example.com/path", "smtp://mail.example.com?x=1", "mail.example.com"] {
            #expect(throws: SMTPSettings.InvalidSMTPURL.self, "\(bad)") { try SMTPSettings.parse(bad) }
        }
        #expect(throws: EmailConfiguration.InvalidSetting.self) {
            try EmailConfiguration.fromEnvironment(["MOBILISE_SMTP_URL": "smtp://h", "MOBILISE_SMTP_RATE": "0"])
        }
        #expect(throws: EmailConfiguration.InvalidSetting.self) {
            try EmailConfiguration.fromEnvironment(["MOBILISE_SMTP_FROM": "Acme <not an address>"])
        }
        let from = try EmailConfiguration.mailbox("\"Acme HR\" <hr@acme.example>")
        #expect(from == MailMessage.Mailbox(address: "hr@acme.example", name: "Acme HR"))
    }

    @Test func dataIsDotStuffedAndEndsWithADotLine() {
        let stuffed = SMTPSession.dotStuffed(Array("a\r\n.b\r\n..\r\n".utf8))
        #expect(String(decoding: stuffed, as: UTF8.self) == "a\r\n..b\r\n...\r\n.\r\n")
        #expect(String(decoding: SMTPSession.dotStuffed(Array("x".utf8)), as: UTF8.self) == "x\r\n.\r\n")
        #expect(!SMTPSession.isSafeAddress("a@b.c>\r\nRCPT TO:<x@y.z") && SMTPSession.isSafeAddress("a.b+c@d.example"))
    }

    @Test func unsubscribeTokensRoundTripAndOthersAreRefused() {
        let token = Data((0..<32).map { UInt8($0 * 7 & 0xFF) })
        let text = EmailSender.base64URL(token)
        #expect(text.count == 43 && EmailSender.token(base64URL: text) == token)
        #expect(EmailSender.token(base64URL: text + "A") == nil && EmailSender.token(base64URL: "../" + text.dropFirst(3)) == nil)
    }
}
