import EmbeddedPostgres
import Foundation
import MobiliseDomain
import Testing

/// Photos and a video made by real tools (Pillow, piexif, ffmpeg) with the place they were taken,
/// the device and the owner's name: after upload, exiftool finds none of it, the orientation a
/// picture needs is still there, and the pixels decode exactly as before.
@Suite struct MediaMetadataTests {
    static let scripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("media")

    /// Pillow and piexif (PyPI), ffmpeg and exiftool (Debian: ffmpeg, libimage-exiftool-perl).
    static let toolsAvailable: Bool = {
        func succeeds(_ arguments: [String]) -> Bool { (try? ProcessRunner.runBlocking(Command("/usr/bin/env", arguments)))?.succeeded ?? false }
        return succeeds(["python3", "-c", "import PIL, piexif"]) && succeeds(["ffmpeg", "-version"]) && succeeds(["exiftool", "-ver"])
    }()

    /// CI sets `MOBILISE_REQUIRE_MEDIA_TOOLS=1`: there missing tools fail the test instead of skipping it.
    static let toolsRequired = ProcessInfo.processInfo.environment["MOBILISE_REQUIRE_MEDIA_TOOLS"] == "1"

    /// Tag names (group-qualified, as exiftool prints them) that say where, with what or by whom.
    static let revealing = ["gps", "make", "model", "artist", "author", "location", "creator", "comment", "serial", "software", "xyz"]

    @Test(.enabled(
        if: toolsAvailable || toolsRequired,
        "SKIPPED: Pillow, piexif, ffmpeg or exiftool is missing (pip install Pillow piexif; apt-get install ffmpeg libimage-exiftool-perl)"))
    func uploadsLoseLocationDeviceAndOwnerButKeepOrientationAndPixels() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mobilise-media-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: folder) }
        let made = await Self.run(["python3", Self.scripts.appendingPathComponent("make_media.py").path, folder.path])
        try #require(made.status == 0, "\(made.text)")

        let names = ["photo.jpg", "photo.png", "photo.webp", "video.mp4"]
        var cleanedPaths: [String] = []
        for name in names {
            let original = try Data(contentsOf: folder.appendingPathComponent(name))
            let file = try MediaUpload(bytes: original).validated()
            #expect(MediaType.sniff(file.bytes) == file.info.type)
            #expect(file.info.size == file.bytes.count && file.info.sha256 == MediaUpload.sha256Hex(file.bytes))
            let cleaned = folder.appendingPathComponent("clean-" + name)
            try file.bytes.write(to: cleaned)
            cleanedPaths.append(cleaned.path)
            // Cleaning twice changes nothing more.
            #expect(MediaMetadata.stripped(file.bytes, type: file.info.type) == file.bytes, "\(name) changed when cleaned again")
        }

        let paths = names.map { folder.appendingPathComponent($0).path } + cleanedPaths
        let inspected = await Self.run(["python3", Self.scripts.appendingPathComponent("inspect_media.py").path] + paths)
        try #require(inspected.status == 0, "\(inspected.text)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(inspected.stdout.utf8)) as? [String: [String: Any]])
        for name in names {
            let before = try #require(report[folder.appendingPathComponent(name).path])
            let after = try #require(report[folder.appendingPathComponent("clean-" + name).path])
            let tagsBefore = Self.revealingTags(before)
            let tagsAfter = Self.revealingTags(after)
            #expect(!tagsBefore.isEmpty, "\(name): the tools made no metadata to remove, so the test proves nothing")
            #expect(tagsAfter.isEmpty, "\(name) still says: \(tagsAfter)")
            #expect(after["decodes"] as? Bool == true, "\(name) no longer decodes")
            #expect(after["pixels"] as? String == before["pixels"] as? String, "\(name): the picture itself changed")
            if name.hasPrefix("photo") {
                #expect((after["orientation"] as? Int) == 6, "\(name): the orientation was lost (\(after["orientation"] ?? "none"))")
            }
        }
    }

    /// A phone maker's trailer after the JPEG's end-of-image marker (where Samsung keeps its own metadata)
    /// survived the cleaning: everything from the first scan on was kept as it was.
    @Test(.enabled(
        if: toolsAvailable || toolsRequired,
        "SKIPPED: Pillow, piexif, ffmpeg or exiftool is missing (pip install Pillow piexif; apt-get install ffmpeg libimage-exiftool-perl)"))
    func whatFollowsTheEndOfAJPEGIsDropped() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mobilise-media-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: folder) }
        let made = await Self.run(["python3", Self.scripts.appendingPathComponent("make_media.py").path, folder.path])
        try #require(made.status == 0, "\(made.text)")
        let photo = try Data(contentsOf: folder.appendingPathComponent("photo.jpg"))
        let trailer = Data("SEFH\u{0}\u{0}GPS 48.858400,2.294500 SM-G991B\u{0}SEFT".utf8)
        let cleaned = try MediaUpload(bytes: photo + trailer).validated().bytes
        #expect(cleaned.suffix(2) == [0xFF, 0xD9], "the cleaned photo does not end at its end-of-image marker")
        #expect(cleaned.range(of: Data("SM-G991B".utf8)) == nil, "the trailer survived")
        #expect(cleaned == (try MediaUpload(bytes: photo).validated().bytes), "the trailer changed more than itself")
    }

    static func revealingTags(_ file: [String: Any]) -> [String] {
        ((file["tags"] as? [String: Any]) ?? [:]).keys.filter { key in
            let lower = key.lowercased()
            // exiftool's own view of the file (its name, size, dates on disk) is not in the file.
            guard !lower.hasPrefix("system:"), !lower.hasPrefix("exiftool:"), !lower.hasPrefix("file:file") else { return false }
            return revealing.contains { lower.contains($0) }
        }.sorted()
    }

    /// Runs `/usr/bin/env arguments…` without blocking the cooperative pool (making and inspecting
    /// media takes seconds, and blocking one of the pool's few threads that long starves the suites
    /// running alongside); a program that cannot be started gives status 127.
    static func run(_ arguments: [String]) async -> ProcessOutput {
        do { return try await ProcessRunner.run(Command("/usr/bin/env", arguments)) } catch {
            return ProcessOutput(status: 127, stdout: "", stderr: "\(error)")
        }
    }
}
