import Foundation
import Testing

@testable import EmbeddedPostgres

@Suite("ProcessRunner")
struct ProcessRunnerTests {
    /// A daemon a child leaves behind must not hold the test process's pipes and sockets open.
    /// Two thousand open descriptors also make the listing span several directory buffers, which is
    /// where reading /proc/self/fd through FileManager crashed the process.
    @Test("a child inherits none of the parent's descriptors beyond the standard three, with thousands open")
    func childInheritsOnlyTheStandardDescriptors() async throws {
        var opened: [Int32] = []
        defer { for fd in opened { close(fd) } }
        for _ in 0..<1_000 {
            var pair: [Int32] = [0, 0]
            try #require(pipe(&pair) == 0, "could not open a pipe: raise the descriptor limit")
            opened += pair  // not close-on-exec: only the runner keeps them from the child
        }
        let output = try await ProcessRunner.run(Command("/bin/sh", ["-c", "ls /proc/$$/fd"]))
        #expect(output.succeeded, "\(output.text)")
        let inherited = output.stdout.split(whereSeparator: \.isNewline).compactMap { Int32($0) }
        // ls holds one descriptor of its own for the listing (3); none of the parent's pipes reach it.
        #expect(inherited.filter { $0 > 3 }.isEmpty, "inherited: \(inherited)")
        #expect(Set(inherited).isSuperset(of: [0, 1, 2]))
    }
}
