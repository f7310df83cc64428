import Foundation
import Synchronization

/// A program to run: its arguments, what it adds to this process's environment, and the folder it
/// starts in.
public struct Command: Sendable {
    /// The program's path (not looked up in `PATH`: run `/usr/bin/env` for that).
    public var executable: String
    public var arguments: [String]
    /// Variables the child gets on top of this process's environment (replacing those of the same name).
    public var environment: [String: String]
    /// The child's working directory; nil for this process's.
    public var directory: String?

    public init(_ executable: String, _ arguments: [String], environment: [String: String] = [:], directory: String? = nil) {
        self.executable = executable
        self.arguments = arguments
        self.environment = environment
        self.directory = directory
    }

    /// The command as one `/bin/sh` command line, every word quoted as needed.
    var shellLine: String {
        ([executable] + arguments).map(shellQuote).joined(separator: " ")
    }
}

/// What a finished child process exited with and printed.
public struct ProcessOutput: Sendable {
    /// The exit status, or 128 + the signal number when a signal ended it.
    public var status: Int32
    public var stdout: String
    public var stderr: String

    public init(status: Int32, stdout: String, stderr: String) {
        self.status = status
        self.stdout = stdout
        self.stderr = stderr
    }

    /// Whether the process exited with status 0.
    public var succeeded: Bool { status == 0 }

    /// stdout and stderr together, trimmed, for error messages.
    public var text: String {
        [stdout, stderr]
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .filter { !$0.isEmpty }
            .joined(separator: "\n")
    }
}

/// Runs child processes with `posix_spawn`, their output in files, waiting for them with `waitpid`
/// on a dedicated thread.
///
/// Foundation's `Process` is not used: it learns that a child exited when a socket it hands
/// the child reaches end-of-file, and a daemon the child leaves behind (`pg_ctl start`'s
/// server) keeps that socket open, so the exit would go unnoticed; and its `run()` once crashed
/// the test process (SIGSEGV in a `memcpy` inside it). Here every descriptor but the standard three is closed in the child, and nothing waits for
/// end-of-file. A child's standard input is /dev/null unless a descriptor is given.
public enum ProcessRunner {
    /// Runs `command` to completion without blocking a thread of the cooperative pool; its
    /// output goes through temporary files, so a chatty program never blocks on a full pipe.
    ///
    /// Cancelling the calling task ends the child (``ChildProcess/terminate(grace:)``: SIGTERM, then
    /// SIGKILL if it is still running after the grace), and the output is then what it wrote so far,
    /// with the signal's status: a cancelled caller (a test past its time limit) never leaves its
    /// command running, nor waits for it to finish on its own.
    public static func run(_ command: Command) async throws -> ProcessOutput {
        let capture = try OutputCapture()
        defer { capture.discard() }
        let child = ChildProcess(
            pid: try spawn(command, input: nil, stdout: capture.stdoutPath, stderr: capture.stderrPath, newProcessGroup: false))
        let status = await withTaskCancellationHandler {
            await child.waitForExit()
        } onCancel: {
            child.terminate()
        }
        return capture.output(status: status)
    }

    /// Runs `command` to completion, blocking the calling thread; for synchronous callers only
    /// (a quick probe at start-up), never on the cooperative pool for long.
    public static func runBlocking(_ command: Command) throws -> ProcessOutput {
        let capture = try OutputCapture()
        defer { capture.discard() }
        let pid = try spawn(command, input: nil, stdout: capture.stdoutPath, stderr: capture.stderrPath, newProcessGroup: false)
        return capture.output(status: waitForExit(pid))
    }

    /// Starts `command` and returns at once: a long-running child (a server, a stream) that the
    /// caller signals and waits for.
    ///
    /// - Parameters:
    ///   - output: the file its standard output is appended to (created 0600 when missing).
    ///   - error: the file its standard error is appended to; nil for `output`'s.
    ///   - input: a descriptor the child reads as its standard input (a pipe's reading end, which
    ///     the caller still owns and closes); nil for /dev/null.
    public static func start(_ command: Command, output: String, error: String? = nil, input: Int32? = nil) throws -> ChildProcess {
        let pid = try spawn(command, input: input, stdout: output, stderr: error, newProcessGroup: false, append: true)
        return ChildProcess(pid: pid)
    }

    /// Starts `command` in its own process group with its standard streams on /dev/null, and
    /// reaps it in the background whenever it exits.
    static func spawnDetached(_ command: Command) throws {
        let pid = try spawn(command, input: nil, stdout: "/dev/null", stderr: "/dev/null", newProcessGroup: true)
        Thread { _ = waitForExit(pid) }.start()
    }

    /// Spawns `command`; `stderr` nil sends standard error where standard output goes. With
    /// `append`, the output files are created when missing and appended to.
    private static func spawn(
        _ command: Command, input: Int32?, stdout: String, stderr: String?, newProcessGroup: Bool, append: Bool = false
    ) throws -> pid_t {
        let command = changingDirectory(command)
        #if canImport(Darwin)
        var actions: posix_spawn_file_actions_t?
        var attributes: posix_spawnattr_t?
        #else
        var actions = posix_spawn_file_actions_t()
        var attributes = posix_spawnattr_t()
        #endif
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }

        if let input {
            posix_spawn_file_actions_adddup2(&actions, input, 0)
        } else {
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        }
        let writing = append ? O_WRONLY | O_CREAT | O_APPEND : O_WRONLY
        posix_spawn_file_actions_addopen(&actions, 1, stdout, writing, 0o600)
        if let stderr {
            posix_spawn_file_actions_addopen(&actions, 2, stderr, writing, 0o600)
        } else {
            posix_spawn_file_actions_adddup2(&actions, 1, 2)
        }
        var flags = Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        #if canImport(Darwin)
        flags |= Int32(POSIX_SPAWN_CLOEXEC_DEFAULT)
        if let directory = command.directory { posix_spawn_file_actions_addchdir_np(&actions, directory) }
        #else
        closeDescriptors(from: 3, in: &actions)
        if let directory = command.directory, let changeDirectory = changeDirectoryAction {
            let added = directory.withCString { changeDirectory(&actions, $0) }
            guard added == 0 else {
                throw EmbeddedPostgresError(.commandFailed, "Could not run \(command.executable) in \(directory): \(String(cString: strerror(added)))")
            }
        }
        #endif
        if newProcessGroup {
            flags |= Int32(POSIX_SPAWN_SETPGROUP)
            posix_spawnattr_setpgroup(&attributes, 0)
        }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        var defaultSignals = sigset_t()
        sigemptyset(&defaultSignals)
        sigaddset(&defaultSignals, SIGPIPE)
        posix_spawnattr_setsigdefault(&attributes, &defaultSignals)
        posix_spawnattr_setflags(&attributes, Int16(flags))

        let words = [command.executable] + command.arguments
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        defer { for word in argv { free(word) } }
        let environment = ProcessInfo.processInfo.environment.merging(command.environment) { $1 }.map { "\($0.key)=\($0.value)" }
        let envp: [UnsafeMutablePointer<CChar>?] = environment.map { strdup($0) } + [nil]
        defer { for variable in envp { free(variable) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, command.executable, &actions, &attributes, argv, envp)
        guard result == 0 else {
            throw EmbeddedPostgresError(
                .commandFailed, "Could not run \(command.executable): \(String(cString: strerror(result)))")
        }
        return pid
    }

    /// `command`, or without glibc's chdir action (2.29 and later) a shell that changes to its
    /// folder, then becomes it.
    private static func changingDirectory(_ command: Command) -> Command {
        #if !canImport(Darwin)
        if let directory = command.directory, changeDirectoryAction == nil {
            return Command("/bin/sh", ["-c", #"cd -- "$0" && exec "$@""#, directory, command.executable] + command.arguments,
                           environment: command.environment)
        }
        #endif
        return command
    }

    /// Waits for `pid` to exit; returns its exit status, or 128 + the signal that ended it.
    fileprivate static func waitForExit(_ pid: pid_t) -> Int32 {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 {
            guard errno == EINTR else { return -1 }
        }
        let signal = status & 0x7f
        return signal == 0 ? (status >> 8) & 0xff : 128 + signal
    }

    #if !canImport(Darwin)
    /// Adds to `actions` the closing of every descriptor from `first` up.
    ///
    /// With glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34 and later; Swift's Glibc module
    /// does not declare it, hence `dlsym`) the child closes them itself: nothing to list, no race with
    /// threads opening and closing descriptors meanwhile. Without it, /proc/self/fd is listed with
    /// `readdir` directly. Not with `FileManager.contentsOfDirectory`: it copies each entry's whole
    /// 256-byte `d_name` array, which reads past the end of the directory buffer when an entry ends it,
    /// and with a thousand descriptors open that crashed the test process (SIGSEGV in `memmove`).
    private static func closeDescriptors(from first: Int32, in actions: inout posix_spawn_file_actions_t) {
        if let closeFrom = closeFromAction {
            if closeFrom(&actions, first) == 0 { return }
        }
        guard let directory = opendir("/proc/self/fd") else { return }
        defer { closedir(directory) }
        let listing = dirfd(directory)
        let nameOffset = MemoryLayout<dirent>.offset(of: \dirent.d_name) ?? 19
        while let entry = readdir(directory) {
            let name = String(cString: (UnsafeRawPointer(entry) + nameOffset).assumingMemoryBound(to: CChar.self))
            if let fd = Int32(name), fd >= first, fd != listing {
                posix_spawn_file_actions_addclose(&actions, fd)
            }
        }
    }

    private typealias CloseFromAction = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32

    /// glibc's `posix_spawn_file_actions_addclosefrom_np`, when the C library has it.
    private static let closeFromAction: CloseFromAction? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: CloseFromAction.self)
    }()

    private typealias ChangeDirectoryAction = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, UnsafePointer<CChar>) -> Int32

    /// glibc's `posix_spawn_file_actions_addchdir_np` (not declared by Swift's Glibc module either).
    private static let changeDirectoryAction: ChangeDirectoryAction? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addchdir_np") else { return nil }
        return unsafeBitCast(symbol, to: ChangeDirectoryAction.self)
    }()
    #endif
}

/// A child started by ``ProcessRunner/start(_:output:error:input:)``, reaped by a thread of its own
/// when it exits (so it never lingers as a zombie).
public final class ChildProcess: Sendable {
    /// The child's process ID.
    public let pid: pid_t
    private let state = Mutex<(status: Int32?, waiters: [CheckedContinuation<Int32, Never>])>((nil, []))

    init(pid: pid_t) {
        self.pid = pid
        Thread { [self] in reap() }.start()
    }

    /// The exit status once the child has ended (128 + the signal's number when a signal ended
    /// it, as a shell reports it); nil while it runs.
    public var exitStatus: Int32? { state.withLock { $0.status } }

    /// Whether the child still runs.
    public var isRunning: Bool { exitStatus == nil }

    /// Sends `signal` to the child unless it has been reaped already (its ID may be another
    /// process's by then).
    public func signal(_ signal: Int32) {
        state.withLock { state in
            if state.status == nil { kill(pid, signal) }
        }
    }

    /// Asks the child to end (SIGTERM) and, if it still runs after `grace`, ends it (SIGKILL). Returns
    /// at once; the grace is waited out on a thread of its own.
    public func terminate(grace: Duration = .seconds(5)) {
        signal(SIGTERM)
        Thread { [self] in
            let deadline = ContinuousClock.now + grace
            while isRunning, ContinuousClock.now < deadline { usleep(10_000) }
            signal(SIGKILL)
        }.start()
    }

    /// Waits, off the cooperative pool, for the child to end; its exit status as ``exitStatus``.
    public func waitForExit() async -> Int32 {
        await withCheckedContinuation { continuation in
            let status = state.withLock { state -> Int32? in
                if let status = state.status { return status }
                state.waiters.append(continuation)
                return nil
            }
            if let status { continuation.resume(returning: status) }
        }
    }

    /// Waits for the exit without reaping, then reaps under the lock `signal` takes: the ID is
    /// never signalled once it may belong to another process.
    private func reap() {
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) == -1, errno == EINTR {}
        let (status, waiters) = state.withLock { state in
            let status = ProcessRunner.waitForExit(pid)
            state.status = status
            defer { state.waiters.removeAll() }
            return (status, state.waiters)
        }
        for waiter in waiters { waiter.resume(returning: status) }
    }
}

/// Two temporary files that receive a child's stdout and stderr.
private struct OutputCapture {
    let stdoutPath: String
    let stderrPath: String

    init() throws {
        let base = NSTemporaryDirectory() + "mobilise-\(UUID().uuidString)"
        stdoutPath = base + ".out"
        stderrPath = base + ".err"
        for path in [stdoutPath, stderrPath]
        where !FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) {
            discard()
            throw EmbeddedPostgresError(.commandFailed, "Could not create a temporary file at \(path)")
        }
    }

    func output(status: Int32) -> ProcessOutput {
        ProcessOutput(status: status, stdout: read(stdoutPath), stderr: read(stderrPath))
    }

    func discard() {
        for path in [stdoutPath, stderrPath] { try? FileManager.default.removeItem(atPath: path) }
    }

    private func read(_ path: String) -> String {
        FileManager.default.contents(atPath: path).map { String(decoding: $0, as: UTF8.self) } ?? ""
    }
}

/// Quotes `word` for `/bin/sh`: unchanged when it is made only of safe characters, otherwise
/// wrapped in single quotes with embedded single quotes written as `'\''`.
func shellQuote(_ word: String) -> String {
    let safe = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_./:,+@%")
    if !word.isEmpty, word.allSatisfy(safe.contains) { return word }
    return "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
}
