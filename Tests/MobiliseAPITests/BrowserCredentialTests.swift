import Foundation
@testable import MobiliseAPI
import Testing

/// Credentials (session cookies, sign-in codes, SCIM tokens) are read back from their 64 base64url
/// characters by the service's own decoder.
@Suite struct BrowserCredentialTests {
    @Test func aCredentialReadsBackFromItsText() {
        for _ in 0..<200 {
            let credential = BrowserCredential(organisationID: UUID())
            #expect(credential.text.utf8.count == 64)
            #expect(BrowserCredential(credential.text) == credential)
            #expect(BrowserCredential(Substring(credential.text)) == credential)
        }
    }

    @Test func anythingButSixtyFourBase64URLCharactersIsRefused() {
        let text = BrowserCredential(organisationID: UUID()).text
        let cut = String(text.dropLast())
        for other in ["", cut, text + "A", cut + "=", cut + "+", cut + "/", cut + "é", cut + " ", String(repeating: "A", count: 65)] {
            #expect(BrowserCredential(other) == nil, "\(other)")
        }
        #expect(BrowserCredential(String(repeating: "A", count: 64))?.organisationID == UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)))
        #expect(BrowserCredential(String(repeating: "_", count: 64))?.organisationID.uuidString == "FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF")
    }
}
