import Foundation
import NIOCore
import NIOPosix
import NIOSSL

// A small SMTP client (RFC 5321) on SwiftNIO and swift-nio-ssl: STARTTLS (RFC 3207), implicit TLS
// (`smtps://`, RFC 8314), AUTH PLAIN and LOGIN (RFC 4954). Written here because none of the Swift
// packages this project may depend on (the local mirrors: SwiftNIO, AsyncHTTPClient, Vapor,
// Hummingbird, …) has an SMTP client; it does only what reminder e-mails need: one session, a
// few messages, each answer read and checked.

/// Where and how to reach the SMTP server: `MOBILISE_SMTP_URL`.
///
/// `smtp://user:password@host:587` (STARTTLS when the server offers it; a password is never sent
/// over a connection that is not encrypted), `smtps://user:password@host:465` (implicit TLS),
/// `smtp://host:25` (no authentication). User and password are percent-decoded.
public struct SMTPSettings: Sendable, Equatable, CustomStringConvertible {
    public enum Security: String, Sendable, Equatable {
        /// `smtp://`: upgrade with STARTTLS when the server offers it.
        case startTLS
        /// `smtps://`: TLS from the first byte.
        case implicitTLS
    }

    public var host: String
    public var port: Int
    public var security: Security
    public var username: String?
    public var password: String?
    /// A PEM file of certificates to trust instead of the system's (`MOBILISE_SMTP_CA_FILE`), e.g. a company CA.
    public var trustRootsFile: String?
    /// One session's whole time, connecting included (`MOBILISE_SMTP_TIMEOUT`, default 30 s).
    public var timeout: Duration = .seconds(30)

    /// Reads `MOBILISE_SMTP_URL`.
    public static func parse(_ text: String) throws -> SMTPSettings {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              let host = components.host, !host.isEmpty, components.path.isEmpty || components.path == "/",
              components.query == nil, components.fragment == nil
        else { throw InvalidSMTPURL(reason: "not an address such as smtp://user:password@host:587") }
        let security: Security
        switch scheme {
        case "smtp": security = .startTLS
        case "smtps": security = .implicitTLS
        default: throw InvalidSMTPURL(reason: "the scheme is smtp (STARTTLS) or smtps (implicit TLS)")
        }
        let port = components.port ?? (security == .implicitTLS ? 465 : 587)
        guard (1...65535).contains(port) else { throw InvalidSMTPURL(reason: "the port is between 1 and 65535") }
        let host6 = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        return SMTPSettings(
            host: host6, port: port, security: security,
            username: components.user.flatMap { $0.isEmpty ? nil : $0 }, password: components.password)
    }

    /// Never the password.
    public var description: String {
        "\(security == .implicitTLS ? "smtps" : "smtp")://\(username.map { "\($0):***@" } ?? "")\(host):\(port)"
    }

    public struct InvalidSMTPURL: Error, CustomStringConvertible {
        public var reason: String
        public var description: String { "MOBILISE_SMTP_URL: \(reason)" }
    }
}

/// Why a message was not accepted.
public struct SMTPFailure: Error, CustomStringConvertible, Sendable {
    /// The server's reply code, when it answered.
    public var code: Int?
    public var message: String
    /// Whether trying again later may work: connection trouble, timeouts and 4xx replies; not a
    /// 5xx reply to the envelope or the message (RFC 5321, 4.2.1).
    public var transient: Bool
    public var description: String { message }
}

/// One SMTP session: connect, greet, secure, authenticate; then ``send(_:from:to:)`` for each
/// message; then ``close()``. Not shared between tasks.
public struct SMTPSession {
    let channel: any Channel
    var replies: AsyncThrowingStream<String, any Error>.AsyncIterator
    var capabilities: [String] = []
    var encrypted: Bool
    let settings: SMTPSettings

    /// Opens a session: connects (TLS first for `smtps`), reads the greeting, says EHLO, upgrades
    /// with STARTTLS when offered (`smtp`), and authenticates when the URL has a user.
    public static func open(_ settings: SMTPSettings, heloName: String, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async throws -> SMTPSession {
        // Made only when TLS is used (a trust file is read then).
        let tls: NIOSSLContext?
        do {
            tls = settings.security == .implicitTLS ? try makeTLSContext(settings) : nil
        } catch {
            throw SMTPFailure(code: nil, message: "TLS could not be set up: \(error)", transient: true)
        }
        let (stream, continuation) = AsyncThrowingStream<String, any Error>.makeStream()
        let serverHostname = Self.isIPAddress(settings.host) ? nil : settings.host
        let implicit = settings.security == .implicitTLS
        let channel: any Channel
        do {
            channel = try await ClientBootstrap(group: group)
                .connectTimeout(TimeAmount(settings.timeout))
                .channelInitializer { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let tls {
                            try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: tls, serverHostname: serverHostname))
                        }
                        try channel.pipeline.syncOperations.addHandler(ByteToMessageHandler(SMTPLineDecoder()))
                        try channel.pipeline.syncOperations.addHandler(SMTPReplyForwarder(continuation: continuation))
                    }
                }
                .connect(host: settings.host, port: settings.port).get()
        } catch {
            continuation.finish()
            throw SMTPFailure(code: nil, message: "could not connect to \(settings.host):\(settings.port): \(error)", transient: true)
        }
        var session = SMTPSession(channel: channel, replies: stream.makeAsyncIterator(), encrypted: implicit, settings: settings)
        do {
            try session.expect(try await session.readReply(), 220, "the greeting")
            try await session.hello(heloName)
            if !implicit, session.capabilities.contains(where: { $0.uppercased() == "STARTTLS" }) {
                let tls: NIOSSLContext
                do {
                    tls = try makeTLSContext(settings)
                } catch {
                    throw SMTPFailure(code: nil, message: "TLS could not be set up: \(error)", transient: true)
                }
                try session.expect(try await session.command("STARTTLS"), 220, "STARTTLS")
                // The TLS handler goes in front of the line decoder, on the channel's event loop
                // (a handler is not Sendable): the server sends nothing until the handshake.
                try await channel.eventLoop.submit {
                    let handler = try NIOSSLClientHandler(context: tls, serverHostname: serverHostname)
                    try channel.pipeline.syncOperations.addHandler(handler, position: .first)
                }.get()
                session.encrypted = true
                try await session.hello(heloName)
            }
            if let username = settings.username {
                try await session.authenticate(username: username, password: settings.password ?? "")
            }
        } catch {
            session.abort()
            throw error
        }
        return session
    }

    static func makeTLSContext(_ settings: SMTPSettings) throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.minimumTLSVersion = .tlsv12
        if let file = settings.trustRootsFile {
            configuration.trustRoots = .file(file)
        }
        return try NIOSSLContext(configuration: configuration)
    }

    static func isIPAddress(_ host: String) -> Bool {
        (try? SocketAddress(ipAddress: host, port: 0)) != nil
    }

    mutating func hello(_ name: String) async throws {
        let reply = try await command("EHLO \(name)")
        try expect(reply, 250, "EHLO")
        capabilities = Array(reply.lines.dropFirst())
    }

    mutating func authenticate(username: String, password: String) async throws {
        // A password goes over an encrypted connection only.
        guard encrypted else {
            throw SMTPFailure(code: nil, message: "the server does not offer STARTTLS: the password is not sent over an unencrypted connection",
                              transient: true)
        }
        let mechanisms = capabilities.filter { $0.uppercased().hasPrefix("AUTH") }
            .flatMap { $0.dropFirst(5).uppercased().split(separator: " ").map(String.init) }
        if mechanisms.contains("PLAIN") {
            let credentials = Data(([0] + Array(username.utf8) + [0] + Array(password.utf8))).base64EncodedString()
            try expect(try await command("AUTH PLAIN \(credentials)", secret: true), 235, "AUTH PLAIN")
        } else if mechanisms.contains("LOGIN") {
            try expect(try await command("AUTH LOGIN"), 334, "AUTH LOGIN")
            try expect(try await command(Data(username.utf8).base64EncodedString(), secret: true), 334, "AUTH LOGIN")
            try expect(try await command(Data(password.utf8).base64EncodedString(), secret: true), 235, "AUTH LOGIN")
        } else {
            throw SMTPFailure(code: nil, message: "the server offers neither AUTH PLAIN nor AUTH LOGIN", transient: true)
        }
    }

    /// Sends one message (its bytes with CRLF line ends) to one recipient. Returns the server's
    /// reply code to the end of DATA (250). Throws ``SMTPFailure``; a 5xx reply to the envelope
    /// or the data is final, and leaves the session usable (RSET) for the next message.
    public mutating func send(_ message: [UInt8], from: String, to: String) async throws -> Int {
        for address in [from, to] where !Self.isSafeAddress(address) {
            throw SMTPFailure(code: nil, message: "not an address that can be sent to", transient: false)
        }
        do {
            try expect(try await command("MAIL FROM:<\(from)>"), 250, "MAIL FROM")
            let recipient = try await command("RCPT TO:<\(to)>")
            guard recipient.code == 250 || recipient.code == 251 else { throw failure(recipient, "RCPT TO") }
            try expect(try await command("DATA"), 354, "DATA")
            var buffer = channel.allocator.buffer(capacity: message.count + 64)
            buffer.writeBytes(Self.dotStuffed(message))
            try await channel.writeAndFlush(buffer).get()
            let accepted = try await readReply()
            try expect(accepted, 250, "the end of DATA")
            return accepted.code
        } catch let failure as SMTPFailure where failure.code != nil {
            // The server refused this message: the session stays usable for the next one.
            _ = try? await command("RSET")
            throw failure
        }
    }

    /// QUIT, then close.
    public mutating func close() async {
        _ = try? await command("QUIT")
        abort()
    }

    /// Closes the connection without a word.
    public func abort() {
        channel.close(promise: nil)
    }

    /// A line that starts with `.` gets another one (RFC 5321, 4.5.2), and the data ends with
    /// CRLF `.` CRLF.
    static func dotStuffed(_ message: [UInt8]) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(message.count + 16)
        var lineStart = true
        for byte in message {
            if lineStart && byte == UInt8(ascii: ".") { output.append(byte) }
            output.append(byte)
            lineStart = byte == UInt8(ascii: "\n")
        }
        if !output.isEmpty && !lineStart { output += [13, 10] }
        return output + Array(".\r\n".utf8)
    }

    /// No CR, LF, angle brackets or spaces: nothing that could end the command it is put in.
    static func isSafeAddress(_ address: String) -> Bool {
        !address.isEmpty && address.utf8.count <= 320
            && address.utf8.allSatisfy { $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "<") && $0 != UInt8(ascii: ">") }
    }

    struct Reply {
        var code: Int
        var lines: [String]
        var text: String { lines.joined(separator: " ") }
    }

    mutating func command(_ line: String, secret: Bool = false) async throws -> Reply {
        var buffer = channel.allocator.buffer(capacity: line.utf8.count + 2)
        buffer.writeString(line)
        buffer.writeString("\r\n")
        do {
            try await channel.writeAndFlush(buffer).get()
        } catch {
            throw SMTPFailure(code: nil, message: "the connection failed during \(secret ? "AUTH" : String(line.prefix(4))): \(error)", transient: true)
        }
        return try await readReply()
    }

    mutating func readReply() async throws -> Reply {
        var lines: [String] = []
        while true {
            let next: String?
            // A server that stops answering: the connection is closed after the timeout, which
            // ends the stream of replies.
            let channel = self.channel
            let timer = channel.eventLoop.scheduleTask(in: TimeAmount(settings.timeout)) { channel.close(promise: nil) }
            do {
                next = try await replies.next()
                timer.cancel()
            } catch {
                timer.cancel()
                throw SMTPFailure(code: nil, message: "the connection failed: \(error)", transient: true)
            }
            guard channel.isActive || next != nil else {
                throw SMTPFailure(code: nil, message: "the server did not answer within \(settings.timeout) or closed the connection", transient: true)
            }
            guard let line = next else {
                throw SMTPFailure(code: nil, message: "the server closed the connection", transient: true)
            }
            let bytes = Array(line.utf8)
            guard bytes.count >= 3, let code = Int(String(decoding: bytes[0..<3], as: UTF8.self)), (200...599).contains(code) else {
                throw SMTPFailure(code: nil, message: "not an SMTP reply: \(line.prefix(100))", transient: true)
            }
            lines.append(bytes.count > 4 ? String(decoding: bytes[4...], as: UTF8.self) : "")
            if bytes.count == 3 || bytes[3] != UInt8(ascii: "-") {
                return Reply(code: code, lines: lines)
            }
        }
    }

    func expect(_ reply: Reply, _ code: Int, _ step: String) throws {
        guard reply.code == code else { throw failure(reply, step) }
    }

    func failure(_ reply: Reply, _ step: String) -> SMTPFailure {
        // 5xx to the envelope or the data: final for this message (RFC 5321, 4.2.1). Anything else
        // (4xx; 5xx to the greeting, EHLO or AUTH, which is the configuration, not the message)
        // may work later.
        let envelope = ["MAIL FROM", "RCPT TO", "DATA", "the end of DATA"].contains(step)
        return SMTPFailure(
            code: reply.code, message: "\(step): the server answered \(reply.code) \(reply.text.prefix(300))",
            transient: !(envelope && reply.code >= 500))
    }
}

/// Splits the server's bytes into lines (without CRLF); a line longer than 64 KiB is an error.
struct SMTPLineDecoder: ByteToMessageDecoder {
    typealias InboundOut = ByteBuffer

    mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        guard let newline = buffer.readableBytesView.firstIndex(of: UInt8(ascii: "\n")) else {
            if buffer.readableBytes > 65_536 { throw SMTPFailure(code: nil, message: "a reply line is too long", transient: true) }
            return .needMoreData
        }
        let length = newline - buffer.readerIndex + 1
        guard var line = buffer.readSlice(length: length) else { return .needMoreData }
        line.moveWriterIndex(to: line.writerIndex - 1)
        if line.readableBytesView.last == UInt8(ascii: "\r") { line.moveWriterIndex(to: line.writerIndex - 1) }
        context.fireChannelRead(wrapInboundOut(line))
        return .continue
    }

    mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        while try decode(context: context, buffer: &buffer) == .continue {}
        return .needMoreData
    }
}

/// Hands each line to the session's stream; an error or the end of the connection ends it.
final class SMTPReplyForwarder: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    let continuation: AsyncThrowingStream<String, any Error>.Continuation

    init(continuation: AsyncThrowingStream<String, any Error>.Continuation) {
        self.continuation = continuation
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let line = unwrapInboundIn(data)
        continuation.yield(String(buffer: line))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        continuation.finish(throwing: error)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        continuation.finish()
        context.fireChannelInactive()
    }
}
