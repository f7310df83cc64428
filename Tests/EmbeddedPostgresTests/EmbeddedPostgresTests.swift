import Foundation
import Logging
import Testing

@testable import EmbeddedPostgres

@Suite("EmbeddedPostgres")
struct EmbeddedPostgresTests {
    @Test("start on an empty directory creates a cluster; a restart keeps its data")
    func startInitializesAndRestartReuses() async throws {
        try await withCluster { postgres, _ in
            try await postgres.start()
            #expect(try await psql(postgres.connectionString(), "select 1") == "1")
            _ = try await psql(postgres.connectionString(), "create table kept (x int); insert into kept values (42)")
            try await postgres.stop()
            try await postgres.start()
            #expect(try await psql(postgres.connectionString(), "select x from kept") == "42")
        }
    }

    @Test("status reports notInitialized, running and stopped")
    func statusTransitions() async throws {
        try await withCluster { postgres, _ in
            #expect(try await postgres.status() == .notInitialized)
            try await postgres.start()
            guard case .running(let pid) = try await postgres.status() else {
                Issue.record("expected running")
                return
            }
            #expect(pid > 0)
            try await postgres.stop()
            #expect(try await postgres.status() == .stopped)
        }
    }

    @Test("start when already running does nothing")
    func startTwiceIsNoOp() async throws {
        try await withCluster { postgres, _ in
            try await postgres.start()
            let before = try await postgres.status()
            try await postgres.start()
            #expect(try await postgres.status() == before)
            #expect(try await psql(postgres.connectionString(), "select 1") == "1")
        }
    }

    @Test("a stale postmaster.pid naming a live non-postgres process is recovered from")
    func stalePidFile() async throws {
        try await withCluster { postgres, _ in
            try await postgres.start()
            try await postgres.stop()
            let pidFile = "\(postgres.dataDirectory)/postmaster.pid"
            let contents = "\(getpid())\n\(postgres.dataDirectory)\n0\n\(postgres.configuration.port)\n"
            try contents.write(toFile: pidFile, atomically: true, encoding: .utf8)
            #expect(try await postgres.status() == .stopped)
            try await postgres.start()
            #expect(try await psql(postgres.connectionString(), "select 1") == "1")
        }
    }

    @Test("durable: false turns fsync off")
    func nonDurable() async throws {
        try await withCluster { postgres, _ in
            try await postgres.start()
            #expect(try await psql(postgres.connectionString(), "show fsync") == "off")
            #expect(try await psql(postgres.connectionString(), "show synchronous_commit") == "off")
        }
    }

    @Test("extra settings reach the server")
    func extraSettings() async throws {
        try await withCluster({ $0.settings = ["application_name": "it's mobilise", "work_mem": "8MB"] }) { postgres, _ in
            try await postgres.start()
            #expect(try await psql(postgres.connectionString(), "show work_mem") == "8MB")
        }
    }

    @Test("listenOnLoopback accepts TCP connections on 127.0.0.1")
    func loopback() async throws {
        let port = try freeLoopbackPort()
        try await withCluster({ $0.listenOnLoopback = true; $0.port = port }) { postgres, _ in
            try await postgres.start()
            let tcp = "host=127.0.0.1 port=\(port) user=postgres dbname=postgres"
            #expect(try await psql(tcp, "select 1") == "1")
        }
    }

    @Test("a data directory too deep for a socket path gets a socket folder in /tmp")
    func longPathSocket() async throws {
        let deep = String(repeating: "d", count: 60) + "/" + String(repeating: "e", count: 40)
        try await withCluster({ $0.dataDirectory += "/\(deep)"; $0.ephemeral = true }) { postgres, _ in
            try await postgres.start()
            #expect(postgres.socketDirectory.hasPrefix("/tmp/mobilise-"))
            #expect(try await psql(postgres.connectionString(), "select 1") == "1")
            let socketDirectory = postgres.socketDirectory
            try await postgres.stop()
            #expect(!FileManager.default.fileExists(atPath: socketDirectory))
        }
    }

    @Test("stop deletes an ephemeral cluster")
    func ephemeralStopDeletes() async throws {
        try await withCluster({ $0.ephemeral = true }) { postgres, _ in
            try await postgres.start()
            #expect(FileManager.default.fileExists(atPath: postgres.dataDirectory))
            try await postgres.stop()
            #expect(!FileManager.default.fileExists(atPath: postgres.dataDirectory))
        }
    }

    @Test("the watchdog stops the server and deletes the cluster when the watched process exits")
    func watchdog() async throws {
        try await withCluster { postgres, _ in
            try await postgres.start()
            let dataDirectory = postgres.dataDirectory
            guard case .running(let serverPID) = try await postgres.status() else {
                Issue.record("expected running")
                return
            }
            let sleeper = try ProcessRunner.start(Command("/bin/sleep", ["1"]), output: "/dev/null")
            try postgres.spawnWatchdog(
                watching: sleeper.pid, bin: try await EmbeddedPostgres.findBinaries(override: nil),
                account: try ServerAccount.forCurrentProcess(), dataDirectory: dataDirectory,
                socketDirectory: postgres.socketDirectory)
            #expect(try await eventually(within: 20) { !FileManager.default.fileExists(atPath: dataDirectory) })
            #expect(try await eventually(within: 10) { kill(serverPID, 0) != 0 })
        }
    }

    @Test("missing binaries give an error that says what to install")
    func missingBinaries() async throws {
        let empty = try makeTemporaryFolder()
        defer { try? FileManager.default.removeItem(atPath: empty) }
        #expect {
            try findBinariesSynchronously(override: empty)
        } throws: { error in
            "\(error)".contains("apt-get install postgresql") && "\(error)".contains(empty)
        }
        let postgres = EmbeddedPostgres(
            configuration: .init(dataDirectory: "\(empty)/db", binDirectory: empty), logger: Logger(label: "test"))
        await #expect {
            try await postgres.start()
        } throws: { error in
            (error as? EmbeddedPostgresError)?.kind == .binariesNotFound && "\(error)".contains("apt-get install postgresql")
        }
    }

    @Test("the binaries are found without an override")
    func findsBinaries() async throws {
        let bin = try await EmbeddedPostgres.findBinaries(override: nil)
        #expect(FileManager.default.isExecutableFile(atPath: "\(bin)/postgres"))
        #expect(try findBinariesSynchronously(override: nil) == bin)
    }

    @Test("connection strings quote values per libpq rules")
    func connectionStringQuoting() {
        let postgres = EmbeddedPostgres(
            configuration: .init(dataDirectory: "/tmp/x", port: 5433), logger: Logger(label: "test"))
        #expect(postgres.connectionString(database: "app") == "host=/tmp/x port=5433 user=postgres dbname=app")
        #expect(EmbeddedPostgres.quoteConnectionValue("it's a \\ test") == #"'it\'s a \\ test'"#)
        #expect(EmbeddedPostgres.quoteConnectionValue("") == "''")
    }

    @Test("server options survive /bin/sh")
    func shellQuoting() {
        #expect(shellQuote("listen_addresses=") == "'listen_addresses='")
        #expect(shellQuote("/tmp/a b") == "'/tmp/a b'")
        #expect(shellQuote("it's") == #"'it'\''s'"#)
        #expect(shellQuote("-k") == "-k")
    }
}

@Suite("EmbeddedPostgres as root", .enabled(if: getuid() == 0, "needs root: checks relocation out of folders postgres cannot enter"))
struct EmbeddedPostgresRootTests {
    @Test("a data directory inside a 0700 folder is relocated behind a symlink")
    func relocation() async throws {
        let folder = try makeTemporaryFolder(mode: 0o700)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let requested = "\(folder)/db"
        let postgres = EmbeddedPostgres(
            configuration: .init(dataDirectory: requested, durable: false, ephemeral: true), logger: Logger(label: "test"))
        do {
            try await postgres.start()
            let target = try FileManager.default.destinationOfSymbolicLink(atPath: requested)
            #expect(target == Paths.relocatedCluster(for: requested))
            #expect(target.hasPrefix("/var/lib/mobilise/clusters/db-"))
            #expect(try await psql(postgres.connectionString(), "select 1") == "1")
            try await postgres.stop()
            #expect(!FileManager.default.fileExists(atPath: target))
            #expect(!Paths.existsWithoutFollowing(requested))
        } catch {
            try? await postgres.stop(mode: .immediate)
            throw error
        }
    }

    @Test("a non-empty data directory postgres cannot reach is refused with advice")
    func unreachableExistingDirectory() async throws {
        let folder = try makeTemporaryFolder(mode: 0o700)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        try FileManager.default.createDirectory(atPath: "\(folder)/db", withIntermediateDirectories: false)
        try "x".write(toFile: "\(folder)/db/file", atomically: true, encoding: .utf8)
        let postgres = EmbeddedPostgres(configuration: .init(dataDirectory: "\(folder)/db"), logger: Logger(label: "test"))
        await #expect {
            try await postgres.start()
        } throws: { error in
            (error as? EmbeddedPostgresError)?.kind == .unusableDataDirectory && "\(error)".contains("chmod o+x \(folder)")
        }
    }
}
