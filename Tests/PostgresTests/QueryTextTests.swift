import Foundation
import Postgres
import Testing

/// The SQL text and parameters a query builds, checked without a server.
@Suite struct QueryTextTests {
    @Test func interpolatedValuesBecomeNumberedParameters() {
        let country = "FR"
        let limit = 5
        let query: PostgresQuery = "SELECT * FROM employees WHERE country = \(country) LIMIT \(limit)"
        #expect(query.sql == "SELECT * FROM employees WHERE country = $1 LIMIT $2")
        #expect(query.binds.map(\.type) == [.text, .int8])
        #expect(query.binds[0].bytes == Array("FR".utf8))
        #expect(query.binds[1].bytes == Array("5".utf8))
    }

    @Test func hostileTextStaysAParameter() {
        let hostile = "'); DROP TABLE employees; --"
        let query: PostgresQuery = "INSERT INTO t (name) VALUES (\(hostile))"
        #expect(query.sql == "INSERT INTO t (name) VALUES ($1)")
        #expect(query.binds[0].bytes == Array(hostile.utf8))
    }

    @Test func nilBecomesATypedNull() {
        let missing: String? = nil
        let query: PostgresQuery = "SELECT \(missing)"
        #expect(query.binds == [.null(.text)])
    }

    @Test func identifiersAreQuotedAndUnsafeSQLIsPasted() {
        let query: PostgresQuery = "LISTEN \(identifier: #"we"ird"#); \(unsafeSQL: "SELECT 1")"
        #expect(query.sql == #"LISTEN "we""ird"; SELECT 1"#)
        #expect(query.binds.isEmpty)
    }

    @Test func descriptionNeverShowsValues() {
        let secret = "s3cret"
        let query: PostgresQuery = "SELECT \(secret)"
        #expect(!"\(query)".contains(secret))
    }

    @Test func arraysUseTheTextArrayFormat() {
        let names = ["a", #"b"c"#, #"d\e"#]
        #expect(names.postgresBind.bytes == Array(#"{"a","b\"c","d\\e"}"#.utf8))
        #expect(names.postgresBind.type == .textArray)
    }
}

@Suite struct QueryCompositionTests {
    @Test func embeddedFragmentsAreRenumbered() {
        let countries = ["IN", "BR"]
        let filter: PostgresQuery = "country = ANY(\(countries)) AND note <> '$1 literal'"
        let query: PostgresQuery = "SELECT \(42) WHERE \(filter) AND id = \(7)"
        #expect(query.sql == "SELECT $1 WHERE country = ANY($2) AND note <> '$1 literal' AND id = $3")
        #expect(query.binds.count == 3)
        #expect(query.binds[1].type == .textArray)
    }
}
