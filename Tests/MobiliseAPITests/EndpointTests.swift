import Foundation
import HTTPTypes
import MobiliseAPI
import MobiliseTesting
import Testing

@Suite struct EmployeeEndpointTests {
    @Test func signingOverHTTPIsIdempotent() async throws {
        try await ServiceHarness.run { service in
            let slug = try await service.launchedCampaign()
            let employee = try await service.token("in-1", [.employee])

            let list = try await service.call(.get, "/v1/campaigns", token: employee)
            #expect(list.status == .ok)
            let campaigns = list.json["campaigns"] as? [[String: any Sendable]]
            #expect(campaigns?.first?["slug"] as? String == slug && campaigns?.first?["signed"] as? Bool == false)
            #expect((campaigns?.first?["title"] as? [String: String])?["fr"] == "ElleLui chez Acme")

            let first = try await service.call(.put, "/v1/campaigns/\(slug)/signature", token: employee, json: #"{"channel": "mobile"}"#)
            #expect(first.status == .created)
            #expect(first.json["channel"] as? String == "mobile" && first.json["country"] as? String == "IN")
            let second = try await service.call(.put, "/v1/campaigns/\(slug)/signature", token: employee)
            #expect(second.status == .ok)
            #expect(second.json["id"] as? String == first.json["id"] as? String)
            let rows = try await service.store.pool.query("SELECT count(*) FROM signatures").scalar(Int.self)
            #expect(rows == 1)

            #expect(try await service.call(.get, "/v1/campaigns/\(slug)/signature", token: employee).status == .ok)
            let signedList = try await service.call(.get, "/v1/campaigns", token: employee)
            #expect((signedList.json["campaigns"] as? [[String: any Sendable]])?.first?["signed"] as? Bool == true)
            #expect(try await service.call(.delete, "/v1/campaigns/\(slug)/signature", token: employee).status == .noContent)
            let withdrawn = try await service.call(.get, "/v1/campaigns/\(slug)/signature", token: employee)
            #expect(withdrawn.json["withdrawn_at"] is String)
            let other = try await service.token("in-2", [.employee])
            #expect(try await service.call(.get, "/v1/campaigns/\(slug)/signature", token: other).status == .notFound)
            #expect(try await service.call(.delete, "/v1/campaigns/\(slug)/signature", token: other).status == .notFound)
        }
    }

    @Test func meDescribesTheCaller() async throws {
        try await ServiceHarness.run { service in
            let me = try await service.call(.get, "/v1/me", token: try await service.token("br-1", [.employee]))
            #expect(me.status == .ok)
            #expect((me.json["employee"] as? [String: any Sendable])?["display_name"] as? String == "João")
            #expect((me.json["organisation"] as? [String: any Sendable])?["slug"] as? String == "acme")
            // Employee actions need an active employee; HR and leadership need only the role.
            #expect(try await service.call(.get, "/v1/campaigns", token: try await service.token("gone-1", [.employee])).status == .forbidden)
            #expect(try await service.call(.get, "/v1/campaigns", token: try await service.token("nobody", [.employee])).status == .forbidden)
            #expect(try await service.call(.get, "/v1/employees", token: try await service.token("new-hr", [.hrAdmin])).status == .ok)
        }
    }

    @Test func storiesAreModeratedBeforeTheFeedShowsThem() async throws {
        try await ServiceHarness.run { service in
            let slug = try await service.launchedCampaign()
            let employee = try await service.token("in-1", [.employee])
            let hr = try await service.token("hr-1", [.hrAdmin])
            let created = try await service.call(.post, "/v1/campaigns/\(slug)/posts", token: employee,
                                                 json: #"{"body": "Proud to sign #HeForShe with my team in Pune"}"#)
            #expect(created.status == .created && created.json["status"] as? String == "pending")
            #expect(created.json["hashtags"] as? [String] == ["#heforshe"])
            let postID = try #require(created.json["id"] as? String)
            let emptyFeed = try await service.call(.get, "/v1/campaigns/\(slug)/posts", token: employee)
            #expect((emptyFeed.json["posts"] as? [Any])?.isEmpty == true)
            let queue = try await service.call(.get, "/v1/campaigns/\(slug)/posts?status=pending", token: hr)
            #expect((queue.json["posts"] as? [Any])?.count == 1)
            #expect(try await service.call(.get, "/v1/campaigns/\(slug)/posts?status=pending", token: employee).status == .forbidden)
            #expect(try await service.call(.post, "/v1/posts/\(postID)/approve", token: hr).status == .ok)
            #expect(try await service.call(.post, "/v1/posts/\(postID)/approve", token: hr).status == .conflict)
            let feed = try await service.call(.get, "/v1/campaigns/\(slug)/posts", token: employee)
            #expect((feed.json["posts"] as? [[String: any Sendable]])?.first?["id"] as? String == postID)
            let report = try await service.call(.post, "/v1/posts/\(postID)/reports", token: try await service.token("br-1", [.employee]))
            #expect(report.status == .ok && report.json["recorded"] as? Bool == true)

            // A story with a photo, as multipart; a renamed text file is refused by its bytes.
            let png: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A] + [0, 0, 0, 13] + Array("IHDR".utf8)
                + [0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0, 0, 0x90, 0x77, 0x53, 0xDE] + [0, 0, 0, 0] + Array("IEND".utf8) + [0xAE, 0x42, 0x60, 0x82]
            func multipart(_ media: [UInt8], type: String) -> [UInt8] {
                Array("--XyZ\r\nContent-Disposition: form-data; name=\"body\"\r\n\r\nSelfie #HeForShe\r\n--XyZ\r\nContent-Disposition: form-data; name=\"media\"; filename=\"me.png\"\r\nContent-Type: \(type)\r\n\r\n".utf8)
                    + media + Array("\r\n--XyZ--\r\n".utf8)
            }
            let photo = try await service.call(.post, "/v1/campaigns/\(slug)/posts", token: employee, raw: multipart(png, type: "image/png"),
                                               contentType: "multipart/form-data; boundary=XyZ")
            #expect(photo.status == .created)
            #expect((photo.json["media"] as? [String: any Sendable])?["type"] as? String == "image/png")
            let fake = try await service.call(.post, "/v1/campaigns/\(slug)/posts", token: employee,
                                              raw: multipart(Array("just text".utf8), type: "image/png"), contentType: "multipart/form-data; boundary=XyZ")
            #expect(fake.status == .unsupportedMediaType)
        }
    }

    @Test func eventsTakeRSVPsAndCheckIns() async throws {
        try await ServiceHarness.run { service in
            let slug = try await service.launchedCampaign()
            let hr = try await service.token("hr-1", [.hrAdmin])
            // Starts in half an hour: check-in is open.
            let start = rfc3339(Date().addingTimeInterval(1800))
            let end = rfc3339(Date().addingTimeInterval(1800 + 7200))
            let created = try await service.call(.post, "/v1/campaigns/\(slug)/events", token: hr, json: """
                {"title": "Pune town hall", "kind": "city", "country": "IN", "city": "Pune", "starts_at": "\(start)",
                 "ends_at": "\(end)", "capacity": 1, "host": "in-3"}
                """)
            #expect(created.status == .created)
            let eventID = try #require(created.json["id"] as? String)
            let first = try await service.call(.put, "/v1/events/\(eventID)/rsvp", token: try await service.token("in-1", [.employee]))
            #expect(first.json["status"] as? String == "going")
            let second = try await service.call(.put, "/v1/events/\(eventID)/rsvp", token: try await service.token("in-2", [.employee]))
            #expect(second.json["status"] as? String == "waiting" && second.json["position"] as? Int == 1)
            let list = try await service.call(.get, "/v1/campaigns/\(slug)/events", token: try await service.token("br-1", [.employee]))
            let event = (list.json["events"] as? [[String: any Sendable]])?.first
            #expect(event?["going"] as? Int == 1 && event?["waiting"] as? Int == 1)
            // The host may check people in; another employee may not.
            let host = try await service.token("in-3", [.employee])
            let checkIn = try await service.call(.post, "/v1/events/\(eventID)/check-ins", token: host, json: #"{"external_ids": ["in-1", "nobody"]}"#)
            #expect(checkIn.status == .ok && checkIn.json["checked_in"] as? Int == 1 && checkIn.json["refused"] as? Int == 1)
            let refused = try await service.call(.post, "/v1/events/\(eventID)/check-ins", token: try await service.token("in-2", [.employee]),
                                                 json: #"{"external_ids": ["in-1"]}"#)
            #expect(refused.status == .forbidden)
        }
    }
}

@Suite struct HRAndLeadershipEndpointTests {
    @Test func importThroughHTTPReportsRejectedLines() async throws {
        try await ServiceHarness.run { service in
            let hr = try await service.token("hr-1", [.hrAdmin])
            let file = "external_id,country,gender\nnew-1,DE,male\nnew-2,XX,male\nnew-3,DE,robot\n"
            let reply = try await service.call(.post, "/v1/employees/import?mode=upsert", token: hr, raw: Array(file.utf8), contentType: "text/csv")
            #expect(reply.status == .ok)
            #expect(reply.json["inserted"] as? Int == 1)
            let rejected = reply.json["rejected"] as? [[String: any Sendable]]
            #expect(rejected?.map { $0["line"] as? Int } == [3, 4])
            let wrongType = try await service.call(.post, "/v1/employees/import", token: hr, json: "{}")
            #expect(wrongType.status == .unsupportedMediaType)
            let badMode = try await service.call(.post, "/v1/employees/import?mode=everything", token: hr, raw: Array(file.utf8), contentType: "text/csv")
            #expect(badMode.status == .badRequest)
            let page = try await service.call(.get, "/v1/employees?country=DE", token: hr)
            #expect((page.json["employees"] as? [[String: any Sendable]])?.map { $0["external_id"] as? String } == ["new-1"])
            let audit = try await service.call(.get, "/v1/audit", token: hr)
            #expect((audit.json["entries"] as? [[String: any Sendable]])?.first?["action"] as? String == "employees.import")
        }
    }

    @Test func campaignLifecycleOverHTTP() async throws {
        try await ServiceHarness.run { service in
            let hr = try await service.token("hr-1", [.hrAdmin])
            let start = rfc3339(Date().addingTimeInterval(-86_400))
            let end = rfc3339(Date().addingTimeInterval(86_400 * 30))
            let missing = try await service.call(.post, "/v1/campaigns", token: hr, json: #"{"slug": "x"}"#)
            #expect(missing.status == .unprocessableContent && missing.json.description.contains("hashtag"))
            let malformed = try await service.call(.post, "/v1/campaigns", token: hr, json: #"{"slug": 5"#)
            #expect(malformed.status == .badRequest && malformed.errorCode == "malformed_body")
            let created = try await service.call(.post, "/v1/campaigns", token: hr, json: """
                {"slug": "drive", "hashtag": "#HeForShe", "title": {"en": "Drive", "pt-BR": "Campanha"}, "pledge_text": "I commit",
                 "starts_at": "\(start)", "ends_at": "\(end)", "audience": {"genders": ["male"]}}
                """)
            #expect(created.status == .created && created.json["status"] as? String == "draft")
            let id = try #require(created.json["id"] as? String)
            let patched = try await service.call(.patch, "/v1/campaigns/\(id)", token: hr, json: #"{"goal_participation": 0.3}"#)
            #expect(patched.status == .ok && patched.json["goal_participation"] as? Double == 0.3)
            #expect(try await service.call(.post, "/v1/campaigns/drive/close", token: hr).status == .conflict)
            #expect(try await service.call(.post, "/v1/campaigns/drive/launch", token: hr).status == .ok)
            #expect(try await service.call(.patch, "/v1/campaigns/drive", token: hr, json: #"{"goal_participation": 0.5}"#).status == .conflict)
            #expect(try await service.call(.post, "/v1/campaigns/drive/close", token: hr).status == .ok)
            #expect(try await service.call(.post, "/v1/campaigns/drive/archive", token: hr).status == .ok)
            #expect(try await service.call(.get, "/v1/campaigns/nope", token: hr).status == .notFound)
            // Employees never see drafts.
            _ = try await service.call(.post, "/v1/campaigns", token: hr, json: """
                {"slug": "secret", "hashtag": "#Soon", "title": "Soon", "pledge_text": "Soon", "starts_at": "\(start)", "ends_at": "\(end)"}
                """)
            #expect(try await service.call(.get, "/v1/campaigns/secret", token: try await service.token("in-1", [.employee])).status == .notFound)
        }
    }

    @Test func rankingsCSVEqualsJSONAndLeadersSeeFoldedFigures() async throws {
        try await ServiceHarness.run { service in
            let slug = try await service.launchedCampaign()
            for person in ["in-1", "in-2", "in-3", "br-1", "br-2", "mt-1"] {
                let reply = try await service.call(.put, "/v1/campaigns/\(slug)/signature", token: try await service.token(person, [.employee]))
                #expect(reply.status == .created)
            }
            let leader = try await service.token("lead-1", [.leader])
            let json = try await service.call(.get, "/v1/campaigns/\(slug)/rankings?metric=participation", token: leader)
            #expect(json.status == .ok)
            let rows = try #require(json.json["rows"] as? [[String: any Sendable]])
            // Malta (2 < k = 3) and France (2, HR and the leader) are folded into `other` for a leader.
            // A leader's counts are published rounded (issue 19): the rows and headcounts are exact,
            // the signatures are not (HR's below are).
            #expect(Set(rows.map { $0["country"] as? String }) == ["IN", "BR"])
            #expect(json.json["approximate"] as? Bool == true)
            let other = try #require(json.json["other"] as? [String: any Sendable])
            #expect(other["eligible"] as? Int == 4)

            let csv = try await service.call(.get, "/v1/campaigns/\(slug)/rankings?metric=participation", token: leader,
                                             headers: [.accept: "text/csv"])
            #expect(csv.headers[.contentType]?.hasPrefix("text/csv") == true)
            let lines = csv.text.split(separator: "\r\n").map(String.init)
            let header = "rank,country,country_name,signatures,eligible,participation,rate_lower_bound,last_7_days,previous_7_days,goal,goal_progress"
            #expect(lines.first == header)
            // Compare every field, numbers decoded exactly (JSONDecoder, not JSONSerialization, which rounds).
            struct Row: Decodable {
                var rank: Int?, country: String, countryName: String, signatures: Int, eligible: Int
                var participation: Double?, rateLowerBound: Double?, last7Days: Int, previous7Days: Int
                var goal: Int?, goalProgress: Double?
                enum CodingKeys: String, CodingKey {
                    case rank, country, countryName = "country_name", signatures, eligible, participation
                    case rateLowerBound = "rate_lower_bound", last7Days = "last_7_days", previous7Days = "previous_7_days"
                    case goal, goalProgress = "goal_progress"
                }
                var csv: [String] {
                    func text(_ value: (any CustomStringConvertible)?) -> String { value.map { "\($0)" } ?? "" }
                    return [text(rank), country, countryName, text(signatures), text(eligible), text(participation), text(rateLowerBound),
                            text(last7Days), text(previous7Days), text(goal), text(goalProgress)]
                }
            }
            struct Body: Decodable {
                var rows: [Row]
                var other: Row?
            }
            let decoded = try JSONDecoder().decode(Body.self, from: Data(json.text.utf8))
            let expected = (decoded.rows + [decoded.other].compactMap { $0 }).map { $0.csv.joined(separator: ",") }
            #expect(Array(lines.dropFirst()) == expected)
            #expect(lines.last?.hasPrefix(",other,") == true)

            // HR sees every country; a leader may not open a folded one.
            let hr = try await service.token("hr-1", [.hrAdmin])
            let all = try await service.call(.get, "/v1/campaigns/\(slug)/rankings?metric=participation", token: hr)
            #expect((all.json["rows"] as? [Any])?.count == 4 && all.json["other"] is NSNull && all.json["approximate"] as? Bool == false)
            // India 3/6 (Wilson lower bound .188) ranks above Brazil 2/4 (.150), then Malta 1/2, France 0/2.
            let exactRows = try #require(all.json["rows"] as? [[String: any Sendable]])
            #expect(exactRows.map { $0["country"] as? String } == ["IN", "BR", "MT", "FR"])
            #expect(exactRows.map { $0["signatures"] as? Int } == [3, 2, 1, 0])
            #expect((all.json["total"] as? [String: any Sendable])?["signatures"] as? Int == 6)
            #expect(try await service.call(.get, "/v1/campaigns/\(slug)/countries/MT", token: leader).status == .notFound)
            // A leader's drill-down and timeline publish the same figures as the ranking.
            let shownIndia = rows.first { $0["country"] as? String == "IN" }?["signatures"] as? Int
            let india = try await service.call(.get, "/v1/campaigns/\(slug)/countries/in", token: leader)
            #expect(india.status == .ok && (india.json["country"] as? [String: any Sendable])?["signatures"] as? Int == shownIndia)
            let exactIndia = try await service.call(.get, "/v1/campaigns/\(slug)/countries/in", token: hr)
            #expect((exactIndia.json["country"] as? [String: any Sendable])?["signatures"] as? Int == 3)
            let timeline = try await service.call(.get, "/v1/campaigns/\(slug)/timeline?interval=week", token: leader)
            let shownTotal = (json.json["total"] as? [String: any Sendable])?["signatures"] as? Int
            #expect(timeline.status == .ok && (timeline.json["total"] as? [Int])?.last ?? 0 == shownTotal ?? 0)
            let exactTimeline = try await service.call(.get, "/v1/campaigns/\(slug)/timeline?interval=week", token: hr)
            #expect((exactTimeline.json["total"] as? [Int])?.last == 6)
            #expect(try await service.call(.get, "/v1/campaigns/\(slug)/rankings?metric=speed", token: leader).status == .badRequest)
            #expect(try await service.call(.get, "/v1/campaigns/\(slug)/rankings?as_of=yesterday", token: leader).status == .badRequest)
            let verify = try await service.call(.get, "/v1/campaigns/\(slug)/counts/verify", token: hr)
            #expect(verify.json["consistent"] as? Bool == true)
        }
    }
}

@Suite struct OperationsEndpointTests {
    @Test func healthReadinessMetricsAndTheDocument() async throws {
        try await ServiceHarness.run { service in
            #expect(try await service.call(.get, "/healthz").status == .ok)
            let ready = try await service.call(.get, "/readyz")
            #expect(ready.status == .ok && ready.json["status"] as? String == "ready")
            _ = try await service.call(.get, "/v1/me")
            // No scrape token configured: the machine's gauges, never the counters a person's request moves.
            let metrics = try await service.call(.get, "/metrics")
            #expect(metrics.status == .ok && metrics.text.contains("mobilise_db_pool_connections_open"))
            #expect(!metrics.text.contains("mobilise_http_requests_total"), "\(metrics.text)")
            let document = try await service.call(.get, "/openapi.yaml")
            #expect(document.status == .ok && document.text.hasPrefix("openapi: 3.1"))
        }
    }

    /// An instance of an older version on a database that a newer one migrated: not ready (so a load
    /// balancer takes it out of rotation during an upgrade), and ready again once the schema is its own.
    @Test func aSchemaMigratedByANewerVersionMakesTheInstanceUnready() async throws {
        try await ServiceHarness.run { service in
            #expect(try await service.call(.get, "/readyz").status == .ok)
            _ = try await service.store.pool.execute(
                "INSERT INTO schema_migrations (version, name, checksum) VALUES (9999, '9999_from_a_newer_version', 'x')")
            var answer: ServiceHarness.Reply?
            try await waitUntil("/readyz answers 503") {
                answer = try await service.call(.get, "/readyz")
                return answer?.status == .serviceUnavailable
            }
            #expect(answer?.json["status"] as? String == "schema_newer")
            #expect(answer?.json["unknown"] as? [String] == ["9999_from_a_newer_version"])
            _ = try await service.store.pool.execute("DELETE FROM schema_migrations WHERE version = 9999")
            try await waitUntil("/readyz answers 200 again") { try await service.call(.get, "/readyz").status == .ok }
        }
    }

    @Test func rateLimitsAnswer429WithRetryAfter() async throws {
        try await ServiceHarness.run(ratePerMinute: 2) { service in
            let slug = try await service.launchedCampaign()
            let employee = try await service.token("in-1", [.employee])
            var statuses: [HTTPResponse.Status] = []
            var retryAfter: String?
            for _ in 0..<3 {
                let reply = try await service.call(.put, "/v1/campaigns/\(slug)/signature", token: employee)
                statuses.append(reply.status)
                retryAfter = reply.headers[.retryAfter] ?? retryAfter
            }
            #expect(statuses == [.created, .ok, .tooManyRequests])
            #expect(retryAfter.flatMap(Int.init).map { $0 >= 1 } == true)
            // Posting draws on the same per-employee allowance; another employee has their own.
            let post = #"{"body": "Signed #HeForShe"}"#
            let refusedPost = try await service.call(.post, "/v1/campaigns/\(slug)/posts", token: employee, json: post)
            #expect(refusedPost.status == .tooManyRequests && refusedPost.headers[.retryAfter] != nil)
            let colleague = try await service.token("in-2", [.employee])
            #expect(try await service.call(.post, "/v1/campaigns/\(slug)/posts", token: colleague, json: post).status == .created)
            #expect(try await service.call(.put, "/v1/campaigns/\(slug)/signature", token: colleague).status == .created)
        }
    }
}
