import Foundation
import MobiliseDomain
import MobiliseStore
import MobiliseTesting
import Testing

/// Every list the library hands out pages with a cursor: campaigns and events here (posts, the
/// moderation lists, employees and the audit log in their own tests).
@Suite struct PagingTests {
    /// Follows `next` from the first page to the last, collecting ids.
    static func walk(_ first: (String?) async throws -> (ids: [UUID], next: String?)) async throws -> [UUID] {
        var ids: [UUID] = []
        var cursor: String?
        var pages = 0
        repeat {
            let page = try await first(cursor)
            ids += page.ids
            cursor = page.next
            pages += 1
        } while cursor != nil && pages < 100
        return ids
    }

    @Test func campaignsPageNewestFirstAndAnEmployeeSeesOnlyTheirAudience() async throws {
        try await TestDatabase.withStore { store in
            let fixture = try await Fixture.make(store)
            let org = fixture.organisation.id
            let women = try await fixture.hire(1, in: "FR", gender: .female)
            var created: [Campaign] = []
            for index in 0..<7 {
                let audience = index % 3 == 0 ? Audience(genders: [.male]) : .everyone
                created.append(try await fixture.campaign(slug: "c\(index)", audience: audience))
            }
            let newestFirst = created.reversed().map(\.id)
            for limit in [1, 2, 3, 7, 100] {
                let ids = try await Self.walk { cursor in
                    let page = try await store.campaigns(organisationID: org, after: cursor, limit: limit)
                    #expect(page.campaigns.count <= limit)
                    return (page.campaigns.map(\.id), page.nextCursor)
                }
                #expect(ids == newestFirst, "by \(limit)")
            }
            // Pages are filled after the audience is applied: a page of 2 holds 2 campaigns open to her.
            let woman = try #require(try await store.employee(organisationID: org, externalID: women[0]))
            let open = created.reversed().filter { $0.audience.admits(gender: .female, country: "FR", orgUnit: nil) }.map(\.id)
            #expect(open.count == 4)
            let first = try await store.campaigns(organisationID: org, status: .active, admitting: woman, limit: 2)
            #expect(first.campaigns.map(\.id) == Array(open.prefix(2)) && first.nextCursor != nil)
            let hers = try await Self.walk { cursor in
                let page = try await store.campaigns(organisationID: org, status: .active, admitting: woman, after: cursor, limit: 2)
                return (page.campaigns.map(\.id), page.nextCursor)
            }
            #expect(hers == open)
            await #expect(throws: MobiliseError.self) { _ = try await store.campaigns(organisationID: org, after: "bogus") }
        }
    }

    @Test func eventsPageByStartTime() async throws {
        try await TestDatabase.withStore { store in
            let fixture = try await Fixture.make(store)
            let org = fixture.organisation.id
            let hosts = try await fixture.hire(1, in: "FR")
            let campaign = try await fixture.campaign()
            let now = Date()
            var events: [Event] = []
            // Two events start at the same instant: the id decides between them.
            for offset in [5, 1, 3, 3, 9, 2] {
                let start = now + Double(offset) * 86_400
                events.append(try await store.createEvent(
                    organisationID: org, campaignID: campaign.id,
                    EventDraft(title: "Event \(offset)", kind: .online, country: "FR", city: nil, startsAt: start, endsAt: start + 3_600,
                               capacity: nil, hostExternalID: hosts[0]),
                    actor: fixture.admin))
            }
            let expected = events.sorted { ($0.startsAt, $0.id.uuidString.lowercased()) < ($1.startsAt, $1.id.uuidString.lowercased()) }.map(\.id)
            for limit in [1, 4, 6, 200] {
                let ids = try await Self.walk { cursor in
                    let page = try await store.events(organisationID: org, campaignID: campaign.id, after: cursor, limit: limit)
                    #expect(page.events.count <= limit)
                    return (page.events.map(\.id), page.nextCursor)
                }
                #expect(ids == expected, "by \(limit)")
            }
        }
    }
}
