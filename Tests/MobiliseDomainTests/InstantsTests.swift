import Foundation
import MobiliseDomain
import Testing

/// The one rule for instants, shared by the API and the command line.
@Suite struct InstantsTests {
    @Test func datesAndRFC3339DateTimesOfYears1To9999Parse() throws {
        #expect(Instants.parse("0001-01-01T00:00:00Z") == Instants.earliest)
        #expect(Instants.parse("0001-01-01") == Instants.earliest)
        #expect(Instants.parse("9999-12-31T23:59:59.999Z") == Instants.latest)
        #expect(Instants.parse("1970-01-01T00:00:00Z") == Date(timeIntervalSince1970: 0))
        #expect(Instants.parse("2026-09-01") == Date(timeIntervalSince1970: 1_788_220_800))
        #expect(Instants.parse("2026-09-01T02:00:00+02:00") == Instants.parse("2026-09-01T00:00:00Z"))
        #expect(Instants.parse("2026-08-31T19:30:00-04:30") == Instants.parse("2026-09-01"))
        #expect(Instants.parse("2026-09-01t00:00:00z") == Instants.parse("2026-09-01"))
        #expect(Instants.parse("2024-02-29T12:00:00Z") != nil)
        let fraction = try #require(Instants.parse("2015-10-31T00:00:00.123456Z"))
        #expect(abs(fraction.timeIntervalSince1970 - 1_446_249_600.123456) < 1e-6)
        // Agrees with Foundation where Foundation is right (the Gregorian centuries).
        let formatter = ISO8601DateFormatter()
        for text in ["1600-03-01T00:00:00Z", "1900-02-28T23:59:59Z", "2000-02-29T00:00:00Z", "2015-06-01T09:30:00Z", "2399-12-31T00:00:00Z"] {
            #expect(Instants.parse(text) == formatter.date(from: text), "\(text)")
        }
    }

    @Test func anythingElseIsRefused() {
        for text in [
            "", "2026", "2026-09", "2026-9-1", "26-09-01", "2026-13-01", "2026-00-10", "2026-02-30", "2025-02-29", "1900-02-29",
            "0000-01-01T00:00:00Z", "10000-01-01T00:00:00Z", "+2026-09-01", "-2026-09-01", "2026-09-01T", "2026-09-01T24:00:00Z",
            "2026-09-01T10:60:00Z", "2026-09-01T10:00Z", "2026-09-01T10:00:00", "2026-09-01T10:00:00.Z", "2026-09-01T10:00:00+2:00",
            "2026-09-01T10:00:00+0200", "2026-09-01 extra", "2026-09-01T10:00:00Zjunk", "0001-01-01T00:00:00+01:00", "yesterday",
            "٢٠٢٦-09-01",
        ] {
            #expect(Instants.parse(text) == nil, "\(text)")
        }
    }

    @Test func asOfIsAnInstantUpToNow() throws {
        let now = try #require(Instants.parse("2026-09-01T12:00:00Z"))
        #expect(try Instants.asOf("2026-09-01", now: now) == Instants.parse("2026-09-01"))
        #expect(try Instants.asOf("2026-09-01T12:00:00Z", now: now) == now)
        #expect(try Instants.asOf("0001-01-01T00:00:00Z", now: now) == Instants.earliest)
        let future = #expect(throws: MobiliseError.self) { try Instants.asOf("2026-09-02", now: now) }
        #expect(future?.message == "as_of: '2026-09-02' is in the future; figures are known up to now (leave as_of out for the latest)")
        let malformed = #expect(throws: MobiliseError.self) { try Instants.asOf("June 1st", name: "--as-of", now: now) }
        #expect(malformed?.message == "--as-of: 'June 1st' is not a date or an RFC 3339 date and time of years 1 to 9999; write it like 2026-09-01 or 2026-09-01T09:00:00Z")
        #expect(malformed?.code == .invalidParameter)
    }
}
