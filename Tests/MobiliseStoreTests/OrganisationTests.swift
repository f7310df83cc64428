import Foundation
import MobiliseDomain
import MobiliseStore
import MobiliseTesting
import Testing

@Suite struct OrganisationTests {
    @Test func createsAndFindsAnOrganisation() async throws {
        try await TestDatabase.withStore { store in
            let created = try await store.createOrganisation(slug: "schneider", name: "Schneider-like", privacyK: 5, timeZone: "Europe/Paris")
            let found = try await store.organisation(slug: "schneider")
            #expect(found == created)
            #expect(found.privacyK == 5)
        }
    }

    @Test func refusesBadInputAndDuplicates() async throws {
        try await TestDatabase.withStore { store in
            await #expect(throws: MobiliseError.self) { try await store.createOrganisation(slug: "Not Valid", name: "x") }
            await #expect(throws: MobiliseError.self) { try await store.createOrganisation(slug: "ok", name: "x", timeZone: "Mars/Olympus") }
            // A POSIX-style zone means the opposite offset to PostgreSQL: refused.
            await #expect(throws: MobiliseError.self) { try await store.createOrganisation(slug: "ok", name: "x", timeZone: "GMT+2") }
            #expect(try await store.createOrganisation(slug: "paris", name: "x", timeZone: "Europe/Paris").timeZone == "Europe/Paris")
            _ = try await store.createOrganisation(slug: "acme", name: "Acme")
            let error = await #expect(throws: MobiliseError.self) { try await store.createOrganisation(slug: "acme", name: "Acme") }
            #expect(error?.kind == .conflict)
            let missing = await #expect(throws: MobiliseError.self) { try await store.organisation(slug: "nobody") }
            #expect(missing?.kind == .notFound)
        }
    }
}
