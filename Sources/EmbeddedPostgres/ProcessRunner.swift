import Foundation

/// A program and its arguments.
struct Command: Sendable {
    var executable: String
    var arguments: [String]

    init(_ executable: String, _ arguments: [String]) {
        self.executable = executable
        self.arguments = arguments
    }

    /// The command as one `/bin/sh` command line, every word quoted as needed.
    var shellLine: String {
        ([executable] + arguments).map(shellQuote).joined(separator: " ")
    }
}

/// What a finished child process exited with and printed.
struct ProcessOutput: Sendable {
    /// The exit status, or 128 + the signal number when a signal ended it.
    var status: Int32
    var stdout: String
    var stderr: String

    /// Whether the process exited with status 0.
    var succeeded: Bool { status == 0 }

    /// stdout and stderr together, trimmed, for error messages.
    var text: String {
        [stdout, stderr]
            .map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
            .filter { !$0.isEmpty }
            .joined(separator: "\n")
    }
}

/// Runs child processes with `posix_spawn`, their output in temporary files, waiting for them
/// with `waitpid` on a dedicated thread.
///
/// Foundation's `Process` is not used: it learns that a child exited when a socket it hands
/// the child reaches end-of-file, and a daemon the child leaves behind (`pg_ctl start`'s
/// server) keeps that socket open, so the exit would go unnoticed. Here every descriptor but
/// the standard three is closed in the child, and nothing waits for end-of-file.
enum ProcessRunner {
    /// Runs `command` to completion without blocking a thread of the cooperative pool.
    static func run(_ command: Command) async throws -> ProcessOutput {
        let capture = try OutputCapture()
        defer { capture.discard() }
        let pid = try spawn(command, stdout: capture.stdoutPath, stderr: capture.stderrPath, newProcessGroup: false)
        let status = await withCheckedContinuation { continuation in
            Thread { continuation.resume(returning: waitForExit(pid)) }.start()
        }
        return capture.output(status: status)
    }

    /// Runs `command` to completion, blocking the calling thread; for synchronous callers only.
    static func runBlocking(_ command: Command) throws -> ProcessOutput {
        let capture = try OutputCapture()
        defer { capture.discard() }
        let pid = try spawn(command, stdout: capture.stdoutPath, stderr: capture.stderrPath, newProcessGroup: false)
        return capture.output(status: waitForExit(pid))
    }

    /// Starts `command` in its own process group with its standard streams on /dev/null, and
    /// reaps it in the background whenever it exits.
    static func spawnDetached(_ command: Command) throws {
        let pid = try spawn(command, stdout: "/dev/null", stderr: "/dev/null", newProcessGroup: true)
        Thread { _ = waitForExit(pid) }.start()
    }

    private static func spawn(_ command: Command, stdout: String, stderr: String, newProcessGroup: Bool) throws -> pid_t {
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

        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, stdout, O_WRONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 2, stderr, O_WRONLY, 0)
        var flags = Int32(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)
        #if canImport(Darwin)
        flags |= Int32(POSIX_SPAWN_CLOEXEC_DEFAULT)
        #else
        closeDescriptors(from: 3, in: &actions)
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
        let environment = ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }
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

    /// Waits for `pid` to exit; returns its exit status, or 128 + the signal that ended it.
    private static func waitForExit(_ pid: pid_t) -> Int32 {
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
    #endif
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
