import Foundation
import HTTPTypes
@testable import MobiliseAPI
import MobiliseDomain
import MobiliseTesting
import Postgres
import Testing

// Hostile input over HTTP, against the real service and database (``ServiceHarness``): seeded
// random JSON bodies, query parameters and Authorization headers, and classic injection strings in
// every text field. Every answer is below 500; every refusal is a 4xx with the JSON error body and
// leaves every table exactly as it was; what is accepted reads back verbatim.

enum Hostile {
    /// Strings that have broken SQL, shells, templates and renderers somewhere.
    static let strings = [
        "' OR '1'='1", "'; DROP TABLE campaigns; --", "\" OR \"\"=\"", "Robert'); DROP TABLE employees;--", "\\", "\\'", "\\\\'\\\"",
        "%", "_%_", "$1", "$$ || $$", "E'\\x00'", "1; SELECT pg_sleep(5)", "'||(SELECT current_user)||'", "/* comment", "*/ --",
        "NULL", "null", "<script>alert(1)</script>", "{{7*7}}", "${jndi:ldap://x}", "\u{202E}gnp.exe", "Zoë 日本語 🇮🇳 👩🏽‍💻",
        "\u{FEFF}bom", "line\nbreak\ttab\r\n", "  padded  ", "ÅÄÖ ß İı ﬁ", "'", "\"", "`id`", "a,b;c|d", "\u{7F}\u{1}\u{1F}",
        String(repeating: "'", count: 300), "x' AND 1=(SELECT COUNT(*) FROM pg_user) AND 'a'='a", "\u{10FFFF}",
    ]
    /// Strings PostgreSQL text cannot hold: refused (4xx) or stored verbatim, never a 500 or a silent cut.
    static let unstorable = ["nul\u{0}inside", "\u{0}", "end\u{0}"]

    /// A JSON string literal of `text`.
    static func literal(_ text: String) -> String {
        String(decoding: try! JSONEncoder().encode(text), as: UTF8.self)
    }
}

/// Everything stored, as one comparable value: each table's rows hashed (every table of the schema
/// but the migrations' own, read from the catalog so that a new table is covered, and but the access
/// log of leader views, which a leader's read writes on purpose).
func tableFingerprint(_ pool: PostgresPool) async throws -> String {
    let tables = try await pool.query("""
        SELECT quote_ident(tablename) FROM pg_tables
        WHERE schemaname = 'public' AND tablename NOT IN ('schema_migrations', 'leader_views') ORDER BY tablename
        """).column(String.self)
    let parts = tables.map { "'\($0)=' || (SELECT count(*) FROM \($0)) || ':' || (SELECT md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), '')) FROM \($0) t)" }
    let sql = "SELECT concat_ws(' ', " + parts.joined(separator: ", ") + ")"
    return try await pool.query(PostgresQuery(unsafeSQL: sql)).scalar(String.self) ?? ""
}

/// Which tables differ between two fingerprints.
func changedTables(_ before: String, _ after: String) -> [String] {
    zip(before.split(separator: " "), after.split(separator: " ")).filter { $0 != $1 }.map { String($0.1) }
}

extension ServiceHarness {
    /// A request that must not fail on the server's side: below 500, and when refused a 4xx with the
    /// JSON error body and nothing stored. Returns the reply.
    @discardableResult
    func hostile(
        _ method: HTTPRequest.Method, _ uri: String, token: String?, body: [UInt8]? = nil, contentType: String = "application/json",
        headers: HTTPFields = [:], _ context: String
    ) async throws -> Reply {
        let before = try await tableFingerprint(store.pool)
        let reply: Reply
        do {
            reply = try await call(method, uri, token: token, raw: body, contentType: contentType, headers: headers)
        } catch {
            Issue.record("\(context): \(method) \(uri.prefix(300)) failed: \(error)")
            throw error
        }
        let shown = body.map { String(decoding: $0.prefix(200), as: UTF8.self) } ?? ""
        #expect(reply.status.code < 500, "\(context): \(method) \(uri.prefix(300)) \(shown) → \(reply.status) \(reply.text.prefix(300))")
        if !(200..<300).contains(reply.status.code) {
            let error = reply.json["error"] as? [String: any Sendable]
            #expect(error?["code"] is String && (error?["message"] as? String)?.isEmpty == false,
                    "\(context): \(reply.status) without the JSON error body: \(reply.text.prefix(300))")
            // The database client's own words never reach a client.
            #expect(!reply.text.contains("PostgresError") && !reply.text.contains("parameter $"),
                    "\(context): internal error text in \(reply.text.prefix(300))")
            let after = try await tableFingerprint(store.pool)
            #expect(before == after, "\(context): refused with \(reply.status) but changed \(changedTables(before, after)): \(shown)")
        }
        return reply
    }
}

/// Random JSON text: every type, deep nesting, huge strings, NUL bytes, escapes of lone surrogates.
struct JSONFuzzer {
    var random: SplitMix64

    mutating func string() -> String {
        switch random.int(0...9) {
        case 0: return Hostile.literal(random.pick(Hostile.strings))
        case 1: return Hostile.literal(String(repeating: random.pick(["a", "é", "日", "'", "\\"]), count: random.int(1_000...120_000)))
        case 2: return #""\u0000""#
        case 3: return #""\ud800 lone surrogate""#
        case 4: return #""\udc00\ud800""#
        case 5: return Hostile.literal(String((0..<random.int(0...40)).map { _ in Character(Unicode.Scalar(UInt8(random.int(32...126)))) }))
        case 6: return "\"raw \u{1} control\""
        case 7: return #""2015-10-31T00:00:00Z""#
        case 8: return Hostile.literal(random.pick(["", "IN", "in-1", "#HeForShe", "en", "web", "online", "female", "FR", "zz"]))
        default: return #""unterminated"#
        }
    }

    mutating func number() -> String {
        random.pick(["0", "-1", "1", "2147483648", "9223372036854775807", "9223372036854775808", "-9223372036854775809",
                     "1e400", "-1e400", "0.5", "1.5e308", "-0", "1e-400", "123456789012345678901234567890", "NaN", "Infinity", "01", "1."])
    }

    mutating func value(depth: Int = 0) -> String {
        let kind = depth > 4 ? random.int(0...4) : random.int(0...8)
        switch kind {
        case 0: return "null"
        case 1: return random.chance(0.5) ? "true" : "false"
        case 2: return number()
        case 3, 4: return string()
        case 5, 6:
            return "[" + (0..<random.int(0...4)).map { _ in value(depth: depth + 1) }.joined(separator: ",") + "]"
        case 7:
            let levels = random.int(10...3_000)
            return String(repeating: "[", count: levels) + String(repeating: "]", count: levels)
        default:
            return "{" + (0..<random.int(0...4)).map { _ in string() + ":" + value(depth: depth + 1) }.joined(separator: ",") + "}"
        }
    }

    /// An object with `fields` (each a random value, or the plausible one) and sometimes extras;
    /// or something else entirely: a scalar, truncated text, invalid UTF-8.
    mutating func body(_ fields: [(String, () -> String)]) -> [UInt8] {
        switch random.int(0...19) {
        case 0: return Array(value().utf8)
        case 1: return []
        case 2: return Array("{\"body\": \"".utf8) + [0xFF, 0xFE, 0xC3, 0x28, 0xED, 0xA0, 0x80] + Array("\"}".utf8)
        case 3:
            let whole = object(fields)
            return Array(whole.utf8.prefix(random.int(0...max(0, whole.utf8.count - 1))))
        case 4:
            let levels = random.int(100...5_000)
            return Array((String(repeating: "{\"a\":", count: levels) + "1" + String(repeating: "}", count: levels)).utf8)
        default: return Array(object(fields).utf8)
        }
    }

    private mutating func object(_ fields: [(String, () -> String)]) -> String {
        var members: [String] = []
        for (name, plausible) in fields where random.chance(0.85) {
            members.append(Hostile.literal(name) + ":" + (random.chance(0.6) ? plausible() : value()))
        }
        if random.chance(0.1) { members.append(string() + ":" + value()) }
        if random.chance(0.05), let first = members.first { members.append(first) }  // a duplicate key
        return "{" + members.joined(separator: ",") + "}"
    }
}

@Suite struct HostileInputTests {
    @Test func randomJSONBodiesNeverCauseA5xxOrAPartialWrite() async throws {
        try await ServiceHarness.run { service in
            let slug = try await service.launchedCampaign()
            let hr = try await service.token("hr-1", [.hrAdmin])
            let draft = try await service.call(.post, "/v1/campaigns", token: hr, json: """
                {"slug": "draft-1", "hashtag": "#Draft", "title": "Draft", "pledge_text": "I commit",
                 "starts_at": "2030-01-01T00:00:00Z", "ends_at": "2030-06-01T00:00:00Z"}
                """)
            #expect(draft.status == .created)
            let event = try await service.call(.post, "/v1/campaigns/\(slug)/events", token: hr, json: """
                {"title": "Walk", "kind": "city", "country": "IN", "city": "Pune", "starts_at": "\(rfc3339(Date().addingTimeInterval(1800)))",
                 "ends_at": "\(rfc3339(Date().addingTimeInterval(90_000)))", "host": "in-1"}
                """)
            let eventID = try #require(event.json["id"] as? String)
            let authors = ["in-1", "in-2", "in-3", "in-4", "in-5", "in-6", "br-1", "br-2", "br-3", "br-4"]
            var authorTokens: [String] = []
            for author in authors { authorTokens.append(try await service.token(author, [.employee])) }

            var fuzzer = JSONFuzzer(random: SplitMix64(seed: 0x4057_11E0))
            let time = { rfc3339(Date().addingTimeInterval(Double.random(in: -1e6...1e7))) }
            var counter = 0
            let campaignFields: [(String, () -> String)] = [
                ("slug", { counter += 1; return Hostile.literal("fz-\(counter)") }), ("hashtag", { ##""#Fuzz""## }),
                ("title", { #""Fuzzed""# }), ("pledge_text", { #""I commit""# }), ("starts_at", { Hostile.literal(time()) }),
                ("ends_at", { Hostile.literal(time()) }), ("default_language", { #""fr""# }),
                ("translations", { #"{"fr": {"title": "T", "pledge_text": "P"}}"# }), ("audience", { #"{"genders": ["female"], "countries": ["IN"]}"# }),
                ("goal_signatures", { "10" }), ("goal_participation", { "0.5" }), ("country_goals", { #"{"IN": {"signatures": 3}}"# }),
                ("success_min_countries", { "1" }),
            ]
            let eventFields: [(String, () -> String)] = [
                ("title", { #""Fuzz event""# }), ("kind", { #""online""# }), ("country", { #""BR""# }), ("city", { #""Rio""# }),
                ("starts_at", { Hostile.literal(time()) }), ("ends_at", { Hostile.literal(time()) }), ("capacity", { "5" }), ("host", { #""br-1""# }),
            ]
            let checkInFields: [(String, () -> String)] = [("external_ids", { #"["in-2", "br-2", "nobody"]"# })]
            let postFields: [(String, () -> String)] = [("body", { #""A story #HeForShe""# })]

            var cases = 0
            for round in 0..<120 {
                try await service.hostile(.post, "/v1/campaigns", token: hr, body: fuzzer.body(campaignFields), "campaign \(round)")
                try await service.hostile(.patch, "/v1/campaigns/draft-1", token: hr, body: fuzzer.body(campaignFields), "patch \(round)")
                try await service.hostile(.post, "/v1/campaigns/\(slug)/events", token: hr, body: fuzzer.body(eventFields), "event \(round)")
                try await service.hostile(.post, "/v1/events/\(eventID)/check-ins", token: hr, body: fuzzer.body(checkInFields), "check-in \(round)")
                try await service.hostile(.post, "/v1/campaigns/\(slug)/posts", token: authorTokens[round % authorTokens.count],
                                          body: fuzzer.body(postFields), "post \(round)")
                cases += 5
            }
            #expect(cases == 600)
        }
    }

    @Test func randomQueryParametersNeverCauseA5xx() async throws {
        try await ServiceHarness.run { service in
            let slug = try await service.launchedCampaign()
            let hr = try await service.token("hr-1", [.hrAdmin])
            let leader = try await service.token("lead-1", [.leader])
            let employee = try await service.token("in-1", [.employee])
            var random = SplitMix64(seed: 0x9E4A_0001)
            func encoded(_ text: String) -> String {
                let unreserved = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8)
                return text.utf8.map { unreserved.contains($0) ? String(UnicodeScalar($0)) : String(format: "%%%02X", $0) }.joined()
            }
            let pool = [
                "", "0", "-1", "1", "100", "101", "1000", "1001", "10000000", "10000001", "99999999999999999999999", "1e3", "0x10", " 5",
                "signatures", "participation", "momentum", "goal_progress", "SIGNATURES",
                "2015-10-31T00:00:00Z", "2015-10-31T00:00:00+05:30", "2015-10-31T00:00:00.123456Z", "2015-13-45T99:99:99Z",
                "1e308", "now", "IN", "in", "ZZ", "I", "INDIA", "eyJhbGciOiJub25lIn0", "MjAyNi0wMS0wMQ", "not-a-cursor", "::", "%", "%zz",
            ] + Hostile.strings
            // NUL characters and timestamps outside PostgreSQL's range are checked one by one in
            // `valuesPostgreSQLCannotHoldAreRefused`, not drawn here.
            func value() -> String {
                switch random.int(0...5) {
                case 0: return String((0..<random.int(0...64)).map { _ in Character(Unicode.Scalar(UInt8(random.int(1...127)))) })
                case 1: return String(repeating: "9", count: random.int(1...4_000))
                default: return random.pick(pool)
                }
            }
            func query(_ names: [String]) -> String {
                let parts = names.filter { _ in random.chance(0.8) }.map { name -> String in
                    // Sometimes raw: unencoded, with invalid percent escapes, but only characters a URI's
                    // query may hold (the HTTP parser refuses the others before the service sees them).
                    let text = value()
                    let query = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$'()*,;=:@/?%")
                    return "\(name)=" + (random.chance(0.1) ? text.filter { query.contains($0) } : encoded(text))
                }
                return parts.isEmpty ? "" : "?" + parts.joined(separator: "&")
            }
            for round in 0..<400 {
                let format: HTTPFields = random.chance(0.3) ? [.accept: "text/csv"] : [:]
                try await service.hostile(.get, "/v1/campaigns/\(slug)/rankings" + query(["metric", "as_of", "min_eligible", "format"]),
                                          token: random.chance(0.5) ? leader : hr, headers: format, "rankings \(round)")
                try await service.hostile(.get, "/v1/campaigns/\(slug)/countries/\(encoded(value()))" + query(["as_of"]),
                                          token: leader, "country \(round)")
                try await service.hostile(.get, "/v1/employees" + query(["cursor", "limit", "country"]), token: hr, "employees \(round)")
                try await service.hostile(.get, "/v1/campaigns/\(slug)/posts" + query(["cursor", "limit", "status"]),
                                          token: random.chance(0.5) ? employee : hr, "posts \(round)")
                try await service.hostile(.get, "/v1/audit" + query(["cursor", "limit"]), token: hr, "audit \(round)")
            }
        }
    }

    @Test func randomAuthorizationHeadersAreRefusedWith401() async throws {
        try await ServiceHarness.run { service in
            var random = SplitMix64(seed: 0xA07B_0001)
            let now = Int(Date().timeIntervalSince1970)
            func base64URL(_ text: String) -> String {
                Data(text.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                    .replacingOccurrences(of: "=", with: "")
            }
            func anyJSON() -> String {
                random.pick(["null", "1", "\"x\"", "[]", "{}", "1e400", "\"\\u0000\"", "[[[[[[]]]]]]", "true", "\"\(String(repeating: "a", count: 3000))\""])
            }
            let algorithms = ["\"HS256\"", "\"none\"", "\"None\"", "\"RS256\"", "\"ES256\"", "\"HS512\"", "\"\"", "null", "256", "[\"HS256\"]"]
            func claims() -> String {
                var fields: [String] = []
                if random.chance(0.8) { fields.append(#""sub":"# + random.pick(["\"in-1\"", "\"hr-1\"", "\"nobody\"", "\"\"", anyJSON(), Hostile.literal(random.pick(Hostile.strings))])) }
                if random.chance(0.8) { fields.append(#""org":"# + random.pick(["\"acme\"", "\"globex\"", "\"ACME\"", "\"\"", anyJSON()])) }
                if random.chance(0.8) { fields.append(#""roles":"# + random.pick([#"["employee"]"#, #"["hr_admin"]"#, #"["god"]"#, #""hr_admin""#, "[]", anyJSON()])) }
                if random.chance(0.8) { fields.append(#""exp":"# + random.pick(["\(now + 600)", "\(now - 600)", "1e300", "-1", "\"tomorrow\"", "9223372036854775808", anyJSON()])) }
                if random.chance(0.2) { fields.append(#""nbf":"# + random.pick(["\(now + 600)", "\(now - 600)", "1e300", anyJSON()])) }
                return "{" + fields.joined(separator: ",") + "}"
            }
            func header() -> String {
                switch random.int(0...9) {
                case 0: return String((0..<random.int(0...200)).map { _ in Character(Unicode.Scalar(UInt8(random.int(33...126)))) })
                case 1: return "Bearer " + String(repeating: random.pick(["a", ".", "eyJ", "-_"]), count: random.int(1...20_000))
                case 2: return random.pick(["Bearer", "Bearer ", "bearer", "Bearer  x", "Basic dXNlcjpwYXNz", "Bearer a.b", "Bearer a.b.c.d", "Bearer ..", "Token x", "Bearer \u{7F}"])
                case 3: // Segments of random base64url.
                    return "Bearer " + (0..<random.int(1...5)).map { _ in base64URL(anyJSON()) }.joined(separator: ".")
                case 4, 5: // Signed with the right secret, hostile header or claims.
                    return "Bearer " + ServiceHarness.handMade(header: "{\"alg\":\(random.pick(algorithms)),\"typ\":\"JWT\"}", payload: claims())
                case 6: // Unsigned or wrongly signed.
                    return "Bearer " + ServiceHarness.handMade(header: "{\"alg\":\(random.pick(algorithms))}", payload: claims(),
                                                               secret: random.chance(0.5) ? nil : "a-different-secret-of-enough-length-1234")
                case 7: // Valid header, payload that is not JSON.
                    return "Bearer " + base64URL(#"{"alg":"HS256","typ":"JWT"}"#) + "." + base64URL(String(repeating: "{", count: random.int(1...2000))) + ".sig"
                default: // A signed token with a huge claim.
                    return "Bearer " + ServiceHarness.handMade(header: #"{"alg":"HS256","typ":"JWT"}"#,
                                                               payload: #"{"sub":"\#(String(repeating: "x", count: random.int(1...30_000)))","org":"acme","roles":["hr_admin"],"exp":\#(now + 600)}"#)
                }
            }
            let hr = try await service.token("hr-1", [.hrAdmin])
            #expect(try await service.call(.get, "/v1/me", token: hr).status == .ok)
            for round in 0..<1000 {
                let value = header()
                let targets: [(HTTPRequest.Method, String, [UInt8]?)] = [
                    (.get, "/v1/me", nil), (.get, "/v1/employees", nil),
                    (.post, "/v1/campaigns", Array(##"{"slug": "auth-\##(round)", "hashtag": "#A", "title": "T", "pledge_text": "P", "starts_at": "2030-01-01T00:00:00Z", "ends_at": "2030-02-01T00:00:00Z"}"##.utf8)),
                ]
                let (method, path, body) = random.pick(targets)
                let reply = try await service.hostile(method, path, token: nil, body: body, headers: [.authorization: value], "authorization \(round): \(value.prefix(120))")
                // A hand-made token may be valid (right secret, plausible claims): then it is simply served.
                if reply.status == .unauthorized {
                    #expect(reply.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true, "authorization \(round)")
                }
            }
        }
    }

    /// Classic injection strings (and Unicode, quotes, backslashes) in every text field: stored and
    /// read back verbatim (events, posts and reasons trim surrounding whitespace, by design), or
    /// refused with a 4xx that stores nothing.
    @Test func hostileStringsInEveryTextFieldAreStoredVerbatimOrRefused() async throws {
        try await ServiceHarness.run { service in
            let slug = try await service.launchedCampaign()
            let hr = try await service.token("hr-1", [.hrAdmin])
            let employee = try await service.token("in-1", [.employee])
            let later = rfc3339(Date().addingTimeInterval(86_400))
            let after = rfc3339(Date().addingTimeInterval(90_000))
            // Starting in half an hour, so that check-in is open.
            let events = try await service.call(.post, "/v1/campaigns/\(slug)/events", token: hr, json: """
                {"title": "Walk", "kind": "city", "country": "IN", "city": "Pune", "starts_at": "\(rfc3339(Date().addingTimeInterval(1800)))",
                 "ends_at": "\(after)", "host": "in-1"}
                """)
            let eventID = try #require(events.value?["id"]?.string)
            for (index, text) in Hostile.strings.enumerated() {
                let literal = Hostile.literal(text)
                func expectStored(_ reply: ServiceHarness.Reply, _ field: String, trims: Bool = false, readBack: () async throws -> JSONValue?) async throws {
                    guard (200..<300).contains(reply.status.code) else { return }
                    let stored = try await readBack()?.string
                    let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
                    #expect(stored == text || (trims && stored == trimmed),
                            "\(field) #\(index): stored \(String(describing: stored).debugDescription) for \(text.debugDescription)")
                }

                // Campaign: title, pledge, translation, a PATCHed pledge; slug and hashtag (validated: refused unless plausible).
                let created = try await service.hostile(.post, "/v1/campaigns", token: hr, body: Array("""
                    {"slug": "h-\(index)", "hashtag": "#H\(index)", "title": \(literal), "pledge_text": \(literal),
                     "translations": {"fr": {"title": \(literal)}}, "starts_at": "\(later)", "ends_at": "\(after)"}
                    """.utf8), "campaign #\(index)")
                if (200..<300).contains(created.status.code) {
                    let shown = try await service.call(.get, "/v1/campaigns/h-\(index)", token: hr)
                    try await expectStored(created, "campaign title") { shown.value?["title"]?["en"] }
                    try await expectStored(created, "translated title") { shown.value?["title"]?["fr"] }
                    try await expectStored(created, "pledge") { shown.value?["pledge_text"]?["en"] }
                    let patched = try await service.hostile(.patch, "/v1/campaigns/h-\(index)", token: hr,
                                                            body: Array(#"{"pledge_text": {"de": \#(literal)}}"#.utf8), "patch #\(index)")
                    try await expectStored(patched, "patched pledge") {
                        try await service.call(.get, "/v1/campaigns/h-\(index)", token: hr).value?["pledge_text"]?["de"]
                    }
                }
                for field in ["slug", "hashtag"] {
                    let other = field == "slug" ? ##""hashtag": "#X""## : #""slug": "x-\#(index)""#
                    let reply = try await service.hostile(.post, "/v1/campaigns", token: hr, body: Array("""
                        {"\(field)": \(literal), \(other), "title": "T", "pledge_text": "P", "starts_at": "\(later)", "ends_at": "\(after)"}
                        """.utf8), "\(field) #\(index)")
                    try await expectStored(reply, field) { reply.value?[field] }
                }

                // Event: title, city, country, host.
                for field in ["title", "city", "country", "host"] {
                    var values = ["title": #""Walk""#, "city": #""Pune""#, "country": #""IN""#, "host": #""in-1""#]
                    values[field] = literal
                    let reply = try await service.hostile(.post, "/v1/campaigns/\(slug)/events", token: hr, body: Array("""
                        {"title": \(values["title"]!), "kind": "city", "country": \(values["country"]!), "city": \(values["city"]!),
                         "starts_at": "\(later)", "ends_at": "\(after)", "host": \(values["host"]!)}
                        """.utf8), "event \(field) #\(index)")
                    try await expectStored(reply, "event \(field)", trims: true) {
                        let id = reply.value?["id"]?.string
                        let list = try await service.call(.get, "/v1/campaigns/\(slug)/events", token: hr)
                        return list.value?["events"]?.array?.first { $0["id"]?.string == id }?[field]
                    }
                }

                // Post body and rejection reason.
                let post = try await service.hostile(.post, "/v1/campaigns/\(slug)/posts", token: employee,
                                                     body: Array(#"{"body": \#(literal)}"#.utf8), "post #\(index)")
                let postID = post.value?["id"]?.string
                try await expectStored(post, "post body", trims: true) {
                    let queue = try await service.call(.get, "/v1/campaigns/\(slug)/posts?status=pending&limit=100", token: hr)
                    return queue.value?["posts"]?.array?.first { $0["id"]?.string == postID }?["body"]
                }
                if let postID {
                    let rejected = try await service.hostile(.post, "/v1/posts/\(postID)/reject", token: hr,
                                                             body: Array(#"{"reason": \#(literal)}"#.utf8), "reject #\(index)")
                    try await expectStored(rejected, "rejection reason", trims: true) {
                        let queue = try await service.call(.get, "/v1/campaigns/\(slug)/posts?status=rejected&limit=100", token: hr)
                        return queue.value?["posts"]?.array?.first { $0["id"]?.string == postID }?["moderation_reason"]
                    }
                }
                // A check-in of an unknown id is reported back as unknown.
                let checkIn = try await service.hostile(.post, "/v1/events/\(eventID)/check-ins", token: hr,
                                                        body: Array(#"{"external_ids": [\#(literal)]}"#.utf8), "check-in #\(index)")
                try await expectStored(checkIn, "check-in id", trims: true) { checkIn.value?["unknown"]?.array?.first }
                // Query parameters: the employee listing's country filter and cursor.
                let encoded = text.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
                try await service.hostile(.get, "/v1/employees?country=\(encoded)", token: hr, "country filter #\(index)")
                try await service.hostile(.get, "/v1/employees?cursor=\(encoded)", token: hr, "cursor #\(index)")
            }

            // The workforce file: display name, site, org unit, and an external id (the CSV trims surrounding whitespace).
            var file = "external_id,email,display_name,country,site,org_unit\n"
            var line = 2
            var idLines: [Int] = []
            var rowLines: [Int] = []
            for (index, text) in Hostile.strings.enumerated() {
                let quoted = "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
                // Physical lines inside the quoted text (CRLF, LF and CR each end one).
                let breaks = text.replacingOccurrences(of: "\r\n", with: "\n").unicodeScalars.filter { $0 == "\n" || $0 == "\r" }.count
                file += "hx-\(index),,\(quoted),FR,\(quoted),\(quoted)\n"
                rowLines.append(line)
                line += 3 * breaks + 1
                file += "\(quoted),,Name,FR,,\n"
                idLines.append(line)
                line += breaks + 1
            }
            let imported = try await service.hostile(.post, "/v1/employees/import", token: hr, body: Array(file.utf8),
                                                     contentType: "text/csv", "import")
            #expect(imported.status == .ok, "\(imported.text.prefix(500))")
            var employees: [JSONValue] = []
            var cursor: String?
            repeat {
                let query = cursor.map { "&cursor=\($0.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)" } ?? ""
                let page = try await service.call(.get, "/v1/employees?limit=1000" + query, token: hr)
                employees += page.value?["employees"]?.array ?? []
                cursor = page.value?["next_cursor"]?.string
            } while cursor != nil
            let ids = Set(employees.compactMap { $0["external_id"]?.string })
            for (index, text) in Hostile.strings.enumerated() {
                let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
                let rejectedLines = imported.value?["rejected"]?.array?.compactMap { $0["line"]?.number } ?? []
                guard let row = employees.first(where: { $0["external_id"]?.string == "hx-\(index)" }) else {
                    #expect(rejectedLines.contains(Double(rowLines[index])), "imported row hx-\(index) neither stored nor rejected")
                    continue
                }
                for field in ["display_name", "site", "org_unit"] {
                    #expect(row[field]?.string == trimmed, "imported \(field) #\(index): \(String(describing: row[field]?.string)) for \(text.debugDescription)")
                }
                // As an external id: stored verbatim (trimmed), or the line rejected.
                #expect(ids.contains(trimmed) || rejectedLines.contains(Double(idLines[index])),
                        "external id #\(index) \(text.debugDescription) neither stored nor rejected (line \(idLines[index]))")
            }
        }
    }

    /// PostgreSQL text cannot hold U+0000: a NUL in a text field or parameter must be refused with a
    /// 4xx (the service refuses it as it reads the request), never a 500 and never stored cut short.
    @Test func nulCharactersAreRefusedWithA4xx() async throws {
        try await ServiceHarness.run { service in
            let slug = try await service.launchedCampaign()
            let hr = try await service.token("hr-1", [.hrAdmin])
            let employee = try await service.token("in-1", [.employee])
            let later = rfc3339(Date().addingTimeInterval(86_400))
            let after = rfc3339(Date().addingTimeInterval(90_000))
            let events = try await service.call(.post, "/v1/campaigns/\(slug)/events", token: hr, json: """
                {"title": "Walk", "kind": "city", "country": "IN", "city": "Pune", "starts_at": "\(later)", "ends_at": "\(after)", "host": "in-1"}
                """)
            let eventID = try #require(events.value?["id"]?.string)
            let post = try await service.call(.post, "/v1/campaigns/\(slug)/posts", token: employee, json: #"{"body": "A story"}"#)
            let postID = try #require(post.value?["id"]?.string)
            for (index, text) in Hostile.unstorable.enumerated() {
                let literal = Hostile.literal(text)
                let encoded = text.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
                let refusedBy400: [(String, HTTPRequest.Method, String, String, String?)] = [
                    ("post body", .post, "/v1/campaigns/\(slug)/posts", #"{"body": \#(literal)}"#, employee),
                    ("rejection reason", .post, "/v1/posts/\(postID)/reject", #"{"reason": \#(literal)}"#, hr),
                ]
                for (what, method, path, body, token) in refusedBy400 {
                    let reply = try await service.hostile(method, path, token: token, body: Array(body.utf8), "\(what) NUL #\(index)")
                    #expect(reply.status == .badRequest, "\(what) NUL #\(index): \(reply.status)")
                }
                let answeredWith500: [(String, HTTPRequest.Method, String, String?)] = [
                    ("campaign title", .post, "/v1/campaigns", """
                        {"slug": "nul-\(index)", "hashtag": "#Nul", "title": \(literal), "pledge_text": "P", "starts_at": "\(later)", "ends_at": "\(after)"}
                        """),
                    ("campaign pledge", .post, "/v1/campaigns", """
                        {"slug": "nul-\(index)", "hashtag": "#Nul", "title": "T", "pledge_text": \(literal), "starts_at": "\(later)", "ends_at": "\(after)"}
                        """),
                    ("event title", .post, "/v1/campaigns/\(slug)/events", """
                        {"title": \(literal), "kind": "city", "country": "IN", "city": "Pune", "starts_at": "\(later)", "ends_at": "\(after)", "host": "in-1"}
                        """),
                    ("event city", .post, "/v1/campaigns/\(slug)/events", """
                        {"title": "Walk", "kind": "city", "country": "IN", "city": \(literal), "starts_at": "\(later)", "ends_at": "\(after)", "host": "in-1"}
                        """),
                    ("event host", .post, "/v1/campaigns/\(slug)/events", """
                        {"title": "Walk", "kind": "city", "country": "IN", "city": "Pune", "starts_at": "\(later)", "ends_at": "\(after)", "host": \(literal)}
                        """),
                    ("check-in id", .post, "/v1/events/\(eventID)/check-ins", #"{"external_ids": [\#(literal)]}"#),
                    ("employees ?country=", .get, "/v1/employees?country=\(encoded)", nil),
                    ("employees ?cursor=", .get, "/v1/employees?cursor=\(encoded)", nil),
                ]
                for (what, method, path, body) in answeredWith500 {
                    let before = try await tableFingerprint(service.store.pool)
                    let reply = try await service.call(method, path, token: hr, raw: body.map { Array($0.utf8) }, contentType: "application/json")
                    #expect((400..<500).contains(reply.status.code), "\(what) NUL #\(index): \(reply.status) \(reply.text)")
                    // Whatever the status, nothing is stored (in particular not cut at the NUL).
                    #expect(try await tableFingerprint(service.store.pool) == before, "\(what) NUL #\(index) changed a table")
                    #expect(reply.value?["error"]?["code"]?.string != nil, "\(what) NUL #\(index): no JSON error body")
                }
            }
        }
    }
}

extension HostileInputTests {
    /// Query parameters the API's own checks let through but PostgreSQL cannot hold: a NUL in a
    /// text parameter, a timestamp outside PostgreSQL's range. They must be refused with a 4xx.
    @Test func valuesPostgreSQLCannotHoldAreRefused() async throws {
        try await ServiceHarness.run { service in
            let slug = try await service.launchedCampaign()
            let hr = try await service.token("hr-1", [.hrAdmin])
            let leader = try await service.token("lead-1", [.leader])
            // ISO8601DateFormatter accepts years PostgreSQL's timestamptz refuses (year 0, before
            // 4713 BC): PostgreSQL's data exceptions must answer 400, not 500.
            let timestamps = [
                "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z", "275760-09-13T00:00:00Z", "2015-10-31T00:00:00+23:59",
                "0000-01-01T00:00:00Z", "-271821-04-20T00:00:00Z",
                // Past what 64-bit microseconds hold: these once stopped the server.
                "300000-01-01T00:00:00Z", "99999999-01-01T00:00:00Z",
            ]
            for value in timestamps {
                let encoded = value.addingPercentEncoding(withAllowedCharacters: .alphanumerics)!
                for path in ["/v1/campaigns/\(slug)/rankings?as_of=\(encoded)", "/v1/campaigns/\(slug)/countries/IN?as_of=\(encoded)"] {
                    let reply = try await service.call(.get, path, token: leader)
                    #expect((200..<500).contains(reply.status.code), "\(path): \(reply.status) \(reply.text)")
                    #expect(reply.value?["error"]?["code"]?.string != nil || reply.status == .ok, "\(path): \(reply.text)")
                }
            }
            // Campaign and event dates too.
            for value in ["300000-01-01T00:00:00Z", "99999999-01-01T00:00:00Z", "0000-01-01T00:00:00Z"] {
                let campaign = try await service.call(.post, "/v1/campaigns", token: hr, json: """
                    {"slug": "far", "hashtag": "#Far", "title": "Far", "pledge_text": "I commit",
                     "starts_at": "2015-01-01T00:00:00Z", "ends_at": "\(value)"}
                    """)
                #expect((400..<500).contains(campaign.status.code), "ends_at \(value): \(campaign.status) \(campaign.text)")
            }
            // A NUL in a text parameter is refused before any route runs: 400.
            for value in ["%00", "IN%00", "end%00"] {
                for path in ["/v1/employees?country=\(value)", "/v1/employees?cursor=\(value)"] {
                    let reply = try await service.call(.get, path, token: hr)
                    #expect((400..<500).contains(reply.status.code), "\(path): \(reply.status) \(reply.text)")
                }
            }
        }
    }
}

/// Reading the SCIM service's `JSONValue` (decoded exactly: JSONSerialization on Linux drops a
/// leading U+FEFF inside strings; JSONDecoder keeps every character).
extension JSONValue {
    subscript(key: String) -> JSONValue? {
        if case .object(let members) = self { members[key] } else { nil }
    }

    var string: String? { if case .string(let value) = self { value } else { nil } }
    var number: Double? { if case .number(let value) = self { value } else { nil } }
}

extension ServiceHarness.Reply {
    /// The body decoded exactly, or nil when it is not JSON.
    var value: JSONValue? { try? JSONDecoder().decode(JSONValue.self, from: Data(text.utf8)) }
}
