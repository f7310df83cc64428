import Foundation
import MobiliseDomain
import Testing

@Suite struct LanguageTagTests {
    @Test func tagsTakeTheirConventionalCase() {
        let cases = ["pt-br": "pt-BR", "ZH-hans": "zh-Hans", "EN": "en", "sr-latn-rs": "sr-Latn-RS", "es-419": "es-419",
                     "de-ch-1996": "de-CH-1996", "en-X-Private": "en-x-private", "fr": "fr"]
        for (typed, canonical) in cases { #expect(LanguageTag.canonical(typed) == canonical, "\(typed)") }
    }

    /// An HR admin who types pt-br reaches Brazil's employees, who ask for pt-BR.
    @Test func aDraftKeepsItsTextsUnderCanonicalTagsHoweverTheyAreSet() throws {
        var draft = CampaignDraft(slug: "respect", hashtag: "#Respect", defaultLanguage: "EN", title: ["EN": "Respect", "pt-br": "Respeito"],
                                  pledgeText: ["en": "I commit", "PT-BR": "Eu me comprometo"], startsAt: Date(), endsAt: Date().addingTimeInterval(86_400))
        #expect(draft.defaultLanguage == "en")
        #expect(draft.title == ["en": "Respect", "pt-BR": "Respeito"])
        #expect(draft.pledgeText == ["en": "I commit", "pt-BR": "Eu me comprometo"])
        draft.title["zh-hans"] = "尊重"
        #expect(draft.title["zh-Hans"] == "尊重" && draft.title["zh-hans"] == nil)
        try draft.validate()
    }

    /// Texts stored before tags were made canonical are still found, whatever the case asked for.
    @Test func aStoredTextIsFoundWithoutRegardToCase() {
        let campaign = Campaign(id: UUID(), organisationID: UUID(), slug: "respect", hashtag: "#Respect", defaultLanguage: "en",
                                title: ["en": "Respect", "pt-br": "Respeito"], pledgeText: ["en": "I commit"], status: .active,
                                startsAt: Date(), endsAt: Date().addingTimeInterval(86_400), audience: .everyone, goalSignatures: nil,
                                goalParticipation: nil, countryGoals: [:], successMinCountries: nil)
        #expect(campaign.title(in: "pt-BR") == "Respeito")
        #expect(campaign.title(in: "de") == "Respect")
        #expect(LanguageTag.text(campaign.title, in: "PT-BR")?.tag == "pt-br")
    }
}
