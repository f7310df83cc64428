import EmbeddedPostgres
import Foundation
import MobiliseAPI
import MobiliseDomain
import MobiliseTesting
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

    /// While an import is running (its file still arriving), another organisation's import is
    /// refused with 429 `import_busy` when one import at a time is allowed; the first completes.
    @Test func importsBeyondTheServiceWideLimitAreRefusedWhileOneRuns() async throws {
        try await ServiceHarness.run(maxConcurrentImports: 1) { service in
            let acmeHR = try await service.token("hr-1", [.hrAdmin])
            let globexHR = try await service.token("g-hr", [.hrAdmin], organisation: "globex")
            let port = try #require(service.client.port)
            // curl streams the upload from its standard input, which the test keeps open: the import
            // waits for the rest, holding its place.
            let input = Pipe()
            let output = FileManager.default.temporaryDirectory.appendingPathComponent("upload-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: output) }
            let upload = try ProcessRunner.start(Command("/usr/bin/env", [
                "curl", "-s", "--max-time", "60", "-H", "Authorization: Bearer \(acmeHR)", "-H", "Content-Type: text/csv",
                "-H", "Expect:", "-X", "POST", "-T", "-", "http://127.0.0.1:\(port)/v1/employees/import",
            ]), output: output.path, error: "/dev/null", input: input.fileHandleForReading.fileDescriptor)
            // curl has its own copy: closing the writing end below is then the end of the file for it.
            try input.fileHandleForReading.close()
            try input.fileHandleForWriting.write(contentsOf: Data("external_id,country\nslow-1,FR\n".utf8))
            // The upload is being served once /metrics counts a request in progress (it counts no other).
            try await waitUntil("the upload is being served", timeout: .seconds(60), interval: .milliseconds(20)) {
                let metrics = try await service.call(.get, "/metrics").text
                return metrics.split(separator: "\n").contains { line in
                    line.hasPrefix("mobilise_http_requests_in_flight ") && (line.split(separator: " ").last.flatMap { Double($0) } ?? 0) > 0
                }
            }
            let file = Array("external_id,country\ng-9,US\n".utf8)
            let refused = try await service.call(.post, "/v1/employees/import", token: globexHR, raw: file, contentType: "text/csv")
            #expect(refused.errorCode == "import_busy", "\(refused.text)")
            #expect(refused.status == .tooManyRequests && refused.headers[.retryAfter] != nil)
            try input.fileHandleForWriting.write(contentsOf: Data("slow-2,FR\n".utf8))
            try input.fileHandleForWriting.close()
            let status = await upload.waitForExit()
            let answer = FileManager.default.contents(atPath: output.path).map { String(decoding: $0, as: UTF8.self) } ?? ""
            #expect(status == 0, "curl: \(status)")
            #expect(answer.contains(#""inserted":2"#), "\(answer)")
            // Then the other organisation's import goes through.
            let after = try await service.call(.post, "/v1/employees/import", token: globexHR, raw: file, contentType: "text/csv")
            #expect(after.status == .ok, "\(after.text)")
        }
    }
}

