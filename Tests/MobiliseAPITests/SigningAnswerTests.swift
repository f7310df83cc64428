import Foundation
@testable import MobiliseAPI
import MobiliseDomain
import Testing

/// The signing route writes its answer by hand (``SignatureResponse/json``); it must be byte for byte
/// what the generic encoder writes for every other route.
@Suite struct SigningAnswerTests {
    static let awkwardTexts = [
        "Lyon", "", "Zürich — São Paulo — 東京 — 🙋🏽‍♂️", "quote \" and backslash \\ and slash /", "tab\tnew\nline\rcr",
        "\u{8}\u{c}\u{0}\u{1}\u{1f}\u{7f}", "</script><script>alert(1)</script>", "\u{2028}\u{2029}",
    ]

    @Test(arguments: 0..<64) func handWrittenAnswerEqualsTheEncoder(seed: Int) throws {
        var generator = SplitMix64(seed: UInt64(seed))
        func text() -> String { generator.pick(Self.awkwardTexts) + String(Int.random(in: 0..<1000, using: &generator)) }
        func instant() -> Date {
            // Whole seconds and fractions, before and after 1970.
            let seconds = Double(Int.random(in: -2_000_000_000...4_000_000_000, using: &generator))
            return Date(timeIntervalSince1970: Bool.random(using: &generator) ? seconds : seconds + Double(Int.random(in: 1...999, using: &generator)) / 1000)
        }
        // Even seeds go through every awkward text as the site.
        let signature = Signature(
            id: UUID(), campaignID: UUID(), country: generator.pick(["FR", "IN", "BR", "US"]),
            site: seed % 2 == 0 ? Self.awkwardTexts[seed / 2 % Self.awkwardTexts.count] : nil, orgUnit: Bool.random(using: &generator) ? text() : nil,
            channel: generator.pick(SignatureChannel.allCases),
            eventID: Bool.random(using: &generator) ? UUID() : nil, signedAt: instant(),
            withdrawnAt: Bool.random(using: &generator) ? instant() : nil)
        let response = SignatureResponse(signature)
        let encoded = try JSONCoding.encoder.encode(response)
        #expect(String(decoding: response.json, as: UTF8.self) == String(decoding: encoded, as: UTF8.self))
        #expect(response.json == [UInt8](encoded))
    }
}
