import Foundation
import Logging
import MobiliseAPI
import MobiliseStore
import MobiliseTesting
import Postgres
import Testing

/// An organisation with `employees` employees across eight countries and a launched campaign,
/// made through the service, and what the database says about its signatures afterwards.
struct SigningCampaign: Sendable {
    static let countries = ["IN", "BR", "US", "FR", "DE", "MX", "ES", "CN"]
    static let slug = "solidarity"

    /// A pool on the service's database, for the checks (never the service's own pool).
    let pool: PostgresPool
    let organisationID: UUID
    let campaignID: UUID
    let externalIDs: [String]
    let tokens: [String]
    let hrToken: String

    var count: Int { externalIDs.count }

    static func prepare(pool: PostgresPool, port: Int, employees: Int) async throws -> SigningCampaign {
        let store = MobiliseStore(pool: pool, logger: Logger(label: "fault-setup"))
        let organisation = try await store.createOrganisation(slug: "acme", name: "Acme", privacyK: 1)
        let issuer = try await TokenIssuer(secret: ServiceProcess.secret)
        let hr = try await issuer.token(subject: "hr-1", organisation: "acme", roles: [.hrAdmin])
        let externalIDs = (0..<employees).map { "e-" + String(100_000 + $0) }
        var csv = "external_id,display_name,country,gender\n"
        for (index, id) in externalIDs.enumerated() {
            csv += "\(id),Employee \(index),\(countries[index % countries.count]),\(index % 3 == 0 ? "female" : "male")\n"
        }
        let imported = try await HTTP.request(port: port, .post, "/v1/employees/import?mode=upsert", token: hr, body: csv, contentType: "text/csv")
        guard (200..<300).contains(imported.status) else { throw SetupError(step: "import", reply: imported) }
        let now = Date()
        let created = try await HTTP.request(port: port, .post, "/v1/campaigns", token: hr, body: """
            {"slug": "\(slug)", "hashtag": "#Solidarity", "title": "Solidarity", "pledge_text": "I commit",
             "starts_at": "\(rfc3339(now.addingTimeInterval(-86_400)))", "ends_at": "\(rfc3339(now.addingTimeInterval(90 * 86_400)))"}
            """)
        guard created.status == 201, let id = (created.json["id"] as? String).flatMap(UUID.init(uuidString:)) else {
            throw SetupError(step: "create the campaign", reply: created)
        }
        let launched = try await HTTP.request(port: port, .post, "/v1/campaigns/\(slug)/launch", token: hr)
        guard launched.status == 200 else { throw SetupError(step: "launch", reply: launched) }
        var tokens: [String] = []
        tokens.reserveCapacity(employees)
        for id in externalIDs { tokens.append(try await issuer.token(subject: id, organisation: "acme", roles: [.employee])) }
        return SigningCampaign(
            pool: pool, organisationID: organisation.id, campaignID: id, externalIDs: externalIDs, tokens: tokens, hrToken: hr)
    }

    struct SetupError: Error, CustomStringConvertible {
        let step: String
        let reply: Reply
        var description: String { "\(step): \(reply.status) \(reply.text)" }
    }

    // MARK: - What the database holds

    /// An employee's signature row and the +1 / -1 changes recorded for it.
    struct Row: Decodable, Sendable {
        var externalId: String
        var id: UUID
        var current: Bool
        var country: String
        var plus: Int
        var minus: Int
    }

    /// Signature rows by employee index.
    func rows() async throws -> [Int: Row] {
        let rows = try await pool.query("""
            SELECT e.external_id, s.id, s.withdrawn_at IS NULL AS current, s.country,
                   (SELECT count(*) FROM signature_events v
                    WHERE v.organisation_id = s.organisation_id AND v.signature_id = s.id AND v.delta = 1)::int AS plus,
                   (SELECT count(*) FROM signature_events v
                    WHERE v.organisation_id = s.organisation_id AND v.signature_id = s.id AND v.delta = -1)::int AS minus
            FROM signatures s JOIN employees e ON e.organisation_id = s.organisation_id AND e.id = s.employee_id
            WHERE s.organisation_id = \(organisationID) AND s.campaign_id = \(campaignID)
            """).decode(Row.self)
        var byIndex: [Int: Row] = [:]
        for row in rows {
            guard let index = Int(row.externalId.dropFirst(2)).map({ $0 - 100_000 }) else { continue }
            #expect(byIndex[index] == nil, "two signature rows for \(row.externalId)")
            byIndex[index] = row
        }
        return byIndex
    }

    /// Current signatures per country: summed from `signature_totals`, and counted from the rows.
    func countsAndRows() async throws -> (counted: [String: Int], rows: [String: Int]) {
        let counted = try await pool.query("""
            SELECT country, sum(current)::int AS n FROM signature_totals
            WHERE organisation_id = \(organisationID) AND campaign_id = \(campaignID) GROUP BY country
            """).decode(CountryCount.self)
        let rows = try await pool.query("""
            SELECT country, count(*)::int AS n FROM signatures
            WHERE organisation_id = \(organisationID) AND campaign_id = \(campaignID) AND withdrawn_at IS NULL GROUP BY country
            """).decode(CountryCount.self)
        return (Dictionary(counted.map { ($0.country, $0.n) }, uniquingKeysWith: +).filter { $0.value != 0 },
                Dictionary(rows.map { ($0.country, $0.n) }, uniquingKeysWith: +))
    }

    struct CountryCount: Decodable {
        var country: String
        var n: Int
    }

    // MARK: - Checking a run

    /// What a run amounted to, for the report.
    struct Summary: Sendable, CustomStringConvertible {
        var requests = 0
        var succeeded = 0
        var byStatus: [Int: Int] = [:]
        var unanswered = 0
        var current = 0
        /// Employees whose every signing attempt failed without a definite refusal (503 from a lost
        /// connection, no answer at all) and whose signature was nonetheless committed: the client
        /// cannot know such an outcome; it is allowed, and counted.
        var inDoubtCommitted = 0
        var inDoubtAbsent = 0

        var description: String {
            let statuses = byStatus.keys.sorted().map { "\($0): \(byStatus[$0] ?? 0)" }.joined(separator: ", ")
            return "\(requests) requests, \(succeeded) 2xx (\(statuses)), \(unanswered) without an answer; \(current) current signatures; "
                + "in doubt: \(inDoubtCommitted) committed, \(inDoubtAbsent) not"
        }
    }

    /// Checks what holds for any run, faults or not: every acknowledged signing is a current row
    /// with the id the answer gave (at the time), every failure is a JSON error (503 and 429 with
    /// `Retry-After`), never a 500; per-country counts equal the rows; the service's own check
    /// agrees; the service ends idle with every pool connection back.
    ///
    /// - Parameter signOnly: the run only signed; then each signature became current once at
    ///   most, and an employee whose requests were all shed (`overloaded`) has no signature.
    @discardableResult
    func check(_ ledger: Ledger, port: Int, signOnly: Bool) async throws -> Summary {
        let answers = ledger.all
        let rows = try await rows()
        var summary = Summary()
        summary.requests = answers.count
        for answer in answers {
            if let status = answer.status { summary.byStatus[status, default: 0] += 1 } else { summary.unanswered += 1 }
            if answer.succeeded { summary.succeeded += 1 }
            if let status = answer.status, !(200..<300).contains(status) {
                #expect(status != 500, "a 500 answer to \(answer.operation) (\(answer.code ?? "no code"))")
                #expect(answer.code != nil, "a \(status) without the JSON error body")
                if status == 503 || status == 429 { #expect(answer.retryAfter != nil, "a \(status) without Retry-After") }
            }
        }
        summary.current = rows.values.filter(\.current).count
        let byEmployee = Dictionary(grouping: answers, by: \.employee)
        for (employee, answers) in byEmployee {
            let row = rows[employee]
            let signed = answers.filter { $0.operation == .sign && $0.succeeded }
            for answer in signed {
                #expect(row != nil, "employee \(employee) was answered \(answer.status ?? 0) for signing but has no signature")
                if let id = answer.signatureID { #expect(id == row?.id, "employee \(employee): answered signature \(id), stored \(row?.id.uuidString ?? "none")") }
            }
            guard signOnly else { continue }
            let created = signed.filter { $0.status == 201 }.count
            #expect(created <= 1, "employee \(employee) was answered 201 \(created) times without withdrawing")
            #expect((row?.plus ?? 0) <= 1 && (row?.minus ?? 0) == 0, "employee \(employee): \(row?.plus ?? 0) signings, \(row?.minus ?? 0) withdrawals recorded")
            #expect((row?.plus ?? 0) >= created, "employee \(employee): a 201 not recorded")
            if !signed.isEmpty { #expect(row?.current == true, "employee \(employee): acknowledged, not current") }
            if signed.isEmpty {
                if answers.allSatisfy({ $0.code == "overloaded" }) {
                    #expect(row == nil, "employee \(employee): every request was shed, yet a signature exists")
                } else if row != nil {
                    summary.inDoubtCommitted += 1
                } else {
                    summary.inDoubtAbsent += 1
                }
            }
        }
        let (counted, rowCounts) = try await countsAndRows()
        #expect(counted == rowCounts, "per-country counts \(counted) differ from the rows \(rowCounts)")
        let verified = try await HTTP.request(port: port, .get, "/v1/campaigns/\(Self.slug)/counts/verify", token: hrToken)
        #expect(verified.status == 200 && verified.json["consistent"] as? Bool == true, "counts/verify: \(verified.text)")
        try await waitUntil("the service is idle with every pool connection back", timeout: .seconds(30), interval: .milliseconds(50)) {
            try await HTTP.isIdle(port: port)
        }
        return summary
    }
}

/// An RFC 3339 timestamp, as the API takes them.
func rfc3339(_ date: Date) -> String {
    let formatter = ISO8601DateFormatter()
    formatter.formatOptions = [.withInternetDateTime]
    return formatter.string(from: date)
}
