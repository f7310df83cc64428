import Foundation
import MobiliseTesting
import Postgres
import Testing

/// Results asked for in binary format (`PostgresQuery.binaryResults()`) read the same values as text
/// results, and a binary value the library cannot read is a decoding error, never another value.
@Suite struct BinaryResultTests {
    /// What decoding one cell gave: a value, or a decoding error.
    enum Read<T: Equatable>: Equatable, CustomStringConvertible {
        case value(T)
        case failed

        var description: String {
            switch self {
            case .value(let value): "\(value)"
            case .failed: "failed"
            }
        }
    }

    /// `sql`'s first column, in text and then in binary format, each row decoded as `T`.
    func readBoth<T: PostgresDecodable & Equatable>(
        _ sql: PostgresQuery, as type: T.Type, on pool: PostgresPool
    ) async throws -> (text: [Read<T>], binary: [Read<T>]) {
        let text = try await pool.query(sql)
        let binary = try await pool.query(sql.binaryResults())
        #expect(text.columnFormats.allSatisfy { $0 == .text })
        #expect(binary.columnFormats.allSatisfy { $0 == .binary })
        func read(_ result: PostgresResult) -> [Read<T>] {
            result.rows.map { row in
                do {
                    return .value(try row.decode(T.self, at: 0))
                } catch let error as PostgresError {
                    #expect(error.kind == .decoding)
                    return .failed
                } catch {
                    Issue.record("not a PostgresError: \(error)")
                    return .failed
                }
            }
        }
        return (read(text), read(binary))
    }

    /// Checks that both formats read `expected`.
    func expectBoth<T: PostgresDecodable & Equatable>(
        _ sql: PostgresQuery, as type: T.Type, _ expected: [Read<T>], on pool: PostgresPool,
        sourceLocation: SourceLocation = #_sourceLocation
    ) async throws {
        let (text, binary) = try await readBoth(sql, as: T.self, on: pool)
        #expect(text == expected, "text", sourceLocation: sourceLocation)
        #expect(binary == expected, "binary", sourceLocation: sourceLocation)
    }

    @Test func booleansAndIntegersReadTheSame() async throws {
        try await TestDatabase.withDatabase(migrated: false) { pool in
            try await expectBoth("SELECT v FROM (VALUES (true), (false), (NULL)) t (v)", as: Bool?.self,
                                 [.value(true), .value(false), .value(nil)], on: pool)
            try await expectBoth("SELECT v FROM (VALUES ('-32768'::int2), (32767::int2), (0::int2), ('-1'::int2), (NULL)) t (v)", as: Int16?.self,
                                 [.value(.min), .value(.max), .value(0), .value(-1), .value(nil)], on: pool)
            try await expectBoth("SELECT v FROM (VALUES ('-2147483648'::int4), (2147483647::int4), ('-1'::int4)) t (v)", as: Int32.self,
                                 [.value(.min), .value(.max), .value(-1)], on: pool)
            let int8s: PostgresQuery = "SELECT v FROM (VALUES ('-9223372036854775808'::int8), (9223372036854775807::int8), ('-1'::int8), (NULL)) t (v)"
            try await expectBoth(int8s, as: Int?.self, [.value(.min), .value(.max), .value(-1), .value(nil)], on: pool)
            try await expectBoth(int8s, as: Int64?.self, [.value(.min), .value(.max), .value(-1), .value(nil)], on: pool)
            // Out of the Swift type's range: an error in both, not a truncated value.
            try await expectBoth(int8s, as: Int32?.self, [.failed, .failed, .value(-1), .value(nil)], on: pool)
            try await expectBoth("SELECT v FROM (VALUES ('-32769'::int4), ('-32768'::int4)) t (v)", as: Int16.self,
                                 [.failed, .value(.min)], on: pool)
            // oid is unsigned.
            try await expectBoth("SELECT v FROM (VALUES (4294967295::oid), (0::oid)) t (v)", as: Int64.self,
                                 [.value(4_294_967_295), .value(0)], on: pool)
            try await expectBoth("SELECT 4294967295::oid", as: Int32.self, [.failed], on: pool)
            // Integers read as Double and Decimal.
            try await expectBoth("SELECT v FROM (VALUES ('-9223372036854775808'::int8), (7::int8)) t (v)", as: Double.self,
                                 [.value(-9_223_372_036_854_775_808), .value(7)], on: pool)
            try await expectBoth("SELECT v FROM (VALUES ('-32768'::int2), (12::int2)) t (v)", as: Decimal.self,
                                 [.value(-32768), .value(12)], on: pool)
            try await expectBoth("SELECT 9223372036854775807::int8", as: Decimal.self,
                                 [.value(try #require(Decimal(string: "9223372036854775807")))], on: pool)
        }
    }

    @Test func floatsReadTheSame() async throws {
        try await TestDatabase.withDatabase(migrated: false) { pool in
            try await expectBoth("""
                SELECT v FROM (VALUES (0.1::float8), (-1.5e300::float8), ('Infinity'::float8), ('-Infinity'::float8),
                                      (5e-324::float8), (1.7976931348623157e308::float8), ('-0'::float8), (NULL)) t (v)
                """, as: Double?.self,
                [.value(0.1), .value(-1.5e300), .value(.infinity), .value(-.infinity), .value(.leastNonzeroMagnitude), .value(.greatestFiniteMagnitude),
                 .value(-0.0), .value(nil)], on: pool)
            // float4 as the decimal the server writes for it, in both formats.
            try await expectBoth("""
                SELECT v FROM (VALUES (0.1::float4), (3.4028235e38::float4), (1e-45::float4), ('-Infinity'::float4)) t (v)
                """, as: Double.self, [.value(0.1), .value(3.4028235e38), .value(1e-45), .value(-.infinity)], on: pool)
            let nan = try await readBoth("SELECT 'NaN'::float8 UNION ALL SELECT 'NaN'::float4", as: Double.self, on: pool)
            for read in nan.text + nan.binary {
                guard case .value(let value) = read else { Issue.record("NaN not read"); continue }
                #expect(value.isNaN)
            }
        }
    }

    @Test func uuidsTextAndBytesReadTheSame() async throws {
        try await TestDatabase.withDatabase(migrated: false) { pool in
            let uuids = [UUID(), UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)),
                         UUID(uuid: (255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255))]
            let withNull: [UUID?] = uuids + [nil]
            try await expectBoth("SELECT u FROM unnest(\(withNull)) WITH ORDINALITY AS t (u, n) ORDER BY n", as: UUID?.self,
                                 withNull.map { .value($0) }, on: pool)
            let texts = ["", "Zürich — São Paulo — 東京 — मुंबई — 🙋🏽‍♂️", "tab\tnew\nline\r\\back", String(repeating: "x", count: 100_000)]
            try await expectBoth("SELECT t FROM unnest(\(texts)) WITH ORDINALITY AS u (t, n) ORDER BY n", as: String.self,
                                 texts.map { .value($0) }, on: pool)
            try await expectBoth("SELECT 'abc'::varchar(10) UNION ALL SELECT NULL", as: String?.self, [.value("abc"), .value(nil)], on: pool)
            try await expectBoth("SELECT 'ab'::char(4)", as: String.self, [.value("ab  ")], on: pool)
            try await expectBoth("SELECT 'pg_class'::name", as: String.self, [.value("pg_class")], on: pool)
            // A string-backed enum (how SignatureChannel is read) from a text column.
            try await expectBoth("SELECT 'non_binary'::text UNION ALL SELECT 'robot'", as: Gender.self, [.value(.nonBinary), .failed], on: pool)
            let small = Data([0, 1, 0, 255, 0, 92])
            try await expectBoth("SELECT \(small)::bytea UNION ALL SELECT ''::bytea", as: Data.self, [.value(small), .value(Data())], on: pool)
        }
    }

    @Test func jsonReadsTheSame() async throws {
        try await TestDatabase.withDatabase(migrated: false) { pool in
            let settings = Settings(privacyK: 10, languages: ["en", "fr-FR"])
            let document = #"{"privacyK": 10, "languages": ["en", "fr-FR"]}"#
            for type in ["json", "jsonb"] {
                let query: PostgresQuery = "SELECT \(document)::\(unsafeSQL: type) AS settings"
                #expect(try await pool.query(query).scalar(JSONB<Settings>.self)?.value == settings)
                #expect(try await pool.query(query.binaryResults()).scalar(JSONB<Settings>.self)?.value == settings)
                let strings = try await readBoth(query, as: String.self, on: pool)
                #expect(strings.text == strings.binary)
                // A Decodable row's Codable property, read from the json column.
                struct Row: Decodable { var settings: Settings }
                #expect(try await pool.query(query.binaryResults()).decode(Row.self).map(\.settings) == [settings])
            }
        }
    }

    @Test func timestampsAndDatesReadTheSame() async throws {
        try await TestDatabase.withDatabase(migrated: false) { pool in
            let instants: [Read<Date?>] = [
                .value(Date(timeIntervalSince1970: 1_433_151_000.123456)),
                .value(Date(timeIntervalSince1970: -0.000_001)),
                .value(Date(timeIntervalSince1970: 946_684_800)),
                .value(Date(timeIntervalSince1970: -62_135_596_800)),  // 0001-01-01
                .value(Date(timeIntervalSince1970: 9_215_608_291_199)),  // 294000-12-31 23:59:59
                .value(.distantFuture), .value(.distantPast), .value(nil),
                // Beyond what the text parser reads (before year 1, after 294,000): an error in both formats.
                .failed, .failed,
            ]
            for type in ["timestamptz", "timestamp"] {
                try await expectBoth("""
                    SELECT v::\(unsafeSQL: type) FROM (VALUES (1, '2015-06-01 09:30:00.123456'), (2, '1969-12-31 23:59:59.999999'),
                        (3, '2000-01-01 00:00:00'), (4, '0001-01-01 00:00:00'), (5, '294000-12-31 23:59:59'),
                        (6, 'infinity'), (7, '-infinity'), (8, NULL), (9, '0001-12-31 23:59:59 BC'), (10, '294276-12-31 23:59:59')) t (n, v)
                    ORDER BY n
                    """, as: Date?.self, instants, on: pool)
            }
            try await expectBoth("""
                SELECT v::date FROM (VALUES (1, '2015-06-01'), (2, '1969-12-31'), (3, '2000-01-01'), (4, '0001-01-01'),
                    (5, 'infinity'), (6, '-infinity'), (7, NULL), (8, '4713-01-01 BC'), (9, '5000000-01-01')) t (n, v)
                ORDER BY n
                """, as: Date?.self,
                [.value(Date(timeIntervalSince1970: 1_433_116_800)), .value(Date(timeIntervalSince1970: -86_400)),
                 .value(Date(timeIntervalSince1970: 946_684_800)), .value(Date(timeIntervalSince1970: -62_135_596_800)),
                 .value(.distantFuture), .value(.distantPast), .value(nil), .failed, .failed], on: pool)
            // Microseconds of many random instants, either side of 1970 and 2000.
            let dates = (0..<500).map { _ in Date(timeIntervalSince1970: Double(Int64.random(in: -3_000_000_000_000_000...5_000_000_000_000_000)) / 1_000_000) }
            let (text, binary) = try await readBoth("SELECT d FROM unnest(\(dates)) WITH ORDINALITY AS t (d, n) ORDER BY n", as: Date.self, on: pool)
            #expect(text == binary)
            #expect(text.count == dates.count && !text.contains(.failed))
        }
    }

    /// Types whose binary form the library does not read: an error naming the column, never a value.
    @Test func binaryOfAnUnreadableTypeIsADecodingError() async throws {
        try await TestDatabase.withDatabase(migrated: false) { pool in
            try await pool.execute("CREATE TYPE mood AS ENUM ('calm', 'busy')")
            let query: PostgresQuery = "SELECT 1.5::numeric AS n, ARRAY[1, 2]::int8[] AS a, 'calm'::mood AS m, 2.5::numeric AS d"
            let text = try await pool.query(query)[0]
            #expect(try text.decode(Decimal.self, column: "n") == Decimal(string: "1.5"))
            #expect(try text.decode([Int].self, column: "a") == [1, 2])
            #expect(try text.decode(String.self, column: "m") == "calm")
            #expect(try text.decode(Double.self, column: "d") == 2.5)
            let binary = try await pool.query(query.binaryResults())[0]
            for (column, read) in [("n", { _ = try binary.decode(Decimal.self, column: "n") }),
                                   ("a", { _ = try binary.decode([Int].self, column: "a") }),
                                   ("m", { _ = try binary.decode(String.self, column: "m") }),
                                   ("d", { _ = try binary.decode(Double.self, column: "d") })] as [(String, () throws -> Void)] {
                let error = #expect(throws: PostgresError.self) { try read() }
                #expect(error?.kind == .decoding)
                #expect(error?.message.contains("'\(column)'") == true)
                #expect(error?.message.contains("binary format") == true)
            }
            // A type that cannot be the Swift type at all is the same mismatch as in text.
            let mismatch = #expect(throws: PostgresError.self) { try binary.decode(UUID.self, column: "n") }
            #expect(mismatch?.message.contains("cannot be decoded as UUID") == true)
        }
    }

    /// Binary bytes of the wrong length for their type (which the server does not send) are refused.
    @Test func malformedBinaryCellsAreRefused() throws {
        func cell(_ bytes: [UInt8], _ type: PostgresType) -> PostgresCell {
            PostgresCell(bytes: bytes, type: type, columnName: "c", columnIndex: 0, format: .binary)
        }
        #expect(throws: PostgresError.self) { try UUID(postgresCell: cell(Array(repeating: 1, count: 15), .uuid)) }
        #expect(throws: PostgresError.self) { try Bool(postgresCell: cell([2], .bool)) }
        #expect(throws: PostgresError.self) { try Int(postgresCell: cell([0, 0, 1], .int4)) }
        #expect(throws: PostgresError.self) { try Date(postgresCell: cell([0, 0, 0, 0], .timestamptz)) }
        #expect(throws: PostgresError.self) { try String(postgresCell: cell([2, 123, 125], .jsonb)) }
        // The same bytes in text format are text.
        #expect(try String(postgresCell: PostgresCell(bytes: [49], type: .text, columnName: "c", columnIndex: 0)) == "1")
        #expect(try Int(postgresCell: PostgresCell(bytes: [49], type: .int4, columnName: "c", columnIndex: 0)) == 1)
    }

    /// Prepared, in a pipeline, and mixed with text results on the same connection.
    @Test func preparedAndPipelinedQueriesGetBinaryResults() async throws {
        try await TestDatabase.withDatabase(migrated: false) { pool in
            try await pool.withConnection { connection in
                let instant = Date(timeIntervalSince1970: 1_433_151_000.5)
                let id = UUID()
                let query: PostgresQuery = "SELECT \(id)::uuid AS id, \(instant)::timestamptz AS at, \(41) + 1 AS n"
                for _ in 0..<3 {
                    for sent in [query.prepared().binaryResults(), query.binaryResults()] {
                        let result = try connection.query(sent)
                        #expect(result.columnFormats == [.binary, .binary, .binary])
                        #expect(try result[0].decode((UUID, Date, Int).self) == (id, instant, 42))
                    }
                    // The same prepared statement executed for text results.
                    let text = try connection.query(query.prepared())
                    #expect(text.columnFormats == [.text, .text, .text])
                    #expect(try text[0].decode((UUID, Date, Int).self) == (id, instant, 42))
                }
                let results = try connection.pipeline([query.prepared().binaryResults(), query, "SELECT \(id)::uuid::text"], mode: .transaction)
                #expect(try results.map { try $0.get().columnFormats.first } == [.binary, .text, .text])
                #expect(try results[0].get()[0].decode(UUID.self, at: 0) == id)
                #expect(try results[2].get().scalar(String.self) == id.uuidString.lowercased())
            }
        }
    }
}
