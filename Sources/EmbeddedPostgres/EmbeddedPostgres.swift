import Foundation
import Logging

/// A real PostgreSQL server with no setup: finds the server binaries, creates the cluster on
/// first use (`initdb`), and starts and stops it with `pg_ctl`. The server is a daemon, so one
/// process may start it and another stop it later.
public struct EmbeddedPostgres: Sendable {
    /// Where and how the cluster runs.
    public struct Configuration: Sendable {
        /// Where the cluster lives; created if missing. As root it may be a symlink to a relocated cluster.
        public var dataDirectory: String
        /// The server port: names the Unix socket file, and is the TCP port when `listenOnLoopback`.
        public var port: Int
        /// Whether to also accept TCP connections on 127.0.0.1; by default only the Unix socket.
        public var listenOnLoopback: Bool
        /// When false, trades crash safety for speed (fsync, synchronous_commit and
        /// full_page_writes off): for throwaway test clusters only.
        public var durable: Bool
        /// Extra server settings, passed as `-c name=value`.
        public var settings: [String: String]
        /// Where the server binaries are, instead of searching for them.
        public var binDirectory: String?
        /// When true, a watchdog stops the server and deletes the data directory once this
        /// process exits (even when killed), and ``EmbeddedPostgres/stop(mode:)`` deletes it too.
        public var ephemeral: Bool
        /// The connection string of a primary server: when set, a new cluster is made with
        /// `pg_basebackup -R` as a streaming-replication standby of it, instead of with `initdb`.
        public var standbyOf: String?
        /// Settings written to the cluster's `mobilise.conf` (included by postgresql.conf, so that
        /// `ALTER SYSTEM` overrides them), at every start. Nil: ``EmbeddedPostgres/durableDefaults``
        /// for a durable cluster, none for a throwaway one.
        public var defaults: [String: String]? = nil

        /// A configuration for the cluster in `dataDirectory`; every other setting has a default.
        public init(
            dataDirectory: String,
            port: Int = 5432,
            listenOnLoopback: Bool = false,
            durable: Bool = true,
            settings: [String: String] = [:],
            binDirectory: String? = nil,
            ephemeral: Bool = false,
            standbyOf: String? = nil
        ) {
            self.dataDirectory = dataDirectory
            self.port = port
            self.listenOnLoopback = listenOnLoopback
            self.durable = durable
            self.settings = settings
            self.binDirectory = binDirectory
            self.ephemeral = ephemeral
            self.standbyOf = standbyOf
        }
    }

    /// How to stop the server (`pg_ctl stop -m`).
    public enum StopMode: String, Sendable {
        /// Wait for every client to disconnect.
        case smart
        /// Disconnect clients, roll back their transactions, shut down cleanly.
        case fast
        /// Kill everything at once; the next start recovers from the WAL.
        case immediate
    }

    /// What state the cluster is in.
    public enum Status: Sendable, Equatable {
        /// There is no cluster in the data directory yet.
        case notInitialized
        /// The cluster exists and no server is running on it.
        case stopped
        /// A server is running on the cluster with this PID.
        case running(pid: Int32)
    }

    /// The settings this launcher was made with.
    public let configuration: Configuration
    private let logger: Logger

    /// A launcher for the cluster `configuration` describes; nothing happens until ``start()``.
    public init(configuration: Configuration, logger: Logger) {
        self.configuration = configuration
        self.logger = logger
    }

    /// The folder holding the server's Unix socket: the data directory (after symlinks) when
    /// the socket path fits in 107 bytes, otherwise a private `/tmp/mobilise-<hash>` folder.
    public var socketDirectory: String {
        Paths.socketDirectory(dataDirectory: dataDirectory, port: configuration.port)
    }

    /// A libpq key=value connection string for `database` over the Unix socket, as `postgres`.
    public func connectionString(database: String = "postgres") -> String {
        [
            ("host", socketDirectory), ("port", String(configuration.port)),
            ("user", "postgres"), ("dbname", database),
        ]
        .map { "\($0.0)=\(Self.quoteConnectionValue($0.1))" }
        .joined(separator: " ")
    }

    /// Starts the server and waits until it accepts connections: creates the cluster when the
    /// data directory is missing or empty, clears a stale `postmaster.pid` left by a crash, and
    /// does nothing when the server is already running.
    public func start() async throws {
        let bin = try await Self.findBinaries(override: configuration.binDirectory)
        let account = try ServerAccount.forCurrentProcess()
        let placement = ClusterPlacement(account: account, logger: logger)
        let dataDirectory = try await placement.prepareDataDirectory(requested: requestedDataDirectory)
        if !Self.isCluster(dataDirectory) {
            if let primary = configuration.standbyOf {
                try await baseBackup(of: primary, bin: bin, dataDirectory: dataDirectory, account: account)
            } else {
                try await initdb(bin: bin, dataDirectory: dataDirectory, account: account)
            }
        }
        try writeServerDefaults(dataDirectory: dataDirectory, account: account)
        let socketDirectory = Paths.socketDirectory(dataDirectory: dataDirectory, port: configuration.port)
        try placement.prepareSocketDirectory(socketDirectory, dataDirectory: dataDirectory)

        let pidFile = "\(dataDirectory)/postmaster.pid"
        switch ServerLock.inspect(pidFile, dataDirectory: dataDirectory) {
        case .live(let pid):
            logger.info("PostgreSQL is already running", metadata: ["pid": "\(pid)", "dataDirectory": "\(dataDirectory)"])
            return
        case .stale:
            try removeStaleLock(pidFile)
        case .absent:
            break
        }
        let socketLock = "\(socketDirectory)/.s.PGSQL.\(configuration.port).lock"
        if ServerLock.inspect(socketLock, dataDirectory: dataDirectory) == .stale {
            try removeStaleLock(socketLock)
        }

        let logFile = "\(dataDirectory)/server.log"
        logger.info("Starting PostgreSQL", metadata: ["dataDirectory": "\(dataDirectory)", "socket": "\(socketDirectory)"])
        let started = try await ProcessRunner.run(account.command("\(bin)/pg_ctl", [
            "-D", dataDirectory, "-l", logFile, "-w", "-t", "60",
            "-o", serverOptions(socketDirectory: socketDirectory).map(shellQuote).joined(separator: " "),
            "start",
        ]))
        guard started.succeeded else {
            throw EmbeddedPostgresError(
                .commandFailed, "pg_ctl start failed (exit \(started.status)): \(started.text)\(Self.logTail(logFile))")
        }
        try await waitUntilReady(bin: bin, account: account, socketDirectory: socketDirectory, logFile: logFile)
        if configuration.ephemeral {
            try spawnWatchdog(
                watching: getpid(), bin: bin, account: account,
                dataDirectory: dataDirectory, socketDirectory: socketDirectory)
        }
    }

    /// Stops the server (`pg_ctl stop -m mode`) if it is running; a stale `postmaster.pid` is
    /// removed rather than signalled. An ephemeral cluster's files are deleted afterwards.
    public func stop(mode: StopMode = .fast) async throws {
        let dataDirectory = dataDirectory
        if Self.isCluster(dataDirectory) {
            let pidFile = "\(dataDirectory)/postmaster.pid"
            switch ServerLock.inspect(pidFile, dataDirectory: dataDirectory) {
            case .live:
                let bin = try await Self.findBinaries(override: configuration.binDirectory)
                let account = try ServerAccount.forCurrentProcess()
                logger.info("Stopping PostgreSQL", metadata: ["dataDirectory": "\(dataDirectory)", "mode": "\(mode.rawValue)"])
                let stopped = try await ProcessRunner.run(account.command("\(bin)/pg_ctl", [
                    "-D", dataDirectory, "-m", mode.rawValue, "-w", "-t", "60", "stop",
                ]))
                guard stopped.succeeded else {
                    throw EmbeddedPostgresError(.commandFailed, "pg_ctl stop failed (exit \(stopped.status)): \(stopped.text)")
                }
            case .stale:
                try removeStaleLock(pidFile)
            case .absent:
                break
            }
        }
        if configuration.ephemeral {
            try removeFiles(dataDirectory: dataDirectory)
        }
    }

    /// Whether the cluster exists and a server is running on it (asked of `pg_ctl status`,
    /// with the PID checked to really be a postgres server where the OS lets us).
    public func status() async throws -> Status {
        let dataDirectory = dataDirectory
        guard Self.isCluster(dataDirectory) else { return .notInitialized }
        let bin = try await Self.findBinaries(override: configuration.binDirectory)
        let account = try ServerAccount.forCurrentProcess()
        let result = try await ProcessRunner.run(account.command("\(bin)/pg_ctl", ["-D", dataDirectory, "status"]))
        switch result.status {
        case 0:
            guard let pid = Self.pid(inStatusOutput: result.stdout),
                  ServerLock.isServer(pid: pid, dataDirectory: dataDirectory)
            else { return .stopped }
            return .running(pid: pid)
        case 3:
            return .stopped
        default:
            throw EmbeddedPostgresError(.commandFailed, "pg_ctl status failed (exit \(result.status)): \(result.text)")
        }
    }

    // MARK: - Internals

    /// The configured data directory, absolute.
    private var requestedDataDirectory: String { Paths.absolute(configuration.dataDirectory) }

    /// The configured data directory with symlinks resolved: where the cluster's files are.
    var dataDirectory: String { Paths.resolved(requestedDataDirectory) }

    /// The options `pg_ctl` hands the server.
    func serverOptions(socketDirectory: String) -> [String] {
        var options = [
            "-k", socketDirectory, "-p", String(configuration.port),
            "-c", "listen_addresses=\(configuration.listenOnLoopback ? "127.0.0.1" : "")",
        ]
        if !configuration.durable {
            options += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        }
        for (name, value) in configuration.settings.sorted(by: { $0.key < $1.key }) {
            options += ["-c", "\(name)=\(value)"]
        }
        return options
    }

    /// Starts a detached shell (as the current user) that waits for `pid` to exit, then stops
    /// the server at once and deletes the cluster's files.
    func spawnWatchdog(
        watching pid: Int32, bin: String, account: ServerAccount, dataDirectory: String, socketDirectory: String
    ) throws {
        let stop = account.command("\(bin)/pg_ctl", ["-D", dataDirectory, "-m", "immediate", "stop"])
        let doomed = filesToRemove(dataDirectory: dataDirectory, socketDirectory: socketDirectory)
        let script = "while kill -0 \(pid) 2>/dev/null; do sleep 1; done; \(stop.shellLine) >/dev/null 2>&1; "
            + "rm -rf -- \(doomed.map(shellQuote).joined(separator: " "))"
        try ProcessRunner.spawnDetached(Command("/bin/sh", ["-c", script]))
        logger.debug("Watchdog will delete the ephemeral cluster when this process exits", metadata: ["pid": "\(pid)"])
    }

    private static func isCluster(_ dataDirectory: String) -> Bool {
        FileManager.default.fileExists(atPath: "\(dataDirectory)/PG_VERSION")
    }

    private func initdb(bin: String, dataDirectory: String, account: ServerAccount) async throws {
        guard Paths.isEmptyDirectory(dataDirectory) else {
            throw EmbeddedPostgresError(
                .unusableDataDirectory,
                "The data directory \(dataDirectory) is not empty and holds no PostgreSQL cluster (no PG_VERSION); "
                    + "empty it or choose another directory.")
        }
        logger.info("Creating a PostgreSQL cluster", metadata: ["dataDirectory": "\(dataDirectory)"])
        var arguments = ["-D", dataDirectory, "-U", "postgres", "-E", "UTF8", "--auth=trust"]
        if !configuration.durable { arguments.append("--no-sync") }
        var result = try await ProcessRunner.run(account.command("\(bin)/initdb", arguments + ["--locale=C.UTF-8"]))
        if !result.succeeded, result.text.contains("locale") {
            logger.debug("Locale C.UTF-8 is missing; creating the cluster with --no-locale")
            try clearDirectory(dataDirectory)
            result = try await ProcessRunner.run(account.command("\(bin)/initdb", arguments + ["--no-locale"]))
        }
        guard result.succeeded else {
            throw EmbeddedPostgresError(.commandFailed, "initdb failed (exit \(result.status)): \(result.text)")
        }
    }

    /// Copies a running primary into the empty data directory, set up to follow it (`standby.signal`
    /// and `primary_conninfo`, from `-R`).
    private func baseBackup(of primary: String, bin: String, dataDirectory: String, account: ServerAccount) async throws {
        logger.info("Creating a standby cluster from its primary", metadata: ["dataDirectory": "\(dataDirectory)"])
        let result = try await ProcessRunner.run(account.command("\(bin)/pg_basebackup", [
            "-D", dataDirectory, "-R", "-X", "stream", "--checkpoint=fast", "-d", primary,
        ]))
        guard result.succeeded else {
            throw EmbeddedPostgresError(.commandFailed, "pg_basebackup failed (exit \(result.status)): \(result.text)")
        }
    }

    private func waitUntilReady(bin: String, account: ServerAccount, socketDirectory: String, logFile: String) async throws {
        let isReady = account.command("\(bin)/pg_isready", [
            "-h", socketDirectory, "-p", String(configuration.port), "-U", "postgres", "-d", "postgres", "-t", "2",
        ])
        let deadline = ContinuousClock.now + .seconds(30)
        while true {
            let result = try await ProcessRunner.run(isReady)
            if result.succeeded { return }
            guard ContinuousClock.now < deadline else {
                throw EmbeddedPostgresError(
                    .serverNotReady,
                    "PostgreSQL started but does not accept connections on \(socketDirectory) port \(configuration.port) "
                        + "after 30 s: \(result.text)\(Self.logTail(logFile))")
            }
            try await Task.sleep(for: .milliseconds(100))
        }
    }

    private func removeStaleLock(_ path: String) throws {
        logger.warning("Removing a stale lock file left by a server that is no longer running", metadata: ["file": "\(path)"])
        do {
            try FileManager.default.removeItem(atPath: path)
        } catch {
            throw EmbeddedPostgresError(.unusableDataDirectory, "Could not remove the stale lock file \(path): \(error)")
        }
    }

    private func clearDirectory(_ directory: String) throws {
        let fileManager = FileManager.default
        for name in try fileManager.contentsOfDirectory(atPath: directory) {
            try fileManager.removeItem(atPath: "\(directory)/\(name)")
        }
    }

    /// The data directory, the symlink to it (when relocated) and a separate socket directory.
    private func filesToRemove(dataDirectory: String, socketDirectory: String) -> [String] {
        var paths = [dataDirectory]
        if requestedDataDirectory != dataDirectory { paths.append(requestedDataDirectory) }
        if socketDirectory != dataDirectory { paths.append(socketDirectory) }
        return paths
    }

    private func removeFiles(dataDirectory: String) throws {
        let socketDirectory = Paths.socketDirectory(dataDirectory: dataDirectory, port: configuration.port)
        for path in filesToRemove(dataDirectory: dataDirectory, socketDirectory: socketDirectory)
        where Paths.existsWithoutFollowing(path) {
            try FileManager.default.removeItem(atPath: path)
        }
        logger.info("Deleted the ephemeral cluster", metadata: ["dataDirectory": "\(dataDirectory)"])
    }

    /// The last lines of the server log, to explain a failed start.
    private static func logTail(_ logFile: String, lines: Int = 20) -> String {
        guard let data = FileManager.default.contents(atPath: logFile) else { return "\n(no server log at \(logFile))" }
        let tail = String(decoding: data, as: UTF8.self).split(separator: "\n").suffix(lines).joined(separator: "\n")
        return "\n--- last lines of \(logFile) ---\n\(tail)"
    }

    /// The PID in `pg_ctl status` output: "pg_ctl: server is running (PID: 1234)".
    private static func pid(inStatusOutput output: String) -> Int32? {
        guard let range = output.range(of: "PID: ") else { return nil }
        return Int32(output[range.upperBound...].prefix(while: \.isNumber))
    }

    /// `value` as libpq wants it in a key=value string: bare when it is non-empty and has no
    /// spaces, quotes or backslashes; otherwise in single quotes with `\'` and `\\` escapes.
    static func quoteConnectionValue(_ value: String) -> String {
        let needsQuotes = value.isEmpty || value.contains { $0.isWhitespace || $0 == "'" || $0 == "\\" }
        guard needsQuotes else { return value }
        return "'" + value.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "'", with: "\\'") + "'"
    }
}
