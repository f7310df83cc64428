import Foundation
import HTTPTypes
import MobiliseAPI
import MobiliseDomain
import MobiliseStore
import MobiliseTesting
import Testing

// Attacks by people inside the organisation (issue 26, with issue 18's items 6 and 10): an event
// host, a leader, an employee outside a campaign's audience, an author, and tokens of people who
// have left. Each test failed before its fix.

extension ServiceHarness {
    /// An event of `campaign` hosted by `host`, starting `startsIn` seconds from now and lasting two hours.
    func event(_ campaign: String, host: String = "in-3", startsIn: TimeInterval = 1800, capacity: Int? = nil) async throws -> String {
        let hr = try await token("hr-1", [.hrAdmin])
        let start = Date().addingTimeInterval(startsIn)
        let capacityField = capacity.map { #", "capacity": \#($0)"# } ?? ""
        let created = try await call(.post, "/v1/campaigns/\(campaign)/events", token: hr, json: """
            {"title": "Town hall", "kind": "city", "country": "IN", "city": "Pune", "starts_at": "\(rfc3339(start))",
             "ends_at": "\(rfc3339(start.addingTimeInterval(7200)))", "host": "\(host)"\(capacityField)}
            """)
        guard created.status == .created, let id = created.json["id"] as? String else { throw HarnessError(reply: created) }
        return id
    }

    func checkIn(_ event: String, _ ids: [String], as token: String) async throws -> Reply {
        let list = ids.map { Hostile.literal($0) }.joined(separator: ", ")
        return try await call(.post, "/v1/events/\(event)/check-ins", token: token, json: #"{"external_ids": [\#(list)]}"#)
    }
}

@Suite struct InsiderAttackTests {
    // MARK: - 1. The event host

    /// A host once learnt, id by id, who works here (`unknown`), who has left (`inactive`) and who
    /// RSVP'd (`walk_ins` 0 or 1), and wrote walk-in attendance into anyone's GDPR export.
    @Test func aHostLearnsNothingAboutIdsWithoutAnRSVPAndCreatesNoWalkIns() async throws {
        try await ServiceHarness.run { service in
            let slug = try await service.launchedCampaign()
            let event = try await service.event(slug, host: "in-3")
            #expect(try await service.call(.put, "/v1/events/\(event)/rsvp", token: try await service.token("in-1", [.employee])).status == .ok)
            let host = try await service.token("in-3", [.employee])

            // An active employee without an RSVP, one who has left, and an id nobody has: one answer.
            var answers: [String] = []
            for id in ["in-2", "gone-1", "nobody"] {
                let reply = try await service.checkIn(event, [id], as: host)
                #expect(reply.status == .ok, "\(id): \(reply.text)")
                answers.append(reply.text)
            }
            #expect(Set(answers).count == 1, "\(answers)")
            #expect(answers.first.map { ServiceHarness.Reply(status: .ok, headers: [:], text: $0).json.keys.sorted() }
                    == ["already_checked_in", "checked_in", "full", "refused", "walk_ins"])
            let attendee = try await service.checkIn(event, ["in-1", "in-2"], as: host)
            #expect(attendee.json["checked_in"] as? Int == 1 && attendee.json["refused"] as? Int == 1 && attendee.json["walk_ins"] as? Int == 0)
            #expect(attendee.json["unknown"] == nil && attendee.json["inactive"] == nil)

            // Nothing was written into the others' records.
            let export = try await service.call(.get, "/v1/me/export", token: try await service.token("in-2", [.employee]))
            #expect((export.json["rsvps"] as? [Any])?.isEmpty == true, "\(export.text)")

            // A host's batch is small; an HR admin's is not, and names the ids.
            let many = (0...50).map { "x-\($0)" }
            let tooMany = try await service.checkIn(event, many, as: host)
            #expect(tooMany.status == .contentTooLarge && tooMany.errorCode == "batch_too_large")
            let hr = try await service.token("hr-1", [.hrAdmin])
            let byHR = try await service.checkIn(event, ["gone-1", "nobody", "in-2"], as: hr)
            #expect(byHR.json["unknown"] as? [String] == ["nobody"] && byHR.json["inactive"] as? [String] == ["gone-1"])
            #expect(byHR.json["walk_ins"] as? Int == 1)
        }
    }

    /// Check-in only around the event's time (422 with a clear code), and a host who has left
    /// checks no one in.
    @Test func aHostChecksInOnlyAroundTheEventAndOnlyWhileEmployed() async throws {
        try await ServiceHarness.run { service in
            let slug = try await service.launchedCampaign()
            let host = try await service.token("in-3", [.employee])
            let nextWeek = try await service.event(slug, host: "in-3", startsIn: 7 * 86_400)
            let early = try await service.checkIn(nextWeek, ["in-1"], as: host)
            #expect(early.status == .unprocessableContent && early.errorCode == "check_in_not_open", "\(early.text)")

            let today = try await service.event(slug, host: "in-3")
            _ = try await service.store.importEmployees(
                organisationID: service.acme.id, csv: Array("external_id,country,active\nin-3,IN,false\n".utf8), mode: .upsert, actor: Actor("hr-1"))
            let left = try await service.checkIn(today, ["in-1"], as: host)
            #expect(left.status == .forbidden && left.errorCode == "employee_inactive", "\(left.text)")
        }
    }

    /// Check-in calls are rate-limited per caller, as signing and posting are.
    @Test func checkInCallsAreRateLimited() async throws {
        try await ServiceHarness.run(ratePerMinute: 3) { service in
            let slug = try await service.launchedCampaign()
            let event = try await service.event(slug, host: "in-3")
            let host = try await service.token("in-3", [.employee])
            for round in 0..<3 {
                #expect(try await service.checkIn(event, ["x-\(round)"], as: host).status == .ok)
            }
            let limited = try await service.checkIn(event, ["x-3"], as: host)
            #expect(limited.status == .tooManyRequests && limited.errorCode == "rate_limited")
            #expect(limited.headers[.retryAfter] != nil)
        }
    }

    /// Issue 18 (10): a full event's waiting list and walk-ins once pushed attendance past the
    /// capacity at the door; now they are counted `full` and `going` stays within it.
    @Test func checkInKeepsAnEventWithinItsCapacity() async throws {
        try await ServiceHarness.run { service in
            let slug = try await service.launchedCampaign()
            let event = try await service.event(slug, host: "in-3", capacity: 1)
            for employee in ["in-1", "in-2"] {
                _ = try await service.call(.put, "/v1/events/\(event)/rsvp", token: try await service.token(employee, [.employee]))
            }
            let host = try await service.token("in-3", [.employee])
            let waiting = try await service.checkIn(event, ["in-2"], as: host)
            #expect(waiting.json["full"] as? Int == 1 && waiting.json["checked_in"] as? Int == 0, "\(waiting.text)")
            let walkIn = try await service.checkIn(event, ["br-1", "in-1"], as: try await service.token("hr-1", [.hrAdmin]))
            #expect(walkIn.json["full"] as? Int == 1 && walkIn.json["checked_in"] as? Int == 1, "\(walkIn.text)")
            let list = try await service.call(.get, "/v1/campaigns/\(slug)/events", token: try await service.token("in-4", [.employee]))
            let counts = (list.json["events"] as? [[String: any Sendable]])?.first
            #expect(counts?["going"] as? Int == 1 && counts?["waiting"] as? Int == 1 && counts?["checked_in"] as? Int == 1)
        }
    }

    /// The refusal of `channel: event` once said HR records event signatures, which nothing did.
    @Test func refusingAnEventSignatureDoesNotPromiseAnotherWay() async throws {
        try await ServiceHarness.run { service in
            let slug = try await service.launchedCampaign()
            let reply = try await service.call(.put, "/v1/campaigns/\(slug)/signature", token: try await service.token("in-1", [.employee]),
                                               json: #"{"channel": "event"}"#)
            #expect(reply.status == .badRequest && reply.errorCode == "invalid_channel")
            #expect(!reply.text.contains("HR") && !reply.text.contains("recorded by"), "\(reply.text)")
        }
    }

    // MARK: - 3. The leader and folded countries

    /// A folded country (Malta: 2 employees, k = 3) once answered `country_too_small` (131 bytes),
    /// an absent one `country_not_found` (101 bytes).
    @Test func aLeaderCannotTellAFoldedCountryFromAnAbsentOne() async throws {
        try await ServiceHarness.run { service in
            let slug = try await service.launchedCampaign()
            let leader = try await service.token("lead-1", [.leader])
            var bodies: Set<String> = []
            for country in ["MT", "GH", "mt", "DE"] {
                let reply = try await service.call(.get, "/v1/campaigns/\(slug)/countries/\(country)", token: leader)
                #expect(reply.status == .notFound && reply.errorCode == "country_not_shown", "\(country): \(reply.text)")
                bodies.insert(reply.text)
            }
            #expect(bodies.count == 1, "\(bodies)")
            #expect(try await service.call(.get, "/v1/campaigns/\(slug)/countries/IN", token: leader).status == .ok)
            // HR admins see every country; only an absent one is refused.
            let hr = try await service.token("hr-1", [.hrAdmin])
            #expect(try await service.call(.get, "/v1/campaigns/\(slug)/countries/MT", token: hr).status == .ok)
            #expect(try await service.call(.get, "/v1/campaigns/\(slug)/countries/GH", token: hr).errorCode == "country_not_found")
        }
    }

    // MARK: - 4. The campaign audience

    /// The audience was enforced only on listing and signing: anyone could read a campaign, its
    /// feed and its events, and post to it, with a token for someone outside it, gone, or no one.
    @Test func onlyTheAudienceReadsAndPostsToACampaign() async throws {
        try await ServiceHarness.run { service in
            let hr = try await service.token("hr-1", [.hrAdmin])
            let created = try await service.call(.post, "/v1/campaigns", token: hr, json: """
                {"slug": "india", "hashtag": "#India", "title": "India only", "pledge_text": "I commit", "audience": {"countries": ["IN"]},
                 "starts_at": "\(rfc3339(Date().addingTimeInterval(-86_400)))", "ends_at": "\(rfc3339(Date().addingTimeInterval(86_400 * 30)))"}
                """)
            #expect(created.status == .created, "\(created.text)")
            #expect(try await service.call(.post, "/v1/campaigns/india/launch", token: hr).status == .ok)
            _ = try await service.event("india", host: "in-3")

            func answers(_ token: String) async throws -> [String] {
                var codes: [String] = []
                for path in ["/v1/campaigns/india", "/v1/campaigns/india/posts", "/v1/campaigns/india/events"] {
                    let reply = try await service.call(.get, path, token: token)
                    codes.append(reply.errorCode ?? String(reply.status.code))
                }
                let post = try await service.call(.post, "/v1/campaigns/india/posts", token: token, json: #"{"body": "My story"}"#)
                codes.append(post.errorCode ?? String(post.status.code))
                return codes
            }
            #expect(try await answers(try await service.token("in-1", [.employee])) == ["200", "200", "200", "201"])
            #expect(try await answers(try await service.token("br-1", [.employee])) == Array(repeating: "not_in_audience", count: 4))
            #expect(try await answers(try await service.token("gone-1", [.employee])) == Array(repeating: "employee_inactive", count: 4))
            #expect(try await answers(try await service.token("nobody", [.employee])) == Array(repeating: "not_an_employee", count: 4))
            // Leaders and HR admins read every campaign, as before.
            let leader = try await answers(try await service.token("lead-1", [.leader]))
            #expect(Array(leader.prefix(3)) == ["200", "200", "200"])
            #expect(Array(try await answers(hr).prefix(3)) == ["200", "200", "200"])
            // Someone who signed and then left the audience can still see and withdraw their signature.
            let mover = try await service.token("in-2", [.employee])
            #expect(try await service.call(.put, "/v1/campaigns/india/signature", token: mover).status == .created)
            _ = try await service.store.importEmployees(
                organisationID: service.acme.id, csv: Array("external_id,country\nin-2,BR\n".utf8), mode: .upsert, actor: Actor("hr-1"))
            #expect(try await service.call(.get, "/v1/campaigns/india", token: mover).errorCode == "not_in_audience")
            #expect(try await service.call(.get, "/v1/campaigns/india/signature", token: mover).status == .ok)
            #expect(try await service.call(.delete, "/v1/campaigns/india/signature", token: mover).status == .noContent)
        }
    }

    /// A story's photo and its report button answered anyone in the organisation who had the post's id,
    /// audience or not.
    @Test func onlyTheAudienceSeesAStorysPhotoOrReportsIt() async throws {
        try await ServiceHarness.run { service in
            let hr = try await service.token("hr-1", [.hrAdmin])
            let created = try await service.call(.post, "/v1/campaigns", token: hr, json: """
                {"slug": "india", "hashtag": "#India", "title": "India only", "pledge_text": "I commit", "audience": {"countries": ["IN"]},
                 "starts_at": "\(rfc3339(Date().addingTimeInterval(-86_400)))", "ends_at": "\(rfc3339(Date().addingTimeInterval(86_400 * 30)))"}
                """)
            #expect(created.status == .created, "\(created.text)")
            #expect(try await service.call(.post, "/v1/campaigns/india/launch", token: hr).status == .ok)
            let post = try await service.call(.post, "/v1/campaigns/india/posts", token: try await service.token("in-1", [.employee]),
                                              json: #"{"body": "My story"}"#)
            let postID = try #require(post.json["id"] as? String)
            #expect(try await service.call(.post, "/v1/posts/\(postID)/approve", token: hr).status == .ok)

            let outsider = try await service.token("br-1", [.employee])
            #expect(try await service.call(.get, "/v1/posts/\(postID)/media", token: outsider).errorCode == "post_not_found")
            #expect(try await service.call(.post, "/v1/posts/\(postID)/reports", token: outsider).errorCode == "post_not_found")
            // A colleague in the audience reaches the post (this one has no photo) and reports it.
            let colleague = try await service.token("in-2", [.employee])
            #expect(try await service.call(.get, "/v1/posts/\(postID)/media", token: colleague).errorCode == "media_not_found")
            let report = try await service.call(.post, "/v1/posts/\(postID)/reports", token: colleague)
            #expect(report.status == .ok && report.json["recorded"] as? Bool == true, "\(report.text)")
            // HR sees it whatever the audience.
            #expect(try await service.call(.get, "/v1/posts/\(postID)/media", token: hr).errorCode == "media_not_found")
        }
    }

    // MARK: - 5. Reporting one's own post

    /// An author could report their own post, and so hide it with fewer real reports.
    @Test func anAuthorCannotReportTheirOwnPost() async throws {
        try await ServiceHarness.run { service in
            let slug = try await service.launchedCampaign()
            let author = try await service.token("in-1", [.employee])
            let post = try await service.call(.post, "/v1/campaigns/\(slug)/posts", token: author, json: #"{"body": "My story"}"#)
            let postID = try #require(post.json["id"] as? String)
            #expect(try await service.call(.post, "/v1/posts/\(postID)/approve", token: try await service.token("hr-1", [.hrAdmin])).status == .ok)
            let own = try await service.call(.post, "/v1/posts/\(postID)/reports", token: author)
            #expect(own.status == .unprocessableContent && own.errorCode == "own_post", "\(own.text)")
            let other = try await service.call(.post, "/v1/posts/\(postID)/reports", token: try await service.token("in-2", [.employee]))
            #expect(other.status == .ok && other.json["recorded"] as? Bool == true)
        }
    }
}
