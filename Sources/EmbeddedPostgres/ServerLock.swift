import Foundation

/// Reads PostgreSQL's lock files (`postmaster.pid`, `.s.PGSQL.<port>.lock`) and tells a live
/// server from a stale file left by a crash.
enum ServerLock {
    /// What a lock file says.
    enum State: Equatable {
        /// There is no lock file.
        case absent
        /// A postgres server for this data directory is running with this PID.
        case live(pid: Int32)
        /// The file is left over: its PID is dead, or is some other program.
        case stale
    }

    /// The state of the lock file at `path`, whose first line is the owner's PID.
    static func inspect(_ path: String, dataDirectory: String) -> State {
        guard let data = FileManager.default.contents(atPath: path) else {
            return Paths.existsWithoutFollowing(path) ? .stale : .absent
        }
        let firstLine = String(decoding: data, as: UTF8.self).split(separator: "\n").first ?? ""
        guard let pid = Int32(firstLine.trimmingCharacters(in: .whitespaces)), pid > 0,
              isServer(pid: pid, dataDirectory: dataDirectory)
        else { return .stale }
        return .live(pid: pid)
    }

    /// Whether `pid` is alive and, where the OS lets us tell (Linux's /proc), a postgres process
    /// working in `dataDirectory`. Elsewhere a live PID is taken at its word.
    static func isServer(pid: Int32, dataDirectory: String) -> Bool {
        guard kill(pid, 0) == 0 || errno == EPERM else { return false }
        #if os(Linux)
        guard let comm = FileManager.default.contents(atPath: "/proc/\(pid)/comm") else { return false }
        let name = String(decoding: comm, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard name == "postgres" || name == "postmaster" else { return false }
        // The postmaster works in its data directory; when we may look, insist on it.
        if let cwd = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/cwd") {
            return Paths.resolved(cwd) == Paths.resolved(dataDirectory)
        }
        return true
        #else
        return true
        #endif
    }
}
