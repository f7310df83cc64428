import Foundation
import MobiliseDomain

/// The attributes Mobilise's SCIM service keeps, as `/Schemas` publishes them: the core User schema
/// (RFC 7643 §4.1) reduced to what is kept, the enterprise extension (§4.3) likewise, and
/// Mobilise's own extension for what identity providers do not carry (site, gender).
///
/// Attributes of RFC 7643's User schemas that are not kept (a title, phone numbers, a password…)
/// are accepted and ignored, since identity providers send them by default; any other attribute is
/// refused.
struct SCIMAttribute: Sendable {
    enum Kind: String, Sendable { case string, boolean, complex }

    enum CanonicalValues: Sendable {
        case fixed([String])
        /// The country codes the database knows.
        case countries
    }

    var name: String
    var kind: Kind = .string
    var multiValued = false
    var required = false
    var caseExact = false
    var canonicalValues: CanonicalValues? = nil
    var uniqueness = "none"
    var description: String
    var subAttributes: [SCIMAttribute] = []

    func subAttribute(_ name: String) -> SCIMAttribute? {
        subAttributes.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }
    }

    /// Its `/Schemas` representation; country codes are given by the caller (they come from the database).
    func representation(countries: [String]) -> JSONValue {
        var body: [String: JSONValue] = [
            "name": .string(name), "type": .string(kind.rawValue), "multiValued": .bool(multiValued), "required": .bool(required),
            "caseExact": .bool(caseExact), "mutability": .string("readWrite"), "returned": .string("default"),
            "uniqueness": .string(uniqueness), "description": .string(description),
        ]
        switch canonicalValues {
        case .fixed(let values)?: body["canonicalValues"] = .array(values.map(JSONValue.string))
        case .countries?: body["canonicalValues"] = .array(countries.map(JSONValue.string))
        case nil: break
        }
        if kind == .complex { body["subAttributes"] = .array(subAttributes.map { $0.representation(countries: countries) }) }
        return .object(body)
    }
}

enum SCIMSchema {
    static let user = "urn:ietf:params:scim:schemas:core:2.0:User"
    static let enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    static let mobilise = "urn:mobilise:scim:schemas:extension:2.0:User"
    static let listResponse = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
    static let patchOp = "urn:ietf:params:scim:api:messages:2.0:PatchOp"

    /// The schema of each resource extension, by URN.
    static let extensions = [enterprise, mobilise]

    static let userAttributes: [SCIMAttribute] = [
        SCIMAttribute(
            name: "userName", required: true, caseExact: true, uniqueness: "server",
            description: "The employee's HR id (external_id): the `sub` of their token. Compared exactly."),
        SCIMAttribute(
            name: "name", kind: .complex, description: "The parts of the name; the display name is made of them when none is given.",
            subAttributes: [
                SCIMAttribute(name: "formatted", description: "The full name."),
                SCIMAttribute(name: "familyName", description: "The family name."),
                SCIMAttribute(name: "givenName", description: "The given name."),
            ]),
        SCIMAttribute(name: "displayName", description: "The name Mobilise shows."),
        SCIMAttribute(
            name: "emails", kind: .complex, multiValued: true,
            description: "Mobilise keeps one email: the primary one, else the work one, else the first; it is returned as the work email.",
            subAttributes: [
                SCIMAttribute(name: "value", description: "The email address."),
                SCIMAttribute(name: "type", canonicalValues: .fixed(["work"]), description: "Always work."),
            ]),
        SCIMAttribute(
            name: "addresses", kind: .complex, multiValued: true, required: true,
            description: "Mobilise keeps the country of work (the primary address's, else the work address's, else the first's); "
                + "rankings count by it.",
            subAttributes: [
                SCIMAttribute(
                    name: "country", required: true, caseExact: false, canonicalValues: .countries,
                    description: "ISO 3166-1 alpha-2 code of the country of work."),
                SCIMAttribute(name: "type", canonicalValues: .fixed(["work"]), description: "Always work."),
            ]),
        SCIMAttribute(
            name: "active", kind: .boolean, required: true,
            description: "False for a leaver: not counted, cannot sign. Absent in a creation or replacement: true."),
        SCIMAttribute(
            name: "preferredLanguage", canonicalValues: .fixed(ReminderCatalogue.languages),
            description: "The language reminder e-mails are written in: a BCP 47 tag (e.g. fr-CA); the catalogue's language for it, "
                + "else the country of work's. Kept as given (normalised case)."),
        SCIMAttribute(
            name: "timezone", canonicalValues: .fixed(PersonLocale.suggestedTimeZones),
            description: "An IANA time zone (e.g. America/Chicago): reminder e-mails come at their local hour there; "
                + "absent, the country of work's main zone."),
    ]

    static let enterpriseAttributes: [SCIMAttribute] = [
        SCIMAttribute(name: "employeeNumber", description: "Kept as given."),
        SCIMAttribute(name: "department", description: "The org unit (a path such as Energy Management/Buildings): campaign audiences use it."),
        SCIMAttribute(name: "organization", description: "Kept as given."),
        SCIMAttribute(name: "division", description: "Kept as given."),
        SCIMAttribute(
            name: "manager", kind: .complex, description: "The manager, by id (or by HR id when not provisioned).",
            subAttributes: [SCIMAttribute(name: "value", description: "The manager's id, or HR id.")]),
    ]

    static let mobiliseAttributes: [SCIMAttribute] = [
        SCIMAttribute(name: "site", description: "The site of work, for a country's breakdown by site."),
        SCIMAttribute(
            name: "gender", canonicalValues: .fixed(["female", "male", "non_binary"]),
            description: "For campaign audiences; absent means undisclosed."),
    ]

    /// The attributes of the schema `urn` (the core User schema for nil).
    static func attributes(of urn: String?) -> [SCIMAttribute] {
        switch urn {
        case nil: userAttributes
        case enterprise: enterpriseAttributes
        case mobilise: mobiliseAttributes
        default: []
        }
    }

    /// The known URN `text` names, ignoring case.
    static func knownURN(_ text: String) -> String? {
        ([user] + extensions).first { $0.caseInsensitiveCompare(text) == .orderedSame }
    }

    /// Attributes of RFC 7643's User schemas that Mobilise does not keep, accepted and ignored
    /// (lower case), at the top level and in the enterprise extension.
    static let ignoredUserAttributes: Set<String> = [
        "nickname", "profileurl", "title", "usertype", "locale", "password", "phonenumbers",
        "ims", "photos", "groups", "entitlements", "roles", "x509certificates",
    ]
    static let ignoredEnterpriseAttributes: Set<String> = ["costcenter"]
    /// Sub-attributes of the kept complex attributes that are not kept (lower case).
    static let ignoredSubAttributes: [String: Set<String>] = [
        "name": ["middlename", "honorificprefix", "honorificsuffix"],
        "emails": ["primary", "display"],
        "addresses": ["primary", "formatted", "streetaddress", "locality", "region", "postalcode"],
        "manager": ["displayname", "$ref"],
    ]
}
