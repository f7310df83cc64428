@testable import MobiliseAPI
import MobiliseDomain
import Testing

/// The SCIM filter grammar, without a database: precedence, strings, what is refused.
@Suite struct SCIMFilterTests {
    @Test func andBindsTighterThanOrAndNotTakesParentheses() throws {
        let filter = try SCIMFilter(#"userName eq "a" or userName eq "b" and not (active eq false)"#)
        #expect(filter == .or(
            .compare("userName", "eq", .string("a")),
            .and(.compare("userName", "eq", .string("b")), .not(.compare("active", "eq", .bool(false))))))
        #expect(try SCIMFilter(#"(userName eq "a" or userName eq "b") and displayName pr"#).employeeFilter() == .and(
            .or(.compare(.externalID, .equal, .text("a")), .compare(.externalID, .equal, .text("b"))), .present(.displayName)))
    }

    @Test func stringsAreJSONStringsAndOperatorsIgnoreCase() throws {
        #expect(try SCIMFilter(#"userName EQ "a \"quoted\" \u00e9 (b)""#) == .compare("userName", "eq", .string(#"a "quoted" é (b)"#)))
        #expect(try SCIMFilter("urn:ietf:params:scim:schemas:core:2.0:User:userName eq \"x\"").employeeFilter()
            == .compare(.externalID, .equal, .text("x")))
        #expect(try SCIMFilter(#"emails co "@acme""#).employeeFilter() == .compare(.email, .contains, .text("@acme")))
    }

    @Test func whatCannotBeAnsweredIsInvalidFilter() {
        for text in [
            "", "userName", #"userName eq"#, #"userName eq "a"#, #"userName zz "a""#, #"(userName eq "a""#, #"userName eq "a")"#,
            #"title eq "x""#, #"userName gt "a""#, #"active eq "yes""#, #"id co "a""#, #"emails[type eq "work"] pr"#, "active eq 1",
            String(repeating: "(", count: 40) + #"userName eq "a""# + String(repeating: ")", count: 40),
        ] {
            #expect(throws: SCIMError.self, "\(text)") {
                do { _ = try SCIMFilter(text).employeeFilter() } catch let error as SCIMError {
                    #expect(error.scimType == "invalidFilter", "\(text): \(error.detail)")
                    throw error
                }
            }
        }
    }

    @Test func valueFiltersMatchItemsIgnoringCase() throws {
        let work = try SCIMFilter(#"type eq "Work" and primary eq true"#)
        #expect(work.matches(["type": "work", "primary": .bool(true)]))
        #expect(work.matches(["TYPE": "WORK", "primary": "True"]))
        #expect(!work.matches(["type": "home", "primary": .bool(true)]))
        #expect(!work.matches(["type": "work"]))
    }
}
