import Foundation
import MobiliseTesting
import Postgres
import Testing

enum Gender: String, PostgresCodable, Codable {
    case female, male, nonBinary = "non_binary", undisclosed
}

struct Settings: Codable, Sendable, Equatable {
    var privacyK: Int
    var languages: [String]
}

/// Every supported type sent to a real server as a parameter and read back.
@Suite struct ValueRoundTripTests {
    /// Sends `value` as a parameter, casts it to `sqlType` on the server, reads it back.
    func roundTrip<T: PostgresCodable & Sendable>(_ value: T, as sqlType: String, on pool: PostgresPool) async throws -> T {
        try await pool.withConnection { connection in
            try connection.query("SELECT \(value)::\(unsafeSQL: sqlType) AS value")[0].decode(T.self, column: "value")
        }
    }

    @Test func scalarsRoundTrip() async throws {
        try await TestDatabase.withDatabase(migrated: false) { pool in
            #expect(try await roundTrip(true, as: "boolean", on: pool) == true)
            #expect(try await roundTrip(false, as: "boolean", on: pool) == false)
            #expect(try await roundTrip(Int16.min, as: "int2", on: pool) == Int16.min)
            #expect(try await roundTrip(Int32.max, as: "int4", on: pool) == Int32.max)
            #expect(try await roundTrip(Int64.min, as: "int8", on: pool) == Int64.min)
            #expect(try await roundTrip(Int.max, as: "int8", on: pool) == Int.max)
            #expect(try await roundTrip(Double(0.1), as: "float8", on: pool) == 0.1)
            #expect(try await roundTrip(Double(-1.5e300), as: "float8", on: pool) == -1.5e300)
            #expect(try await roundTrip(Double.infinity, as: "float8", on: pool) == .infinity)
            #expect(try await roundTrip(Double.nan, as: "float8", on: pool).isNaN)
            let decimal = try #require(Decimal(string: "12345678901234567890.123456789", locale: Locale(identifier: "en_US_POSIX")))
            #expect(try await roundTrip(decimal, as: "numeric", on: pool) == decimal)
            let uuid = UUID()
            #expect(try await roundTrip(uuid, as: "uuid", on: pool) == uuid)
            #expect(try await roundTrip(Gender.nonBinary, as: "text", on: pool) == .nonBinary)
        }
    }

    @Test func uuidsMatchTheServersOwnTextForm() async throws {
        try await TestDatabase.withDatabase(migrated: false) { pool in
            let uuids = (0..<200).map { _ in UUID() } + [UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)),
                                                          UUID(uuid: (255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255))]
            let result = try await pool.query("SELECT u, u::text AS text FROM unnest(\(uuids)) AS u")
            for (index, uuid) in uuids.enumerated() {
                // What we send is what the server prints, and what it prints reads back as the same UUID.
                #expect(try result[index].decode(String.self, column: "text") == uuid.uuidString.lowercased())
                #expect(try result[index].decode(UUID.self, column: "u") == uuid)
            }
        }
        // The parser itself: upper case is read; anything but 8-4-4-4-12 hex digits is refused.
        func cell(_ text: String) -> PostgresCell { PostgresCell(bytes: Array(text.utf8), type: .uuid, columnName: "u", columnIndex: 0) }
        let uuid = UUID()
        #expect(try UUID(postgresCell: cell(uuid.uuidString.uppercased())) == uuid)
        for malformed in ["", "a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a1", "a0eebc99x9c0b-4ef8-bb6d-6bb9bd380a11",
                          "g0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11", "a0eebc999c0b-4ef8-bb6d-6bb9bd380a11-", "{a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11}"] {
            #expect(throws: PostgresError.self) { try UUID(postgresCell: cell(malformed)) }
        }
    }

    @Test func textRoundTripsVerbatim() async throws {
        try await TestDatabase.withDatabase(migrated: false) { pool in
            for text in ["", "Zürich — São Paulo — 東京 — मुंबई — 🙋🏽‍♂️", "tab\tnew\nline\r\\back", String(repeating: "x", count: 5_000_000)] {
                let back = try await roundTrip(text, as: "text", on: pool)
                #expect(back == text)
            }
        }
    }

    @Test func datesRoundTripToTheMicrosecond() async throws {
        try await TestDatabase.withDatabase(migrated: false) { pool in
            let dates = [
                Date(timeIntervalSince1970: 1_433_151_000.123456),  // 2015-06-01 09:30:00.123456
                Date(timeIntervalSince1970: -86_400 * 365 * 80 + 0.5),  // before 1970
                Date(timeIntervalSince1970: 0),
            ]
            for date in dates {
                let back = try await roundTrip(date, as: "timestamptz", on: pool)
                #expect(abs(back.timeIntervalSince1970 - date.timeIntervalSince1970) < 0.000_001)
            }
            // The server's own rendering of a known instant.
            let server = try await pool.query("SELECT '2015-06-01 09:30:00.25+02'::timestamptz")
            #expect(try server.scalar(Date.self) == Date(timeIntervalSince1970: 1_433_143_800.25))
        }
    }

    /// Instants too far away for 64-bit microseconds neither trap nor turn into another instant:
    /// sent, they are ±infinity; read back from a date PostgreSQL holds beyond them, a decoding error.
    @Test func datesBeyondMicrosecondsAreInfinityOrAnError() async throws {
        try await TestDatabase.withDatabase(migrated: false) { pool in
            let far = try await pool.query("SELECT \(Date(timeIntervalSince1970: 1e16))::text, \(Date(timeIntervalSince1970: -1e16))::text")
            #expect(try far[0].decode((String, String).self) == ("infinity", "-infinity"))
            await #expect(throws: PostgresError.self) { try await pool.query("SELECT '5000000-01-01'::date").scalar(Date.self) }
        }
    }

    @Test func byteaKeepsZeroBytesAndLargeValues() async throws {
        try await TestDatabase.withDatabase(migrated: false) { pool in
            let small = Data([0, 1, 0, 255, 0])
            let smallBack = try await roundTrip(small, as: "bytea", on: pool)
            #expect(smallBack == small)
            let large = Data((0..<3_000_000).map { UInt8(truncatingIfNeeded: $0 * 7) })
            let largeBack = try await roundTrip(large, as: "bytea", on: pool)
            #expect(largeBack == large)
            let emptyBack = try await roundTrip(Data(), as: "bytea", on: pool)
            #expect(emptyBack.isEmpty)
        }
    }

    @Test func arraysRoundTrip() async throws {
        try await TestDatabase.withDatabase(migrated: false) { pool in
            let texts = ["a", "", "with \"quotes\"", "back\\slash", "NULL", "comma,brace{}", "ünï"]
            #expect(try await roundTrip(texts, as: "text[]", on: pool) == texts)
            #expect(try await roundTrip([Int64(1), -2, .max], as: "int8[]", on: pool) == [1, -2, .max])
            #expect(try await roundTrip([Int32(7), 8], as: "int4[]", on: pool) == [7, 8])
            #expect(try await roundTrip([Int](), as: "int8[]", on: pool) == [])
            let withNull = try await pool.query("SELECT ARRAY['a', NULL, 'c']")
            #expect(try withNull.scalar([String?].self) == ["a", nil, "c"])
            let optionalTexts: [String?] = ["a", nil, "NULL", ""]
            #expect(try await roundTrip(optionalTexts, as: "text[]", on: pool) == optionalTexts)
            let instants: [Date?] = [Date(timeIntervalSince1970: 1_433_151_000.25), nil]
            #expect(try await roundTrip(instants, as: "timestamptz[]", on: pool) == instants)
            let ids: [UUID?] = [nil, UUID()]
            #expect(try await roundTrip(ids, as: "uuid[]", on: pool) == ids)
            // Zero bytes, a backslash and a quote: sent in bytea's hex form inside the array's text.
            let blobs: [Data?] = [Data([0, 92, 34, 255]), Data(), nil]
            #expect(try await roundTrip(blobs, as: "bytea[]", on: pool) == blobs)
            let countries = ["IN", "BR"]
            let matched = try await pool.query("SELECT count(*) FROM unnest(ARRAY['IN','FR','BR']) c WHERE c = ANY(\(countries))")
            #expect(try matched.scalar(Int.self) == 2)
        }
    }

    @Test func jsonRoundTripsThroughCodable() async throws {
        try await TestDatabase.withDatabase(migrated: false) { pool in
            let settings = Settings(privacyK: 10, languages: ["en", "fr-FR"])
            let back = try await roundTrip(try JSONB(settings), as: "jsonb", on: pool)
            #expect(back.value == settings)
            let plainJSON = try await pool.query(#"SELECT '{"privacyK": 3, "languages": []}'::json"#)
            #expect(try plainJSON.scalar(JSONB<Settings>.self)?.value == Settings(privacyK: 3, languages: []))
        }
    }

    /// `text` is the JSON bound, so a text parameter cast to jsonb is the same document as the JSONB one.
    @Test func jsonbTextIsTheJSONItBinds() async throws {
        let value: [String: [String]] = ["b": ["https://x.example/a"], "a": []]
        let json = try JSONB(value)
        #expect(json.text == #"{"a":[],"b":["https://x.example/a"]}"#, "keys sorted, slashes unescaped")
        try await TestDatabase.withDatabase(migrated: false) { pool in
            let same = try await pool.query("SELECT \(json.text)::jsonb = \(json)")
            #expect(try same.scalar(Bool.self) == true)
        }
    }

    @Test func nullsRoundTripForEveryType() async throws {
        try await TestDatabase.withDatabase(migrated: false) { pool in
            let row = try await pool.withConnection { connection in
                try connection.query("""
                    SELECT \(Bool?.none)::boolean, \(Int?.none)::int8, \(String?.none)::text, \(UUID?.none)::uuid,
                           \(Date?.none)::timestamptz, \(Data?.none)::bytea, \(Decimal?.none)::numeric,
                           \(Double?.none)::float8, \([String]?.none)::text[]
                    """)[0]
            }
            let values = try row.decode((Bool?, Int?, String?, UUID?, Date?, Data?, Decimal?, Double?, [String]?).self)
            #expect(values.0 == nil && values.1 == nil && values.2 == nil && values.3 == nil && values.4 == nil)
            #expect(values.5 == nil && values.6 == nil && values.7 == nil && values.8 == nil)
            #expect(throws: PostgresError.self) { try row.decode(Int.self, at: 1) }
        }
    }

    struct Person: Decodable, Equatable {
        var id: Int
        var displayName: String
        var gender: Gender
        var manager: String?
    }

    @Test func rowsDecodeByNamePositionAndIntoDecodableTypes() async throws {
        try await TestDatabase.withDatabase(migrated: false) { pool in
            let result = try await pool.query("""
                SELECT 1 AS id, 'Asha' AS display_name, 'female' AS gender, NULL::text AS manager
                UNION ALL SELECT 2, 'Bruno', 'male', 'E1' ORDER BY id
                """)
            #expect(result.columns == ["id", "display_name", "gender", "manager"])
            #expect(try result[1].decode(String.self, column: "display_name") == "Bruno")
            #expect(try result[0].decode(Int.self, at: 0) == 1)
            #expect(try result.decode(Person.self) == [
                Person(id: 1, displayName: "Asha", gender: .female, manager: nil),
                Person(id: 2, displayName: "Bruno", gender: .male, manager: "E1"),
            ])
        }
    }

    @Test func typeMismatchNamesTheColumnAndBothTypes() async throws {
        try await TestDatabase.withDatabase(migrated: false) { pool in
            let result = try await pool.query("SELECT 42 AS answer")
            let error = #expect(throws: PostgresError.self) { try result[0].decode(String.self, column: "answer") }
            #expect(error?.kind == .decoding)
            #expect(error?.message.contains("answer") == true)
            #expect(error?.message.contains("int4") == true)
            #expect(error?.message.contains("String") == true)
            #expect(throws: PostgresError.self) { try result[0].decode(Int.self, column: "missing") }
        }
    }
}
