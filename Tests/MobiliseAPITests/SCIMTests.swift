import Foundation
import HTTPTypes
import MobiliseAPI
import MobiliseDomain
import MobiliseStore
import Postgres
import Testing

/// A SCIM client of the test service, with a token an HR admin made through the JSON API.
struct SCIMSession: Sendable {
    let service: ServiceHarness
    let token: String

    static let enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    static let mobilise = "urn:mobilise:scim:schemas:extension:2.0:User"

    static func open(_ service: ServiceHarness, organisation: String = "acme", hr: String = "hr-1") async throws -> SCIMSession {
        let created = try await service.call(.post, "/v1/scim-tokens", token: try await service.token(hr, [.hrAdmin], organisation: organisation),
                                             json: #"{"description": "Entra ID"}"#)
        guard created.status == .created, let token = created.json["token"] as? String else { throw ServiceHarness.HarnessError(reply: created) }
        return SCIMSession(service: service, token: token)
    }

    /// One request under `/scim/v2`, the body sent as `application/scim+json`.
    @discardableResult
    func call(_ method: HTTPRequest.Method, _ path: String, _ body: String? = nil, token: String? = nil) async throws -> ServiceHarness.Reply {
        try await service.call(method, "/scim/v2" + path, token: token ?? self.token, raw: body.map { Array($0.utf8) },
                               contentType: "application/scim+json")
    }

    /// The SCIM id of the user with this userName.
    func id(of userName: String) async throws -> String {
        let reply = try await call(.get, "/Users?filter=" + "userName eq \"\(userName)\"".addingPercentEncoding(withAllowedCharacters: .alphanumerics)!)
        let resources = try #require(reply.json["Resources"] as? [[String: any Sendable]], "\(reply.text)")
        return try #require(resources.first?["id"] as? String, "no user \(userName): \(reply.text)")
    }

    func list(_ query: String) async throws -> ServiceHarness.Reply {
        try await call(.get, "/Users?" + query.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed.subtracting(["+", "&"]))!
            .replacingOccurrences(of: "%26", with: "&"))
    }

    static func newUser(_ userName: String, country: String = "FR", manager: String? = nil, extra: String = "") -> String {
        """
        {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "\(enterprise)"],
         "externalId": "entra-\(userName)", "userName": "\(userName)", "active": true, "displayName": "Camille Martin",
         "name": {"givenName": "Camille", "familyName": "Martin", "middleName": "Ana"},
         "emails": [{"type": "home", "value": "home@example.com"}, {"primary": true, "type": "work", "value": "\(userName)@acme.example"}],
         "addresses": [{"type": "work", "country": "\(country.lowercased())", "locality": "Paris"}],
         "title": "Engineer", "preferredLanguage": "fr-FR", "phoneNumbers": [{"type": "work", "value": "+33 1 23 45 67 89"}],
         "\(enterprise)": {"employeeNumber": "100", "department": "Energy Management/Buildings", "costCenter": "42"\(manager.map { #", "manager": {"value": "\#($0)"}"# } ?? "")},
         "\(mobilise)": {"site": "Paris", "gender": "female"}\(extra)}
        """
    }

    static func patch(_ operations: String) -> String {
        #"{"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [\#(operations)]}"#
    }
}

extension ServiceHarness.Reply {
    var scimType: String? { json["scimType"] as? String }
    var isSCIMError: Bool {
        (json["schemas"] as? [String]) == ["urn:ietf:params:scim:api:messages:2.0:Error"] && json["status"] as? String == String(status.code)
            && headers[.contentType] == "application/scim+json"
    }
}

@Suite struct SCIMTests {
    @Test func aCreatedUserIsAnEmployeeHeldToTheFileImportsRules() async throws {
        try await ServiceHarness.run { service in
            let scim = try await SCIMSession.open(service)
            let manager = try await scim.id(of: "hr-1")
            let created = try await scim.call(.post, "/Users", SCIMSession.newUser("fr-100", manager: manager))
            #expect(created.status == .created, "\(created.text)")
            #expect(created.headers[.contentType] == "application/scim+json")
            let id = try #require(created.json["id"] as? String)
            #expect(created.headers[.location]?.hasSuffix("/scim/v2/Users/\(id)") == true)

            // The employee, as the file import would have written them.
            let employee = try #require(try await service.store.employee(organisationID: service.acme.id, externalID: "fr-100"))
            #expect(employee.id.uuidString.lowercased() == id)
            #expect(employee.country == "FR" && employee.email == "fr-100@acme.example" && employee.displayName == "Camille Martin")
            #expect(employee.orgUnit == "Energy Management/Buildings" && employee.site == "Paris" && employee.gender == .female)
            #expect(employee.managerExternalID == "hr-1" && employee.active)

            // Read back as written: the manager by id, the kept email and country, the ignored attributes gone.
            let read = try await scim.call(.get, "/Users/\(id)")
            #expect(read.status == .ok)
            #expect(read.json["userName"] as? String == "fr-100" && read.json["externalId"] as? String == "entra-fr-100")
            #expect((read.json["emails"] as? [[String: String]]) == [["value": "fr-100@acme.example", "type": "work"]])
            #expect((read.json["addresses"] as? [[String: String]]) == [["country": "FR", "type": "work"]])
            #expect((read.json["name"] as? [String: String]) == ["givenName": "Camille", "familyName": "Martin"])
            let enterprise = try #require(read.json[SCIMSession.enterprise] as? [String: any Sendable])
            #expect((enterprise["manager"] as? [String: String]) == ["value": manager])
            #expect(enterprise["employeeNumber"] as? String == "100" && enterprise["costCenter"] == nil)
            #expect(read.json["title"] == nil && read.json["phoneNumbers"] == nil)
            // The person's language is kept (reminders are written in it), and their time zone once given.
            #expect(read.json["preferredLanguage"] as? String == "fr-FR" && read.json["timezone"] == nil)
            let zoned = try await scim.call(.patch, "/Users/\(id)", SCIMSession.patch(#"{"op": "replace", "path": "timezone", "value": "america/chicago"}"#))
            #expect(zoned.status == .ok && zoned.json["timezone"] as? String == "America/Chicago", "\(zoned.text)")
            let located = try await service.store.employee(organisationID: service.acme.id, externalID: "fr-100")
            #expect(located?.preferredLanguage == "fr-FR" && located?.timeZone == "America/Chicago")
            let meta = try #require(read.json["meta"] as? [String: String])
            #expect(meta["resourceType"] == "User" && meta["location"] == created.headers[.location])

            // The same rules and the same messages as a line of the workforce file.
            let file = try await service.store.importEmployees(
                organisationID: service.acme.id, csv: Array("external_id,country,gender\nx-1,FR,M\n".utf8), mode: .upsert, actor: Actor("t"))
            let fileError = try #require(file.rejected.first?.error)
            let scimError = try await scim.call(.post, "/Users", SCIMSession.newUser("x-1").replacingOccurrences(of: "female", with: "M"))
            #expect(scimError.status == .badRequest && scimError.scimType == "invalidValue" && scimError.isSCIMError)
            #expect(scimError.json["detail"] as? String == fileError, "\(scimError.text)")
            let badEmail = try await scim.call(.post, "/Users", SCIMSession.newUser("x-2").replacingOccurrences(of: "x-2@acme.example", with: "not an email"))
            #expect(badEmail.json["detail"] as? String == "emails.value 'not an email' does not look like an email address")
            let noCountry = try await scim.call(.post, "/Users", SCIMSession.newUser("x-3", country: "ZZ"))
            #expect(noCountry.status == .badRequest && noCountry.scimType == "invalidValue", "\(noCountry.text)")
            #expect(try await service.store.employee(organisationID: service.acme.id, externalID: "x-3") == nil)
        }
    }

    @Test func usersAreListedFilteredAndPagedAndTheFileImportsEmployeesAreThere() async throws {
        try await ServiceHarness.run { service in
            let scim = try await SCIMSession.open(service)
            _ = try await scim.call(.post, "/Users", SCIMSession.newUser("fr-100"))
            // The workforce file's 15 employees and the one SCIM created, ordered by userName.
            let all = try await scim.list("count=1000")
            #expect(all.json["totalResults"] as? Int == 16 && all.json["itemsPerPage"] as? Int == 16)
            let names = (all.json["Resources"] as? [[String: any Sendable]])?.compactMap { $0["userName"] as? String } ?? []
            #expect(names == names.sorted() && names.contains("in-1") && names.contains("fr-100"))

            let page = try await scim.list("startIndex=3&count=2")
            #expect(page.json["startIndex"] as? Int == 3 && page.json["itemsPerPage"] as? Int == 2 && page.json["totalResults"] as? Int == 16)
            #expect((page.json["Resources"] as? [[String: any Sendable]])?.compactMap { $0["userName"] as? String } == Array(names[2..<4]))
            let beyond = try await scim.list("startIndex=100")
            #expect(beyond.json["totalResults"] as? Int == 16 && (beyond.json["Resources"] as? [Any])?.isEmpty == true)

            func userNames(_ filter: String) async throws -> [String] {
                let reply = try await scim.list("filter=\(filter)")
                #expect(reply.status == .ok, "\(filter): \(reply.text)")
                return (reply.json["Resources"] as? [[String: any Sendable]])?.compactMap { $0["userName"] as? String } ?? []
            }
            #expect(try await userNames(#"userName eq "in-1""#) == ["in-1"])
            #expect(try await userNames(#"USERNAME Eq "IN-1""#) == [], "userName is the HR id, compared exactly")
            #expect(try await userNames(#"externalId eq "entra-fr-100""#) == ["fr-100"])
            #expect(try await userNames("active eq false") == ["gone-1"])
            #expect(try await userNames(#"userName sw "br-" and not (userName eq "br-2")"#) == ["br-1", "br-3", "br-4"])
            #expect(try await userNames(#"(userName eq "mt-1" or userName eq "mt-2") and active eq true"#) == ["mt-1", "mt-2"])
            #expect(try await userNames(#"emails.value co "ACME.EXAMPLE" and displayName pr"#) == ["fr-100", "hr-1", "lead-1"])
            // The look-ups by key (served by an index) give what the comparisons always gave, under
            // `not` and `or` too: employees the file imported have no externalId, and `not` keeps them.
            let created = try await scim.id(of: "fr-100")
            #expect(try await userNames(#"id eq "\#(created)""#) == ["fr-100"])
            #expect(try await userNames(#"id eq "\#(created.lowercased())" and active eq true"#) == ["fr-100"])
            #expect(try await userNames(#"externalId eq "entra-fr-100" and active eq true"#) == ["fr-100"])
            #expect(try await userNames(#"active eq false and externalId eq "entra-fr-100""#) == [])
            #expect(try await userNames(#"externalId eq "ENTRA-FR-100""#) == [], "externalId is compared exactly")
            #expect(try await userNames(#"not (externalId eq "entra-fr-100")"#) == names.filter { $0 != "fr-100" })
            #expect(try await userNames(#"not (userName eq "in-1")"#) == names.filter { $0 != "in-1" })
            #expect(try await userNames(#"externalId eq "entra-fr-100" or userName eq "in-1""#) == ["fr-100", "in-1"])
            #expect(try await userNames(#"userName eq "gone-1" and active eq true"#) == [])
            #expect(try await userNames(#"active eq false and userName eq "gone-1""#) == ["gone-1"])
            #expect(try await scim.list(#"filter=userName eq "in-1"&count=0"#).json["totalResults"] as? Int == 1)

            let projected = try await scim.list(#"filter=userName eq "fr-100"&attributes=userName,name.givenName"#)
            let resource = try #require((projected.json["Resources"] as? [[String: any Sendable]])?.first)
            #expect(Set(resource.keys) == ["id", "schemas", "userName", "name"])
            #expect((resource["name"] as? [String: String]) == ["givenName": "Camille"])
        }
    }

    @Test func entraIDAndOktaPatchDialectsAreUnderstood() async throws {
        try await ServiceHarness.run { service in
            let scim = try await SCIMSession.open(service)
            let id = try #require(try await scim.call(.post, "/Users", SCIMSession.newUser("fr-100")).json["id"] as? String)
            func employee() async throws -> Employee { try #require(try await service.store.employee(organisationID: service.acme.id, externalID: "fr-100")) }

            // Entra ID: capitalised ops, booleans as strings, filtered paths, a manager as a bare id.
            let entra = try await scim.call(.patch, "/Users/\(id)", SCIMSession.patch("""
                {"op": "Replace", "path": "active", "value": "False"},
                {"op": "Add", "path": "emails[type eq \\"work\\"].value", "value": "camille@acme.example"},
                {"op": "Replace", "path": "addresses[type eq \\"work\\"].country", "value": "IN"},
                {"op": "Replace", "path": "addresses[type eq \\"work\\"].locality", "value": "Pune"},
                {"op": "Replace", "path": "\(SCIMSession.enterprise):manager", "value": "lead-1"},
                {"op": "Replace", "path": "title", "value": "Director"}
                """))
            #expect(entra.status == .ok, "\(entra.text)")
            #expect(entra.json["active"] as? Bool == false)
            var current = try await employee()
            #expect(!current.active && current.email == "camille@acme.example" && current.country == "IN" && current.managerExternalID == "lead-1")
            let leftOn = try await service.store.pool.query("""
                SELECT left_on IS NOT NULL FROM employees WHERE organisation_id = \(service.acme.id) AND external_id = 'fr-100'
                """).scalar(Bool.self)
            #expect(leftOn == true, "deactivated as a leaver of the file is: left today")

            // Okta: no path, the value an object of attributes.
            let okta = try await scim.call(.patch, "/Users/\(id)", SCIMSession.patch("""
                {"op": "replace", "value": {"active": true, "name.givenName": "Camila", "\(SCIMSession.mobilise)": {"site": "Lyon"}}}
                """))
            #expect(okta.status == .ok, "\(okta.text)")
            current = try await employee()
            #expect(current.active && current.site == "Lyon" && current.gender == .female)
            #expect((okta.json["name"] as? [String: String])?["givenName"] == "Camila")

            // Removing: an attribute, a sub-attribute, a filtered value.
            let removed = try await scim.call(.patch, "/Users/\(id)", SCIMSession.patch("""
                {"op": "remove", "path": "displayName"}, {"op": "remove", "path": "\(SCIMSession.enterprise):department"},
                {"op": "remove", "path": "emails[type eq \\"work\\"]"}
                """))
            #expect(removed.status == .ok, "\(removed.text)")
            current = try await employee()
            #expect(current.displayName == nil && current.orgUnit == nil && current.email == nil)
        }
    }

    @Test func aReplacementRewritesEverythingAndMayRenameTheHRID() async throws {
        try await ServiceHarness.run { service in
            let scim = try await SCIMSession.open(service)
            let id = try #require(try await scim.call(.post, "/Users", SCIMSession.newUser("fr-100")).json["id"] as? String)
            let replaced = try await scim.call(.put, "/Users/\(id)", """
                {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "fr-200",
                 "name": {"givenName": "Camille", "familyName": "Martin"}, "addresses": [{"country": "BR"}]}
                """)
            #expect(replaced.status == .ok, "\(replaced.text)")
            #expect(replaced.json["id"] as? String == id && replaced.json["displayName"] as? String == "Camille Martin")
            #expect(try await service.store.employee(organisationID: service.acme.id, externalID: "fr-100") == nil)
            let employee = try #require(try await service.store.employee(organisationID: service.acme.id, externalID: "fr-200"))
            #expect(employee.country == "BR" && employee.orgUnit == nil && employee.site == nil && employee.email == nil)
            #expect(employee.gender == .undisclosed && employee.active, "absent: undisclosed and active, as in the file")
            #expect(replaced.json["externalId"] == nil && replaced.json[SCIMSession.enterprise] == nil)
        }
    }

    @Test func aDeleteIsALeaverErasedSignaturesStayCountedAndOneAuditEntry() async throws {
        try await ServiceHarness.run { service in
            let slug = try await service.launchedCampaign()
            let hr = try await service.token("hr-1", [.hrAdmin])
            func india() async throws -> (eligible: Int, signatures: Int) {
                let rankings = try await service.call(.get, "/v1/campaigns/\(slug)/rankings", token: hr)
                let row = (rankings.json["rows"] as? [[String: any Sendable]])?.first { $0["country"] as? String == "IN" }
                return (row?["eligible"] as? Int ?? -1, row?["signatures"] as? Int ?? -1)
            }
            #expect(try await india() == (6, 0))
            let scim = try await SCIMSession.open(service)
            let id = try #require(try await scim.call(.post, "/Users", SCIMSession.newUser("in-9", country: "IN")).json["id"] as? String)
            #expect(try await india() == (7, 0), "the headcount follows a SCIM creation")
            let signed = try await service.call(.put, "/v1/campaigns/\(slug)/signature", token: try await service.token("in-9", [.employee]))
            #expect(signed.status == .created)
            let auditBefore = try await service.store.auditLog(organisationID: service.acme.id, limit: 500).count

            let deleted = try await scim.call(.delete, "/Users/\(id)")
            #expect(deleted.status == .noContent)
            #expect(try await scim.call(.get, "/Users/\(id)").status == .notFound)
            #expect(try await scim.call(.delete, "/Users/\(id)").status == .notFound)
            #expect(try await india() == (6, 1), "a leaver leaves the headcount; their signature stays counted")
            #expect(try await service.store.employee(organisationID: service.acme.id, externalID: "in-9") == nil)
            let employeeID = try #require(UUID(uuidString: id))
            let row = try #require(try await service.store.pool.query("""
                SELECT external_id, email, display_name, active, erased_at IS NOT NULL AS erased FROM employees
                WHERE organisation_id = \(service.acme.id) AND id = \(employeeID)
                """).rows.first)
            #expect(try row.decode(String.self, column: "external_id").hasPrefix("erased-"))
            #expect(try row.decode(String?.self, column: "email") == nil && !(try row.decode(Bool.self, column: "active")))
            #expect(try row.decode(Bool.self, column: "erased"))
            #expect(try await service.store.pool.query("""
                SELECT count(*) FROM scim_users WHERE organisation_id = \(service.acme.id)
                """).scalar(Int.self) == 0)

            let audit = try await service.store.auditLog(organisationID: service.acme.id, limit: 500)
            #expect(audit.count == auditBefore + 1)
            #expect(audit.first?.action == "employees.provision" && audit.first?.details["operation"] == "delete")
            let verify = try await service.call(.get, "/v1/campaigns/\(slug)/counts/verify", token: hr)
            #expect(verify.json["consistent"] as? Bool == true, "\(verify.text)")

            // The HR id is free again: a new person may have it.
            #expect(try await scim.call(.post, "/Users", SCIMSession.newUser("in-9", country: "IN")).status == .created)
        }
    }

    @Test func theEmployeesExportAndHRErasureCoverWhatSCIMKeeps() async throws {
        try await ServiceHarness.run { service in
            let scim = try await SCIMSession.open(service)
            let id = try #require(try await scim.call(.post, "/Users", SCIMSession.newUser("fr-100")).json["id"] as? String)
            let export = try await service.call(.get, "/v1/me/export", token: try await service.token("fr-100", [.employee]))
            let kept = try #require(export.json["identity_provider"] as? [String: String], "\(export.text)")
            #expect(kept == ["client_id": "entra-fr-100", "given_name": "Camille", "family_name": "Martin", "employee_number": "100"])
            let erased = try await service.call(.delete, "/v1/employees/fr-100", token: try await service.token("hr-1", [.hrAdmin]))
            #expect(erased.status == .noContent)
            #expect(try await scim.call(.get, "/Users/\(id)").status == .notFound, "an erased employee is gone for SCIM too")
            #expect(try await service.store.pool.query("SELECT count(*) FROM scim_users").scalar(Int.self) == 0)
        }
    }

    @Test func everySCIMWriteIsOneAuditEntryByTheToken() async throws {
        try await ServiceHarness.run { service in
            let scim = try await SCIMSession.open(service)
            let tokens = try await service.store.scimTokens(organisationID: service.acme.id)
            let actor = "scim:\(try #require(tokens.first).id.uuidString.lowercased())"
            let id = try #require(try await scim.call(.post, "/Users", SCIMSession.newUser("fr-100")).json["id"] as? String)
            _ = try await scim.call(.patch, "/Users/\(id)", SCIMSession.patch(#"{"op": "replace", "path": "displayName", "value": "C. M."}"#))
            _ = try await scim.call(.put, "/Users/\(id)", SCIMSession.newUser("fr-100"))
            _ = try await scim.call(.get, "/Users/\(id)")
            _ = try await scim.call(.delete, "/Users/\(id)")
            let entries = try await service.store.auditLog(organisationID: service.acme.id, limit: 500).filter { $0.actor == actor }
            #expect(entries.map(\.action) == Array(repeating: "employees.provision", count: 4))
            #expect(entries.map { $0.details["operation"] } == ["delete", "replace", "update", "create"])
            #expect(entries.allSatisfy { $0.subject == id })
            #expect(entries[2].details["changed"] == "display_name")
        }
    }

    @Test func badInputGetsTheRightSCIMErrorAndWritesNothing() async throws {
        try await ServiceHarness.run { service in
            let scim = try await SCIMSession.open(service)
            let id = try #require(try await scim.call(.post, "/Users", SCIMSession.newUser("fr-100")).json["id"] as? String)
            _ = try await scim.call(.post, "/Users", SCIMSession.newUser("fr-101"))
            let before = try await scim.call(.get, "/Users/\(id)").text
            let fileEmployee = try await service.store.employee(organisationID: service.acme.id, externalID: "in-1")
            let auditBefore = try await service.store.auditLog(organisationID: service.acme.id, limit: 500).count

            let cases: [(String, HTTPRequest.Method, String, String?, Int, String?)] = [
                ("malformed JSON", .post, "/Users", #"{"userName": "#, 400, "invalidSyntax"),
                ("not an object", .post, "/Users", #"["userName"]"#, 400, "invalidSyntax"),
                ("no schemas", .post, "/Users", #"{"userName": "u-1", "addresses": [{"country": "FR"}]}"#, 400, "invalidSyntax"),
                ("unknown schema", .post, "/Users", SCIMSession.newUser("u-1").replacingOccurrences(of: "\"urn:ietf:params:scim:schemas:core:2.0:User\", ", with: "\"urn:ietf:params:scim:schemas:core:2.0:User\", \"urn:example:other\", "), 400, "invalidSyntax"),
                ("unknown attribute", .post, "/Users", SCIMSession.newUser("u-1", extra: #", "shoeSize": 42"#), 400, "invalidSyntax"),
                ("unknown sub-attribute", .post, "/Users", SCIMSession.newUser("u-1").replacingOccurrences(of: "\"middleName\"", with: "\"nickName\""), 400, "invalidSyntax"),
                ("wrong type", .post, "/Users", SCIMSession.newUser("u-1").replacingOccurrences(of: "\"userName\": \"u-1\"", with: "\"userName\": 7"), 400, "invalidValue"),
                ("no country", .post, "/Users", SCIMSession.newUser("u-1").replacingOccurrences(of: #""addresses": [{"type": "work", "country": "fr", "locality": "Paris"}],"#, with: ""), 400, "invalidValue"),
                ("userName taken", .post, "/Users", SCIMSession.newUser("fr-101"), 409, "uniqueness"),
                ("userName of a file import", .post, "/Users", SCIMSession.newUser("in-1"), 409, "uniqueness"),
                ("unsupported filter attribute", .get, "/Users?filter=title%20eq%20%22x%22", nil, 400, "invalidFilter"),
                ("unsupported filter operator", .get, "/Users?filter=userName%20gt%20%22a%22", nil, 400, "invalidFilter"),
                ("malformed filter", .get, "/Users?filter=userName%20eq", nil, 400, "invalidFilter"),
                ("bad startIndex", .get, "/Users?startIndex=first", nil, 400, "invalidValue"),
                ("PATCH empties userName", .patch, "/Users/\(id)", SCIMSession.patch(#"{"op": "remove", "path": "userName"}"#), 400, "invalidValue"),
                ("PATCH sets userName empty", .patch, "/Users/\(id)", SCIMSession.patch(#"{"op": "replace", "path": "userName", "value": " "}"#), 400, "invalidValue"),
                ("PATCH empties country", .patch, "/Users/\(id)", SCIMSession.patch(#"{"op": "replace", "path": "addresses", "value": [{"type": "work"}]}"#), 400, "invalidValue"),
                ("PATCH removes the addresses", .patch, "/Users/\(id)", SCIMSession.patch(#"{"op": "remove", "path": "addresses"}"#), 400, "invalidValue"),
                ("PATCH unknown country", .patch, "/Users/\(id)", SCIMSession.patch(#"{"op": "replace", "path": "addresses[type eq \"work\"].country", "value": "XX"}"#), 400, "invalidValue"),
                ("PATCH renames onto another", .patch, "/Users/\(id)", SCIMSession.patch(#"{"op": "replace", "path": "userName", "value": "fr-101"}"#), 409, "uniqueness"),
                ("PATCH filter matches nothing", .patch, "/Users/\(id)", SCIMSession.patch(#"{"op": "remove", "path": "emails[type eq \"home\"]"}"#), 400, "noTarget"),
                ("PATCH remove without path", .patch, "/Users/\(id)", SCIMSession.patch(#"{"op": "remove"}"#), 400, "noTarget"),
                ("PATCH unknown path", .patch, "/Users/\(id)", SCIMSession.patch(#"{"op": "replace", "path": "shoeSize", "value": 42}"#), 400, "invalidPath"),
                ("PATCH the id", .patch, "/Users/\(id)", SCIMSession.patch(#"{"op": "replace", "path": "id", "value": "x"}"#), 400, "mutability"),
                ("PATCH unknown op", .patch, "/Users/\(id)", SCIMSession.patch(#"{"op": "merge", "path": "displayName", "value": "x"}"#), 400, "invalidSyntax"),
                ("PATCH without its schema", .patch, "/Users/\(id)", #"{"Operations": [{"op": "remove", "path": "displayName"}]}"#, 400, "invalidSyntax"),
                // Two operations, the second refused: the first is not written either.
                ("PATCH half good", .patch, "/Users/\(id)", SCIMSession.patch(#"{"op": "replace", "path": "displayName", "value": "Changed"}, {"op": "remove", "path": "userName"}"#), 400, "invalidValue"),
                ("bad preferredLanguage", .post, "/Users", SCIMSession.newUser("u-1").replacingOccurrences(of: "\"fr-FR\"", with: "\"français\""), 400, "invalidValue"),
                ("bad timezone", .post, "/Users", SCIMSession.newUser("u-1", extra: #", "timezone": "CET""#), 400, "invalidValue"),
                ("PATCH bad timezone", .patch, "/Users/\(id)", SCIMSession.patch(#"{"op": "replace", "path": "timezone", "value": "Mars/Base"}"#), 400, "invalidValue"),
                ("PUT bad email", .put, "/Users/\(id)", SCIMSession.newUser("fr-100").replacingOccurrences(of: "fr-100@acme.example", with: "x@"), 400, "invalidValue"),
                ("unknown user", .get, "/Users/\(UUID().uuidString)", nil, 404, nil),
                ("not a user id", .patch, "/Users/in-1", SCIMSession.patch(#"{"op": "remove", "path": "displayName"}"#), 404, nil),
                ("another organisation's user", .get, "/Users/\(try await service.store.employee(organisationID: service.globex.id, externalID: "g-1")?.id.uuidString ?? "")", nil, 404, nil),
            ]
            for (what, method, path, body, status, scimType) in cases {
                let reply = try await scim.call(method, path, body)
                #expect(Int(reply.status.code) == status, "\(what): \(reply.status) \(reply.text)")
                #expect(reply.scimType == scimType, "\(what): \(reply.text)")
                #expect(reply.isSCIMError, "\(what): \(reply.headers) \(reply.text)")
            }
            let wrongType = try await service.call(.post, "/scim/v2/Users", token: scim.token, raw: Array("userName=x".utf8), contentType: "text/plain")
            #expect(wrongType.status == .unsupportedMediaType && wrongType.isSCIMError)

            #expect(try await scim.call(.get, "/Users/\(id)").text == before, "nothing was written")
            #expect(try await service.store.auditLog(organisationID: service.acme.id, limit: 500).count == auditBefore)
            #expect(try await service.store.employee(organisationID: service.acme.id, externalID: "u-1") == nil)
            #expect(try await service.store.employee(organisationID: service.acme.id, externalID: "in-1") == fileEmployee,
                    "a creation meeting an existing HR id changes nothing of that employee")
        }
    }

    @Test func onlyTheOrganisationsOwnSCIMTokenOpensSCIMAndNothingElse() async throws {
        try await ServiceHarness.run { service in
            let scim = try await SCIMSession.open(service)
            let hr = try await service.token("hr-1", [.hrAdmin])
            let anonymous = try await service.call(.get, "/scim/v2/Users")
            #expect(anonymous.status == .unauthorized && anonymous.isSCIMError && anonymous.headers[.wwwAuthenticate] != nil)
            let jwt = try await service.call(.get, "/scim/v2/Users", token: hr)
            #expect(jwt.status == .unauthorized && jwt.isSCIMError, "a sign-in token is not a SCIM token")
            // The organisation part of the token names Globex, the secret is Acme's: unknown there.
            let acmeBytes = try #require(Data(base64Encoded: Self.base64(scim.token)))
            let globexID = withUnsafeBytes(of: service.globex.id.uuid) { Data($0) }
            let forged = Self.base64URL(globexID + acmeBytes.suffix(32))
            #expect(try await service.call(.get, "/scim/v2/Users", token: forged).status == .unauthorized)
            // Globex's own token sees Globex only.
            let globex = try await SCIMSession.open(service, organisation: "globex", hr: "g-1")
            let globexUsers = try await globex.call(.get, "/Users")
            #expect((globexUsers.json["Resources"] as? [[String: any Sendable]])?.compactMap { $0["userName"] as? String } == ["g-1"])
            #expect(try await globex.call(.get, "/Users/\(try await scim.id(of: "in-1"))").status == .notFound)
            // A SCIM token opens nothing of the JSON API.
            #expect(try await service.call(.get, "/v1/me", token: scim.token).status == .unauthorized)
            #expect(try await service.call(.get, "/v1/employees", token: scim.token).status == .unauthorized)
        }
    }

    @Test func hrAdminsMakeListAndRevokeTokensShownOnce() async throws {
        try await ServiceHarness.run { service in
            let hr = try await service.token("hr-1", [.hrAdmin])
            let first = try await SCIMSession.open(service)
            let second = try await SCIMSession.open(service)  // rotation: both work at once
            #expect(first.token != second.token && first.token.count == 64)
            #expect(try await first.call(.get, "/Users?count=1").status == .ok)
            #expect(try await second.call(.get, "/Users?count=1").status == .ok)

            let listed = try await service.call(.get, "/v1/scim-tokens", token: hr)
            #expect(listed.status == .ok)
            let tokens = try #require(listed.json["tokens"] as? [[String: any Sendable]])
            #expect(tokens.count == 2 && tokens.allSatisfy { $0["token"] == nil && $0["last_used_at"] is String && $0["description"] as? String == "Entra ID" })
            #expect(!listed.text.contains(first.token) && !listed.text.contains(String(first.token.suffix(43))))
            let stored = try await service.store.pool.query("SELECT secret_hash FROM scim_tokens").column(Data.self)
            #expect(stored.allSatisfy { $0.count == 32 }, "only hashes are kept")

            let firstID = try #require(tokens.first?["id"] as? String)
            #expect(try await service.call(.delete, "/v1/scim-tokens/\(firstID)", token: hr).status == .noContent)
            #expect(try await service.call(.delete, "/v1/scim-tokens/\(firstID)", token: hr).status == .notFound)
            let revoked = try await first.call(.get, "/Users")
            #expect(revoked.status == .unauthorized && revoked.isSCIMError)
            #expect(try await second.call(.get, "/Users?count=1").status == .ok)

            let employee = try await service.token("in-1", [.employee])
            #expect(try await service.call(.post, "/v1/scim-tokens", token: employee).status == .forbidden)
            let actions = try await service.store.auditLog(organisationID: service.acme.id).map(\.action)
            #expect(actions.filter { $0 == "scim_token.create" }.count == 2 && actions.contains("scim_token.revoke"))
        }
    }

    @Test func discoverySaysWhatIsTrueAndOtherEndpointsAnswerAsSCIMSays() async throws {
        try await ServiceHarness.run { service in
            let scim = try await SCIMSession.open(service)
            let config = try await scim.call(.get, "/ServiceProviderConfig")
            #expect(config.status == .ok && config.headers[.contentType] == "application/scim+json")
            func supported(_ feature: String) -> Bool? { (config.json[feature] as? [String: any Sendable])?["supported"] as? Bool }
            #expect(supported("patch") == true && supported("filter") == true)
            #expect(supported("bulk") == false && supported("sort") == false && supported("etag") == false && supported("changePassword") == false)

            let types = try await scim.call(.get, "/ResourceTypes")
            #expect((types.json["Resources"] as? [[String: any Sendable]])?.compactMap { $0["name"] as? String } == ["User"])
            let schema = try await scim.call(.get, "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User")
            let attributes = try #require(schema.json["attributes"] as? [[String: any Sendable]])
            let addresses = try #require(attributes.first { $0["name"] as? String == "addresses" })
            let country = try #require((addresses["subAttributes"] as? [[String: any Sendable]])?.first { $0["name"] as? String == "country" })
            let codes = try #require(country["canonicalValues"] as? [String])
            #expect(codes.contains("FR") && codes.contains("IN") && codes.count > 200)
            #expect(try await scim.call(.get, "/Schemas/\(SCIMSession.mobilise)").status == .ok)

            let post = try await scim.call(.post, "/Schemas", "{}")
            #expect(post.status == .methodNotAllowed && post.headers[.allow] == "GET" && post.isSCIMError)
            #expect(try await scim.call(.put, "/Users", "{}").status == .methodNotAllowed)
            #expect(try await scim.call(.post, "/Bulk", "{}").status == .notImplemented)
            #expect(try await scim.call(.post, "/.search", "{}").status == .notImplemented)
            let groups = try await scim.call(.get, "/Groups")
            #expect(groups.status == .notFound && groups.isSCIMError)
        }
    }

    @Test func scimLogsNeitherItsTokenNorWhatItWrites() async throws {
        try await LoggedService.run { service in
            let acme = try await service.store.organisation(slug: "acme")
            let token = try await SCIMTokens.create(store: service.store, organisationID: acme.id, description: nil, actor: Actor("t")).token
            let secrets = [token, "private.person@acme-private.example", "Privatename Nobodyshouldlog", "hr-id-private-7f3a"]
            func scim(_ method: HTTPRequest.Method, _ path: String, _ body: String) async throws -> ServiceHarness.Reply {
                try await service.call(method, "/scim/v2" + path, token: token, body: body, contentType: "application/scim+json")
            }
            let body = SCIMSession.newUser("hr-id-private-7f3a").replacingOccurrences(of: "hr-id-private-7f3a@acme.example", with: secrets[1])
                .replacingOccurrences(of: "Camille Martin", with: secrets[2])
            let created = try await scim(.post, "/Users", body)
            #expect(created.status == .created)
            let id = try #require(created.json["id"] as? String)
            #expect(try await scim(.post, "/Users", body).status == .conflict)
            #expect(try await scim(.post, "/Users", SCIMSession.newUser("hr-id-private-7f3a-2", country: "ZZ")).status == .badRequest)
            #expect(try await scim(.patch, "/Users/\(id)", SCIMSession.patch(#"{"op": "replace", "path": "emails", "value": [{"value": "\#(secrets[1]) x"}]}"#)).status == .badRequest)
            #expect(try await service.call(.get, "/scim/v2/Users?filter=userName%20eq%20%22hr-id-private-7f3a%22", token: token).status == .ok)
            #expect(try await service.call(.get, "/scim/v2/Users", token: token + "x").status == .unauthorized)
            let lines = service.logs.all
            #expect(lines.filter { $0.contains("http.route=/scim/v2") }.count == 6, "\(lines.count) lines captured")
            for line in lines {
                for secret in secrets where line.contains(secret) { Issue.record("a secret appears in a log line: \(line)") }
            }
        }
    }

    static func base64(_ text: String) -> String {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        return base64
    }

    static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

/// `MOBILISE_PUBLIC_URL`: behind a proxy, the absolute links the service makes start with the public address.
@Suite struct PublicURLTests {
    @Test func scimLocationsStartWithThePublicAddress() async throws {
        try await ServiceHarness.run(environment: ["MOBILISE_PUBLIC_URL": "https://mobilise.example.com/people/"]) { service in
            let scim = try await SCIMSession.open(service)
            let created = try await scim.call(.post, "/Users", SCIMSession.newUser("pub-1"))
            #expect(created.status == .created, "\(created.text)")
            let id = try #require(created.json["id"] as? String)
            #expect(created.headers[.location] == "https://mobilise.example.com/people/scim/v2/Users/\(id)")
            let config = try await scim.call(.get, "/ServiceProviderConfig")
            let meta = try #require(config.json["meta"] as? [String: String], "\(config.text)")
            #expect(meta["location"]?.hasPrefix("https://mobilise.example.com/people/scim/v2/") == true, "\(meta)")
        }
    }

    @Test func onlyAnHTTPAddressWithoutQueryIsAPublicURL() throws {
        #expect(try APIConfiguration.publicURL("https://mobilise.example.com/") == "https://mobilise.example.com")
        #expect(try APIConfiguration.publicURL("http://127.0.0.1:8080/hr") == "http://127.0.0.1:8080/hr")
        for bad in ["ftp://example.com", "https://example.com/?a=1", "https://example.com/#x", "mobilise.example.com", "https://user:pw@example.com",
                    "https:///path", "https://exa mple.com"] {
            #expect(throws: APIConfiguration.InvalidPublicURL.self, "\(bad)") { try APIConfiguration.publicURL(bad) }
        }
    }
}
