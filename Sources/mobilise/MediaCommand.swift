import ArgumentParser
import Foundation

/// `mobilise media strip-metadata`: cleans the photos and videos stored before uploads were cleaned.
struct MediaCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "media",
        abstract: "Maintain the stories' stored photos and videos.",
        subcommands: [StripMetadata.self]
    )

    struct StripMetadata: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "strip-metadata",
            abstract: "Remove location, device and authoring metadata from every stored photo and video (safe to run again).",
            discussion: """
                Uploads are cleaned as they arrive; this applies the same cleaning to files stored before that (EXIF GPS, \
                camera and owner names, XMP, QuickTime location). The orientation a picture needs stays. Each file's \
                size and checksum follow, so browsers fetch the cleaned file.
                """
        )

        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            let logger = MobiliseCommand.bootstrapLogging()
            let report = try await database.withStore(logger: logger) { store in
                try await store.stripStoredMediaMetadata { progress in
                    StandardError.print("\(progress.examined) files read, \(progress.cleaned) cleaned")
                }
            }
            print("read \(report.examined) stored files: \(report.cleaned) cleaned of their metadata (\(report.bytesRemoved) bytes removed), "
                  + "\(report.examined - report.cleaned) had none")
        }
    }
}
