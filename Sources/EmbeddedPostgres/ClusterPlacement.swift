import Foundation
import Logging

/// Decides where the cluster's files live and readies that folder for the server's user.
struct ClusterPlacement {
    let account: ServerAccount
    let logger: Logger

    /// The real (symlink-resolved) data directory for the absolute `requested` path, created,
    /// owned by the server's user and mode 0700 when new or empty. As root, a data directory
    /// whose folders `postgres` cannot enter is relocated under ``Paths/relocationRoot`` with a
    /// symlink left at `requested`.
    func prepareDataDirectory(requested: String) async throws -> String {
        var dataDirectory = Paths.resolved(requested)
        if let blocked = try await account.firstUnenterableFolder(above: dataDirectory) {
            dataDirectory = try relocate(requested: requested, resolved: dataDirectory, blockedBy: blocked)
        }
        let fileManager = FileManager.default
        var isDirectory: ObjCBool = false
        if !fileManager.fileExists(atPath: dataDirectory, isDirectory: &isDirectory) {
            try createDirectory(dataDirectory)
            try account.own(dataDirectory, mode: 0o700)
        } else if !isDirectory.boolValue {
            throw EmbeddedPostgresError(.unusableDataDirectory, "The data directory \(dataDirectory) is not a directory.")
        } else if Paths.isEmptyDirectory(dataDirectory) {
            try account.own(dataDirectory, mode: 0o700)
        }
        return dataDirectory
    }

    /// Creates (or checks) the socket directory when it is not the data directory: a private
    /// folder, mode 0700, owned by the server's user.
    func prepareSocketDirectory(_ socketDirectory: String, dataDirectory: String) throws {
        guard socketDirectory != dataDirectory else { return }
        if !Paths.existsWithoutFollowing(socketDirectory) {
            try createDirectory(socketDirectory)
        }
        var info = stat()
        guard lstat(socketDirectory, &info) == 0, info.st_mode & S_IFMT == S_IFDIR else {
            throw EmbeddedPostgresError(
                .unusableDataDirectory, "The socket directory \(socketDirectory) exists but is not a directory; remove it.")
        }
        if !account.switchesUser, info.st_uid != getuid() {
            throw EmbeddedPostgresError(
                .unusableDataDirectory,
                "The socket directory \(socketDirectory) belongs to another user; remove it or use another data directory.")
        }
        try account.own(socketDirectory, mode: 0o700)
    }

    private func relocate(requested: String, resolved: String, blockedBy blocked: String) throws -> String {
        let fileManager = FileManager.default
        if fileManager.fileExists(atPath: resolved), !Paths.isEmptyDirectory(resolved) {
            throw EmbeddedPostgresError(
                .unusableDataDirectory,
                "The data directory \(resolved) already holds files, but the `postgres` user, which runs the server "
                    + "(PostgreSQL refuses to run as root), cannot enter \(blocked). Move the directory somewhere "
                    + "postgres can reach (e.g. under /var/lib), make the folders above it enterable "
                    + "(chmod o+x \(blocked)), or choose a new data directory, which Mobilise then places under "
                    + "\(Paths.relocationRoot) for you."
            )
        }
        let target = Paths.relocatedCluster(for: requested)
        // The requested path is free, an empty folder, or a symlink to an unusable place: replace it.
        if Paths.existsWithoutFollowing(requested) {
            try fileManager.removeItem(atPath: requested)
        }
        var folder = ""
        for component in Paths.relocationRoot.split(separator: "/") {
            folder += "/\(component)"
            if !fileManager.fileExists(atPath: folder) {
                try createDirectory(folder)
                try ServerAccount.setMode(folder, 0o755)
            }
        }
        if !fileManager.fileExists(atPath: target) {
            try createDirectory(target)
        }
        try account.own(target, mode: 0o700)
        try createDirectory((requested as NSString).deletingLastPathComponent)
        do {
            try fileManager.createSymbolicLink(atPath: requested, withDestinationPath: target)
        } catch {
            throw EmbeddedPostgresError(
                .unusableDataDirectory, "Could not create the symlink \(requested) → \(target): \(error)")
        }
        logger.info(
            "Relocated the PostgreSQL cluster: the postgres user cannot enter \(blocked), so the cluster lives in \(target) and \(requested) links to it",
            metadata: ["requested": "\(requested)", "cluster": "\(target)"]
        )
        return target
    }

    private func createDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw EmbeddedPostgresError(.unusableDataDirectory, "Could not create the directory \(path): \(error)")
        }
    }
}
