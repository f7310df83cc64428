import Foundation
import MobiliseDomain
import Postgres

/// What ``MobiliseStore/stripStoredMediaMetadata(batchSize:)`` did.
public struct MediaCleanupReport: Sendable, Equatable {
    /// Posts with media read.
    public var examined = 0
    /// Files rewritten without their metadata.
    public var cleaned = 0
    /// Bytes removed in all.
    public var bytesRemoved = 0
}

extension MobiliseStore {
    /// Removes location, device and authoring metadata from the media stored before uploads were
    /// cleaned (``MediaMetadata``), every organisation's, a batch of posts per transaction; the
    /// size and checksum (the ETag browsers revalidate with) follow. Running it again changes nothing.
    public func stripStoredMediaMetadata(batchSize: Int = 100, progress: (MediaCleanupReport) -> Void = { _ in }) async throws -> MediaCleanupReport {
        var report = MediaCleanupReport()
        var after: (organisationID: UUID, id: UUID)?
        while true {
            let cursor = after
            let batch = try await pool.withTransaction { connection -> (report: MediaCleanupReport, last: (UUID, UUID)?) in
                var report = MediaCleanupReport()
                let rows = try connection.query("""
                    SELECT organisation_id, id, media, media_type FROM posts
                    WHERE media IS NOT NULL
                      AND (\(cursor?.organisationID)::uuid IS NULL OR (organisation_id, id) > (\(cursor?.organisationID), \(cursor?.id)))
                    ORDER BY organisation_id, id
                    LIMIT \(batchSize)
                    FOR UPDATE
                    """).rows
                var last: (UUID, UUID)?
                for row in rows {
                    let organisationID = try row.decode(UUID.self, column: "organisation_id")
                    let id = try row.decode(UUID.self, column: "id")
                    last = (organisationID, id)
                    report.examined += 1
                    guard let bytes = try row.decode(Data?.self, column: "media"),
                          let type = MediaType(rawValue: try row.decode(String.self, column: "media_type"))
                    else { continue }
                    let clean = MediaMetadata.stripped(bytes, type: type)
                    guard clean != bytes, MediaType.sniff(clean) == type else { continue }
                    try connection.execute("""
                        UPDATE posts SET media = \(clean), media_size = \(clean.count), media_sha256 = \(MediaUpload.sha256Hex(clean))
                        WHERE organisation_id = \(organisationID) AND id = \(id)
                        """)
                    report.cleaned += 1
                    report.bytesRemoved += bytes.count - clean.count
                }
                return (report, last)
            }
            report.examined += batch.report.examined
            report.cleaned += batch.report.cleaned
            report.bytesRemoved += batch.report.bytesRemoved
            progress(report)
            guard let last = batch.last else { return report }
            after = (last.0, last.1)
        }
    }
}
