import Foundation
import MobiliseDomain
import Testing

/// The outbox's pure parts: Standard Webhooks signing, the Teams and Slack formats, the backoff.
@Suite struct OutboundFormatTests {
    /// The example of the Standard Webhooks reference libraries (and svix's documentation); the
    /// `standardwebhooks` PyPI package signs it to the same value.
    @Test func signsLikeTheStandardWebhooksReference() throws {
        let signer = try #require(StandardWebhookSigner(text: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
        let signature = signer.signature(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: Data(#"{"test": 2432232314}"#.utf8))
        #expect(signature == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        #expect(StandardWebhookSigner(text: "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw") == nil)
        let (secret, text) = StandardWebhookSigner.newSecret()
        #expect(secret.count == 32 && text.hasPrefix("whsec_") && StandardWebhookSigner(text: text) != nil)
    }

    static let launch = OutboundEvent(
        id: UUID(), type: .milestoneSignatures, createdAt: Date(timeIntervalSince1970: 1_800_000_000),
        data: ["campaign": .string("heforshe"), "title": .string("HeForShe <at> Acme & co"), "threshold": .int(10_000), "signatures": .int(10_040)])

    @Test func aTeamsMessageIsAnAdaptiveCardInTheAttachmentEnvelope() throws {
        let body = try OutboundFormat.body(Self.launch, kind: .teams)
        let message = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
        #expect(message["type"] as? String == "message")
        let attachment = try #require((message["attachments"] as? [[String: Any]])?.first)
        #expect(attachment["contentType"] as? String == "application/vnd.microsoft.card.adaptive")
        let card = try #require(attachment["content"] as? [String: Any])
        #expect(card["type"] as? String == "AdaptiveCard" && card["version"] as? String == "1.5")
        let elements = try #require(card["body"] as? [[String: Any]])
        #expect(elements.first?["type"] as? String == "TextBlock")
        #expect((elements.first?["text"] as? String)?.contains("passed 10,000 signatures") == true)
        #expect(elements.contains { $0["type"] as? String == "FactSet" })
    }

    @Test func aSlackMessageHasBlocksAndATextFallbackWithControlCharactersEscaped() throws {
        let body = try OutboundFormat.body(Self.launch, kind: .slack)
        let message = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
        #expect((message["text"] as? String)?.isEmpty == false)
        let blocks = try #require(message["blocks"] as? [[String: Any]])
        #expect(blocks.map { $0["type"] as? String } == ["header", "section", "context"])
        let text = String(decoding: body, as: UTF8.self)
        #expect(text.contains("&lt;at&gt; Acme &amp; co"), "mrkdwn fields escape <, > and &")
    }

    @Test func aWebhookPayloadIsTypeTimestampAndData() throws {
        let body = try OutboundFormat.body(Self.launch, kind: .webhook)
        let payload = try #require(try JSONSerialization.jsonObject(with: body) as? [String: Any])
        #expect(payload["type"] as? String == "milestone.signatures")
        #expect(payload["timestamp"] as? String == "2027-01-15T08:00:00Z")
        #expect((payload["data"] as? [String: Any])?["threshold"] as? Int == 10_000)
    }

    @Test func backoffGrowsExponentiallyWithJitterUpToTheCapThenStops() {
        let policy = RetryPolicy(base: .seconds(10), cap: .seconds(300), maxAttempts: 6)
        var generator = SystemRandomNumberGenerator()
        for (attempts, ceiling) in [(1, 10.0), (2, 20.0), (3, 40.0), (4, 80.0), (5, 160.0)] {
            for _ in 0..<50 {
                let delay = policy.delay(afterAttempts: attempts, using: &generator)
                let seconds = delay.map { Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18 } ?? -1
                #expect(seconds >= ceiling / 2 - 0.001 && seconds <= ceiling + 0.001, "attempt \(attempts): \(seconds)")
            }
        }
        #expect(policy.delay(afterAttempts: 6) == nil)
        let capped = RetryPolicy(base: .seconds(10), cap: .seconds(60), maxAttempts: 100)
        #expect(capped.delay(afterAttempts: 50).map { $0 <= .seconds(60) } == true)
    }
}
