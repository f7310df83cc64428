import Foundation
import MobiliseAPI
import MobiliseDomain
import MobiliseTesting
import Testing

@Suite struct OpenAPITests {
    /// `METHOD /path` for every operation of the document's `paths`.
    static func documentedOperations() -> Set<String> {
        var operations: Set<String> = []
        var path: String?
        var inPaths = false
        for line in OpenAPIDocument.yaml.split(separator: "\n", omittingEmptySubsequences: false) {
            if line == "paths:" { inPaths = true; continue }
            if inPaths, let first = line.first, !first.isWhitespace { break }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), line.hasSuffix(":") {
                path = String(line.dropFirst(2).dropLast())
            } else if let path, line.hasPrefix("    "), !line.hasPrefix("     "), line.hasSuffix(":") {
                let key = line.trimmingCharacters(in: .whitespaces).dropLast()
                if ["get", "put", "post", "patch", "delete"].contains(key) { operations.insert("\(key.uppercased()) \(path)") }
            }
        }
        return operations
    }

    @Test func theDocumentListsEveryRouteTheRouterHas() async throws {
        // SCIM (`/scim/v2`) is left out: its contract is RFC 7643/7644 and the service's own discovery
        // endpoints (/Schemas, /ServiceProviderConfig), checked by scim2-tester (SCIMConformanceTests).
        let routes = try await AuthorizationMatrixTests.routerRoutes().filter { !$0.contains(" /scim/v2") }
        #expect(Self.documentedOperations() == routes)
        #expect(routes.count >= 30)
    }

    @Test func theDocumentIsValidOpenAPI31() async throws {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("openapi-\(UUID().uuidString).yaml")
        try OpenAPIDocument.yaml.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        // openapi-spec-validator (PyPI) is part of the test prerequisites; .ci/run installs it.
        let output = try await CommandRunner.run("/usr/bin/env", [
            "python3", "-c",
            "import sys, yaml; from openapi_spec_validator import validate; validate(yaml.safe_load(open(sys.argv[1]))); print('valid')",
            file.path,
        ])
        #expect(output.status == 0, "\(output.standardError)")
        #expect(output.standardOutput.contains("valid"))
    }
}

@Suite struct ErrorCodeContractTests {
    /// The `enum` of `Error.error.code` in openapi.yaml.
    static func documentedCodes() throws -> Set<String> {
        let yaml = OpenAPIDocument.yaml
        let schema = try #require(yaml.range(of: "    Error:\n"))
        let start = try #require(yaml.range(of: "              enum: [", range: schema.upperBound ..< yaml.endIndex))
        let end = try #require(yaml.range(of: "]", range: start.upperBound ..< yaml.endIndex))
        return Set(yaml[start.upperBound ..< end.lowerBound].split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) })
    }

    @Test func theDocumentListsExactlyTheServicesErrorCodes() throws {
        let documented = try Self.documentedCodes()
        let constants = Set(ErrorCode.all.map(\.rawValue))
        #expect(documented.subtracting(constants).isEmpty, "documented but not a constant: \(documented.subtracting(constants).sorted())")
        #expect(constants.subtracting(documented).isEmpty, "a constant not documented: \(constants.subtracting(documented).sorted())")
        #expect(constants.count == ErrorCode.all.count, "a code listed twice in ErrorCode.all")
    }
}
