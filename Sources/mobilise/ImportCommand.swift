import ArgumentParser
import Foundation
import MobiliseDomain
import MobiliseStore
import Synchronization

/// `mobilise import employees`: loads the HR system's workforce file.
struct ImportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "import",
        abstract: "Load data from other systems into an organisation.",
        subcommands: [Employees.self]
    )

    struct Employees: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import the workforce file (CSV or XLSX) into an organisation.",
            discussion: """
                The file is a CSV with a header row: external_id and country are required; email, display_name, \
                gender, site, org_unit, manager_external_id and active are optional (absent columns leave those \
                fields untouched). Such a file in UTF-8 is read in 64 KiB chunks, never whole.

                Files as HR systems export them are taken too, read whole and converted first: UTF-16 (Excel's \
                "Unicode text"), Windows-1252, semicolon, tab or pipe separated, XLSX workbooks (the first sheet), \
                and the HR system's own column names through the organisation's saved column mapping (set it \
                with --save-mapping, or PUT /v1/workforce/column-mapping). Countries may be ISO alpha-2 or \
                alpha-3 codes or English names.

                upsert inserts new employees and updates changed ones. full_sync also deactivates active employees \
                missing from the file, and refuses to run when any line is rejected. A full sync that would \
                deactivate more than --full-sync-guard of the active employees (default 10%) changes nothing until \
                it is run again with --confirm-deactivations and the number it reported. --dry-run reports what \
                the import would change, and changes nothing.

                Exit status: 0 when every line loaded; 2 when some lines were rejected (the others loaded, the \
                report lists each rejected line); 1 on an error (nothing loaded).
                """
        )

        @OptionGroup var database: DatabaseOptions
        @OptionGroup var organisation: OrganisationOption

        @Argument(help: ArgumentHelp("The CSV file.", valueName: "file"))
        var file: String

        @Option(help: "upsert or full_sync (full-sync is accepted too), as the API's ?mode=.")
        var mode: ImportMode = .upsert

        @Option(name: .customLong("save-mapping"), help: ArgumentHelp(
            "Save the organisation's column mapping before importing: one SOURCE=column pair per option, e.g. --save-mapping \"Employee ID=external_id\" --save-mapping Country=country.",
            valueName: "source=column"))
        var saveMapping: [String] = []

        @Flag(help: "Report what the import would change; change nothing.")
        var dryRun = false

        @Option(help: ArgumentHelp("Confirm that a full sync may deactivate this many employees (the number it reported).", valueName: "n"))
        var confirmDeactivations: Int?

        @Option(help: ArgumentHelp("The share of the active employees a full sync may deactivate unconfirmed: 0.1 or 10%, as MOBILISE_FULL_SYNC_GUARD.", valueName: "share"))
        var fullSyncGuard: String?

        func validate() throws {
            for pair in saveMapping where !pair.contains("=") {
                throw ValidationError("'\(pair)' is not SOURCE=column: write the HR system's column name, '=', then Mobilise's (e.g. \"Employee ID=external_id\")")
            }
            if let fullSyncGuard, ImportOptions.share(fullSyncGuard) == nil {
                throw ValidationError("--full-sync-guard is a share between 0 and 1 (0.1) or a percentage (10%).")
            }
            if let confirmDeactivations, confirmDeactivations < 0 {
                throw ValidationError("--confirm-deactivations is a number of employees, 0 or more.")
            }
        }

        /// The pairs of --save-mapping.
        func mappingToSave() throws -> WorkforceColumnMapping? {
            guard !saveMapping.isEmpty else { return nil }
            return try WorkforceColumnMapping(saveMapping.map { pair in
                let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                return (source: String(parts[0]), column: parts.count > 1 ? String(parts[1]).trimmingCharacters(in: .whitespaces) : "")
            })
        }

        /// Why the file cannot be read, or nil. A file that is missing is an error (exit status 1, as
        /// documented), not a usage mistake.
        func fileProblem() -> String? {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: file, isDirectory: &isDirectory) else {
                return "There is no file '\(file)': give the path of the workforce CSV file."
            }
            guard !isDirectory.boolValue else { return "'\(file)' is a folder: give the path of the workforce CSV file." }
            guard FileManager.default.isReadableFile(atPath: file) else { return "'\(file)' cannot be read: check its permissions." }
            return nil
        }

        func run() async throws {
            if let problem = fileProblem() {
                StandardError.print("error: " + problem + " Nothing was imported.")
                throw ExitCode.failure
            }
            let logger = MobiliseCommand.bootstrapLogging()
            let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? nil
            let bar = ImportProgress(fileSize: size ?? 0, terminal: StandardError.isTerminal)
            let environmentGuard = ProcessInfo.processInfo.environment["MOBILISE_FULL_SYNC_GUARD"].flatMap(ImportOptions.share)
            let options = ImportOptions(
                dryRun: dryRun,
                deactivationGuard: fullSyncGuard.flatMap(ImportOptions.share) ?? environmentGuard ?? ImportOptions.defaultDeactivationGuard,
                confirmedDeactivations: confirmDeactivations)
            let report = try await database.withStore(logger: logger) { store in
                let target = try await store.organisation(slug: organisation.slug)
                // A dry run reads the file with the mapping given, and saves nothing.
                let given = try mappingToSave()
                if let given, !dryRun {
                    try await store.setWorkforceColumnMapping(organisationID: target.id, given, actor: .operatorCLI)
                }
                var mapping = given
                if mapping == nil { mapping = try await store.workforceColumnMapping(organisationID: target.id) }
                let handle: FileHandle
                do {
                    handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: file))
                } catch {
                    throw MobiliseError(.invalid, code: .unreadableFile, "cannot open '\(file)': \(error.localizedDescription)")
                }
                defer { try? handle.close() }
                let chunks = WorkforceFileChunks(
                    FileChunks(handle: handle, onRead: { bar.read(bytes: $0) }, onEnd: { bar.endOfFile() }), mapping: mapping,
                    workbook: file.lowercased().hasSuffix(".xlsx"))
                return try await store.importEmployees(
                    organisationID: target.id, csv: chunks, mode: mode, actor: .operatorCLI, options: options,
                    progress: { bar.update(rows: $0) })
            }
            if report.dryRun { print("dry run: nothing was changed; the import would do this:") }
            print("""
                read \(grouped(report.rowsRead)) rows: \(grouped(report.inserted)) new, \(grouped(report.updated)) changed, \
                \(grouped(report.unchanged)) unchanged, \(grouped(report.deactivated)) deactivated, \
                \(grouped(report.rejectedCount)) rejected
                """)
            if report.confirmationRequired {
                print("a full sync would deactivate \(grouped(report.deactivated)) of \(grouped(report.activeBefore)) active employees: "
                      + "run it with --confirm-deactivations \(report.deactivated) once the file is checked")
            }
            guard report.rejectedCount > 0 else { return }
            print("rejected lines (fix them in the file and import it again; the other lines are loaded):")
            for rejection in report.rejected { print("  \(rejection)") }
            if report.rejectedCount > report.rejected.count {
                print("  … and \(grouped(report.rejectedCount - report.rejected.count)) more")
            }
            throw ExitCode(2)
        }
    }
}

/// A file read in chunks as they are asked for (the import pulls the next one when it is ready).
struct FileChunks: AsyncSequence {
    typealias Element = Data

    let handle: FileHandle
    var chunkSize = 64 * 1024
    /// Told the bytes read so far, after each chunk.
    let onRead: @Sendable (Int) -> Void
    /// Told once the whole file has been read.
    let onEnd: @Sendable () -> Void

    init(handle: FileHandle, onRead: @escaping @Sendable (Int) -> Void, onEnd: @escaping @Sendable () -> Void) {
        self.handle = handle
        self.onRead = onRead
        self.onEnd = onEnd
    }

    struct AsyncIterator: AsyncIteratorProtocol {
        let chunks: FileChunks
        var total = 0

        /// Reads run on this queue, not on Swift's cooperative threads: a read from a slow disk, a
        /// network mount or a pipe blocks its thread.
        private static let reading = DispatchQueue(label: "mobilise.import.read")

        mutating func next() async throws -> Data? {
            let (handle, size) = (chunks.handle, chunks.chunkSize)
            let read = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Data?, any Error>) in
                Self.reading.async { continuation.resume(with: Result { try handle.read(upToCount: size) }) }
            }
            guard let data = read, !data.isEmpty else {
                chunks.onEnd()
                return nil
            }
            total += data.count
            chunks.onRead(total)
            return data
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(chunks: self) }
}

/// The import's progress on standard error: a bar redrawn in place on a terminal, else a line
/// at every tenth of the file read while some is left to read (none for a file read in one chunk),
/// then one when the whole file is read.
final class ImportProgress: Sendable {
    private struct State {
        var bytes = 0
        var shown = -1
        var drewBar = false
        var endOfFile = false
        var done = false
    }

    private let fileSize: Int
    private let terminal: Bool
    private let state = Mutex(State())

    init(fileSize: Int, terminal: Bool) {
        self.fileSize = fileSize
        self.terminal = terminal
    }

    /// The bytes read so far.
    func read(bytes: Int) { state.withLock { $0.bytes = bytes } }

    /// The whole file has been read (its last rows are counted by the next update).
    func endOfFile() { state.withLock { $0.endOfFile = true } }

    /// The rows read so far.
    func update(rows: Int) {
        state.withLock { state in
            guard !state.done else { return }
            let percent = state.endOfFile || fileSize == 0 ? 100 : min(100, state.bytes * 100 / fileSize)
            if terminal {
                if percent != state.shown || rows % 5_000 == 0 || state.endOfFile {
                    state.shown = percent
                    state.drewBar = true
                    let filled = percent / 5
                    let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: 20 - filled)
                    StandardError.write("\r[\(bar)] \(padded(String(percent), 3, right: true))%  \(grouped(rows)) rows read")
                }
            } else if percent >= 10, percent < 100, percent / 10 * 10 > state.shown {
                state.shown = percent / 10 * 10
                StandardError.print("read \(grouped(rows)) rows (\(state.shown)% of the file)")
            }
            if state.endOfFile {
                state.done = true
                if state.drewBar { StandardError.write("\n") }
                StandardError.print("file read; loading \(grouped(rows)) rows into the database")
            }
        }
    }
}

/// `--mode`, read as the API reads `?mode=`.
extension ImportMode: ExpressibleByArgument {
    public init?(argument: String) { self.init(name: argument) }
}
