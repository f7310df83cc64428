import Foundation
import HTTPTypes
import MobiliseAPI
import MobiliseDomain
import Testing

/// What a new user of the API ran into (issue 18): each test fails on the service as it was.
@Suite struct NewUserTests {
    /// HR ids with a space, an accent or a slash are erased by their percent-encoded path, and
    /// every message shows the decoded id.
    @Test func pathParametersArePercentDecoded() async throws {
        try await ServiceHarness.run { service in
            let hr = try await service.token("hr-1", [.hrAdmin])
            let file = "external_id,country\nJ DOE,FR\nÉMILE-1,FR\nA/B,FR\n"
            let imported = try await service.call(.post, "/v1/employees/import", token: hr, raw: Array(file.utf8), contentType: "text/csv")
            #expect(imported.status == .ok, "\(imported.text)")
            for path in ["J%20DOE", "%C3%89MILE-1", "A%2FB"] {
                let erased = try await service.call(.delete, "/v1/employees/\(path)", token: hr)
                #expect(erased.status == .noContent, "\(path): \(erased.status) \(erased.text)")
            }
            for id in ["J DOE", "ÉMILE-1", "A/B"] {
                #expect(try await service.store.employee(organisationID: service.acme.id, externalID: id) == nil, "\(id) is still there")
            }
            let again = try await service.call(.delete, "/v1/employees/%C3%89MILE-1", token: hr)
            #expect(again.status == .notFound)
            #expect(again.text.contains("no employee 'ÉMILE-1'"), "\(again.text)")
            // A campaign reference and a country code are decoded the same way.
            let campaign = try await service.call(.get, "/v1/campaigns/no%20such", token: hr)
            #expect(campaign.status == .notFound && campaign.text.contains("no campaign 'no such'"), "\(campaign.text)")
            let malformed = try await service.call(.delete, "/v1/employees/%E9MILE", token: hr)
            #expect(malformed.status == .badRequest && malformed.errorCode == "malformed_path", "\(malformed.text)")
            // A decoded NUL is a value PostgreSQL cannot hold: refused, not a server error.
            #expect(try await service.call(.delete, "/v1/employees/A%00B", token: hr).status == .badRequest)
        }
    }

    /// `as_of` as the command line's `--as-of` takes it: a date alone, year 1, never the future;
    /// `mode` in either spelling.
    @Test func asOfAndModeReadAsTheCommandLineReadsThem() async throws {
        try await ServiceHarness.run { service in
            let slug = try await service.launchedCampaign()
            let leader = try await service.token("lead-1", [.leader])
            let hr = try await service.token("hr-1", [.hrAdmin])
            let yesterday = String(rfc3339(Date().addingTimeInterval(-86_400)).prefix(10))
            for asOf in [yesterday, "0001-01-01T00:00:00Z", "2015-10-31T00:00:00.5%2B05:30"] {
                let reply = try await service.call(.get, "/v1/campaigns/\(slug)/rankings?as_of=\(asOf)", token: leader)
                #expect(reply.status == .ok, "\(asOf): \(reply.text)")
            }
            let day = try await service.call(.get, "/v1/campaigns/\(slug)/rankings?as_of=\(yesterday)", token: leader)
            #expect(day.json["as_of"] as? String == yesterday + "T00:00:00Z")
            let future = try await service.call(.get, "/v1/campaigns/\(slug)/rankings?as_of=2999-01-01", token: leader)
            #expect(future.status == .badRequest)
            #expect(future.text.contains("as_of: '2999-01-01' is in the future"), "\(future.text)")
            let malformed = try await service.call(.get, "/v1/campaigns/\(slug)/countries/IN?as_of=2026-13-01", token: hr)
            #expect(malformed.status == .badRequest)
            #expect(malformed.text.contains("as_of: '2026-13-01' is not a date or an RFC 3339 date and time of years 1 to 9999"))

            let file = Array("external_id,country\nhr-1,FR\nlead-1,FR\nin-1,IN\n".utf8)
            for mode in ["full_sync", "full-sync"] {
                // Eleven of the fourteen leave: past the full-sync guard, so confirmed (ConsoleTests).
                let reply = try await service.call(
                    .post, "/v1/employees/import?mode=\(mode)&confirm_deactivations=11", token: hr, raw: file, contentType: "text/csv")
                #expect(reply.status == .ok && reply.json["mode"] as? String == "full_sync", "\(mode): \(reply.text)")
            }
            let unknown = try await service.call(.post, "/v1/employees/import?mode=fullsync", token: hr, raw: file, contentType: "text/csv")
            #expect(unknown.status == .badRequest && unknown.text.contains("full-sync is accepted too"))
        }
    }

    /// HR finds the posts that reports hid under `?status=hidden`, and every list pages with a cursor.
    @Test func hiddenPostsHaveAStatusAndEveryListHasACursor() async throws {
        try await ServiceHarness.run { service in
            let slug = try await service.launchedCampaign()
            let hr = try await service.token("hr-1", [.hrAdmin])
            try await service.store.setReportThreshold(organisationID: service.acme.id, 1, actor: Actor("hr-1"))
            var hidden: [String] = []
            for index in 0..<3 {
                let author = try await service.token("in-\(index + 1)", [.employee])
                let created = try await service.call(.post, "/v1/campaigns/\(slug)/posts", token: author, json: #"{"body": "story \#(index)"}"#)
                let id = try #require(created.json["id"] as? String)
                #expect(try await service.call(.post, "/v1/posts/\(id)/approve", token: hr).status == .ok)
                let reporter = try await service.token("br-1", [.employee])
                #expect(try await service.call(.post, "/v1/posts/\(id)/reports", token: reporter).json["hidden"] as? Bool == true)
                hidden.append(id)
            }
            #expect((try await service.call(.get, "/v1/campaigns/\(slug)/posts?status=pending", token: hr).json["posts"] as? [Any])?.isEmpty == true)
            #expect((try await service.call(.get, "/v1/campaigns/\(slug)/posts?status=approved", token: hr).json["posts"] as? [Any])?.isEmpty == true)

            /// Every id of a list, following `next_cursor` one item at a time.
            func walk(_ path: String, key: String) async throws -> [String] {
                var ids: [String] = []
                var cursor: String?
                var pages = 0
                repeat {
                    let separator = path.contains("?") ? "&" : "?"
                    let query = cursor.map { "&cursor=\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? $0)" } ?? ""
                    let reply = try await service.call(.get, path + separator + "limit=1" + query, token: hr)
                    #expect(reply.status == .ok, "\(path): \(reply.text)")
                    let items = reply.json[key] as? [[String: any Sendable]] ?? []
                    #expect(items.count <= 1)
                    ids += items.compactMap { $0["id"] as? String }
                    cursor = reply.json["next_cursor"] as? String
                    pages += 1
                } while cursor != nil && pages < 20
                return ids
            }
            #expect(try await walk("/v1/campaigns/\(slug)/posts?status=hidden", key: "posts") == hidden)
            #expect(try await walk("/v1/campaigns/\(slug)/posts?status=queue", key: "posts") == hidden)

            let start = rfc3339(Date().addingTimeInterval(86_400))
            let end = rfc3339(Date().addingTimeInterval(90_000))
            for _ in 0..<2 {
                let event = try await service.call(.post, "/v1/campaigns/\(slug)/events", token: hr, json: """
                    {"title": "Town hall", "kind": "online", "country": "IN", "starts_at": "\(start)", "ends_at": "\(end)", "host": "in-1"}
                    """)
                #expect(event.status == .created, "\(event.text)")
            }
            #expect(try await walk("/v1/campaigns/\(slug)/events", key: "events").count == 2)
            _ = try await service.launchedCampaign(slug: "second")
            #expect(try await walk("/v1/campaigns", key: "campaigns").count == 2)
            let unknown = try await service.call(.get, "/v1/campaigns/\(slug)/posts?status=reported", token: hr)
            #expect(unknown.status == .badRequest && unknown.text.contains("queue, pending, hidden, approved, rejected"))
        }
    }

    /// The CSV has a resource of its own, so the JSON resource answers JSON only; an unknown
    /// `format` is refused rather than ignored.
    @Test func theCSVRankingHasItsOwnResource() async throws {
        try await ServiceHarness.run { service in
            let slug = try await service.launchedCampaign()
            let leader = try await service.token("lead-1", [.leader])
            let csv = try await service.call(.get, "/v1/campaigns/\(slug)/rankings.csv?metric=participation", token: leader)
            #expect(csv.status == .ok && csv.headers[.contentType]?.hasPrefix("text/csv") == true)
            #expect(csv.text.hasPrefix("rank,country,country_name,signatures,eligible,participation"))
            let json = try await service.call(.get, "/v1/campaigns/\(slug)/rankings?metric=participation", token: leader)
            #expect(json.status == .ok && json.headers[.contentType]?.hasPrefix("application/json") == true)
            #expect(try await service.call(.get, "/v1/campaigns/\(slug)/rankings?format=json", token: leader).json["rows"] != nil)
            let unknown = try await service.call(.get, "/v1/campaigns/\(slug)/rankings?format=xml", token: leader)
            #expect(unknown.status == .badRequest && unknown.text.contains("rankings.csv"), "\(unknown.text)")
            // The old form still answers the same CSV.
            let old = try await service.call(.get, "/v1/campaigns/\(slug)/rankings?metric=participation&format=csv", token: leader)
            #expect(old.text == csv.text)
            let bad = try await service.call(.get, "/v1/campaigns/\(slug)/rankings.csv?as_of=soon", token: leader)
            #expect(bad.status == .badRequest && bad.errorCode == "invalid_parameter")
        }
    }

    /// A leader of an organisation under k gets a timeline of the same shape as anyone: one value
    /// per week in every array (here, no week: nothing may be shown).
    @Test func aTimelineHasOneValuePerWeekInEveryArray() async throws {
        try await ServiceHarness.run { service in
            // Globex has one employee, under its k of 3.
            let hr = try await service.token("g-hr", [.hrAdmin], organisation: "globex")
            let created = try await service.call(.post, "/v1/campaigns", token: hr, json: """
                {"slug": "pledge", "hashtag": "#Pledge", "title": "Pledge", "pledge_text": "I commit",
                 "starts_at": "\(rfc3339(Date().addingTimeInterval(-86_400)))", "ends_at": "\(rfc3339(Date().addingTimeInterval(86_400)))"}
                """)
            #expect(created.status == .created, "\(created.text)")
            #expect(try await service.call(.post, "/v1/campaigns/pledge/launch", token: hr).status == .ok)
            let signer = try await service.token("g-1", [.employee], organisation: "globex")
            #expect(try await service.call(.put, "/v1/campaigns/pledge/signature", token: signer).status == .created)

            func expectConsistent(_ reply: ServiceHarness.Reply, _ who: String) -> Int {
                let weeks = (reply.json["weeks"] as? [Any])?.count ?? -1
                #expect(reply.status == .ok, "\(who): \(reply.text)")
                #expect((reply.json["total"] as? [Any])?.count == weeks, "\(who): \(reply.text)")
                for series in reply.json["series"] as? [[String: any Sendable]] ?? [] {
                    #expect((series["cumulative"] as? [Any])?.count == weeks, "\(who): \(reply.text)")
                }
                if let other = reply.json["other"] as? [Any] { #expect(other.count == weeks, "\(who): \(reply.text)") }
                return weeks
            }
            let leader = try await service.token("g-boss", [.leader], organisation: "globex")
            #expect(expectConsistent(try await service.call(.get, "/v1/campaigns/pledge/timeline", token: leader), "leader") == 0)
            // Every week from the start (yesterday) to now: one, or two when today is a Monday.
            #expect((1...2).contains(expectConsistent(try await service.call(.get, "/v1/campaigns/pledge/timeline", token: hr), "hr")))
        }
    }

    /// The GDPR export keeps a signature's history: first signed, withdrawn, signed again.
    @Test func theExportHoldsEachSignaturesHistory() async throws {
        try await ServiceHarness.run { service in
            let slug = try await service.launchedCampaign()
            let employee = try await service.token("in-1", [.employee])
            #expect(try await service.call(.put, "/v1/campaigns/\(slug)/signature", token: employee).status == .created)
            #expect(try await service.call(.delete, "/v1/campaigns/\(slug)/signature", token: employee).status == .noContent)
            #expect(try await service.call(.put, "/v1/campaigns/\(slug)/signature", token: employee).status == .created)
            let export = try await service.call(.get, "/v1/me/export", token: employee)
            #expect(export.status == .ok)
            let signatures = try #require(export.json["signatures"] as? [[String: any Sendable]])
            #expect(signatures.count == 1)
            let history = try #require(signatures.first?["history"] as? [[String: any Sendable]], "\(export.text)")
            #expect(history.map { $0["change"] as? String } == ["signed", "withdrawn", "signed"])
            #expect(history.allSatisfy { $0["country"] as? String == "IN" && $0["at"] is String })
        }
    }
}
