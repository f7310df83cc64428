import Foundation
import HTTPTypes
import MobiliseAPI
import MobiliseDomain
import Testing

/// What a new user of the API ran into (issue 18): each test fails on the service as it was.
@Suite struct NewUserTests {
    /// HR ids with a space, an accent or a slash are erased by their percent-encoded path, and
    /// every message shows the decoded id.
    @Test func pathParametersArePercentDecoded() async throws {
        try await ServiceHarness.run { service in
            let hr = try await service.token("hr-1", [.hrAdmin])
            let file = "external_id,country\nJ DOE,FR\nÉMILE-1,FR\nA/B,FR\n"
            let imported = try await service.call(.post, "/v1/employees/import", token: hr, raw: Array(file.utf8), contentType: "text/csv")
            #expect(imported.status == .ok, "\(imported.text)")
            for path in ["J%20DOE", "%C3%89MILE-1", "A%2FB"] {
                let erased = try await service.call(.delete, "/v1/employees/\(path)", token: hr)
                #expect(erased.status == .noContent, "\(path): \(erased.status) \(erased.text)")
            }
            for id in ["J DOE", "ÉMILE-1", "A/B"] {
                #expect(try await service.store.employee(organisationID: service.acme.id, externalID: id) == nil, "\(id) is still there")
            }
            let again = try await service.call(.delete, "/v1/employees/%C3%89MILE-1", token: hr)
            #expect(again.status == .notFound)
            #expect(again.text.contains("no employee 'ÉMILE-1'"), "\(again.text)")
            // A campaign reference and a country code are decoded the same way.
            let campaign = try await service.call(.get, "/v1/campaigns/no%20such", token: hr)
            #expect(campaign.status == .notFound && campaign.text.contains("no campaign 'no such'"), "\(campaign.text)")
            let malformed = try await service.call(.delete, "/v1/employees/%E9MILE", token: hr)
            #expect(malformed.status == .badRequest && malformed.errorCode == "malformed_path", "\(malformed.text)")
        }
    }
}
