import Foundation
import HTTPTypes
import Logging
@testable import MobiliseAPI
import MobiliseDomain
import MobiliseTesting
import Postgres
import Testing

/// No internal error text reaches a client (issue 26, item 9; issue 18, item 6). A NUL once came
/// back as `400 invalid_value` with `PostgresError.client [22021]: parameter $4 is text containing
/// a NUL…`, the database client's own words. NUL is now refused at the edge (`400 invalid_text`),
/// and any data exception left answers a fixed sentence.
@Suite struct InternalErrorTextTests {
    /// What no answer may contain.
    static let internals = ["Postgres", "22021", "parameter $", "SQLSTATE", "libpq"]

    static func expectNoInternals(_ reply: ServiceHarness.Reply, _ what: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for word in internals {
            #expect(!reply.text.contains(word), "\(what): \(reply.text)", sourceLocation: sourceLocation)
        }
    }

    @Test func aNULInAnyTextOfARequestIsRefusedAtTheEdge() async throws {
        try await ServiceHarness.run { service in
            let slug = try await service.launchedCampaign()
            let hr = try await service.token("hr-1", [.hrAdmin])
            let leader = try await service.token("lead-1", [.leader])
            let employee = try await service.token("in-1", [.employee])
            let event = try await service.event(slug, host: "in-1")
            let post = try await service.call(.post, "/v1/campaigns/\(slug)/posts", token: employee, json: #"{"body": "A story"}"#)
            let postID = try #require(post.json["id"] as? String)
            let nul = "%00"
            let later = rfc3339(Date().addingTimeInterval(86_400)), after = rfc3339(Date().addingTimeInterval(90_000))

            // Path segments and query parameters, percent-encoded as a client sends them.
            let urls: [(HTTPRequest.Method, String, String)] = [
                (.get, "/v1/campaigns/he\(nul)forshe", employee), (.get, "/v1/campaigns/\(slug)/posts?cursor=a\(nul)", employee),
                (.get, "/v1/campaigns/\(slug)/posts?status=pending\(nul)", hr), (.get, "/v1/campaigns/\(slug)/posts?limit=1\(nul)", employee),
                (.get, "/v1/campaigns/\(slug)/events?upcoming=false\(nul)", employee), (.put, "/v1/campaigns/\(nul)/signature", employee),
                (.get, "/v1/campaigns/\(slug)/rankings?metric=signatures\(nul)", leader), (.get, "/v1/campaigns/\(slug)/rankings?as_of=\(nul)", leader),
                (.get, "/v1/campaigns/\(slug)/rankings?min_eligible=\(nul)", leader), (.get, "/v1/campaigns/\(slug)/countries/I\(nul)", leader),
                (.get, "/v1/campaigns/\(slug)/timeline?interval=week\(nul)", leader), (.get, "/v1/campaigns/\(slug)/live?x=\(nul)", leader),
                (.get, "/v1/employees?country=\(nul)", hr), (.get, "/v1/employees?cursor=\(nul)%01", hr), (.get, "/v1/employees?limit=\(nul)", hr),
                (.get, "/v1/audit?cursor=\(nul)", hr), (.delete, "/v1/employees/mt\(nul)2", hr), (.get, "/v1/posts/\(postID)\(nul)/media", employee),
                (.put, "/v1/events/\(event)\(nul)/rsvp", employee), (.get, "/v1/campaigns/\(slug)/counts/verify?\(nul)=1", hr),
                (.get, "/v1/me?\(nul)", employee), (.get, "/dashboard?campaign=\(nul)", employee),
            ]
            for (method, url, token) in urls {
                let reply = try await service.hostile(method, url, token: token, "\(method) \(url)")
                #expect(reply.status == .badRequest && reply.errorCode == "invalid_text", "\(method) \(url): \(reply.status) \(reply.text)")
                Self.expectNoInternals(reply, url)
            }

            // Every string of every JSON body, keys included.
            let n = #"\u0000"#
            let bodies: [(HTTPRequest.Method, String, String, String)] = [
                (.post, "/v1/campaigns", hr, ##"{"slug": "a\##(n)b", "hashtag": "#A", "title": "T", "pledge_text": "P", "starts_at": "\##(later)", "ends_at": "\##(after)"}"##),
                (.post, "/v1/campaigns", hr, ##"{"slug": "ab", "hashtag": "#A\##(n)", "title": "T", "pledge_text": "P", "starts_at": "\##(later)", "ends_at": "\##(after)"}"##),
                (.post, "/v1/campaigns", hr, ##"{"slug": "ab", "hashtag": "#A", "title": "T\##(n)", "pledge_text": "P", "starts_at": "\##(later)", "ends_at": "\##(after)"}"##),
                (.post, "/v1/campaigns", hr, ##"{"slug": "ab", "hashtag": "#A", "title": "T", "pledge_text": {"e\##(n)n": "P"}, "starts_at": "\##(later)", "ends_at": "\##(after)"}"##),
                (.post, "/v1/campaigns", hr, ##"{"slug": "ab", "hashtag": "#A", "title": "T", "pledge_text": "P", "default_language": "\##(n)", "starts_at": "\##(later)", "ends_at": "\##(after)"}"##),
                (.post, "/v1/campaigns", hr, ##"{"slug": "ab", "hashtag": "#A", "title": "T", "pledge_text": "P", "starts_at": "\##(later)\##(n)", "ends_at": "\##(after)"}"##),
                (.post, "/v1/campaigns", hr, ##"{"slug": "ab", "hashtag": "#A", "title": "T", "pledge_text": "P", "starts_at": "\##(later)", "ends_at": "\##(after)", "audience": {"org_units": ["E\##(n)"]}}"##),
                (.post, "/v1/campaigns", hr, ##"{"slug": "ab", "hashtag": "#A", "title": "T", "pledge_text": "P", "starts_at": "\##(later)", "ends_at": "\##(after)", "translations": {"fr": {"title": "\##(n)"}}}"##),
                (.post, "/v1/campaigns", hr, ##"{"slug": "ab", "hashtag": "#A", "title": "T", "pledge_text": "P", "starts_at": "\##(later)", "ends_at": "\##(after)", "country_goals": {"I\##(n)": {"signatures": 1}}}"##),
                (.patch, "/v1/campaigns/\(slug)", hr, ##"{"title": "x\##(n)"}"##),
                (.post, "/v1/campaigns/\(slug)/events", hr, ##"{"title": "W\##(n)", "kind": "online", "country": "IN", "starts_at": "\##(later)", "ends_at": "\##(after)", "host": "in-1"}"##),
                (.post, "/v1/campaigns/\(slug)/events", hr, ##"{"title": "W", "kind": "city", "country": "IN", "city": "P\##(n)", "starts_at": "\##(later)", "ends_at": "\##(after)", "host": "in-1"}"##),
                (.post, "/v1/campaigns/\(slug)/events", hr, ##"{"title": "W", "kind": "online", "country": "I\##(n)", "starts_at": "\##(later)", "ends_at": "\##(after)", "host": "in-1"}"##),
                (.post, "/v1/campaigns/\(slug)/events", hr, ##"{"title": "W", "kind": "online", "country": "IN", "starts_at": "\##(later)", "ends_at": "\##(after)", "host": "in-\##(n)1"}"##),
                (.post, "/v1/events/\(event)/check-ins", hr, ##"{"external_ids": ["in-2", "x\##(n)y"]}"##),
                (.post, "/v1/events/\(event)/check-ins", employee, ##"{"external_ids": ["\##(n)"]}"##),
                (.post, "/v1/campaigns/\(slug)/posts", employee, ##"{"body": "A \##(n) story"}"##),
                (.post, "/v1/posts/\(postID)/reject", hr, ##"{"reason": "off\##(n)topic"}"##),
                (.put, "/v1/campaigns/\(slug)/signature", employee, ##"{"channel": "web\##(n)"}"##),
            ]
            for (method, url, token, body) in bodies {
                let reply = try await service.hostile(method, url, token: token, body: Array(body.utf8), "\(method) \(url) \(body)")
                #expect(reply.status == .badRequest && reply.errorCode == "invalid_text", "\(method) \(url) \(body): \(reply.status) \(reply.text)")
                Self.expectNoInternals(reply, body)
            }
            // `\\u0000` is a backslash and the letters u0000: ordinary text.
            let escaped = try await service.call(.post, "/v1/campaigns/\(slug)/posts", token: employee, json: #"{"body": "a \\u0000 b"}"#)
            #expect(escaped.status == .created && escaped.json["body"] as? String == #"a \u0000 b"#, "\(escaped.text)")

            // A story's text sent as a multipart field, and a workforce file: refused for that text or line.
            let form = Array("--B\r\nContent-Disposition: form-data; name=\"body\"\r\n\r\nA\u{0}B\r\n--B--\r\n".utf8)
            let story = try await service.hostile(.post, "/v1/campaigns/\(slug)/posts", token: employee, body: form,
                                                  contentType: "multipart/form-data; boundary=B", "multipart body")
            #expect(story.status == .badRequest && story.errorCode == "invalid_body", "\(story.text)")
            let file = Array("external_id,display_name,country\nnul-1,a\u{0}b,FR\nnul-2,Zoë\u{0},FR\nnul-3,ok,FR\n".utf8)
            let imported = try await service.call(.post, "/v1/employees/import", token: hr, raw: file, contentType: "text/csv")
            #expect((imported.json["rejected"] as? [[String: any Sendable]])?.map { $0["line"] as? Int } == [2, 3], "\(imported.text)")
            #expect(imported.json["inserted"] as? Int == 1)
        }
    }

    /// Whatever still reaches the database and fails there as a data exception (class 22) answers
    /// a fixed sentence: the error's own text stays in the log.
    @Test func aDataExceptionAnswersAFixedSentence() {
        let errors = [
            PostgresError(kind: .client, code: .characterNotInRepertoire, message: "parameter $4 is text containing a NUL (0x00) character"),
            PostgresError(kind: .server, code: SQLState("22008"), message: "timestamp out of range: \"300000-01-01\""),
        ]
        for error in errors {
            let answer = APIError.from(error, logger: Logger(label: "test"))
            #expect(answer.status == .badRequest && answer.code == .invalidValue)
            #expect(!answer.message.contains("parameter") && !answer.message.contains("Postgres") && !answer.message.contains("range:"), "\(answer.message)")
        }
    }
}
