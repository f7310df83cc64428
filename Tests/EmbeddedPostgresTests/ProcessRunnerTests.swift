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

    @Test("a command gets this process's environment with its own added, in its own folder")
    func environmentAndFolder() async throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let path = try #require(ProcessInfo.processInfo.environment["PATH"])
        let output = try await ProcessRunner.run(Command(
            "/bin/sh", ["-c", #"printf '%s|%s|%s|' "$PATH" "$MOBILISE_PROBE" "$(pwd -P)"; echo oops >&2; exit 3"#],
            environment: ["MOBILISE_PROBE": "a b/c"], directory: folder))
        #expect(output.stdout == "\(path)|a b/c|\(folder)|")
        #expect(output.stderr == "oops\n")
        #expect(output.status == 3 && !output.succeeded)
        let blocking = try ProcessRunner.runBlocking(Command("/bin/sh", ["-c", "pwd -P"], directory: "/"))
        #expect(blocking.stdout == "/\n" && blocking.succeeded)
    }

    @Test("a missing program or folder is an error, not a status")
    func missingProgram() async throws {
        await #expect(throws: EmbeddedPostgresError.self) { try await ProcessRunner.run(Command("/nonexistent/program", [])) }
        let inMissingFolder = try? await ProcessRunner.run(Command("/bin/true", [], directory: "/nonexistent/folder"))
        #expect(inMissingFolder?.succeeded != true)
    }

    @Test("a started child reads the caller's pipe, writes to a file, and reports its exit or the signal that ended it")
    func startedChild() async throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let log = folder + "/log"
        let input = Pipe()
        let cat = try ProcessRunner.start(
            Command("/bin/sh", ["-c", "cat; echo done >&2"]), output: log, input: input.fileHandleForReading.fileDescriptor)
        try input.fileHandleForReading.close()
        #expect(cat.isRunning, "it waits for the end of its input")
        try input.fileHandleForWriting.write(contentsOf: Data("hello\n".utf8))
        try input.fileHandleForWriting.close()
        #expect(await cat.waitForExit() == 0)
        #expect(cat.exitStatus == 0 && !cat.isRunning)
        #expect(try String(contentsOfFile: log, encoding: .utf8) == "hello\ndone\n", "stdout and stderr in the one file")

        let sleeper = try ProcessRunner.start(Command("/bin/sleep", ["60"]), output: "/dev/null")
        #expect(sleeper.exitStatus == nil)
        sleeper.signal(SIGKILL)
        #expect(await sleeper.waitForExit() == 128 + SIGKILL)
        sleeper.signal(SIGKILL)  // reaped: nothing is sent
        #expect(kill(sleeper.pid, 0) != 0, "the child was reaped, not left a zombie")
    }

    @Test("cancelling the caller of run ends its command, and run returns the signal's status", .timeLimit(.minutes(1)))
    func cancellingRunEndsTheCommand() async throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let started = folder + "/started"
        // The command says it has started, then would run for ten minutes.
        let run = Task {
            try await ProcessRunner.run(Command("/bin/sh", ["-c", "echo $$ > \(shellQuote(started)); exec sleep 600"]))
        }
        // The shell creates the file before it writes its pid (and its newline) into it: wait for the whole line.
        func startedPID() -> pid_t? {
            guard let text = try? String(contentsOfFile: started, encoding: .utf8), text.hasSuffix("\n") else { return nil }
            return pid_t(text.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        while startedPID() == nil { try await Task.sleep(for: .milliseconds(10)) }
        run.cancel()
        let output = try await run.value
        #expect(output.status == 128 + SIGTERM, "\(output.text)")
        let pid = try #require(startedPID())
        #expect(kill(pid, 0) != 0, "the command no longer runs")
    }

    @Test("terminate ends a child that ignores SIGTERM once the grace is over")
    func terminateEscalates() async throws {
        let folder = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let ready = folder + "/ready"
        let stubborn = try ProcessRunner.start(
            Command("/bin/sh", ["-c", "trap '' TERM; touch \(shellQuote(ready)); while :; do sleep 1; done"]), output: "/dev/null")
        while !FileManager.default.fileExists(atPath: ready) { try await Task.sleep(for: .milliseconds(10)) }
        stubborn.terminate(grace: .milliseconds(200))
        #expect(await stubborn.waitForExit() == 128 + SIGKILL)
    }
}
