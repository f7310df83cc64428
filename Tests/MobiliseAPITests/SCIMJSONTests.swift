import Foundation
@testable import MobiliseAPI
import Testing

/// SCIM's JSON reader and writer, held to Foundation's `JSONDecoder` and `JSONEncoder` (which they
/// replace on SCIM's path): the same values from the same texts, the same refusals, the same bytes.
@Suite struct SCIMJSONTests {
    static func foundation(_ text: String) -> JSONValue? { try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) }
    static func reader(_ text: String) -> JSONValue? { try? JSONReader.value(Array(text.utf8)) }

    @Test func readsWhatFoundationReads() throws {
        let texts = [
            #"{"schemas":["urn:ietf:params:scim:schemas:core:2.0:User"],"userName":"E1","active":true,"name":{"givenName":"A"}}"#,
            "{}", "[]", " [1, -0.5e3, 2E+2, 0, 1.25, -0, 1e-7] ", "true", "false", "null", "\"\"", "17",
            #""a\u00e9\ud83d\ude00\n\t\"\\\/x""#, #"{"a": {"b": [{"c": [null, false]}]}}"#, "\t{\"a\"\r\n:\n1 }  ",
            #"{"dup": 1, "dup": 2}"#, "\"Zoë 日本\"",
        ]
        for text in texts {
            let expected = try #require(Self.foundation(text), "Foundation reads \(text)")
            #expect(Self.reader(text) == expected, "\(text)")
        }
        // true and 1 stay apart (what JSONSerialization on Linux cannot tell).
        #expect(Self.reader("[true, 1]") == .array([.bool(true), .number(1)]))
    }

    @Test func refusesWhatIsNotOneJSONText() {
        let texts = [
            "", " ", "[01]", "[1.]", "[.5]", "[-]", "[1e]", "+1", "{\"a\":1,}", "[1,]", "[,1]", "{\"a\" 1}", "{a:1}", "{'a':1}",
            "tru", "nul", "True", "[true false]", "1 2", "{} {}", "\"a\tb\"", "\"unterminated", #""\ud83d""#, #""\ude00""#,
            #""\x41""#, #""\u12""#, "[1e400]", "NaN", "Infinity", "{\"a\":1", "[1",
            String(repeating: "[", count: 100_000),
        ]
        for text in texts {
            #expect(Self.reader(text) == nil, "\(text.prefix(40))")
        }
        // Not UTF-8, inside a string and outside.
        #expect((try? JSONReader.value([0x22, 0xFF, 0x22])) == nil)
        #expect((try? JSONReader.value([0x22, 0xC3, 0x22])) == nil)
        #expect((try? JSONReader.value([0x5B, 0xFF, 0x5D])) == nil)
        // Nesting: as deep as allowed, and no deeper.
        let depth = JSONReader.maxDepth
        #expect(Self.reader(String(repeating: "[", count: depth) + String(repeating: "]", count: depth)) != nil)
        #expect(Self.reader(String(repeating: "[", count: depth + 1) + String(repeating: "]", count: depth + 1)) == nil)
        #expect(Self.reader(String(repeating: "{\"a\":", count: depth + 1) + "1" + String(repeating: "}", count: depth + 1)) == nil)
    }

    @Test func writesTheBytesFoundationWrites() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let values: [JSONValue] = [
            .object([
                "schemas": .array([.string("urn:ietf:params:scim:schemas:core:2.0:User")]), "id": .string("0b5e"), "active": .bool(false),
                "meta": .object(["location": .string("https://x.example/scim/v2/Users/0b5e"), "created": .string("2026-12-06T21:31:00Z")]),
                "totalResults": .number(100_000), "ratio": .number(0.25), "negative": .number(-3), "none": .null,
                "text": .string("quote \" backslash \\ slash / newline \n tab \t bell \u{07} é 😀"),
                "Zebra": .array([]), "apple": .object([:]),
            ]),
            .array([.number(1e20), .number(-0.5), .number(123_456_789_012)]),
        ]
        for value in values {
            #expect(String(decoding: value.jsonBytes, as: UTF8.self) == String(decoding: try encoder.encode(value), as: UTF8.self))
            #expect(try JSONReader.value(value.jsonBytes) == value, "what is written reads back the same")
        }
    }
}
