import Foundation

/// An e-mail as RFC 5322 and MIME (RFC 2045–2047) describe it: headers, and a
/// `multipart/alternative` body of a plain-text part and an HTML part, both UTF-8 in base64.
///
/// ```swift
/// let message = MailMessage(from: .init(address: "hr@acme.example", name: "Acme HR"),
///                           to: .init(address: "ana@acme.example"), subject: "Olá", text: "…", html: "<p>…</p>")
/// let bytes = message.rendered()   // CRLF line ends, ready for SMTP's DATA (before dot-stuffing)
/// ```
public struct MailMessage: Sendable, Equatable {
    /// A mailbox: an address and an optional display name.
    public struct Mailbox: Sendable, Equatable {
        public var address: String
        public var name: String?

        public init(address: String, name: String? = nil) {
            self.address = address
            self.name = name
        }

        /// `"Name" <address>` with the name encoded when it is not plain ASCII.
        var header: String {
            guard let name, !name.isEmpty else { return "<\(address)>" }
            return "\(MailMessage.encodedPhrase(name)) <\(address)>"
        }
    }

    public var from: Mailbox
    public var to: Mailbox
    public var subject: String
    public var text: String
    public var html: String
    /// The BCP 47 tag of the text (`Content-Language`).
    public var language: String?
    /// Without angle brackets: `<uuid>@<domain>`.
    public var messageID: String
    public var date: Date
    /// RFC 8058 one-click unsubscribe: the https URL a POST to opts the person out.
    public var unsubscribeURL: String?
    /// The boundary between the parts (random by default; fixed in tests).
    public var boundary: String

    public init(
        from: Mailbox, to: Mailbox, subject: String, text: String, html: String, language: String? = nil,
        messageID: String? = nil, date: Date = Date(), unsubscribeURL: String? = nil, boundary: String? = nil
    ) {
        self.from = from
        self.to = to
        self.subject = subject
        self.text = text
        self.html = html
        self.language = language
        let domain = from.address.split(separator: "@").last.map(String.init) ?? "localhost"
        self.messageID = messageID ?? "\(UUID().uuidString.lowercased())@\(domain)"
        self.date = date
        self.unsubscribeURL = unsubscribeURL
        self.boundary = boundary ?? "=_mobilise_\(UUID().uuidString.replacingOccurrences(of: "-", with: ""))"
    }

    /// The message with CRLF line ends; no line longer than 78 characters.
    public func rendered() -> [UInt8] {
        var lines: [String] = [
            "From: \(from.header)",
            "To: \(to.header)",
            Self.folded("Subject: " + Self.encodedWords(subject)),
            "Date: \(Self.rfc5322Date(date))",
            "Message-ID: <\(messageID)>",
            "MIME-Version: 1.0",
        ]
        if let language { lines.append("Content-Language: \(language)") }
        // An automatic message: out-of-office replies are not sent to it (RFC 3834).
        lines.append("Auto-Submitted: auto-generated")
        if let unsubscribeURL {
            lines.append("List-Unsubscribe: <\(unsubscribeURL)>")
            lines.append("List-Unsubscribe-Post: List-Unsubscribe=One-Click")
        }
        lines.append("Content-Type: multipart/alternative; boundary=\"\(boundary)\"")
        lines.append("")
        lines.append("This is a multi-part message in MIME format.")
        for (type, body) in [("text/plain", text), ("text/html", html)] {
            lines.append("--\(boundary)")
            lines.append("Content-Type: \(type); charset=utf-8")
            lines.append("Content-Transfer-Encoding: base64")
            lines.append("")
            lines.append(contentsOf: Self.base64Lines(Array(body.utf8)))
        }
        lines.append("--\(boundary)--")
        lines.append("")
        return Array(lines.joined(separator: "\r\n").utf8)
    }

    /// Base64 in lines of 76 characters (RFC 2045).
    static func base64Lines(_ bytes: [UInt8]) -> [String] {
        let encoded = Data(bytes).base64EncodedString()
        var lines: [String] = []
        var index = encoded.startIndex
        while index < encoded.endIndex {
            let end = encoded.index(index, offsetBy: 76, limitedBy: encoded.endIndex) ?? encoded.endIndex
            lines.append(String(encoded[index..<end]))
            index = end
        }
        return lines
    }

    /// Whether a header text can go as is: printable ASCII, no `=?` (which would read as an encoded word).
    static func isPlain(_ text: String) -> Bool {
        text.utf8.allSatisfy { (0x20...0x7E).contains($0) } && !text.contains("=?")
    }

    /// RFC 2047 encoded words (`=?UTF-8?B?…?=`), each at most 75 characters, split between
    /// characters (never inside one), separated by a space; the text as is when it is plain ASCII.
    public static func encodedWords(_ text: String) -> String {
        if isPlain(text) { return text }
        var words: [String] = []
        var chunk: [UInt8] = []
        for character in text {
            let bytes = Array(String(character).utf8)
            // 45 bytes encode to 60 characters: with `=?UTF-8?B?` and `?=` a word stays within 75.
            if chunk.count + bytes.count > 45, !chunk.isEmpty {
                words.append("=?UTF-8?B?\(Data(chunk).base64EncodedString())?=")
                chunk = []
            }
            chunk += bytes
        }
        if !chunk.isEmpty { words.append("=?UTF-8?B?\(Data(chunk).base64EncodedString())?=") }
        return words.joined(separator: " ")
    }

    /// A display name: quoted when plain, encoded words otherwise.
    static func encodedPhrase(_ text: String) -> String {
        if isPlain(text) {
            return "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
        }
        return encodedWords(text)
    }

    /// A header folded at spaces so that no line exceeds 78 characters (continuation lines start with a space).
    static func folded(_ header: String) -> String {
        guard header.count > 78 else { return header }
        var lines: [String] = []
        var current = ""
        for word in header.split(separator: " ", omittingEmptySubsequences: false) {
            if !current.isEmpty, current.count + 1 + word.count > 78 {
                lines.append(current)
                current = String(word)
            } else {
                current = current.isEmpty ? String(word) : current + " " + word
            }
        }
        lines.append(current)
        return lines.joined(separator: "\r\n ")
    }

    /// `Sun, 06 Dec 2026 19:32:15 +0000`.
    public static func rfc5322Date(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ value: Int?) -> String { String(format: "%02d", value ?? 0) }
        let day = days[((parts.weekday ?? 1) - 1) % 7]
        let month = months[((parts.month ?? 1) - 1) % 12]
        return "\(day), \(two(parts.day)) \(month) \(parts.year ?? 1970) \(two(parts.hour)):\(two(parts.minute)):\(two(parts.second)) +0000"
    }
}
