import Foundation
import MobiliseAPI
import MobiliseDomain
import Testing

/// Issue 7: imports are rate-limited per organisation, over HTTP.
@Suite struct ImportRateLimitTests {
    @Test func importsBeyondTheLimitGet429WithRetryAfterAndOtherOrganisationsAreNotAffected() async throws {
        try await ServiceHarness.run(importsPerHour: 2) { service in
            let acmeHR = try await service.token("hr-1", [.hrAdmin])
            let globexHR = try await service.token("g-hr", [.hrAdmin], organisation: "globex")
            let file = Array("external_id,country\nrl-1,FR\n".utf8)
            for attempt in 1...2 {
                let reply = try await service.call(.post, "/v1/employees/import", token: acmeHR, raw: file, contentType: "text/csv")
                #expect(reply.status == .ok, "import \(attempt) of 2 is within the limit: \(reply.text)")
            }
            let refused = try await service.call(.post, "/v1/employees/import", token: acmeHR, raw: file, contentType: "text/csv")
            #expect(refused.status == .tooManyRequests)
            #expect(refused.errorCode == "rate_limited")
            // Two imports an hour: the next one is half an hour away at most.
            let retryAfter = refused.headers[.retryAfter].flatMap(Int.init)
            #expect(retryAfter.map { (1...1800).contains($0) } == true, "Retry-After: \(refused.headers[.retryAfter] ?? "none")")
            // The refused import changed nothing: one audit entry per accepted import only.
            let audit = try await service.store.auditLog(organisationID: service.acme.id, limit: 50)
            #expect(audit.filter { $0.action == "employees.import" && $0.actor == "hr-1" }.count == 2)

            // Another organisation has its own allowance.
            let globexFile = Array("external_id,country\ng-2,US\n".utf8)
            for attempt in 1...2 {
                let reply = try await service.call(.post, "/v1/employees/import", token: globexHR, raw: globexFile, contentType: "text/csv")
                #expect(reply.status == .ok, "globex import \(attempt): \(reply.text)")
            }
            let globexRefused = try await service.call(.post, "/v1/employees/import", token: globexHR, raw: globexFile, contentType: "text/csv")
            #expect(globexRefused.status == .tooManyRequests && globexRefused.headers[.retryAfter] != nil)
        }
    }

    @Test func theImportLimitIsReadFromTheEnvironment() {
        #expect(APIConfiguration.fromEnvironment([:]).importsPerHour == 20)
        #expect(APIConfiguration.fromEnvironment(["MOBILISE_IMPORT_RATE_LIMIT": "3"]).importsPerHour == 3)
        #expect(APIConfiguration.fromEnvironment(["MOBILISE_IMPORT_RATE_LIMIT": "lots"]).importsPerHour == 20)
    }
}
