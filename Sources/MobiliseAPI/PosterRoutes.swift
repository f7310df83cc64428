import Foundation
import Hummingbird
import MobiliseDomain
import MobiliseStore
import QRCode

/// Printable posters and QR codes for HR: per site and per event, an A4 SVG (210 × 297 mm) with the
/// campaign's pledge in the asked language and a QR code (libqrencode, ``QRCode``) opening the
/// employee page with the channel (`poster`, or `qr` for a code on its own) and the event, which the
/// page passes on to the signing call so that they are recorded on the signature.
///
/// A poster needs no style sheet or script: sizes and fonts are attributes (the service's
/// Content-Security-Policy forbids inline styles), the fonts listed cover Latin, Devanagari and CJK
/// (Debian `fonts-noto-core`, `fonts-noto-cjk`), and the page size prints as A4 at 100%.
struct PosterRoutes {
    let environment: APIEnvironment
    var store: MobiliseStore { environment.store }

    func register(on v1: RouterGroup<AuthenticatedContext>) {
        v1.get("campaigns/:id/poster", use: poster)
        v1.get("campaigns/:id/qr", use: qrCode)
    }

    @Sendable func poster(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let (campaign, event, link) = try await target(request, context: context, channel: .poster)
        let language = request.query("language") ?? campaign.defaultLanguage
        let code = try Self.encode(link)
        let svg = PosterDocument(campaign: campaign, language: language, site: request.query("site"), event: event, link: link, code: code).svg
        return Self.svgResponse(svg, filename: "\(campaign.slug)-poster.svg")
    }

    @Sendable func qrCode(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let (campaign, _, link) = try await target(request, context: context, channel: .qr)
        let code = try Self.encode(link)
        let side = code.width + 8
        let svg = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="\(side * 2)mm" height="\(side * 2)mm" viewBox="0 0 \(side) \(side)" \
            shape-rendering="crispEdges" role="img" aria-label="\(markupEscaped(link))">
            <title>\(markupEscaped(link))</title>
            <rect width="\(side)" height="\(side)" fill="#fff"/>
            <path fill="#000" d="\(code.svgPath(margin: 4))"/>
            </svg>

            """
        return Self.svgResponse(svg, filename: "\(campaign.slug)-qr.svg")
    }

    /// The campaign (not closed or archived), the event asked for (`?event=`, one of the campaign's)
    /// and the link the QR code opens.
    private func target(_ request: Request, context: AuthenticatedContext, channel: SignatureChannel) async throws
        -> (Campaign, Event?, String) {
        let caller = context.identity
        try caller.require(.hrAdmin)
        let campaign = try await store.campaign(organisationID: caller.organisation.id, reference: try context.campaignReference())
        guard campaign.status == .draft || campaign.status == .active else {
            throw APIError(.unprocessableContent, code: .campaignClosed,
                           "this campaign is \(campaign.status.rawValue): it takes no more signatures, so it gets no poster or QR code")
        }
        var event: Event?
        if let text = request.query("event") {
            guard let id = UUID(uuidString: text) else {
                throw APIError.badRequest(.invalidParameter, "'event' is an event's id (a UUID)")
            }
            let found = try await store.event(organisationID: caller.organisation.id, eventID: id)
            guard found.campaignID == campaign.id else {
                throw APIError(.notFound, code: .eventNotFound, "no event \(id) in this campaign")
            }
            event = found
        }
        if let site = request.query("site"), site.count > 200 {
            throw APIError.badRequest(.invalidParameter, "'site' is a site's name, at most 200 characters")
        }
        if let language = request.query("language"), !EmployeePageRoutes.languages.contains(language) {
            throw APIError.badRequest(.invalidLanguage,
                                      "'language' is one of \(EmployeePageRoutes.languages.joined(separator: ", "))")
        }
        // The service's public address when it is set (behind a proxy), else the one the HR admin's browser reached.
        let origin = try environment.configuration.publicURL ?? Self.origin(of: request)
        let link = PosterLink(origin: origin, campaign: campaign.slug, channel: channel, event: event?.id).url
        return (campaign, event, link)
    }

    static func encode(_ link: String) throws -> QRCode {
        do { return try QRCode(encoding: link, correction: .quartile) } catch {
            throw APIError.badRequest(.invalidParameter, "the link is too long for a QR code")
        }
    }

    static func svgResponse(_ svg: String, filename: String) -> Response {
        Response(status: .ok, headers: [
            .contentType: "image/svg+xml; charset=utf-8", .contentDisposition: "inline; filename=\"\(filename)\"",
            .cacheControl: "no-store",
        ], body: .init(byteBuffer: ByteBuffer(string: svg)))
    }

    /// `scheme://host[:port]` of this service as the HR admin's browser reached it: the address the
    /// printed code will open. Only characters a host name or address can have are accepted.
    static func origin(of request: Request) throws -> String {
        let host = request.head.authority ?? ""
        let allowed = host.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "."), UInt8(ascii: "-"), UInt8(ascii: ":"), UInt8(ascii: "["), UInt8(ascii: "]"): true
            default: false
            }
        }
        guard !host.isEmpty, host.count <= 255, allowed else {
            throw APIError.badRequest(.invalidHost, "this request's Host cannot be printed in a link: reach the service by its name")
        }
        return (SessionRoutes.isHTTPS(request) ? "https://" : "http://") + host
    }
}

/// The employee page's address that a poster's QR code opens: the campaign, the channel and the event.
struct PosterLink {
    var origin: String
    var campaign: String
    var channel: SignatureChannel
    var event: UUID?

    var url: String {
        var components = URLComponents()
        components.queryItems = [URLQueryItem(name: "campaign", value: campaign), URLQueryItem(name: "channel", value: channel.rawValue)]
            + (event.map { [URLQueryItem(name: "event", value: $0.uuidString.lowercased())] } ?? [])
        return origin + "/" + (components.string ?? "")
    }
}

/// An A4 poster as SVG (millimetres as user units).
struct PosterDocument {
    var campaign: Campaign
    var language: String
    var site: String?
    var event: Event?
    var link: String
    var code: QRCode

    static let fonts = "'Noto Sans', 'Noto Sans Devanagari', 'Noto Sans CJK SC', 'Noto Sans CJK JP', 'Noto Sans CJK KR', sans-serif"

    /// "Scan to sign", per language of the employee page (English for any other).
    static let callToAction: [String: String] = [
        "en": "Scan the code to sign the pledge", "fr": "Scannez le code pour signer l’engagement",
        "de": "Code scannen und die Selbstverpflichtung unterzeichnen", "es": "Escanee el código para firmar el compromiso",
        "pt-BR": "Escaneie o código para assinar o compromisso", "pl": "Zeskanuj kod, aby podpisać deklarację",
        "hi": "प्रतिज्ञा पर हस्ताक्षर करने के लिए कोड स्कैन करें", "zh-Hans": "扫描二维码签署承诺",
    ]

    var svg: String {
        let (pledgeLanguage, pledge) = LanguageTag.text(campaign.pledgeText, in: language)
            ?? LanguageTag.text(campaign.pledgeText, in: campaign.defaultLanguage) ?? (campaign.defaultLanguage, "")
        let titleLanguage = LanguageTag.text(campaign.title, in: language)?.tag ?? campaign.defaultLanguage
        let cta = Self.callToAction[language] ?? Self.callToAction["en"] ?? ""
        let ctaLanguage = Self.callToAction[language] != nil ? language : "en"
        var out = """
            <?xml version="1.0" encoding="UTF-8"?>
            <svg xmlns="http://www.w3.org/2000/svg" width="210mm" height="297mm" viewBox="0 0 210 297" xml:lang="\(markupEscaped(language))" \
            font-family="\(markupEscaped(Self.fonts))" role="img" aria-labelledby="poster-title">
            <title id="poster-title">\(markupEscaped(campaign.title(in: titleLanguage)))</title>
            <rect width="210" height="297" fill="#ffffff"/>
            <rect width="210" height="12" fill="#5b2a86"/>

            """
        out += text(campaign.hashtag, x: 105, y: 32, size: 12, weight: "700", fill: "#5b2a86", lang: nil)
        var y = 46.0
        for line in Self.wrap(campaign.title(in: titleLanguage), width: 180, size: 9).prefix(3) {
            out += text(line, x: 105, y: y, size: 9, weight: "700", fill: "#1a1a1a", lang: titleLanguage)
            y += 11
        }
        y += 4
        let size = pledge.count > 400 ? 5.0 : pledge.count > 200 ? 6.0 : 7.0
        for line in Self.wrap(pledge, width: 176, size: size).prefix(Int(95 / (size * 1.4))) {
            out += text(line, x: 105, y: y, size: size, weight: "400", fill: "#1a1a1a", lang: pledgeLanguage)
            y += size * 1.4
        }
        var place: [String] = []
        if let event {
            place.append(event.title)
            place.append([event.city, event.startsAt.formatted(Date.FormatStyle(date: .long, time: .omitted, locale: Locale(identifier: language),
                                                                                  timeZone: TimeZone(identifier: "UTC") ?? .current))]
                .compactMap { $0 }.joined(separator: " · "))
        }
        if let site, !site.isEmpty { place.append(site) }
        var placeY = 166.0
        for line in place {
            out += text(line, x: 105, y: placeY, size: 5.5, weight: "700", fill: "#5b2a86", lang: nil)
            placeY += 7
        }
        // The code: 90 mm square with its quiet zone, centred, well clear of the text.
        let side = code.width + 8
        out += """
            <svg x="60" y="182" width="90" height="90" viewBox="0 0 \(side) \(side)" shape-rendering="crispEdges">
            <rect width="\(side)" height="\(side)" fill="#ffffff"/>
            <path fill="#000000" d="\(code.svgPath(margin: 4))"/>
            </svg>

            """
        out += text(cta, x: 105, y: 280, size: 6, weight: "700", fill: "#1a1a1a", lang: ctaLanguage)
        out += text(link, x: 105, y: 289, size: 3, weight: "400", fill: "#444444", lang: nil)
        out += "</svg>\n"
        return out
    }

    private func text(_ content: String, x: Double, y: Double, size: Double, weight: String, fill: String, lang: String?) -> String {
        let langAttribute = lang.map { " xml:lang=\"\(markupEscaped($0))\"" } ?? ""
        return "<text x=\"\(x)\" y=\"\(y)\" font-size=\"\(size)\" font-weight=\"\(weight)\" fill=\"\(fill)\" text-anchor=\"middle\""
            + "\(langAttribute)>\(markupEscaped(content))</text>\n"
    }

    /// Splits `text` into lines of at most `width` mm at font size `size` mm: at spaces, and between
    /// any two characters of a word too long for a line (Chinese and Japanese have no spaces). Widths
    /// are estimated: a CJK character is one em, anything else about half of one.
    static func wrap(_ text: String, width: Double, size: Double) -> [String] {
        func advance(_ character: Character) -> Double {
            guard let scalar = character.unicodeScalars.first?.value else { return 0.55 }
            let wide = (0x1100 ... 0x115F).contains(scalar) || (0x2E80 ... 0xA4CF).contains(scalar) || (0xAC00 ... 0xD7A3).contains(scalar)
                || (0xF900 ... 0xFAFF).contains(scalar) || (0xFE30 ... 0xFE4F).contains(scalar) || (0xFF00 ... 0xFF60).contains(scalar)
            return wide ? 1.0 : 0.55
        }
        let limit = width / size
        var lines: [String] = []
        for paragraph in text.split(separator: "\n", omittingEmptySubsequences: false) {
            var line = ""
            var used = 0.0
            for word in paragraph.split(separator: " ") {
                let wordWidth = word.reduce(0.0) { $0 + advance($1) }
                let space = line.isEmpty ? 0 : advance(" ")
                if used + space + wordWidth <= limit {
                    line += (line.isEmpty ? "" : " ") + word
                    used += space + wordWidth
                    continue
                }
                if !line.isEmpty, wordWidth <= limit {
                    lines.append(line)
                    line = String(word)
                    used = wordWidth
                    continue
                }
                // Too long for any line: break it between characters.
                if !line.isEmpty { line += " "; used += space }
                for character in word {
                    if used + advance(character) > limit, !line.isEmpty {
                        lines.append(line)
                        line = ""
                        used = 0
                    }
                    line.append(character)
                    used += advance(character)
                }
            }
            lines.append(line)
        }
        return lines.filter { !$0.trimmingCharacters(in: .whitespaces).isEmpty }
    }
}
