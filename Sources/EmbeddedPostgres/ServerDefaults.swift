import Foundation

extension EmbeddedPostgres {
    /// The file in the data directory that holds the product's server defaults, included at the end
    /// of `postgresql.conf`: so they win over PostgreSQL's own defaults, and `ALTER SYSTEM`
    /// (`postgresql.auto.conf`, read after it) still overrides any of them.
    static let defaultsFileName = "mobilise.conf"
    static let includeLine = "include_if_exists = '\(defaultsFileName)'"

    /// The WAL and checkpoint settings a durable embedded cluster runs with (issue 25, BENCHMARKS.md
    /// section 6, "Checkpoints"): PostgreSQL's 1 GB `max_wal_size` started a checkpoint every 1.5–2
    /// minutes of signing, each followed by full-page images of every page touched again. None of
    /// these weakens durability (fsync, synchronous_commit and full_page_writes stay on); they cost
    /// disk (pg_wal may grow to about `max_wal_size`) and a longer crash recovery.
    /// (`wal_compression = lz4` was measured and not kept: it costs more CPU than the images it saves.)
    public static let durableDefaults: [String: String] = ["max_wal_size": "4GB", "checkpoint_timeout": "15min"]

    /// The defaults this launcher writes for the cluster: the configured ones, else the durable
    /// defaults for a durable cluster and none for a throwaway one (a test cluster with fsync off
    /// would only keep more WAL on disk).
    var serverDefaults: [String: String] {
        if let defaults = configuration.defaults { return defaults }
        return configuration.durable ? Self.durableDefaults : [:]
    }

    /// The text of `mobilise.conf` for `settings`.
    static func defaultsFileText(_ settings: [String: String]) -> String {
        var text = "# Written by Mobilise at every start of the embedded server: its defaults (see README, configuration).\n"
            + "# Override one with ALTER SYSTEM (postgresql.auto.conf is read after this file); edits here are overwritten.\n"
        for (name, value) in settings.sorted(by: { $0.key < $1.key }) {
            text += "\(name) = '\(value.replacingOccurrences(of: "'", with: "''"))'\n"
        }
        return text
    }

    /// Writes `mobilise.conf` (when its text changed) and makes `postgresql.conf` include it (once),
    /// both owned by the server's account.
    func writeServerDefaults(dataDirectory: String, account: ServerAccount) throws {
        let settings = serverDefaults
        let path = "\(dataDirectory)/\(Self.defaultsFileName)"
        let text = Self.defaultsFileText(settings)
        do {
            if FileManager.default.contents(atPath: path).map({ String(decoding: $0, as: UTF8.self) }) != text {
                try text.write(toFile: path, atomically: true, encoding: .utf8)
                try account.own(path, mode: 0o600)
            }
            let conf = "\(dataDirectory)/postgresql.conf"
            let current = FileManager.default.contents(atPath: conf).map { String(decoding: $0, as: UTF8.self) } ?? ""
            if !current.split(separator: "\n").contains(where: { $0.trimmingCharacters(in: .whitespaces) == Self.includeLine }) {
                let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: conf))
                defer { try? handle.close() }
                try handle.seekToEnd()
                let separator = current.isEmpty || current.hasSuffix("\n") ? "" : "\n"
                try handle.write(contentsOf: Data("\(separator)\n# Mobilise's defaults for this server (ALTER SYSTEM overrides them)\n\(Self.includeLine)\n".utf8))
            }
        } catch let error as EmbeddedPostgresError {
            throw error
        } catch {
            throw EmbeddedPostgresError(
                .unusableDataDirectory, "Could not write the server defaults (\(path), postgresql.conf): \(error)")
        }
    }
}
