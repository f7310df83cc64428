import Foundation
import MobiliseDomain
import Testing

/// Small but complete files of each supported kind.
enum Samples {
    static func hex(_ text: String) -> Data {
        var data = Data()
        var index = text.startIndex
        while index < text.endIndex {
            let next = text.index(index, offsetBy: 2)
            if let byte = UInt8(text[index..<next], radix: 16) { data.append(byte) }
            index = next
        }
        return data
    }

    /// A 1×1 PNG (68 bytes).
    static let png = hex(
        "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c489"
            + "0000000b49444154789c6360000200000500017a5eab3f0000000049454e44ae426082")
    /// A JFIF header, a frame header (1×1, three components), a scan and the end-of-image marker.
    static let jpeg = hex("ffd8ffe000104a46494600010100000100010000" + "ffc00011080001000103011100021101031101"
                              + "ffda000c03010002110311003f00d2cf20" + "ffd9")
    /// A 1×1 lossless WebP (34 bytes).
    static let webp = hex("524946461a000000574542505650384c0d0000002f00000010071011118888fe0700")
    /// ftyp (isom; isom, mp41), an empty moov and a 4-byte mdat.
    static let mp4 = hex("0000001866747970" + "69736f6d00000200" + "69736f6d6d703431" + "000000086d6f6f76" + "0000000c6d64617401020304")

    static func error(_ body: () throws -> Void) -> MobiliseError? {
        do {
            try body()
            return nil
        } catch let error as MobiliseError {
            return error
        } catch {
            return MobiliseError(.invalid, code: ErrorCode(rawValue: "unexpected: \(error)"), "")
        }
    }

    static func refusal(_ bytes: Data, claimed: String? = nil) -> MobiliseError? {
        error { _ = try MediaUpload(bytes: bytes, claimedType: claimed).validated() }
    }
}

@Suite struct MediaSniffingTests {
    @Test func recognisesEachSupportedKindByItsBytes() {
        #expect(MediaType.sniff(Samples.jpeg) == .jpeg)
        #expect(MediaType.sniff(Samples.png) == .png)
        #expect(MediaType.sniff(Samples.webp) == .webp)
        #expect(MediaType.sniff(Samples.mp4) == .mp4)
        #expect(Samples.webp.count == 34)
    }

    @Test func readsDataSlicesFromTheirOwnStart() {
        let padded = Data([1, 2, 3]) + Samples.png
        #expect(MediaType.sniff(padded[3...]) == .png)
        #expect(MediaType.sniff(padded) == nil)
    }

    @Test func describesAValidUpload() throws {
        let file = try MediaUpload(bytes: Samples.png, claimedType: "image/png").validated()
        #expect(file.info.type == .png)
        #expect(file.info.size == 68)
        #expect(file.info.sha256 == MediaUpload.sha256Hex(Samples.png))
        #expect(file.bytes == Samples.png)
        // No claim, a generic claim, and claims with case and parameters are fine when they agree.
        #expect(try MediaUpload(bytes: Samples.jpeg).validated().info.type == .jpeg)
        #expect(try MediaUpload(bytes: Samples.jpeg, claimedType: "application/octet-stream").validated().info.type == .jpeg)
        #expect(try MediaUpload(bytes: Samples.jpeg, claimedType: "image/jpg").validated().info.type == .jpeg)
        #expect(try MediaUpload(bytes: Samples.webp, claimedType: "IMAGE/WEBP; q=1").validated().info.type == .webp)
        #expect(try MediaUpload(bytes: Samples.mp4, claimedType: "video/mp4").validated().info.type == .mp4)
    }

    @Test func sha256OfKnownBytes() {
        #expect(MediaUpload.sha256Hex(Data("abc".utf8)) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(MediaUpload.sha256Hex(Data()) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
    }

    @Test func refusesARenamedTextFile() {
        // "notes.txt" renamed to "selfie.jpg": the browser then claims image/jpeg.
        let text = Data("Dear diary, today I signed the pledge.\n".utf8)
        let error = Samples.refusal(text, claimed: "image/jpeg")
        #expect(error?.kind == .unsupportedMediaType)
        #expect(error?.code == .unsupportedMediaType)
        #expect(Samples.refusal(text)?.code == .unsupportedMediaType)
    }

    @Test func refusesAClaimedTypeThatDisagreesWithTheBytes() {
        for (bytes, claim) in [(Samples.png, "image/jpeg"), (Samples.jpeg, "image/png"), (Samples.mp4, "image/webp"),
                               (Samples.webp, "video/mp4"), (Samples.png, "text/plain"), (Samples.jpeg, "image/gif")] {
            let error = Samples.refusal(bytes, claimed: claim)
            #expect(error?.kind == .unsupportedMediaType, "\(claim)")
            #expect(error?.code == .mediaTypeMismatch, "\(claim)")
        }
    }

    @Test func refusesOtherKindsOfFile() {
        let others: [Data] = [
            Data("GIF89a".utf8) + Data(repeating: 0, count: 40),
            Data("<svg xmlns=\"http://www.w3.org/2000/svg\"/>".utf8),
            Data("%PDF-1.7\n".utf8),
            Data("RIFF".utf8) + Data([36, 0, 0, 0]) + Data("WAVEfmt ".utf8) + Data(repeating: 0, count: 28),  // a WAV
            Samples.hex("00000014667479707174202000000200717420200000000c6d6f6f76"),  // QuickTime, not MP4
            Data([0xFF, 0xD8]),  // shorter than the JPEG signature
        ]
        for bytes in others {
            #expect(Samples.refusal(bytes)?.code == .unsupportedMediaType, "\(bytes.count) bytes")
        }
    }

    @Test func refusesTruncatedFiles() {
        // Shorter than the PNG signature, or a RIFF without WEBP: not recognisable at all.
        #expect(Samples.refusal(Samples.png.prefix(4))?.code == .unsupportedMediaType)
        #expect(Samples.refusal(Data("RIFF".utf8))?.code == .unsupportedMediaType)
        #expect(Samples.refusal(Data("RIFF".utf8) + Data([4, 0, 0, 0]))?.code == .unsupportedMediaType)
        // Recognisable, but cut short.
        let truncated: [(Data, MediaType)] = [
            (Samples.png.prefix(8), .png),
            (Samples.png.prefix(Samples.png.count - 1), .png),
            (Samples.jpeg.prefix(3), .jpeg),
            (Samples.jpeg.prefix(Samples.jpeg.count - 2), .jpeg),
            (Samples.webp.prefix(12), .webp),
            (Samples.webp.prefix(Samples.webp.count - 1), .webp),
            (Samples.mp4.prefix(12), .mp4),
            (Samples.mp4.prefix(Samples.mp4.count - 1), .mp4),
            (Samples.mp4.prefix(24), .mp4),  // ftyp only: no moov
        ]
        for (bytes, type) in truncated {
            let error = Samples.refusal(bytes, claimed: type.rawValue)
            #expect(error?.kind == .unsupportedMediaType, "\(type) of \(bytes.count) bytes")
            #expect(error?.code == .mediaMalformed, "\(type) of \(bytes.count) bytes")
        }
    }

    @Test func refusesPolyglotsAndGluedOnData() {
        let zip = Data("PK\u{3}\u{4}".utf8) + Data(repeating: 0, count: 26)
        #expect(Samples.refusal(Samples.png + zip)?.code == .mediaMalformed)
        #expect(Samples.refusal(Samples.webp + zip)?.code == .mediaMalformed)
        // A RIFF header claiming WEBP in front of something else.
        let fake = Data("RIFF".utf8) + Data([12, 0, 0, 0]) + Data("WEBP".utf8) + Data("<html>".utf8) + Data([0, 0])
        #expect(Samples.refusal(fake)?.code == .mediaMalformed)
        // An MP4 whose box sizes do not tile the file.
        let badBox = Samples.mp4.prefix(32) + Samples.hex("000000036d646174")
        #expect(Samples.refusal(badBox)?.code == .mediaMalformed)
    }

    /// JPEGs made by Pillow 13.0.0 (PyPI), a 16×12 gradient saved at quality 80, baseline and
    /// progressive (several scans, Huffman tables between them):
    ///
    /// ```python
    /// img = Image.new("RGB", (16, 12))
    /// for x in range(16):
    ///     for y in range(12): img.putpixel((x, y), (x * 16, y * 20, 128))
    /// img.save(buf, "JPEG", quality=80)                    # and progressive=True
    /// ```
    static let pillowBaseline = Data(base64Encoded: """
        /9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAYEBQYFBAYGBQYHBwYIChAKCgkJChQODwwQFxQYGBcUFhYaHSUfGhsjHBYWICwgIyYnKSopGR8tMC0oMCUoKSj/2wBDAQcHBwoIChMKChMoGhYaKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCj/wAARCAAMABADASIAAhEBAxEB/8QAHwAAAQUBAQEBAQEAAAAAAAAAAAECAwQFBgcICQoL/8QAtRAAAgEDAwIEAwUFBAQAAAF9AQIDAAQRBRIhMUEGE1FhByJxFDKBkaEII0KxwRVS0fAkM2JyggkKFhcYGRolJicoKSo0NTY3ODk6Q0RFRkdISUpTVFVWV1hZWmNkZWZnaGlqc3R1dnd4eXqDhIWGh4iJipKTlJWWl5iZmqKjpKWmp6ipqrKztLW2t7i5usLDxMXGx8jJytLT1NXW19jZ2uHi4+Tl5ufo6erx8vP09fb3+Pn6/8QAHwEAAwEBAQEBAQEBAQAAAAAAAAECAwQFBgcICQoL/8QAtREAAgECBAQDBAcFBAQAAQJ3AAECAxEEBSExBhJBUQdhcRMiMoEIFEKRobHBCSMzUvAVYnLRChYkNOEl8RcYGRomJygpKjU2Nzg5OkNERUZHSElKU1RVVldYWVpjZGVmZ2hpanN0dXZ3eHl6goOEhYaHiImKkpOUlZaXmJmaoqOkpaanqKmqsrO0tba3uLm6wsPExcbHyMnK0tPU1dbX2Nna4uPk5ebn6Onq8vP09fb3+Pn6/9oADAMBAAIRAxEAPwDzXSfCn3f3f6V2ek+FPu/u/wBK7fSdOtuPkrs9J0624+Sljs7qanPwrxFV90//2Q==
        """, options: .ignoreUnknownCharacters) ?? Data()
    static let pillowProgressive = Data(base64Encoded: """
        /9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAYEBQYFBAYGBQYHBwYIChAKCgkJChQODwwQFxQYGBcUFhYaHSUfGhsjHBYWICwgIyYnKSopGR8tMC0oMCUoKSj/2wBDAQcHBwoIChMKChMoGhYaKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCgoKCj/wgARCAAMABADASIAAhEBAxEB/8QAFQABAQAAAAAAAAAAAAAAAAAABQb/xAAVAQEBAAAAAAAAAAAAAAAAAAABA//aAAwDAQACEAMQAAABmmXGSf8A/8QAFxABAQEBAAAAAAAAAAAAAAAAAwACBP/aAAgBAQABBQIuWLliPMR5v//EABcRAAMBAAAAAAAAAAAAAAAAAAACBSH/2gAIAQMBAT8BlUWw/8QAFxEAAwEAAAAAAAAAAAAAAAAAAAIDBP/aAAgBAgEBPwG+1j//xAAWEAEBAQAAAAAAAAAAAAAAAAAxABD/2gAIAQEABj8CI3//xAAWEAEBAQAAAAAAAAAAAAAAAAAAMVH/2gAIAQEAAT8hmTMjI//aAAwDAQACAAMAAAAQW//EABQRAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQMBAT8QF//EABURAQEAAAAAAAAAAAAAAAAAAAAh/9oACAECAQE/EKn/xAAWEAEBAQAAAAAAAAAAAAAAAAAAIfH/2gAIAQEAAT8QxGIjY3//2Q==
        """, options: .ignoreUnknownCharacters) ?? Data()

    @Test func acceptsRealJPEGsMadeByPillow() throws {
        #expect(Self.pillowBaseline.count == 670 && Self.pillowProgressive.count == 559)
        #expect(MediaType.sniff(Self.pillowBaseline) == .jpeg)
        #expect(MediaType.sniff(Self.pillowProgressive) == .jpeg)
        // A phone's trailer after the end-of-image marker is tolerated.
        #expect(MediaType.sniff(Self.pillowBaseline + Data("trailer".utf8)) == .jpeg)
    }

    /// The check once accepted any bytes between `FF D8 FF E0` and `FF D9`: a forged file with a
    /// JPEG's first and last bytes around anything (a script, a PDF) passed as an image.
    @Test func refusesForgedJPEGs() {
        let html = Data("<html><script>alert(1)</script></html>".utf8)
        let real = Self.pillowBaseline
        let forged: [(String, Data)] = [
            ("magic, HTML, end marker", Samples.hex("ffd8ffe0") + html + Samples.hex("ffd9")),
            ("JFIF header, HTML, end marker", Samples.hex("ffd8ffe000104a46494600010100000100010000") + html + Samples.hex("ffd9")),
            ("a segment longer than the file", Samples.hex("ffd8ffe0ffff4a4649460000ffd9")),
            ("a segment of impossible length", Samples.hex("ffd8ffe00001ffd9")),
            ("no frame header before the scan", Samples.hex("ffd8ffe000104a46494600010100000100010000ffda000c03010002110311003f00d2cf20ffd9")),
            ("no scan at all", Samples.hex("ffd8ffe000104a46494600010100000100010000ffc00011080001000103011100021101031101ffd9")),
            ("a second start-of-image", real.prefix(20) + Samples.hex("ffd8") + real.dropFirst(20)),
            ("a reserved marker", real.prefix(20) + Samples.hex("ff020004abcd") + real.dropFirst(20)),
            ("HTML after a scan's data, then the end", real.dropLast(2) + Samples.hex("ff") + html + Samples.hex("ffd9")),
            ("a frame header with no component", Samples.hex("ffd8ffc0000808000100010000ffd9")),
            ("cut inside the entropy-coded data", real.prefix(real.count - 10)),
        ]
        for (what, bytes) in forged {
            let error = Samples.refusal(bytes, claimed: "image/jpeg")
            #expect(error?.code == .mediaMalformed, "\(what): \(String(describing: error))")
        }
    }

    @Test func enforcesTheSizeLimit() throws {
        #expect(MediaType.maximumSize == 10_485_760)
        let body = MediaType.maximumSize - Samples.jpeg.count
        let largest = Samples.jpeg.prefix(Samples.jpeg.count - 2) + Data(count: body) + Data([0xFF, 0xD9])
        #expect(largest.count == MediaType.maximumSize)
        #expect(try MediaUpload(bytes: largest).validated().info.size == MediaType.maximumSize)
        let error = Samples.refusal(largest + Data([0]))
        #expect(error?.kind == .tooLarge)
        #expect(error?.code == .mediaTooLarge)
        #expect(Samples.refusal(Data())?.code == .mediaEmpty)
    }
}

@Suite struct HashtagTests {
    @Test func extractsLowerCasedTagsInOrderOfFirstAppearance() {
        #expect(PostText.hashtags(in: "Proud to sign #HeForShe with my team #Schneider #heforshe #HEFORSHE")
            == ["#heforshe", "#schneider"])
        #expect(PostText.hashtags(in: "#b #a #b #c") == ["#b", "#a", "#c"])
    }

    @Test func acceptsLettersAndDigitsOfAnyScript() {
        #expect(PostText.hashtags(in: "#ÉgalitéFH #igualdade_de_gênero #男女平等 #हिंदी #Equality2015 #ΙσότηταΦύλων")
            == ["#égalitéfh", "#igualdade_de_gênero", "#男女平等", "#हिंदी", "#equality2015", "#ισότηταφύλων"])
        // Arabic-Indic digits are digits.
        #expect(PostText.hashtags(in: "#مساواة٢٠٢٥") == ["#مساواة٢٠٢٥"])
    }

    @Test func composedAndDecomposedFormsAreOneTag() {
        #expect(PostText.hashtags(in: "#caf\u{E9} #cafe\u{301}") == ["#caf\u{E9}"])
    }

    @Test func stopsAtPunctuationSpacesAndEmoji() {
        #expect(PostText.hashtags(in: "(#HeForShe), #pledge. #signed! #équipe's #today🙂 #a-b #x/y")
            == ["#heforshe", "#pledge", "#signed", "#équipe", "#today", "#a", "#x"])
        #expect(PostText.hashtags(in: "line one #first\nline two\t#second") == ["#first", "#second"])
    }

    /// The limit once counted characters: a letter with 4,998 combining marks was one character,
    /// and a 10 KB "tag" was kept. It counts code points of the composed form now.
    @Test func limitsATagTo100CodePointsNotCharacters() {
        let zalgo = "a" + String(repeating: "\u{301}", count: 4_998)
        #expect(zalgo.count == 1)
        #expect(PostText.hashtags(in: "#" + zalgo + " #ok") == ["#ok"])
        // a + 100 acute accents composes to á + 99 of them (100 code points); one more is too many.
        #expect(PostText.hashtags(in: "#a" + String(repeating: "\u{301}", count: 100)).count == 1)
        #expect(PostText.hashtags(in: "#a" + String(repeating: "\u{301}", count: 101)).isEmpty)
        // 100 code points once composed: kept, whether typed composed or not.
        let composed = String(repeating: "\u{E9}", count: 100)
        let decomposed = String(repeating: "e\u{301}", count: 100)
        #expect(PostText.hashtags(in: "#" + composed) == ["#" + composed])
        #expect(PostText.hashtags(in: "#" + decomposed) == ["#" + composed])
        #expect(PostText.hashtags(in: "#" + composed + "b") == [])
    }

    @Test func ignoresHashesThatStartNoTag() {
        #expect(PostText.hashtags(in: "#") == [])
        #expect(PostText.hashtags(in: "# # ## #!") == [])
        #expect(PostText.hashtags(in: "I code in C# and F#") == [])
        #expect(PostText.hashtags(in: "mail me at a#b and &#39; entities") == [])
        #expect(PostText.hashtags(in: "We're #1 in #2015") == [])
        #expect(PostText.hashtags(in: "##double") == ["#double"])
        #expect(PostText.hashtags(in: "#_") == [])
        #expect(PostText.hashtags(in: "#" + String(repeating: "a", count: 101) + " #ok") == ["#ok"])
        #expect(PostText.hashtags(in: "#" + String(repeating: "a", count: 100)).count == 1)
    }
}

@Suite struct PostTextTests {
    @Test func trimsTheBodyAndRequiresTextWithoutMedia() throws {
        #expect(try PostText.normalisedBody("  \n Hello #HeForShe \t\n", hasMedia: false) == "Hello #HeForShe")
        #expect(Samples.error { _ = try PostText.normalisedBody(" \n\t ", hasMedia: false) }?.code == .bodyRequired)
        #expect(try PostText.normalisedBody(" \n ", hasMedia: true) == "")
    }

    @Test func limitsTheBodyTo5000CodePoints() throws {
        let longest = String(repeating: "é", count: 5000)
        #expect(try PostText.normalisedBody(longest, hasMedia: false) == longest)
        let error = Samples.error { _ = try PostText.normalisedBody(longest + "x", hasMedia: false) }
        #expect(error?.code == .bodyTooLong)
        #expect(error?.kind == .invalid)
        #expect(Samples.error { _ = try PostText.normalisedBody("a\u{0}b", hasMedia: false) }?.code == .invalidBody)
    }

    @Test func requiresARejectionReason() throws {
        #expect(try PostText.normalisedReason("  off topic ") == "off topic")
        #expect(Samples.error { _ = try PostText.normalisedReason("   ") }?.code == .reasonRequired)
    }
}
