import Foundation
import MobiliseTesting

/// A real SMTP server on loopback for the e-mail tests: `Tests/email/smtp_server.py` (aiosmtpd),
/// optionally with STARTTLS (a self-signed certificate it makes) and AUTH. Every message it
/// accepts is parsed as MIME by Python's `email` package and recorded.
final class SMTPTestServer: Sendable {
    private let server: ScriptServer
    var port: Int { server.port }
    var directory: URL { server.directory }

    /// One message the server accepted, as Python's `email` package read it.
    struct Received: Sendable {
        var object: [String: any Sendable]

        var recipients: [String] { object["rcpt_tos"] as? [String] ?? [] }
        var mailFrom: String? { object["mail_from"] as? String }
        var tls: Bool { object["tls"] as? Bool ?? false }
        var auth: String? { object["auth"] as? String }
        var subject: String { object["subject"] as? String ?? "" }
        var rawSubject: String { object["raw_subject"] as? String ?? "" }
        var from: String { object["from"] as? String ?? "" }
        var to: String { object["to"] as? String ?? "" }
        var date: String? { object["date"] as? String }
        var messageID: String? { object["message_id"] as? String }
        var contentLanguage: String? { object["content_language"] as? String }
        var listUnsubscribe: String? { object["list_unsubscribe"] as? String }
        var listUnsubscribePost: String? { object["list_unsubscribe_post"] as? String }
        var text: String { object["text"] as? String ?? "" }
        var html: String { object["html"] as? String ?? "" }
        var partTypes: [String] { (object["parts"] as? [[String: any Sendable]] ?? []).compactMap { $0["type"] as? String } }
        var problems: [String] { (object["problems"] as? [String] ?? []) + (object["defects"] as? [String] ?? []) }

        /// The unsubscribe URL between the angle brackets of `List-Unsubscribe`.
        var unsubscribeURL: String? {
            guard let header = listUnsubscribe, header.hasPrefix("<"), header.hasSuffix(">") else { return nil }
            return String(header.dropFirst().dropLast())
        }
    }

    /// Starts the server and waits until it listens.
    static func start(tls: Bool = false, implicitTLS: Bool = false, auth: String? = nil) async throws -> SMTPTestServer {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("email/smtp_server.py")
        let arguments = (tls ? ["--tls"] : []) + (implicitTLS ? ["--implicit-tls"] : []) + (auth.map { ["--auth", $0] } ?? [])
        return SMTPTestServer(server: try await ScriptServer.start(
            script: script, arguments: arguments, what: "the SMTP server", advice: "is aiosmtpd installed? pip install aiosmtpd"))
    }

    private init(server: ScriptServer) {
        self.server = server
    }

    /// The certificate the server presents (its own root), for `MOBILISE_SMTP_CA_FILE`.
    var certificate: String { directory.appendingPathComponent("cert.pem").path }

    /// Every message so far, oldest first.
    func messages() -> [Received] {
        server.records("messages.jsonl").map(Received.init(object:))
    }

    func stop() { server.stop() }

    /// Runs `body` with a server, stopped afterwards.
    static func with<T>(
        tls: Bool = false, implicitTLS: Bool = false, auth: String? = nil, _ body: (SMTPTestServer) async throws -> T
    ) async throws -> T {
        let server = try await start(tls: tls, implicitTLS: implicitTLS, auth: auth)
        do {
            let result = try await body(server)
            server.stop()
            return result
        } catch {
            server.stop()
            throw error
        }
    }
}
