import Foundation

/// Looks for the directory holding the PostgreSQL server binaries, in the documented order.
/// The search is split around `pg_config --bindir`, so the caller decides how that program runs.
struct BinaryLocator {
    /// The programs a usable bin directory must hold.
    static let requiredPrograms = ["initdb", "pg_ctl", "postgres"]

    private let override: String?
    private var looked: [String] = []

    init(override: String?) {
        self.override = override
    }

    /// The override (if any) or the first `PATH` entry with the server binaries. Throws when an
    /// override is given but unusable: an override never falls back to the other places.
    mutating func searchBeforePGConfig() throws -> String? {
        if let override {
            if check(override) { return Self.canonical(override) }
            throw notFound()
        }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        return path.split(separator: ":").map(String.init).first { check($0) }.map(Self.canonical)
    }

    /// `pg_config` on `PATH`, whose `--bindir` is the next place to look.
    var pgConfig: Command? {
        guard override == nil else { return nil }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? ""
        return path.split(separator: ":")
            .map { "\($0)/pg_config" }
            .first(where: FileManager.default.isExecutableFile)
            .map { Command($0, ["--bindir"]) }
    }

    /// The remaining places: `pg_config`'s answer, then the usual install locations.
    mutating func searchAfterPGConfig(bindir: String?) throws -> String {
        var candidates: [String] = []
        if let bindir = bindir?.trimmingCharacters(in: .whitespacesAndNewlines), !bindir.isEmpty {
            candidates.append(bindir)
        }
        candidates += Self.versioned(in: "/usr/lib/postgresql", prefix: "").map { "/usr/lib/postgresql/\($0)/bin" }
        candidates.append("/usr/local/pgsql/bin")
        for root in ["/opt/homebrew/opt", "/usr/local/opt"] {
            candidates += Self.versioned(in: root, prefix: "postgresql@").map { "\(root)/\($0)/bin" }
        }
        if let found = candidates.first(where: { check($0) }) { return Self.canonical(found) }
        throw notFound()
    }

    /// Whether `directory` holds the server programs; records it for the not-found message.
    private mutating func check(_ directory: String) -> Bool {
        looked.append(directory)
        return Self.holdsServerPrograms(directory)
    }

    private static func holdsServerPrograms(_ directory: String) -> Bool {
        requiredPrograms.allSatisfy { FileManager.default.isExecutableFile(atPath: "\(directory)/\($0)") }
    }

    /// The real bin directory behind `directory`: where its `pg_ctl` symlink leads (e.g.
    /// /usr/local/bin → /usr/lib/postgresql/15/bin), so that the tools next to the server
    /// (`pg_isready`, `psql`) are found too.
    private static func canonical(_ directory: String) -> String {
        let real = (Paths.resolved("\(directory)/pg_ctl") as NSString).deletingLastPathComponent
        return holdsServerPrograms(real) ? real : directory
    }

    private func notFound() -> EmbeddedPostgresError {
        EmbeddedPostgresError(
            .binariesNotFound,
            "PostgreSQL server binaries not found (looked in \(looked.joined(separator: ", "))). "
                + "Install them: `apt-get install postgresql` on Debian/Ubuntu, `brew install postgresql@16` on macOS "
                + "— or set DATABASE_URL to use an existing server."
        )
    }

    /// Entries of `directory` named `prefix` + a version number, highest version first.
    private static func versioned(in directory: String, prefix: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        let versions: [(name: String, version: [Int])] = names.compactMap { name in
            guard name.hasPrefix(prefix) else { return nil }
            let parts = name.dropFirst(prefix.count).split(separator: ".", omittingEmptySubsequences: false)
            let numbers = parts.compactMap { Int($0) }
            guard !parts.isEmpty, numbers.count == parts.count else { return nil }
            return (name, numbers)
        }
        return versions.sorted { $0.version.lexicographicallyPrecedes($1.version) }.reversed().map(\.name)
    }
}

extension EmbeddedPostgres {
    /// The directory holding `initdb`, `pg_ctl` and `postgres`: `override` if given (with no
    /// fallback), else the first match on `PATH`, `pg_config --bindir`, `/usr/lib/postgresql/*/bin`
    /// (highest version first), `/usr/local/pgsql/bin`, then Homebrew's `postgresql@*` kegs.
    /// This synchronous form blocks while `pg_config` runs; async callers get the async overload.
    public static func findBinaries(override: String?) throws -> String {
        var locator = BinaryLocator(override: override)
        if let found = try locator.searchBeforePGConfig() { return found }
        let bindir = try locator.pgConfig.map { try ProcessRunner.runBlocking($0) }
        return try locator.searchAfterPGConfig(bindir: bindir.flatMap { $0.succeeded ? $0.stdout : nil })
    }

    /// The directory holding the server binaries, searched as by the synchronous form but running
    /// `pg_config` without blocking a thread.
    public static func findBinaries(override: String?) async throws -> String {
        var locator = BinaryLocator(override: override)
        if let found = try locator.searchBeforePGConfig() { return found }
        var bindir: ProcessOutput?
        if let pgConfig = locator.pgConfig { bindir = try await ProcessRunner.run(pgConfig) }
        return try locator.searchAfterPGConfig(bindir: bindir.flatMap { $0.succeeded ? $0.stdout : nil })
    }
}
