import Foundation
import MobiliseTesting
import Synchronization

/// A real SMTP server on loopback for the e-mail tests: `Tests/email/smtp_server.py` (aiosmtpd),
/// optionally with STARTTLS (a self-signed certificate it makes) and AUTH. Every message it
/// accepts is parsed as MIME by Python's `email` package and recorded.
final class SMTPTestServer: Sendable {
    let port: Int
    let directory: URL
    private let process: Mutex<Process?>

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
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("smtp-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("email/smtp_server.py")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", script.path, directory.path] + (tls ? ["--tls"] : []) + (implicitTLS ? ["--implicit-tls"] : []) + (auth.map { ["--auth", $0] } ?? [])
        process.standardInput = FileHandle.nullDevice
        let log = directory.appendingPathComponent("log")
        try Data().write(to: log)
        let output = try FileHandle(forWritingTo: log)
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let portFile = directory.appendingPathComponent("port")
        do {
            try await waitUntil("the SMTP server listens", timeout: .seconds(30), interval: .milliseconds(20)) {
                if !process.isRunning {
                    let text = (try? String(contentsOf: log, encoding: .utf8)) ?? ""
                    throw ServerExited(log: text)
                }
                return FileManager.default.fileExists(atPath: portFile.path)
            }
        } catch {
            kill(process.processIdentifier, SIGKILL)
            throw error
        }
        let port = Int((try String(contentsOf: portFile, encoding: .utf8)).trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
        return SMTPTestServer(port: port, directory: directory, process: process)
    }

    private init(port: Int, directory: URL, process: sending Process) {
        self.port = port
        self.directory = directory
        self.process = Mutex(process)
    }

    /// The certificate the server presents (its own root), for `MOBILISE_SMTP_CA_FILE`.
    var certificate: String { directory.appendingPathComponent("cert.pem").path }

    /// Every message so far, oldest first.
    func messages() -> [Received] {
        guard let text = try? String(contentsOf: directory.appendingPathComponent("messages.jsonl"), encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: any Sendable] else { return nil }
            return Received(object: object)
        }
    }

    func stop() {
        process.withLock { process in
            if let running = process, running.isRunning { kill(running.processIdentifier, SIGKILL) }
            process = nil
        }
        try? FileManager.default.removeItem(at: directory)
    }

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

    struct ServerExited: Error, CustomStringConvertible {
        var log: String
        var description: String { "the SMTP server exited (is aiosmtpd installed? pip install aiosmtpd): \(log.suffix(2000))" }
    }
}
