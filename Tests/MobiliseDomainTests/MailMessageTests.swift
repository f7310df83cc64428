import Foundation
import MobiliseDomain
import Testing

/// Reminder e-mails as MIME: headers within their lengths, subjects as RFC 2047 encoded words,
/// parts in base64; catalogues complete in every language.
struct MailMessageTests {
    static func message(subject: String) -> MailMessage {
        MailMessage(
            from: .init(address: "hr@acme.example", name: "Acme HR"), to: .init(address: "li@acme.example", name: "李娜"),
            subject: subject, text: "Bonjour,\n.\nfin", html: "<p>été</p>", language: "fr", messageID: "m-1@acme.example",
            date: Date(timeIntervalSince1970: 1_765_000_000), unsubscribeURL: "https://mobilise.example/unsubscribe/t", boundary: "BOUNDARY")
    }

    @Test func headersAreFoldedAndSubjectsEncodedInWordsOfAtMost75Characters() throws {
        let subject = String(repeating: "अनुस्मारक: HeForShe पर हस्ताक्षर करें ", count: 4)
        let text = String(decoding: Self.message(subject: subject).rendered(), as: UTF8.self)
        let head = try #require(text.components(separatedBy: "\r\n\r\n").first)
        for line in head.components(separatedBy: "\r\n") { #expect(line.count <= 78, "\(line)") }
        // The Subject header and its continuation lines.
        let lines = head.components(separatedBy: "\r\n")
        let start = try #require(lines.firstIndex { $0.hasPrefix("Subject:") })
        let subjectLines = [lines[start]] + lines[(start + 1)...].prefix { $0.hasPrefix(" ") }
        let words = subjectLines.joined(separator: " ").components(separatedBy: " ").filter { $0.hasPrefix("=?UTF-8?B?") }
        #expect(words.count > 3)
        var decoded = Data()
        for word in words {
            #expect(word.count <= 75 && word.hasSuffix("?="))
            decoded += try #require(Data(base64Encoded: String(word.dropFirst(10).dropLast(2))))
        }
        // Split between characters: each word decodes alone, and together they are the subject.
        #expect(String(data: decoded, encoding: .utf8) == subject)
        #expect(head.contains("To: =?UTF-8?B?"))
        #expect(head.contains("From: \"Acme HR\" <hr@acme.example>"))
        #expect(head.contains("Date: Sat, 06 Dec 2025 05:46:40 +0000"))
        #expect(head.contains("Message-ID: <m-1@acme.example>"))
        #expect(head.contains("List-Unsubscribe: <https://mobilise.example/unsubscribe/t>\r\nList-Unsubscribe-Post: List-Unsubscribe=One-Click"))
        #expect(head.contains("Content-Type: multipart/alternative; boundary=\"BOUNDARY\""))
    }

    @Test func plainASCIISubjectsStayReadableAndEncodedWordLookalikesAreEncoded() {
        #expect(MailMessage.encodedWords("Reminder: HeForShe") == "Reminder: HeForShe")
        #expect(MailMessage.encodedWords("=?x?") .hasPrefix("=?UTF-8?B?"))
    }

    @Test func bothPartsAreBase64InLinesOf76() throws {
        let text = String(decoding: Self.message(subject: "x").rendered(), as: UTF8.self)
        let parts = text.components(separatedBy: "--BOUNDARY")
        #expect(parts.count == 4 && parts[3].hasPrefix("--"))
        for (part, body) in [(parts[1], "Bonjour,\n.\nfin"), (parts[2], "<p>été</p>")] {
            let sections = part.components(separatedBy: "\r\n\r\n")
            #expect(sections[0].contains("charset=utf-8") && sections[0].contains("Content-Transfer-Encoding: base64"))
            let lines = sections[1].components(separatedBy: "\r\n").filter { !$0.isEmpty }
            #expect(lines.allSatisfy { $0.count <= 76 })
            #expect(Data(base64Encoded: lines.joined()).flatMap { String(data: $0, encoding: .utf8) } == body)
        }
    }

    @Test func everyLanguageHasEveryPlaceItsSentencesNeed() {
        for language in ReminderCatalogue.languages {
            let catalogue = ReminderCatalogue.of(language)
            #expect(catalogue.subject.contains("{title}"), "\(language)")
            #expect(catalogue.greetingNamed.contains("{name}"), "\(language)")
            #expect(catalogue.body.contains("{title}") && catalogue.body.contains("{hashtag}"), "\(language)")
            #expect(catalogue.footer.contains("{organisation}") && catalogue.footer.contains("{unsubscribe}"), "\(language)")
            if language != "en" { #expect(catalogue != ReminderCatalogue.of("en"), "\(language)") }
        }
        #expect(ReminderCatalogue.of("xx") == ReminderCatalogue.of("en"))
    }

    @Test func countriesHaveTheirLanguageAndTimeZone() {
        #expect(ReminderLocale.language(country: "FR") == "fr" && ReminderLocale.language(country: "BR") == "pt-BR")
        #expect(ReminderLocale.language(country: "IN") == nil)
        #expect(ReminderLocale.timeZone(country: "US") == "America/New_York" && ReminderLocale.timeZone(country: "IN") == "Asia/Kolkata")
        for zone in ReminderLocale.allTimeZones.zones { #expect(TimeZone(identifier: zone) != nil, "\(zone)") }
        #expect(ReminderLocale.allTimeZones.countries.count >= 240)
    }
}
