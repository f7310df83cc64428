import EmbeddedPostgres
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import MobiliseAPI
import MobiliseDomain
import MobiliseSchema
import MobiliseStore
import MobiliseTesting
import Postgres
import Testing

/// A real primary and a real streaming-replication standby (pg_basebackup), the service on both.
@Suite struct ReadReplicaTests {
    @Test func rankingsReadFromTheStandbyAndSurviveLosingIt() async throws {
        let logger = Logger(label: "test-replicas")
        let tag = "\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let primary = EmbeddedPostgres(
            configuration: .init(dataDirectory: "/tmp/mobilise-primary-\(tag)", durable: false, ephemeral: true), logger: logger)
        try await primary.start()
        let standby = EmbeddedPostgres(
            configuration: .init(dataDirectory: "/tmp/mobilise-standby-\(tag)", durable: false, ephemeral: true,
                                 standbyOf: primary.connectionString(database: "postgres")),
            logger: logger)
        let primaryPool = PostgresPool(configuration: .init(connection: try PostgresConfiguration(primary.connectionString())), logger: logger)
        let standbyPool = PostgresPool(configuration: .init(connection: try PostgresConfiguration(standby.connectionString()), maxConnections: 4), logger: logger)
        let replicas = PostgresReadReplicas(primary: primaryPool, replicas: [standbyPool], logger: logger)
        do {
            try await MobiliseSchema.migrator(logger: logger).migrate(primaryPool)
            try await standby.start()
            #expect(try await standbyPool.query("SELECT pg_is_in_recovery()").scalar(Bool.self) == true)

            // Seed on the primary: a small organisation, a campaign, signatures.
            let store = MobiliseStore(pool: primaryPool, readReplicas: replicas, logger: logger)
            let acme = try await store.createOrganisation(slug: "acme", name: "Acme", privacyK: 1)
            let staff = "external_id,country\n" + (0..<8).map { "in-\($0),IN" }.joined(separator: "\n") + "\nbr-0,BR\nbr-1,BR\n"
            _ = try await store.importEmployees(organisationID: acme.id, csv: Array(staff.utf8), mode: .upsert, actor: Actor("setup"))
            let now = Date()
            _ = try await store.createCampaign(organisationID: acme.id, CampaignDraft(
                slug: "heforshe", hashtag: "#HeForShe", title: ["en": "HeForShe"], pledgeText: ["en": "I commit"],
                startsAt: now - 86_400, endsAt: now + 86_400 * 30), actor: Actor("hr"))
            _ = try await store.moveCampaign(organisationID: acme.id, reference: "heforshe", to: .active, actor: Actor("hr"))
            for person in ["in-0", "in-1", "in-2", "br-0"] { _ = try await store.sign(organisationID: acme.id, campaign: "heforshe", employee: person) }

            // The standby catches up and enters rotation.
            try await waitUntil("the standby has caught up and is healthy", timeout: .seconds(20), interval: .milliseconds(50)) {
                await replicas.checkNow()
                return replicas.statuses.first?.healthy == true && replicas.statuses.first?.lagSeconds == 0
            }
            // Lag is whole seconds, and an idle primary reports none: wait, too, until the standby holds the seed.
            try await waitUntil("the standby has replayed the four signatures", timeout: .seconds(20), interval: .milliseconds(20)) {
                try await standbyPool.query("SELECT count(*) FROM signatures").scalar(Int.self) == 4
            }

            let configuration = APIConfiguration(jwtSecret: ServiceHarness.secret)
            let router = MobiliseService.router(
                store: store, configuration: configuration, verifier: try await TokenVerifier(configuration: configuration),
                migrator: try MobiliseSchema.migrator(logger: logger))
            let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)), logger: logger)
            // An HR admin's exact figures (a leader's are published at intervals, rounded: issue 19).
            let reader = try await TokenIssuer(secret: ServiceHarness.secret).token(subject: "boss", organisation: "acme", roles: [.hrAdmin])
            try await app.test(.live) { client in
                func total() async throws -> Int? {
                    try await client.execute(uri: "/v1/campaigns/heforshe/rankings", method: .get, headers: [.authorization: "Bearer \(reader)"]) { response in
                        #expect(response.status == .ok)
                        let body = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                        return (body?["total"] as? [String: Any])?["signatures"] as? Int
                    }
                }
                let before = replicas.statuses[0].reads
                #expect(try await total() == 4)
                #expect(replicas.statuses[0].reads == before + 1)  // served by the standby
                #expect(replicas.primaryReads == 0)

                // A signature on the primary reaches the standby's rankings.
                _ = try await store.sign(organisationID: acme.id, campaign: "heforshe", employee: "in-3")
                try await waitUntil("the standby's ranking counts the fifth signature", timeout: .seconds(20), interval: .milliseconds(50)) {
                    try await total() == 5
                }

                let metrics = try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
                #expect(metrics.contains(#"mobilise_db_replica_lag_seconds{replica="replica-0"}"#))
                #expect(metrics.contains(#"mobilise_db_replica_healthy{replica="replica-0"} 1"#))

                // A standby behind (replay paused) never makes a new campaign look missing.
                try await standbyPool.execute("SELECT pg_wal_replay_pause()")
                _ = try await store.createCampaign(organisationID: acme.id, CampaignDraft(
                    slug: "second", hashtag: "#Second", title: ["en": "Second"], pledgeText: ["en": "I commit"],
                    startsAt: now - 86_400, endsAt: now + 86_400 * 30), actor: Actor("hr"))
                let fresh = try await client.execute(uri: "/v1/campaigns/second/rankings", method: .get,
                                                     headers: [.authorization: "Bearer \(reader)"]) { $0.status }
                #expect(fresh == .ok)
                #expect(replicas.primaryReads == 1)
                try await standbyPool.execute("SELECT pg_wal_replay_resume()")

                // Kill the standby: the service keeps answering, from the primary.
                try await standby.stop(mode: .immediate)
                #expect(try await total() == 5)
                #expect(try await total() == 5)
                #expect(replicas.primaryReads >= 2)
                await replicas.checkNow()
                #expect(replicas.statuses[0].healthy == false)
                let after = try await client.execute(uri: "/metrics", method: .get) { String(buffer: $0.body) }
                #expect(after.contains(#"mobilise_db_replica_healthy{replica="replica-0"} 0"#))
            }
        } catch {
            await standbyPool.close()
            await primaryPool.close()
            try? await standby.stop()
            try? await primary.stop()
            throw error
        }
        await standbyPool.close()
        await primaryPool.close()
        try? await standby.stop()
        try await primary.stop()
    }
}
