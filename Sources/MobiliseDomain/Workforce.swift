import Foundation

/// An employee's gender, as the HR system records it.
public enum Gender: String, Sendable, Codable, CaseIterable {
    case female, male
    case nonBinary = "non_binary"
    case undisclosed
}

/// An employee, as loaded from the HR system.
public struct Employee: Sendable, Codable, Equatable {
    public var id: UUID
    public var organisationID: UUID
    /// The HR system's id: unique in the organisation, the `sub` of the employee's token.
    public var externalID: String
    public var email: String?
    public var displayName: String?
    /// Country of work, ISO 3166-1 alpha-2.
    public var country: String
    public var site: String?
    /// Org unit path, e.g. `Energy Management/Buildings`.
    public var orgUnit: String?
    public var gender: Gender
    public var managerExternalID: String?
    public var active: Bool
    /// The language the person prefers (a BCP 47 tag, normalised), nil: their country's.
    public var preferredLanguage: String?
    /// The person's IANA time zone, nil: their country's main one.
    public var timeZone: String?

    public init(
        id: UUID, organisationID: UUID, externalID: String, email: String?, displayName: String?, country: String,
        site: String?, orgUnit: String?, gender: Gender, managerExternalID: String?, active: Bool,
        preferredLanguage: String? = nil, timeZone: String? = nil
    ) {
        self.id = id
        self.organisationID = organisationID
        self.externalID = externalID
        self.email = email
        self.displayName = displayName
        self.country = country
        self.site = site
        self.orgUnit = orgUnit
        self.gender = gender
        self.managerExternalID = managerExternalID
        self.active = active
        self.preferredLanguage = preferredLanguage
        self.timeZone = timeZone
    }
}

/// An organisation (a tenant).
public struct Organisation: Sendable, Codable, Equatable {
    public var id: UUID
    public var slug: String
    public var name: String
    /// Leadership never sees a figure covering fewer than this many employees.
    public var privacyK: Int
    /// IANA time zone in which days and weeks are counted.
    public var timeZone: String

    public init(id: UUID, slug: String, name: String, privacyK: Int, timeZone: String) {
        self.id = id
        self.slug = slug
        self.name = name
        self.privacyK = privacyK
        self.timeZone = timeZone
    }
}

/// Who is acting, for permissions and the audit log.
public struct Actor: Sendable, Equatable {
    /// The HR id of an employee, or an operator's name for the CLI.
    public var identity: String

    public init(_ identity: String) { self.identity = identity }

    /// The command line's operator.
    public static let operatorCLI = Actor("operator:cli")
}
