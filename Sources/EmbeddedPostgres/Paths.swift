import Foundation

/// Path arithmetic: absolute and symlink-resolved paths, stable hashes, the socket directory.
enum Paths {
    /// Where root's relocated clusters live.
    static let relocationRoot = "/var/lib/mobilise/clusters"

    /// The longest Unix socket path the kernel accepts (`sun_path` less its terminating NUL).
    static let maximumSocketPathLength = 107

    /// `path` made absolute against the current directory, with `.`/`..` and extra slashes removed.
    static func absolute(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        return URL(fileURLWithPath: absolute).standardizedFileURL.path
    }

    /// `path` with every symlink resolved, including a dangling one at the end and parents that do
    /// not exist yet (those are kept as they are).
    static func resolved(_ path: String, depth: Int = 0) -> String {
        if let real = realPath(path) { return real }
        if depth < 32, let destination = try? FileManager.default.destinationOfSymbolicLink(atPath: path) {
            let parent = (path as NSString).deletingLastPathComponent
            let target = destination.hasPrefix("/") ? destination : parent + "/" + destination
            return resolved(absolute(target), depth: depth + 1)
        }
        let parent = (path as NSString).deletingLastPathComponent
        guard parent != path, !parent.isEmpty else { return path }
        return (resolved(parent, depth: depth) as NSString).appendingPathComponent((path as NSString).lastPathComponent)
    }

    /// The 16 hex digits of the FNV-1a 64-bit hash of `text`.
    static func stableHash(_ text: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash &*= 0x0000_0100_0000_01b3
        }
        let hex = String(hash, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Where the cluster for the requested (absolute) `path` lives when root relocates it.
    static func relocatedCluster(for path: String) -> String {
        "\(relocationRoot)/\((path as NSString).lastPathComponent)-\(stableHash(path))"
    }

    /// The data directory itself when `<dataDirectory>/.s.PGSQL.<port>` fits in a socket
    /// address, otherwise a short private folder in /tmp named after the data directory.
    static func socketDirectory(dataDirectory: String, port: Int) -> String {
        let socket = "\(dataDirectory)/.s.PGSQL.\(port)"
        if socket.utf8.count <= maximumSocketPathLength { return dataDirectory }
        return "/tmp/mobilise-\(stableHash(dataDirectory))"
    }

    /// Whether `path` is a directory with nothing in it.
    static func isEmptyDirectory(_ path: String) -> Bool {
        (try? FileManager.default.contentsOfDirectory(atPath: path).isEmpty) ?? false
    }

    /// Whether something (even a dangling symlink) exists at `path`.
    static func existsWithoutFollowing(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0
    }

    private static func realPath(_ path: String) -> String? {
        guard let pointer = realpath(path, nil) else { return nil }
        defer { free(pointer) }
        return String(cString: pointer)
    }
}
