import Foundation
import MobiliseTesting
import Testing

/// schemathesis (PyPI) against the live service and its own `openapi.yaml`: no 5xx, every
/// response conforming to the schema. A short, seeded run (`bench/schemathesis.sh` with 20
/// examples per operation); the same script takes a longer run against any server.
@Suite struct SchemathesisTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// Needs Python (the script installs schemathesis when it is missing).
    static var pythonAvailable: Bool {
        (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").contains {
            FileManager.default.isExecutableFile(atPath: "\($0)/python3")
        }
    }


    @Test(.enabled(if: pythonAvailable, "needs python3 (schemathesis is installed from PyPI)"), .timeLimit(.minutes(5)))
    func theLiveServiceAnswersWithoutServerErrorsAndAsItsSchemaSays() async throws {
        try await LoggedService.run { service in
            let hr = try await service.token("hr-1", [.hrAdmin, .leader, .employee])
            let script = Self.repository.appendingPathComponent("bench/schemathesis.sh").path
            let output = try await CommandRunner.run(
                "/bin/bash", [script, "http://127.0.0.1:\(service.port)", hr, "--max-examples", "20"],
                directory: FileManager.default.temporaryDirectory.path)
            let report = "schemathesis exited \(output.status):\n\(output.standardOutput.suffix(12_000))\n\(output.standardError.suffix(4_000))"
            // Each failing operation heads its section: "____ GET /path ____".
            let failing = output.standardOutput.split(separator: "\n").compactMap { line -> String? in
                let words = line.trimmingCharacters(in: .whitespaces).split(separator: " ")
                guard words.count == 4, words[0].allSatisfy({ $0 == "_" }), words[3].allSatisfy({ $0 == "_" }) else { return nil }
                return "\(words[1]) \(words[2])"
            }
            #expect(failing.isEmpty, "\(report)")
                            #expect(output.status == 0, "\(report)")

        }
    }
}
