import Foundation
import MobiliseDomain
import MobiliseStore
import MobiliseTesting
import Postgres
import Testing

/// The audience rule has a SQL twin, `mobilise_audience_admits`, which the signing batch and the eligible
/// headcounts use: the two must answer alike for every audience and employee.
@Suite struct AudienceRuleTests {
    @Test func theSQLFunctionAdmitsExactlyWhomAudienceAdmitsAdmits() async throws {
        let audiences = [
            Audience(),
            Audience(genders: [.male]),
            Audience(genders: [.male, .nonBinary], countries: ["IN", "BR"]),
            Audience(countries: ["FR"]),
            Audience(orgUnits: ["Energy"]),
            Audience(genders: [.female], orgUnits: ["Energy/Buildings", "Digital"]),
        ]
        let units: [String?] = [nil, "Energy", "Energy/Buildings", "Energy/Buildings/Lyon", "EnergyX", "Energy/", "Digital", "digital", ""]
        try await TestDatabase.withStore { store in
            var compared = 0
            for audience in audiences {
                for gender in Gender.allCases {
                    for country in ["IN", "FR", "BR", "US"] {
                        for unit in units {
                            let admitted = try await store.pool.query("""
                                SELECT mobilise_audience_admits(\(audience.genders.map(\.rawValue)), \(audience.countries), \(audience.orgUnits),
                                                                \(gender.rawValue), \(country), \(unit))
                                """).scalar(Bool.self)
                            // SQL answers NULL where a unit is needed and missing: not admitted, as the batch coalesces it.
                            let inSwift = audience.admits(gender: gender, country: country, orgUnit: unit)
                            #expect((admitted ?? false) == inSwift, "\(audience) \(gender) \(country) \(unit ?? "nil")")
                            compared += 1
                        }
                    }
                }
            }
            #expect(compared == audiences.count * Gender.allCases.count * 4 * units.count)
        }
    }
}
