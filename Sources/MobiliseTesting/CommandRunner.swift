import EmbeddedPostgres
import Foundation

/// Runs a program as a user would, without blocking Swift's cooperative threads while it runs
/// (EmbeddedPostgres's ``ProcessRunner``: `posix_spawn`, and `waitpid` on a thread of its own).
public enum CommandRunner {
    public struct Output: Sendable {
        public var status: Int32
        public var standardOutput: String
        public var standardError: String
    }

    /// Runs `executable` with `arguments` and waits for it to exit. `environment` is added to this
    /// process's; `directory` is where it runs (this process's folder when nil). Output goes
    /// through temporary files, so a chatty program never blocks on a full pipe. The status is
    /// 128 + the signal's number when a signal ended the program.
    public static func run(
        _ executable: String, _ arguments: [String], environment: [String: String] = [:], directory: String? = nil
    ) async throws -> Output {
        let output = try await ProcessRunner.run(Command(executable, arguments, environment: environment, directory: directory))
        return Output(status: output.status, standardOutput: output.stdout, standardError: output.stderr)
    }

    /// Whether `executable` with `arguments` exits with status 0, for a test's one-off probe of
    /// what is installed (a `static let` evaluated once): it blocks the calling thread while the
    /// program runs, so only for quick programs.
    public static func succeeds(_ executable: String, _ arguments: [String]) -> Bool {
        (try? ProcessRunner.runBlocking(Command(executable, arguments)))?.succeeded ?? false
    }

    /// The built `mobilise` executable, next to the test bundle.
    public static var mobilise: String {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        // On Linux the tests run from `.build/debug/MobilisePackageTests.xctest`; on macOS from inside
        // a bundle `…/MobilisePackageTests.xctest/Contents/MacOS/`.
        while !FileManager.default.isExecutableFile(atPath: directory.appendingPathComponent("mobilise").path),
              directory.path != "/" {
            directory = directory.deletingLastPathComponent()
        }
        return directory.appendingPathComponent("mobilise").path
    }
}
