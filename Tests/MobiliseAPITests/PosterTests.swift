import Foundation
import HTTPTypes
import MobiliseDomain
import MobiliseTesting
import Testing

/// Posters and QR codes through the real service: the SVG is rendered to PNG by librsvg
/// (`rsvg-convert`), the code read back by zbar (`zbarimg`), and the link it holds followed
/// through the service: the page it opens, and a signing with the channel and event it carries.
@Suite struct PosterTests {
    static let toolsAvailable = CommandRunner.succeeds("/bin/sh", ["-c", "command -v rsvg-convert && command -v zbarimg"])

    /// CI sets `MOBILISE_REQUIRE_MEDIA_TOOLS=1`: there missing tools fail the test instead of skipping it.
    static let required = ProcessInfo.processInfo.environment["MOBILISE_REQUIRE_MEDIA_TOOLS"] == "1"

    /// The text of the QR code in an SVG, as zbar reads it from librsvg's rendering.
    static func decode(svg: String) async throws -> String {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("poster-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let svgFile = folder.appendingPathComponent("poster.svg")
        let pngFile = folder.appendingPathComponent("poster.png")
        try Data(svg.utf8).write(to: svgFile)
        let rendered = try await CommandRunner.run("/usr/bin/env", ["rsvg-convert", "--width", "1240", "--background-color", "white",
                                                                    "--output", pngFile.path, svgFile.path])
        try #require(rendered.status == 0, "rsvg-convert: \(rendered.standardError)")
        let read = try await CommandRunner.run("/usr/bin/env", ["zbarimg", "--quiet", "--raw", pngFile.path])
        try #require(read.status == 0, "zbarimg found no code: \(read.standardError)")
        return read.standardOutput.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// A campaign with its pledge in Hindi and Chinese too, launched; and an event of it hosted by in-3.
    static func campaignWithEvent(_ service: ServiceHarness) async throws -> (slug: String, event: String) {
        let hr = try await service.token("hr-1", [.hrAdmin])
        let created = try await service.call(.post, "/v1/campaigns", token: hr, json: """
            {"slug": "posters", "hashtag": "#HeForShe", "title": "HeForShe at Acme", "pledge_text": "I commit to equality at work",
             "translations": {"hi": {"title": "एक्मे में हीफॉरशी", "pledge_text": "मैं काम पर समानता के लिए प्रतिबद्ध हूँ"},
                              "zh-Hans": {"title": "Acme 的 HeForShe", "pledge_text": "我承诺在工作中促进平等"}},
             "starts_at": "\(rfc3339(Date().addingTimeInterval(-86_400)))", "ends_at": "\(rfc3339(Date().addingTimeInterval(90 * 86_400)))"}
            """)
        try #require(created.status == .created, "\(created.text)")
        let launched = try await service.call(.post, "/v1/campaigns/posters/launch", token: hr)
        try #require(launched.status == .ok, "\(launched.text)")
        let event = try await service.call(.post, "/v1/campaigns/posters/events", token: hr, json: """
            {"title": "Pune town hall", "kind": "city", "country": "IN", "city": "Pune",
             "starts_at": "\(rfc3339(Date().addingTimeInterval(3_600)))", "ends_at": "\(rfc3339(Date().addingTimeInterval(7_200)))",
             "host": "in-3"}
            """)
        try #require(event.status == .created, "\(event.text)")
        return ("posters", try #require(event.json["id"] as? String))
    }

    @Test(.enabled(if: toolsAvailable || required, "SKIPPED: rsvg-convert (librsvg2-bin) or zbarimg (zbar-tools) is missing"))
    func aPostersQRCodeOpensTheEmployeePageAndItsSigningRecordsPosterAndEvent() async throws {
        try await ServiceHarness.run { service in
            let (slug, eventID) = try await Self.campaignWithEvent(service)
            let hr = try await service.token("hr-1", [.hrAdmin])

            let poster = try await service.call(.get, "/v1/campaigns/\(slug)/poster?site=Pune&event=\(eventID)&language=hi", token: hr)
            #expect(poster.status == .ok, "\(poster.text)")
            #expect(poster.headers[.contentType]?.hasPrefix("image/svg+xml") == true)
            #expect(poster.text.contains(#"width="210mm" height="297mm""#), "an A4 page")
            #expect(poster.text.contains("मैं काम पर समानता"), "the pledge in the asked language")
            #expect(poster.text.contains("Noto Sans Devanagari") && poster.text.contains("Noto Sans CJK SC"))
            #expect(poster.text.contains("Pune town hall") && poster.text.contains(">Pune<"))

            let link = try await Self.decode(svg: poster.text)
            let url = try #require(URLComponents(string: link), "not a URL: \(link)")
            let query = Dictionary(uniqueKeysWithValues: (url.queryItems ?? []).map { ($0.name, $0.value ?? "") })
            // The address the HR admin's request reached (the test client sends `Host: localhost`).
            #expect(url.scheme == "http" && url.host == "localhost")
            #expect(url.path == "/")
            #expect(query == ["campaign": slug, "channel": "poster", "event": eventID.lowercased()])

            // Follow the link through the service: the employee's page…
            let page = try await service.call(.get, "\(url.path)?\(url.percentEncodedQuery ?? "")")
            #expect(page.status == .ok)
            #expect(page.headers[.contentType]?.hasPrefix("text/html") == true)
            // …whose signing call passes on what the link says (Pages/employee.js, signingBody).
            let employee = try await service.token("in-1", [.employee])
            let signed = try await service.call(.put, "/v1/campaigns/\(query["campaign"] ?? "")/signature", token: employee, json: """
                {"channel": "\(query["channel"] ?? "")", "event_id": "\(query["event"] ?? "")"}
                """)
            #expect(signed.status == .created, "\(signed.text)")
            #expect(signed.json["channel"] as? String == "poster")
            #expect((signed.json["event_id"] as? String)?.lowercased() == eventID.lowercased())
            let stored = try await service.store.signature(organisationID: service.acme.id, campaign: slug, employee: "in-1")
            #expect(stored?.channel == .poster && stored?.eventID?.uuidString.lowercased() == eventID.lowercased())

            // A QR code on its own: channel `qr`, no event unless asked for.
            let code = try await service.call(.get, "/v1/campaigns/\(slug)/qr", token: hr)
            #expect(code.status == .ok, "\(code.text)")
            let qrLink = try #require(URLComponents(string: try await Self.decode(svg: code.text)))
            #expect(qrLink.queryItems == [URLQueryItem(name: "campaign", value: slug), URLQueryItem(name: "channel", value: "qr")])
            let second = try await service.token("in-2", [.employee])
            let viaQR = try await service.call(.put, "/v1/campaigns/\(slug)/signature", token: second, json: #"{"channel": "qr"}"#)
            #expect(viaQR.status == .created && viaQR.json["channel"] as? String == "qr" && viaQR.json["event_id"] == nil)
        }
    }

    /// Behind a proxy the printed link starts with `MOBILISE_PUBLIC_URL`, whatever Host the HR admin's request carried.
    @Test(.enabled(if: toolsAvailable || required, "SKIPPED: rsvg-convert (librsvg2-bin) or zbarimg (zbar-tools) is missing"))
    func aPostersLinkStartsWithThePublicURL() async throws {
        try await ServiceHarness.run(environment: ["MOBILISE_PUBLIC_URL": "https://intranet.example.com/mobilise/"]) { service in
            let (slug, _) = try await Self.campaignWithEvent(service)
            let code = try await service.call(.get, "/v1/campaigns/\(slug)/qr", token: try await service.token("hr-1", [.hrAdmin]))
            #expect(code.status == .ok, "\(code.text)")
            let link = try await Self.decode(svg: code.text)
            #expect(link == "https://intranet.example.com/mobilise/?campaign=\(slug)&channel=qr", "\(link)")
        }
    }

    /// The same link in headless Chromium (Tests/browser/poster_test.py): opened signed out, through
    /// sign-in and back, signed on the page; the signature has the poster's channel and event.
    @Test(.enabled(
        if: (DashboardTests.browserAvailable || DashboardTests.browserRequired) && (toolsAvailable || required),
        "SKIPPED: Chromium, chromedriver, Selenium, rsvg-convert or zbarimg is missing; set MOBILISE_REQUIRE_BROWSER=1 to fail instead"))
    func aPostersLinkSignsInHeadlessChromiumWithItsChannelAndEvent() async throws {
        try await ServiceHarness.run { service in
            let (slug, eventID) = try await Self.campaignWithEvent(service)
            let hr = try await service.token("hr-1", [.hrAdmin])
            let poster = try await service.call(.get, "/v1/campaigns/\(slug)/poster?event=\(eventID)", token: hr)
            let link = try await Self.decode(svg: poster.text)
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            let output = try await CommandRunner.run(
                "/usr/bin/env", ["python3", root.appendingPathComponent("Tests/browser/poster_test.py").path], environment: [
                    "MOBILISE_URL": "http://127.0.0.1:\(try #require(service.client.port))", "MOBILISE_LINK": link,
                    "MOBILISE_CODE": try await SessionTests.code(service, "in-4", [.employee]),
                ])
            #expect(output.status == 0, "\(output.standardOutput)\n\(output.standardError)")
            let stored = try await service.store.signature(organisationID: service.acme.id, campaign: slug, employee: "in-4")
            #expect(stored?.channel == .poster && stored?.eventID?.uuidString.lowercased() == eventID.lowercased())
        }
    }

    @Test func postersAreForHRAndOpenCampaignsOnly() async throws {
        try await ServiceHarness.run { service in
            let (slug, eventID) = try await Self.campaignWithEvent(service)
            let hr = try await service.token("hr-1", [.hrAdmin])
            let employee = try await service.token("in-1", [.employee])
            #expect(try await service.call(.get, "/v1/campaigns/\(slug)/poster", token: employee).status == .forbidden)
            let leader = try await service.token("lead-1", [.leader])
            #expect(try await service.call(.get, "/v1/campaigns/\(slug)/qr", token: leader).status == .forbidden)

            // Chinese: the pledge in CJK, wrapped between characters, with its language marked.
            let chinese = try await service.call(.get, "/v1/campaigns/\(slug)/poster?language=zh-Hans", token: hr)
            #expect(chinese.status == .ok)
            #expect(chinese.text.contains(#"xml:lang="zh-Hans">我承诺在工作中促进平等</text>"#), "\(chinese.text)")
            // A language the pages do not have, an event of nothing, a malformed event id.
            let klingon = try await service.call(.get, "/v1/campaigns/\(slug)/poster?language=tlh", token: hr)
            #expect(klingon.status == .badRequest && klingon.errorCode == "invalid_language")
            let nowhere = try await service.call(.get, "/v1/campaigns/\(slug)/poster?event=\(UUID().uuidString)", token: hr)
            #expect(nowhere.status == .notFound && nowhere.errorCode == "event_not_found")
            let malformed = try await service.call(.get, "/v1/campaigns/\(slug)/qr?event=nope", token: hr)
            #expect(malformed.status == .badRequest && malformed.errorCode == "invalid_parameter")

            // The link's event must be the campaign's: a poster's event id from elsewhere is refused at signing.
            let stray = try await service.call(.put, "/v1/campaigns/\(slug)/signature", token: employee,
                                               json: #"{"channel": "poster", "event_id": "\#(UUID().uuidString)"}"#)
            #expect(stray.status == .unprocessableContent && stray.errorCode == "unknown_event", "\(stray.text)")
            // An event id comes with a poster's or QR code's channel only.
            let webWithEvent = try await service.call(.put, "/v1/campaigns/\(slug)/signature", token: employee,
                                                      json: #"{"channel": "web", "event_id": "\#(eventID)"}"#)
            #expect(webWithEvent.status == .badRequest && webWithEvent.errorCode == "invalid_channel")
            // Event and paper signatures are not the employee's to give: the answer says where they go.
            let atEvent = try await service.call(.put, "/v1/campaigns/\(slug)/signature", token: employee, json: #"{"channel": "event"}"#)
            #expect(atEvent.status == .badRequest && atEvent.errorCode == "invalid_channel")
            #expect(atEvent.text.contains("/v1/campaigns/{id}/paper-batches"), "\(atEvent.text)")

            // Closed: no poster, no code, with a clear error.
            #expect(try await service.call(.post, "/v1/campaigns/\(slug)/close", token: hr).status == .ok)
            let closed = try await service.call(.get, "/v1/campaigns/\(slug)/poster?event=\(eventID)", token: hr)
            #expect(closed.status == .unprocessableContent && closed.errorCode == "campaign_closed", "\(closed.text)")
            #expect((closed.json["error"] as? [String: any Sendable])?["message"] as? String
                == "this campaign is closed: it takes no more signatures, so it gets no poster or QR code")
            let closedCode = try await service.call(.get, "/v1/campaigns/\(slug)/qr", token: hr)
            #expect(closedCode.status == .unprocessableContent && closedCode.errorCode == "campaign_closed")
        }
    }
}
