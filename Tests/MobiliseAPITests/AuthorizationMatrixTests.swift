import Foundation
import HTTPTypes
import Hummingbird
import Logging
@testable import MobiliseAPI
import MobiliseDomain
import MobiliseSchema
import MobiliseStore
import MobiliseTesting
import Postgres
import Testing

/// Who may call what. Columns: no token, an employee, a leader, an HR admin, another organisation's
/// HR admin. `ok` = allowed (any answer but 401/403/404), `401`, `403`, `404` = refused that way.
/// `{campaign}` is a launched campaign, `{draft}` a draft, `{post}` an approved post with a photo,
/// `{event}` an upcoming event. Rows run in order (the lifecycle rows change `{draft}`).
let authorizationMatrix = """
    GET    /v1/me                                   401 ok  ok  ok  ok
    GET    /v1/campaigns                            401 ok  ok  ok  ok
    POST   /v1/campaigns                            401 403 403 ok  ok
    GET    /v1/campaigns/{campaign}                 401 ok  ok  ok  404
    PATCH  /v1/campaigns/{draft}                    401 403 403 ok  404
    PUT    /v1/campaigns/{campaign}/signature       401 ok  403 403 403
    GET    /v1/campaigns/{campaign}/signature       401 ok  403 403 403
    DELETE /v1/campaigns/{campaign}/signature       401 ok  403 403 403
    POST   /v1/campaigns/{campaign}/posts           401 ok  403 403 403
    GET    /v1/campaigns/{campaign}/posts           401 ok  ok  ok  404
    POST   /v1/posts/{post}/reports                 401 ok  403 403 403
    POST   /v1/posts/{post}/approve                 401 403 403 ok  404
    POST   /v1/posts/{post}/reject                  401 403 403 ok  404
    GET    /v1/posts/{post}/media                   401 ok  ok  ok  404
    GET    /v1/campaigns/{campaign}/events          401 ok  ok  ok  404
    POST   /v1/campaigns/{campaign}/events          401 403 403 ok  404
    PUT    /v1/events/{event}/rsvp                  401 ok  403 403 403
    DELETE /v1/events/{event}/rsvp                  401 ok  403 403 403
    POST   /v1/events/{event}/check-ins             401 403 403 ok  404
    GET    /v1/campaigns/{campaign}/poster          401 403 403 ok  404
    GET    /v1/campaigns/{campaign}/qr              401 403 403 ok  404
    POST   /v1/campaigns/{campaign}/paper-batches   401 403 403 ok  404
    GET    /v1/campaigns/{campaign}/paper-batches   401 403 403 ok  404
    POST   /v1/campaigns/{campaign}/paper-batches/{reference}/decision 401 403 403 ok  404
    GET    /v1/campaigns/{campaign}/paper-tally     401 403 403 ok  404
    POST   /v1/employees/import                     401 403 403 ok  ok
    GET    /v1/employees                            401 403 403 ok  ok
    GET    /v1/workforce                            401 403 403 ok  ok
    GET    /v1/audit                                401 403 403 ok  ok
    GET    /v1/leader-views                         401 403 403 ok  ok
    GET    /v1/campaigns/{campaign}/rankings        401 403 ok  ok  404
    GET    /v1/campaigns/{campaign}/rankings.csv    401 403 ok  ok  404
    GET    /v1/campaigns/{campaign}/countries/{cc}  401 403 ok  ok  404
    GET    /v1/campaigns/{campaign}/timeline        401 403 ok  ok  404
    GET    /v1/campaigns/{campaign}/counts/verify   401 403 403 ok  404
    GET    /v1/campaigns/{campaign}/live            401 ok  ok  ok  404
    POST   /v1/session                              401 ok  ok  ok  ok
    DELETE /v1/session                              ok  ok  ok  ok  ok
    GET    /v1/session                              401 ok  ok  ok  ok
    POST   /v1/campaigns/{draft}/launch             401 403 403 ok  404
    POST   /v1/campaigns/{draft}/close              401 403 403 ok  404
    POST   /v1/campaigns/{draft}/archive            401 403 403 ok  404
    GET    /v1/me/export                            401 ok  403 403 403
    DELETE /v1/employees/{employee}                 401 403 403 ok  404
    POST   /v1/scim-tokens                          401 403 403 ok  ok
    GET    /v1/scim-tokens                          401 403 403 ok  ok
    DELETE /v1/scim-tokens/{token}                  401 403 403 ok  404
    PUT    /v1/sso                                  401 403 403 ok  ok
    GET    /v1/sso                                  401 403 403 ok  ok
    DELETE /v1/sso                                  401 403 403 ok  ok
    PUT    /v1/workforce/column-mapping             401 403 403 ok  ok
    GET    /v1/workforce/column-mapping             401 403 403 ok  ok
    DELETE /v1/workforce/column-mapping             401 403 403 ok  ok
    POST   /v1/webhooks                             401 403 403 ok  ok
    GET    /v1/webhooks                             401 403 403 ok  ok
    GET    /v1/webhooks/{webhook}                   401 403 403 ok  404
    PUT    /v1/webhooks/{webhook}                   401 403 403 ok  404
    GET    /v1/webhook-milestones                   401 403 403 ok  ok
    PUT    /v1/webhook-milestones                   401 403 403 ok  ok
    GET    /v1/webhook-deliveries                   401 403 403 ok  ok
    GET    /v1/webhook-deliveries/{delivery}        401 403 403 ok  404
    POST   /v1/webhook-deliveries/{delivery}/replay 401 403 403 ok  404
    POST   /v1/webhook-deliveries/replay            401 403 403 ok  ok
    DELETE /v1/webhooks/{webhook}                   401 403 403 ok  404
    POST   /v1/campaigns/{campaign}/reminder-waves  401 403 403 ok  404
    GET    /v1/campaigns/{campaign}/reminder-waves  401 403 403 ok  404
    GET    /v1/reminder-waves/{wave}                401 403 403 ok  404
    GET    /unsubscribe/{link}                      ok  ok  ok  ok  ok
    POST   /unsubscribe/{link}                      ok  ok  ok  ok  ok
    GET    /v1/imports                              401 403 403 ok  ok
    GET    /v1/imports/{import}                     401 403 403 ok  404
    GET    /v1/imports/{import}/rejections          401 403 403 ok  404
    GET    /auth/oidc/{organisation}/sign-in        404 404 404 404 404
    GET    /auth/oidc/callback                      ok  ok  ok  ok  ok
    GET    /scim/v2/ServiceProviderConfig           401 401 401 401 401
    GET    /scim/v2/ResourceTypes                   401 401 401 401 401
    GET    /scim/v2/ResourceTypes/{id}              401 401 401 401 401
    GET    /scim/v2/Schemas                         401 401 401 401 401
    GET    /scim/v2/Schemas/{id}                    401 401 401 401 401
    GET    /scim/v2/Users                           401 401 401 401 401
    POST   /scim/v2/Users                           401 401 401 401 401
    GET    /scim/v2/Users/{id}                      401 401 401 401 401
    PUT    /scim/v2/Users/{id}                      401 401 401 401 401
    PATCH  /scim/v2/Users/{id}                      401 401 401 401 401
    DELETE /scim/v2/Users/{id}                      401 401 401 401 401
    GET    /healthz                                 ok  ok  ok  ok  ok
    GET    /readyz                                  ok  ok  ok  ok  ok
    GET    /metrics                                 ok  ok  ok  ok  ok
    GET    /openapi.yaml                            ok  ok  ok  ok  ok
    GET    /dashboard                               ok  ok  ok  ok  ok
    GET    /dashboard/sign-in                       ok  ok  ok  ok  ok
    GET    /dashboard/assets/dashboard.css          ok  ok  ok  ok  ok
    GET    /dashboard/assets/dashboard.js           ok  ok  ok  ok  ok
    GET    /dashboard/assets/sign-in.js             ok  ok  ok  ok  ok
    GET    /dashboard/assets/world-countries.geojson ok  ok  ok  ok  ok
    GET    /                                        ok  ok  ok  ok  ok
    GET    /widget                                  ok  ok  ok  ok  ok
    GET    /assets/employee.css                     ok  ok  ok  ok  ok
    GET    /assets/employee.js                      ok  ok  ok  ok  ok
    GET    /assets/widget.js                        ok  ok  ok  ok  ok
    GET    /assets/i18n.js                          ok  ok  ok  ok  ok
    GET    /i18n/en.json                            ok  ok  ok  ok  ok
    GET    /i18n/fr.json                            ok  ok  ok  ok  ok
    GET    /i18n/de.json                            ok  ok  ok  ok  ok
    GET    /i18n/es.json                            ok  ok  ok  ok  ok
    GET    /i18n/pt-BR.json                         ok  ok  ok  ok  ok
    GET    /i18n/pl.json                            ok  ok  ok  ok  ok
    GET    /i18n/hi.json                            ok  ok  ok  ok  ok
    GET    /i18n/zh-Hans.json                       ok  ok  ok  ok  ok
    GET    /admin                                   ok  ok  ok  ok  ok
    GET    /admin/sign-in                           ok  ok  ok  ok  ok
    GET    /admin/assets/console.css                ok  ok  ok  ok  ok
    GET    /admin/assets/console.js                 ok  ok  ok  ok  ok
    """

@Suite struct AuthorizationMatrixTests {
    struct Row {
        var method: HTTPRequest.Method
        var path: String
        var expected: [String]
    }

    static var rows: [Row] {
        authorizationMatrix.split(separator: "\n").map { line in
            let fields = line.split(separator: " ").map(String.init)
            return Row(method: HTTPRequest.Method(fields[0]) ?? .get, path: fields[1], expected: Array(fields[2...]))
        }
    }

    /// The router's routes, as `METHOD /path` with `{…}` for parameters.
    static func routerRoutes() async throws -> Set<String> {
        let configuration = APIConfiguration(jwtSecret: ServiceHarness.secret)
        return try await TestDatabase.withStore { store in
            let router = MobiliseService.router(
                store: store, configuration: configuration, verifier: try await TokenVerifier(configuration: configuration),
                migrator: try MobiliseSchema.migrator(logger: Logger(label: "test")))
            return Set(router.routes.map { route in
                let path = route.path.description.split(separator: "/").map { $0.hasPrefix(":") ? "{\($0.dropFirst())}" : String($0) }
                return "\(route.method) /" + path.joined(separator: "/")
            })
        }
    }

    @Test func theMatrixCoversEveryRoute() async throws {
        let normalise: (String) -> String = { path in
            path.replacingOccurrences(of: "{campaign}", with: "{id}").replacingOccurrences(of: "{draft}", with: "{id}")
                .replacingOccurrences(of: "{cc}", with: "{country}")
        }
        let table = Set(Self.rows.map { "\($0.method) \(normalise($0.path))" })
        #expect(table == (try await Self.routerRoutes()))
    }

    @Test func everyRoleGetsTheDocumentedStatus() async throws {
        try await ServiceHarness.run { service in
            let campaign = try await service.launchedCampaign()
            let hr = try await service.token("hr-1", [.hrAdmin])
            let start = rfc3339(Date().addingTimeInterval(-86_400))
            let end = rfc3339(Date().addingTimeInterval(30 * 86_400))
            let draftBody = ##"{"slug": "later", "hashtag": "#Later", "title": "Later", "pledge_text": "Later", "starts_at": "\##(start)", "ends_at": "\##(end)"}"##
            _ = try await service.call(.post, "/v1/campaigns", token: hr, json: draftBody)
            let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13] + Array("IHDR".utf8)
                + [0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0, 0x90, 0x77, 0x53, 0xDE, 0, 0, 0, 0] + Array("IEND".utf8) + [0xAE, 0x42, 0x60, 0x82]
            let form = Array("--B\r\nContent-Disposition: form-data; name=\"body\"\r\n\r\nHello\r\n--B\r\nContent-Disposition: form-data; name=\"media\"\r\nContent-Type: image/png\r\n\r\n".utf8) + png + Array("\r\n--B--\r\n".utf8)
            let post = try await service.call(.post, "/v1/campaigns/\(campaign)/posts", token: try await service.token("in-2", [.employee]),
                                              raw: form, contentType: "multipart/form-data; boundary=B")
            let postID = try #require(post.json["id"] as? String)
            _ = try await service.call(.post, "/v1/posts/\(postID)/approve", token: hr)
            let eventStart = rfc3339(Date().addingTimeInterval(86_400))
            let eventEnd = rfc3339(Date().addingTimeInterval(90_000))
            let event = try await service.call(.post, "/v1/campaigns/\(campaign)/events", token: hr, json: """
                {"title": "Town hall", "kind": "site", "country": "IN", "city": "Pune", "starts_at": "\(eventStart)", "ends_at": "\(eventEnd)", "host": "in-3"}
                """)
            let eventID = try #require(event.json["id"] as? String)
            // A batch entered once, for its decision row (an HR admin's entry of it is the one that counts).
            let batch = try await service.call(.post, "/v1/campaigns/\(campaign)/paper-batches", token: hr,
                                               json: #"{"reference": "decided", "external_ids": ["in-2"]}"#)
            let entryID = try #require((batch.json["entries"] as? [[String: any Sendable]])?.first?["id"] as? String, "\(batch.text)")
            let scimToken = try await SCIMTokens.create(store: service.store, organisationID: service.acme.id, description: nil, actor: Actor("setup"))
            let webhook = try await service.store.createOutboundEndpoint(
                organisationID: service.acme.id, OutboundEndpointDraft(kind: .slack, url: "https://hooks.example.com/matrix", events: [.ping]),
                secret: nil, actor: Actor("setup"))
            try await service.store.enqueueOutboundEvent(organisationID: service.acme.id, type: .ping, dedupeKey: "matrix", data: [:])
            let delivery = try #require(try await service.store.outboxMessages(organisationID: service.acme.id).messages.first)
            // A reminder wave (planned by the library: this service has no SMTP server) and one of its unsubscribe links.
            let tomorrow = ISO8601DateFormatter.string(from: Date().addingTimeInterval(86_400), timeZone: TimeZone(identifier: "UTC") ?? .current,
                                                       formatOptions: [.withFullDate])
            let wave = try await service.store.scheduleReminderWave(
                organisationID: service.acme.id, campaign: campaign, sendOn: tomorrow, localHour: 9, actor: Actor("setup"))
            let link = try await service.store.pool.withConnection { connection in
                try connection.query("SELECT unsubscribe_token FROM email_messages LIMIT 1").scalar(Data.self)
            }.map(EmailSender.base64URL) ?? ""

            // An import job (a dry run, so that the workforce stays as the other rows expect it).
            let job = try await ImportJobTests.start(service, "dry_run=true", "external_id,country\nm-9,FR\n")

            let tokens: [String?] = [
                nil, try await service.token("in-1", [.employee]), try await service.token("lead-1", [.leader]), hr,
                try await service.token("g-1", [.hrAdmin], organisation: "globex"),
            ]
            let bodies: [String: (json: String?, raw: [UInt8]?, type: String?)] = [
                "POST /v1/campaigns": (draftBody.replacingOccurrences(of: "later", with: "matrix"), nil, nil),
                "PATCH /v1/campaigns/{draft}": (#"{"goal_signatures": 10}"#, nil, nil),
                "POST /v1/campaigns/{campaign}/posts": (#"{"body": "My story #HeForShe"}"#, nil, nil),
                "POST /v1/posts/{post}/reject": (#"{"reason": "off topic"}"#, nil, nil),
                "POST /v1/campaigns/{campaign}/events": (event.text.isEmpty ? nil : """
                    {"title": "Second", "kind": "online", "country": "IN", "starts_at": "\(eventStart)", "ends_at": "\(eventEnd)", "host": "in-3"}
                    """, nil, nil),
                "POST /v1/events/{event}/check-ins": (#"{"external_ids": ["in-1"]}"#, nil, nil),
                "POST /v1/employees/import": (nil, Array("external_id,country\nm-1,FR\n".utf8), "text/csv"),
                "PUT /v1/sso": (#"{"issuer": "https://login.example.com", "client_id": "m", "client_secret": "s"}"#, nil, nil),
                "POST /v1/campaigns/{campaign}/paper-batches": (#"{"reference": "matrix", "external_ids": ["in-1"]}"#, nil, nil),
                "POST /v1/campaigns/{campaign}/paper-batches/{reference}/decision": (#"{"entry_id": "\#(entryID)"}"#, nil, nil),
                "PUT /v1/workforce/column-mapping": (#"{"columns": [{"source": "Employee ID", "column": "external_id"}]}"#, nil, nil),
                "POST /v1/webhooks": (#"{"kind": "slack", "url": "https://hooks.example.com/new", "events": ["campaign.closed"]}"#, nil, nil),
                "PUT /v1/webhooks/{webhook}": (#"{"url": "https://hooks.example.com/changed", "events": ["campaign.closed"]}"#, nil, nil),
                "PUT /v1/webhook-milestones": (#"{"signatures": [1000], "goal_shares": [50]}"#, nil, nil),
                "POST /v1/campaigns/{campaign}/reminder-waves": (#"{"send_on": "\#(tomorrow)", "local_hour": 9}"#, nil, nil),
            ]
            for row in Self.rows {
                let path = row.path.replacingOccurrences(of: "{campaign}", with: campaign).replacingOccurrences(of: "{draft}", with: "later")
                    .replacingOccurrences(of: "{post}", with: postID).replacingOccurrences(of: "{event}", with: eventID)
                    .replacingOccurrences(of: "{cc}", with: "IN").replacingOccurrences(of: "{employee}", with: "mt-2")
                    .replacingOccurrences(of: "{token}", with: scimToken.info.id.uuidString).replacingOccurrences(of: "{id}", with: "User")
                    .replacingOccurrences(of: "{organisation}", with: "acme").replacingOccurrences(of: "{reference}", with: "decided")
                    .replacingOccurrences(of: "{webhook}", with: webhook.id.uuidString).replacingOccurrences(of: "{delivery}", with: delivery.id.uuidString)
                    .replacingOccurrences(of: "{wave}", with: wave.id.uuidString).replacingOccurrences(of: "{link}", with: link)
                    .replacingOccurrences(of: "{import}", with: job.id)
                let body = bodies["\(row.method) \(row.path)"]
                for (column, token) in tokens.enumerated() {
                    let reply = try await service.call(row.method, path, token: token, json: body?.json, raw: body?.raw, contentType: body?.type)
                    let expected = row.expected[column]
                    let code = reply.status.code
                    if expected == "ok" {
                        #expect(![401, 403, 404].contains(code), "\(row.method) \(row.path) as role #\(column): \(code) \(reply.text)")
                        #expect(code < 500, "\(row.method) \(row.path) as role #\(column): \(code)")
                    } else {
                        #expect(String(code) == expected, "\(row.method) \(row.path) as role #\(column): \(code) \(reply.text)")
                    }
                }
            }
        }
    }
}
