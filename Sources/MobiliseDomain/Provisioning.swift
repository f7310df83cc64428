import Foundation

// Provisioning: an identity provider (through SCIM) writes employees one at a time. An employee it
// writes is checked by the same rules as a line of the workforce file (`WorkforceCSV.row`), and
// becomes the same `WorkforceRow`; what the provider keeps besides is `IdentityAttributes`.

/// What an identity provider says about an employee that Mobilise's own rules do not use, kept so
/// that the provider reads back what it wrote.
public struct IdentityAttributes: Sendable, Equatable, Codable {
    /// The provider's own id for the person (SCIM `externalId`), not the HR id.
    public var clientID: String?
    public var givenName: String?
    public var familyName: String?
    public var formattedName: String?
    public var employeeNumber: String?
    public var organization: String?
    public var division: String?

    /// Longest value, in characters, of each attribute.
    public static let maxLength = 200

    public init(
        clientID: String? = nil, givenName: String? = nil, familyName: String? = nil, formattedName: String? = nil,
        employeeNumber: String? = nil, organization: String? = nil, division: String? = nil
    ) {
        self.clientID = clientID
        self.givenName = givenName
        self.familyName = familyName
        self.formattedName = formattedName
        self.employeeNumber = employeeNumber
        self.organization = organization
        self.division = division
    }
}

/// One employee as a provisioning client writes them: the checked row, and the rest.
public struct ProvisioningRecord: Sendable, Equatable {
    /// `managerExternalID` may also be the provisioning id (``ProvisionedEmployee/employee``'s `id`)
    /// of an employee of the organisation: the store writes that employee's HR id.
    public var row: WorkforceRow
    public var identity: IdentityAttributes

    public init(row: WorkforceRow, identity: IdentityAttributes) {
        self.row = row
        self.identity = identity
    }
}

/// An employee as a provisioning client reads them.
public struct ProvisionedEmployee: Sendable, Equatable {
    public var employee: Employee
    public var identity: IdentityAttributes
    /// The id of the manager, when `employee.managerExternalID` names an employee of the organisation.
    public var managerID: UUID?
    public var created: Date
    public var lastModified: Date

    public init(employee: Employee, identity: IdentityAttributes, managerID: UUID?, created: Date, lastModified: Date) {
        self.employee = employee
        self.identity = identity
        self.managerID = managerID
        self.created = created
        self.lastModified = lastModified
    }

    /// The record that writes this employee back unchanged.
    public var record: ProvisioningRecord {
        ProvisioningRecord(
            row: WorkforceRow(
                line: 0, externalID: employee.externalID, email: employee.email, displayName: employee.displayName,
                country: employee.country, site: employee.site, orgUnit: employee.orgUnit, gender: employee.gender,
                managerExternalID: employee.managerExternalID, active: employee.active,
                preferredLanguage: employee.preferredLanguage, timeZone: employee.timeZone),
            identity: identity)
    }
}

/// Which employees a provisioning client asks for (a SCIM `filter`).
public indirect enum EmployeeFilter: Sendable, Equatable {
    public enum Attribute: Sendable, Equatable {
        /// The HR id (exact).
        case externalID
        /// The provider's own id (``IdentityAttributes/clientID``, exact).
        case clientID
        /// The employee's id.
        case id
        /// Compared ignoring case.
        case displayName
        /// Compared ignoring case.
        case email
        case active
    }

    public enum Comparison: Sendable, Equatable {
        case equal, notEqual, contains, startsWith, endsWith
    }

    public enum Value: Sendable, Equatable {
        case text(String)
        case bool(Bool)
    }

    case compare(Attribute, Comparison, Value)
    /// The attribute has a value.
    case present(Attribute)
    case and(EmployeeFilter, EmployeeFilter)
    case or(EmployeeFilter, EmployeeFilter)
    case not(EmployeeFilter)
}
