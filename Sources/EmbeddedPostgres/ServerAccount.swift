import Foundation

/// The OS user that runs `initdb`, `pg_ctl` and `pg_isready`: the current user, or the
/// unprivileged `postgres` user when we are root (PostgreSQL refuses to run as root).
struct ServerAccount: Sendable {
    /// How we become the `postgres` user.
    private enum Switch: Sendable {
        case runuser(String)
        case setpriv(String)
        case su(String)
    }

    /// The user's name, for messages.
    let name: String
    let uid: uid_t
    let gid: gid_t
    private let switchTool: Switch?

    /// Whether commands run as another user than ours (we are root).
    var switchesUser: Bool { switchTool != nil }

    /// The account for this process: ourselves, or `postgres` when root.
    static func forCurrentProcess() throws -> ServerAccount {
        guard getuid() == 0 else {
            return ServerAccount(name: "the current user", uid: getuid(), gid: getgid(), switchTool: nil)
        }
        guard let entry = getpwnam("postgres") else {
            throw EmbeddedPostgresError(
                .noServerUser,
                "Running as root, but there is no `postgres` OS user to run the server as "
                    + "(PostgreSQL refuses to run as root). Install the postgresql package, which creates it, "
                    + "or run as an ordinary user."
            )
        }
        return ServerAccount(
            name: "postgres", uid: entry.pointee.pw_uid, gid: entry.pointee.pw_gid,
            switchTool: try findSwitchTool()
        )
    }

    /// `executable arguments` as run by this account. As `postgres` the command runs from `/`:
    /// PostgreSQL's programs fail when they cannot read their current directory (e.g. /root).
    func command(_ executable: String, _ arguments: [String]) -> Command {
        guard let switchTool else { return Command(executable, arguments) }
        let fromRoot = ["/bin/sh", "-c", #"cd / && exec "$@""#, "sh", executable] + arguments
        switch switchTool {
        case .runuser(let path):
            return Command(path, ["-u", "postgres", "--"] + fromRoot)
        case .setpriv(let path):
            return Command(path, ["--reuid=\(uid)", "--regid=\(gid)", "--init-groups", "--"] + fromRoot)
        case .su(let path):
            return Command(path, ["-s", "/bin/sh", "postgres", "-c", "cd / && " + Command(executable, arguments).shellLine])
        }
    }

    /// Hands `path` to this account (when it is another user) and sets its mode.
    func own(_ path: String, mode: mode_t) throws {
        if switchesUser, chown(path, uid, gid) != 0 {
            throw EmbeddedPostgresError(
                .unusableDataDirectory, "Could not give \(path) to \(name): \(String(cString: strerror(errno)))")
        }
        try Self.setMode(path, mode)
    }

    /// Sets the permission bits of `path`.
    static func setMode(_ path: String, _ mode: mode_t) throws {
        if chmod(path, mode) != 0 {
            throw EmbeddedPostgresError(
                .unusableDataDirectory, "Could not set the mode of \(path): \(String(cString: strerror(errno)))")
        }
    }

    /// The first of the folders above `path` (from `/` down) that this account cannot enter, or
    /// nil when it can enter them all. Folders that do not exist yet are skipped: we create them 0755.
    func firstUnenterableFolder(above path: String) async throws -> String? {
        guard switchesUser else { return nil }
        var folders: [String] = []
        var folder = (path as NSString).deletingLastPathComponent
        while true {
            if FileManager.default.fileExists(atPath: folder) { folders.insert(folder, at: 0) }
            let parent = (folder as NSString).deletingLastPathComponent
            if parent == folder || parent.isEmpty { break }
            folder = parent
        }
        let script = #"for d do cd -- "$d" 2>/dev/null || { printf '%s\n' "$d"; exit 1; }; done"#
        let result = try await ProcessRunner.run(command("/bin/sh", ["-c", script, "sh"] + folders))
        if result.succeeded { return nil }
        let blocked = result.stdout.trimmingCharacters(in: .newlines)
        guard !blocked.isEmpty else {
            throw EmbeddedPostgresError(
                .commandFailed, "Could not check which folders \(name) can enter: \(result.text)")
        }
        return blocked
    }

    private static func findSwitchTool() throws -> Switch {
        let fileManager = FileManager.default
        func find(_ name: String) -> String? {
            ["/usr/sbin", "/sbin", "/usr/bin", "/bin"].map { "\($0)/\(name)" }.first(where: fileManager.isExecutableFile)
        }
        if let path = find("runuser") { return .runuser(path) }
        if let path = find("setpriv") { return .setpriv(path) }
        if let path = find("su") { return .su(path) }
        throw EmbeddedPostgresError(
            .noServerUser, "Running as root, but none of runuser, setpriv or su is installed to run the server as postgres.")
    }
}
