import Foundation
import MobiliseDomain

/// Where a page of a list ends: the instant the list is ordered by and the id of its last row,
/// handed to clients as an opaque base64url string (`next_cursor`). Posts, moderation lists,
/// campaigns and events page with it; the next page starts strictly after (or before) it. Exact:
/// Date round-trips PostgreSQL's timestamps to the microsecond, and the cursor keeps microseconds.
struct PageCursor: Equatable {
    var instant: Date
    var id: UUID

    /// Before every row of a list ordered newest first: far in the future, and the largest uuid.
    static let newestFirst = PageCursor(instant: Instants.latest, id: UUID(uuid: (255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255)))
    /// Before every row of a list ordered oldest first: the earliest instant, and the smallest uuid.
    static let oldestFirst = PageCursor(instant: Instants.earliest, id: UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)))

    init(instant: Date, id: UUID) {
        self.instant = instant
        self.id = id
    }

    /// - Throws: ``MobiliseError`` `.invalid` `invalid_cursor` for anything this type did not encode.
    init(encoded: String) throws {
        let invalid = MobiliseError(.invalid, code: .invalidCursor, "the cursor is not one this list returned (pass next_cursor as it came)")
        guard encoded.count <= 200 else { throw invalid }
        var base64 = encoded.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        guard let data = Data(base64Encoded: base64), let text = String(data: data, encoding: .utf8) else { throw invalid }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let micros = Int64(parts[0]), let id = UUID(uuidString: String(parts[1])) else { throw invalid }
        let instant = Date(timeIntervalSince1970: Double(micros) / 1_000_000)
        guard Instants.isSupported(instant) else { throw invalid }
        self.init(instant: instant, id: id)
    }

    var encoded: String {
        let micros = Int64((instant.timeIntervalSince1970 * 1_000_000).rounded())
        return Data("\(micros):\(id.uuidString.lowercased())".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// A page of `limit` rows out of the `limit + 1` a query read, and the cursor after its last row
    /// (nil when the query found no more).
    static func page<Row>(_ rows: [Row], limit: Int, position: (Row) -> PageCursor) -> (rows: [Row], next: String?) {
        guard rows.count > limit else { return (rows, nil) }
        let page = Array(rows.prefix(limit))
        return (page, page.last.map { position($0).encoded })
    }
}
