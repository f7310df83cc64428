import Foundation
import Logging
import MobiliseDomain
import MobiliseStore
import ServiceLifecycle

/// E-mail reminders' settings (README, configuration).
public struct EmailConfiguration: Sendable {
    /// The SMTP server (`MOBILISE_SMTP_URL`); nil: no e-mail is sent and waves cannot be scheduled.
    public var smtp: SMTPSettings?
    /// The sender (`MOBILISE_SMTP_FROM`: `address` or `Name <address>`; default `mobilise@` the SMTP host).
    public var from = MailMessage.Mailbox(address: "mobilise@localhost", name: "Mobilise")
    /// At most this many messages a second, all instances together (`MOBILISE_SMTP_RATE`, default
    /// 5): each batch's sending slots are reserved in the database (sql/0028).
    public var ratePerSecond: Double = 5
    /// How often the sender looks for due messages (`MOBILISE_OUTBOX_POLL`, as the webhook outbox).
    public var pollInterval: Duration = .seconds(2)
    /// Retries (`MOBILISE_OUTBOX_RETRY_BASE`, `_CAP`, `_MAX_ATTEMPTS`, as the webhook outbox).
    public var retry = RetryPolicy()
    /// Messages claimed at once and sent over one SMTP session.
    public var batchSize = 10
    /// The address people reach the service at (`MOBILISE_PUBLIC_URL`): links in messages start with it.
    public var publicURL: String?

    /// How long a claim keeps other instances off a batch: longer than sending it can take.
    public var lease: Duration {
        let timeout = smtp?.timeout ?? .seconds(30)
        return timeout * (batchSize + 2) + .seconds(Int64((Double(batchSize) / max(ratePerSecond, 0.01)).rounded(.up)))
    }

    public init() {}

    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> EmailConfiguration {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        var configuration = EmailConfiguration()
        let outbox = OutboxConfiguration.fromEnvironment(environment)
        configuration.pollInterval = outbox.pollInterval
        configuration.retry = outbox.retry
        configuration.publicURL = value("MOBILISE_PUBLIC_URL").flatMap { try? APIConfiguration.publicURL($0) }
        if let url = value("MOBILISE_SMTP_URL") {
            var smtp = try SMTPSettings.parse(url)
            smtp.trustRootsFile = value("MOBILISE_SMTP_CA_FILE")
            if let timeout = value("MOBILISE_SMTP_TIMEOUT").flatMap(Publication.parseInterval), timeout > 0 {
                smtp.timeout = .milliseconds(Int64((timeout * 1000).rounded()))
            }
            configuration.smtp = smtp
            configuration.from = MailMessage.Mailbox(address: "mobilise@\(smtp.host)", name: "Mobilise")
        }
        if let from = value("MOBILISE_SMTP_FROM") {
            configuration.from = try mailbox(from)
        }
        if let rate = value("MOBILISE_SMTP_RATE") {
            guard let perSecond = Double(rate), perSecond > 0, perSecond <= 10_000 else {
                throw InvalidSetting(name: "MOBILISE_SMTP_RATE", reason: "messages per second, a number above 0 (e.g. 5 or 0.5)")
            }
            configuration.ratePerSecond = perSecond
        }
        return configuration
    }

    /// `address` or `Name <address>`.
    static func mailbox(_ text: String) throws -> MailMessage.Mailbox {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        if let open = trimmed.lastIndex(of: "<"), trimmed.hasSuffix(">") {
            let address = String(trimmed[trimmed.index(after: open)..<trimmed.index(before: trimmed.endIndex)])
            let name = trimmed[..<open].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
            guard SMTPSession.isSafeAddress(address), address.contains("@") else {
                throw InvalidSetting(name: "MOBILISE_SMTP_FROM", reason: "'\(text)' is not an address such as Acme HR <hr@acme.example>")
            }
            return MailMessage.Mailbox(address: address, name: name.isEmpty ? nil : name)
        }
        guard SMTPSession.isSafeAddress(trimmed), trimmed.contains("@") else {
            throw InvalidSetting(name: "MOBILISE_SMTP_FROM", reason: "'\(text)' is not an address such as Acme HR <hr@acme.example>")
        }
        return MailMessage.Mailbox(address: trimmed)
    }

    public struct InvalidSetting: Error, CustomStringConvertible {
        public var name: String
        public var reason: String
        public var description: String { "\(name): \(reason)" }
    }
}

/// Sends reminder e-mails: claims due messages (``MobiliseStore/claimDueEmails(limit:lease:)``,
/// a lease per claim, so instances never send one message at once), writes each in its person's
/// language, and sends a batch over one SMTP session at most ``EmailConfiguration/ratePerSecond``
/// a second, all instances together (a batch's slots are reserved in the database first). At
/// least once: a message is marked sent only after the server accepted it (250 to the end of
/// DATA), and one whose instance died mid-send is claimed again when its lease expires.
/// Twice at most once per instance and crash (or database outage): the message whose 250 came
/// but whose record did not; it goes again with the same `Message-ID` (the message's id), so
/// that receivers can drop the repeat.
/// Never twice for one person and wave: the planning's unique key makes one message, and only
/// the lease holder records its outcome.
public struct EmailSender: Service {
    let store: MobiliseStore
    let configuration: EmailConfiguration
    let logger: Logger

    public init(store: MobiliseStore, configuration: EmailConfiguration, logger: Logger) {
        self.store = store
        self.configuration = configuration
        self.logger = logger
    }

    public func run() async throws {
        guard configuration.smtp != nil else {
            // Nothing to send; returning would end the service group (and the server) with it.
            try? await gracefulShutdown()
            return
        }
        while !Task.isCancelled && !Task.isShuttingDownGracefully {
            do {
                while try await deliverDue() == configuration.batchSize, !Task.isShuttingDownGracefully {}
            } catch is CancellationError {
                break
            } catch {
                logger.warning("the e-mail sender could not claim messages; retrying", metadata: ["error": "\(error)"])
            }
            let pause = configuration.pollInterval
            try? await cancelWhenGracefulShutdown { try await sleepInShortSteps(for: pause) }
        }
    }

    /// Claims one batch of due messages and sends them over one session; returns how many it claimed.
    @discardableResult
    public func deliverDue() async throws -> Int {
        guard let smtp = configuration.smtp else { return 0 }
        let spacing = Duration.milliseconds(Int64((1000 / configuration.ratePerSecond).rounded(.up)))
        // The rate across instances: a batch's slots are reserved in the database, after every
        // other instance's, before it is claimed (so that waiting for them never eats a lease).
        guard try await store.hasDueEmails() else { return 0 }
        let wait = try await store.reserveEmailSlots(count: configuration.batchSize, spacing: spacing)
        // Several instances and a low rate may wait long: a shutdown does not wait for the slots.
        if wait > .zero { try await cancelWhenGracefulShutdown { try await sleepInShortSteps(for: wait) } }
        let claimed = try await store.claimDueEmails(limit: configuration.batchSize, lease: configuration.lease)
        guard !claimed.isEmpty else { return 0 }
        var session: SMTPSession?
        var lastStart: ContinuousClock.Instant?
        for message in claimed {
            // The rate limit: one message every 1/rate seconds.
            if let lastStart {
                let wait = lastStart + spacing - ContinuousClock.now
                if wait > .zero { try await Task.sleep(for: wait) }
            }
            lastStart = ContinuousClock.now
            let outcome: EmailOutcome
            do {
                if session == nil {
                    let helo = configuration.from.address.split(separator: "@").last.map(String.init) ?? "localhost"
                    session = try await SMTPSession.open(smtp, heloName: helo)
                }
                let bytes = try compose(message).rendered()
                guard var open = session else { continue }
                let code = try await open.send(bytes, from: configuration.from.address, to: message.address)
                session = open
                outcome = .sent(replyCode: code)
            } catch let failure as SMTPFailure {
                if failure.code == nil {
                    // The connection is gone: the next message opens a new session.
                    session?.abort()
                    session = nil
                }
                outcome = .failed(replyCode: failure.code, error: failure.message,
                                  retryAfter: failure.transient ? configuration.retry.delay(afterAttempts: message.attempts) : nil)
            } catch {
                outcome = .failed(replyCode: nil, error: "\(error)", retryAfter: configuration.retry.delay(afterAttempts: message.attempts))
            }
            if case .failed(let code, let error, let retry) = outcome {
                // The address stays out of the log (the message id finds it for an operator).
                logger.warning("a reminder e-mail was not accepted", metadata: [
                    "message": "\(message.id)", "smtp.code": "\(code.map(String.init) ?? "-")", "retry": "\(retry != nil)",
                    "error": "\(error.replacingOccurrences(of: message.address, with: "<recipient>"))",
                ])
            }
            do {
                try await store.recordEmailDelivery(message, outcome: outcome)
            } catch {
                // The lease expires and the message is tried again: at least once. The rest of the
                // batch is not sent now (its leases expire too): while the database cannot record,
                // each message sent would be one more sent twice (RELIABILITY.md, e-mail reminders).
                logger.warning("could not record an e-mail delivery; the rest of the batch waits for its lease",
                               metadata: ["message": "\(message.id)", "error": "\(error)"])
                break
            }
        }
        if var open = session { await open.close() }
        return claimed.count
    }

    /// The message for one person: subject, text and HTML from their language's catalogue.
    func compose(_ message: ClaimedEmail) throws -> MailMessage {
        guard let base = configuration.publicURL else {
            throw SMTPFailure(code: nil, message: "MOBILISE_PUBLIC_URL is not set: links cannot be written", transient: true)
        }
        let token = Self.base64URL(message.unsubscribeToken)
        let unsubscribe = "\(base)/unsubscribe/\(token)"
        var components = URLComponents()
        components.queryItems = [URLQueryItem(name: "campaign", value: message.campaign)]
        let link = base + "/" + (components.string ?? "")
        let text = ReminderText(
            catalogue: ReminderCatalogue.of(message.language), name: message.name, title: message.campaignTitle,
            hashtag: message.hashtag, organisation: message.organisationName, link: link, unsubscribe: unsubscribe)
        // The message's own id, the same on every attempt: a receiver that got an attempt whose
        // outcome was lost (a crash between the server's 250 and the record) can drop the repeat.
        let domain = configuration.from.address.split(separator: "@").last.map(String.init) ?? "localhost"
        return MailMessage(
            from: configuration.from, to: MailMessage.Mailbox(address: message.address, name: message.name),
            subject: text.subject, text: text.plain, html: text.html(language: message.language), language: message.language,
            messageID: "\(message.id.uuidString.lowercased())@\(domain)", unsubscribeURL: unsubscribe)
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func token(base64URL text: String) -> Data? {
        guard text.count == 43, text.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_") }) else { return nil }
        let padded = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/") + "="
        return Data(base64Encoded: padded)
    }
}

/// A reminder's words, filled in from a catalogue.
struct ReminderText {
    var catalogue: ReminderCatalogue
    var name: String?
    var title: String
    var hashtag: String
    var organisation: String
    var link: String
    var unsubscribe: String

    var subject: String { ReminderCatalogue.fill(catalogue.subject, ["title": title]) }

    var greeting: String {
        if let name, !name.isEmpty { return ReminderCatalogue.fill(catalogue.greetingNamed, ["name": name]) }
        return catalogue.greeting
    }

    var body: String { ReminderCatalogue.fill(catalogue.body, ["title": title, "hashtag": hashtag]) }

    var plain: String {
        """
        \(greeting)

        \(body)
        \(link)

        --
        \(ReminderCatalogue.fill(catalogue.footer, ["organisation": organisation, "unsubscribe": unsubscribe]))

        """
    }

    func html(language: String) -> String {
        let e = markupEscaped
        let unsubscribeLink = "<a href=\"\(e(unsubscribe))\">\(e(catalogue.unsubscribe))</a>"
        // The footer's sentence with the link in its place: escaped around the placeholder.
        let footerParts = ReminderCatalogue.fill(catalogue.footer, ["organisation": organisation]).components(separatedBy: "{unsubscribe}")
        let footer = footerParts.map(e).joined(separator: unsubscribeLink)
        return """
            <!DOCTYPE html>
            <html lang="\(e(language))"><head><meta charset="utf-8"><title>\(e(subject))</title></head>
            <body>
            <p>\(e(greeting))</p>
            <p>\(e(body))</p>
            <p><a href="\(e(link))">\(e(catalogue.action))</a></p>
            <hr>
            <p><small>\(footer)</small></p>
            </body></html>

            """
    }
}
