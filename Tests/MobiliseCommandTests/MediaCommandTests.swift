import Foundation
import Logging
import MobiliseDomain
import MobiliseStore
import MobiliseTesting
import Postgres
import Testing

/// `mobilise media strip-metadata`: the files stored before uploads were cleaned get cleaned too.
@Suite struct MediaCommandTests {
    @Test(.enabled(
        if: MediaTools.available || MediaTools.required,
        "SKIPPED: Pillow, piexif or ffmpeg is missing (pip install Pillow piexif; apt-get install ffmpeg)"))
    func storedPhotosAndVideosLoseTheirMetadataOnceAndForAll() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("mobilise-stored-media-\(UUID().uuidString.prefix(8))")
        defer { try? FileManager.default.removeItem(at: folder) }
        let made = try await CommandRunner.run("/usr/bin/env", ["python3", MediaTools.scripts.appendingPathComponent("make_media.py").path, folder.path])
        try #require(made.status == 0, "\(made.standardError)")

        let url = try await TestDatabase.createDatabase(migrated: true)
        let pool = PostgresPool(configuration: .init(connection: try PostgresConfiguration(url), maxConnections: 2), logger: Logger(label: "test"))
        let store = MobiliseStore(pool: pool, logger: Logger(label: "test"))
        let acme = try await store.createOrganisation(slug: "acme", name: "Acme")
        _ = try await store.importEmployees(organisationID: acme.id, csv: Array("external_id,country\nin-1,IN\n".utf8), mode: .upsert, actor: Actor("t"))
        let now = Date()
        let campaign = try await store.createCampaign(organisationID: acme.id, CampaignDraft(
            slug: "heforshe", hashtag: "#HeForShe", title: ["en": "HeForShe"], pledgeText: ["en": "I commit"],
            startsAt: now, endsAt: now.addingTimeInterval(86_400)), actor: Actor("t"))
        // Stored as an older version stored them: the file as uploaded, metadata and all.
        var originals: [String: Data] = [:]
        for (name, type) in [("photo.jpg", MediaType.jpeg), ("photo.png", .png), ("photo.webp", .webp), ("video.mp4", .mp4)] {
            let bytes = try Data(contentsOf: folder.appendingPathComponent(name))
            originals[type.rawValue] = bytes
            try await pool.execute("""
                INSERT INTO posts (organisation_id, campaign_id, author_id, body, media, media_type, media_size, media_sha256)
                SELECT \(acme.id), \(campaign.id), id, '', \(bytes), \(type.rawValue), \(bytes.count), \(MediaUpload.sha256Hex(bytes))
                FROM employees WHERE organisation_id = \(acme.id)
                """)
        }

        let first = try await CommandRunner.run(CommandRunner.mobilise, ["media", "strip-metadata", "--database-url", url])
        #expect(first.status == 0, "\(first.standardError)")
        #expect(first.standardOutput.contains("read 4 stored files: 4 cleaned"), "\(first.standardOutput)")
        let rows = try await pool.query("SELECT media, media_type, media_size, media_sha256 FROM posts").rows
        for row in rows {
            let (bytes, type, size, sha) = try row.decode((Data, String, Int, String).self)
            let kind = try #require(MediaType(rawValue: type))
            #expect(bytes == MediaMetadata.stripped(try #require(originals[type]), type: kind), "\(type) was not cleaned")
            #expect(size == bytes.count && sha == MediaUpload.sha256Hex(bytes), "\(type): size or checksum not updated")
            #expect(MediaType.sniff(bytes) == kind)
        }
        let second = try await CommandRunner.run(CommandRunner.mobilise, ["media", "strip-metadata", "--database-url", url])
        #expect(second.standardOutput.contains("0 cleaned"), "\(second.standardOutput)")
        await pool.close()
    }
}

enum MediaTools {
    static let scripts = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("media")

    static let available = CommandRunner.succeeds("/bin/sh", ["-c", "python3 -c 'import PIL, piexif' && ffmpeg -version"])

    /// CI sets `MOBILISE_REQUIRE_MEDIA_TOOLS=1`: there missing tools fail the test instead of skipping it.
    static let required = ProcessInfo.processInfo.environment["MOBILISE_REQUIRE_MEDIA_TOOLS"] == "1"
}
