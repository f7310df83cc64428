import Foundation
import MobiliseDomain

/// An employee as a SCIM User resource, both ways.
///
/// Reading a resource gives the columns of a workforce file line, which are then checked by the
/// workforce's own rules (`WorkforceCSV.row`): a SCIM client and the HR file are held to the same
/// rules, and their messages name SCIM's attributes.
enum SCIMUser {
    // MARK: Resource → employee

    /// The record a User resource describes.
    ///
    /// - Parameter whole: a creation or a replacement (POST, PUT): `schemas` is required, and when no
    ///   `displayName` is given it is made of `name`. False for the result of a PATCH.
    static func record(from body: [String: JSONValue], whole: Bool) throws -> ProvisioningRecord {
        var fields: [String: String] = [:]
        var identity = IdentityAttributes()
        var sawSchemas = false
        for (key, value) in body {
            if let urn = SCIMSchema.knownURN(key), urn != SCIMSchema.user {
                try readExtension(urn, value, &fields, &identity)
                continue
            }
            switch key.lowercased() {
            case "schemas":
                try checkSchemas(value)
                sawSchemas = true
            case "id", "meta": continue  // read-only: ignored (RFC 7644 §3.3)
            case "externalid": identity.clientID = try identityText(value, "externalId")
            case "username": fields["external_id"] = try text(value, "userName")
            case "displayname": fields["display_name"] = try text(value, "displayName")
            case "name": try readName(value, &identity)
            case "emails": fields["email"] = try chosen(value, "emails", sub: "value")
            case "addresses": fields["country"] = try chosen(value, "addresses", sub: "country")
            case "active": fields["active"] = try flag(value)
            case "preferredlanguage": fields["preferred_language"] = try text(value, "preferredLanguage")
            case "timezone": fields["time_zone"] = try text(value, "timezone")
            case let name where SCIMSchema.ignoredUserAttributes.contains(name): continue
            default: throw unknownAttribute(key)
            }
        }
        if whole {
            guard sawSchemas else { throw SCIMError.invalidSyntax("'schemas' is required and must name \(SCIMSchema.user)") }
            if fields["display_name"]?.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ?? true {
                let parts = [identity.givenName, identity.familyName].compactMap { $0 }
                fields["display_name"] = identity.formattedName ?? (parts.isEmpty ? nil : parts.joined(separator: " "))
            }
        }
        switch WorkforceCSV.row(line: 0, name: { attributeNames[$0] ?? $0 }, field: { fields[$0] }) {
        case .success(let row): return ProvisioningRecord(row: row, identity: identity)
        case .failure(let rejection): throw SCIMError.invalidValue(rejection.error)
        }
    }

    /// How messages name the workforce columns.
    static let attributeNames = [
        "external_id": "userName", "email": "emails.value", "display_name": "displayName", "country": "addresses.country",
        "site": "site", "org_unit": "department", "gender": "gender", "manager_external_id": "manager.value", "active": "active",
        "preferred_language": "preferredLanguage", "time_zone": "timezone",
    ]

    private static func checkSchemas(_ value: JSONValue) throws {
        guard case .array(let items) = value else { throw SCIMError.invalidSyntax("'schemas' must be an array of schema URNs") }
        var named: Set<String> = []
        for item in items {
            guard case .string(let urn) = item, let known = SCIMSchema.knownURN(urn) else {
                throw SCIMError.invalidSyntax("'schemas' names an unknown schema: \(item) (known: \(([SCIMSchema.user] + SCIMSchema.extensions).joined(separator: ", ")))")
            }
            named.insert(known)
        }
        guard named.contains(SCIMSchema.user) else { throw SCIMError.invalidSyntax("'schemas' must name \(SCIMSchema.user)") }
    }

    private static func readName(_ value: JSONValue, _ identity: inout IdentityAttributes) throws {
        identity.givenName = nil
        identity.familyName = nil
        identity.formattedName = nil
        guard case .object(let name) = value else {
            if value == .null { return }
            throw SCIMError.invalidValue("'name' must be an object, not \(value.typeName)")
        }
        for (key, part) in name {
            switch key.lowercased() {
            case "givenname": identity.givenName = try identityText(part, "name.givenName")
            case "familyname": identity.familyName = try identityText(part, "name.familyName")
            case "formatted": identity.formattedName = try identityText(part, "name.formatted")
            case let other where SCIMSchema.ignoredSubAttributes["name", default: []].contains(other): continue
            default: throw unknownAttribute("name.\(key)")
            }
        }
    }

    private static func readExtension(
        _ urn: String, _ value: JSONValue, _ fields: inout [String: String], _ identity: inout IdentityAttributes
    ) throws {
        let object: [String: JSONValue]
        switch value {
        case .object(let members): object = members
        case .null: object = [:]
        default: throw SCIMError.invalidValue("'\(urn)' must be an object, not \(value.typeName)")
        }
        if urn == SCIMSchema.enterprise {
            identity.employeeNumber = nil
            identity.organization = nil
            identity.division = nil
            fields["org_unit"] = nil
            fields["manager_external_id"] = nil
            for (key, member) in object {
                switch key.lowercased() {
                case "employeenumber": identity.employeeNumber = try identityText(member, "employeeNumber")
                case "department": fields["org_unit"] = try text(member, "department")
                case "organization": identity.organization = try identityText(member, "organization")
                case "division": identity.division = try identityText(member, "division")
                case "manager": fields["manager_external_id"] = try manager(member)
                case "schemas": continue  // an extension object may name its own schema
                case let other where SCIMSchema.ignoredEnterpriseAttributes.contains(other): continue
                default: throw unknownAttribute("\(urn):\(key)")
                }
            }
        } else {
            fields["site"] = nil
            fields["gender"] = nil
            for (key, member) in object {
                switch key.lowercased() {
                case "site": fields["site"] = try text(member, "site")
                case "gender": fields["gender"] = try text(member, "gender")
                case "schemas": continue
                default: throw unknownAttribute("\(urn):\(key)")
                }
            }
        }
    }

    /// `{"value": "…"}`, or the bare id some clients send.
    private static func manager(_ value: JSONValue) throws -> String? {
        switch value {
        case .null: return nil
        case .string(let id): return id
        case .object(let members):
            for key in members.keys where key.lowercased() != "value" {
                if !SCIMSchema.ignoredSubAttributes["manager", default: []].contains(key.lowercased()) { throw unknownAttribute("manager.\(key)") }
            }
            return try text(members.member("value") ?? .null, "manager.value")
        default:
            throw SCIMError.invalidValue("'manager' must be an object with a value, not \(value.typeName)")
        }
    }

    /// The kept item of a multi-valued attribute (the primary one, else the work one, else the
    /// first), and its sub-attribute `sub`.
    private static func chosen(_ value: JSONValue, _ attribute: String, sub: String) throws -> String? {
        guard case .array(let items) = value else {
            if value == .null { return nil }
            throw SCIMError.invalidValue("'\(attribute)' must be an array, not \(value.typeName)")
        }
        let known = SCIMSchema.userAttributes.first { $0.name == attribute }
        var objects: [[String: JSONValue]] = []
        for item in items {
            guard case .object(let members) = item else {
                throw SCIMError.invalidValue("each of '\(attribute)' must be an object, not \(item.typeName)")
            }
            for key in members.keys where known?.subAttribute(key) == nil {
                if !SCIMSchema.ignoredSubAttributes[attribute, default: []].contains(key.lowercased()) {
                    throw unknownAttribute("\(attribute).\(key)")
                }
            }
            objects.append(members)
        }
        func isPrimary(_ item: [String: JSONValue]) -> Bool {
            switch item.member("primary") {
            case .bool(true): true
            case .string(let text): text.lowercased() == "true"
            default: false
            }
        }
        func isWork(_ item: [String: JSONValue]) -> Bool {
            if case .string(let type) = item.member("type") { return type.lowercased() == "work" }
            return false
        }
        guard let item = objects.first(where: isPrimary) ?? objects.first(where: isWork) ?? objects.first else { return nil }
        return try text(item.member(sub) ?? .null, "\(attribute).\(sub)")
    }

    private static func text(_ value: JSONValue, _ name: String) throws -> String? {
        switch value {
        case .string(let text): return text
        case .null: return nil
        default: throw SCIMError.invalidValue("'\(name)' must be a string, not \(value.typeName)")
        }
    }

    /// A yes/no: JSON true or false, or text the workforce rules read ("False", as Entra ID sends).
    private static func flag(_ value: JSONValue) throws -> String {
        switch value {
        case .bool(let flag): return flag ? "true" : "false"
        case .string(let text): return text
        default: throw SCIMError.invalidValue("'active' must be true or false, not \(value.typeName)")
        }
    }

    /// A kept attribute Mobilise does not use: trimmed, empty as none, at most 200 characters.
    private static func identityText(_ value: JSONValue, _ name: String) throws -> String? {
        guard let raw = try text(value, name) else { return nil }
        let text = raw.trimmingCharacters(in: .whitespacesAndNewlines)
        if text.isEmpty { return nil }
        if text.utf8.contains(0) { throw SCIMError.invalidValue("'\(name)' contains a NUL character") }
        if text.unicodeScalars.count > IdentityAttributes.maxLength {
            throw SCIMError.invalidValue("'\(name)' is \(text.unicodeScalars.count) characters long (the limit is \(IdentityAttributes.maxLength))")
        }
        return text
    }

    static func unknownAttribute(_ name: String) -> SCIMError {
        SCIMError.invalidSyntax("unknown attribute '\(name)' (see /Schemas for the attributes Mobilise keeps)")
    }

    // MARK: Employee → resource

    /// The User resource of an employee; `base` is the service's SCIM root URL (for `meta.location`).
    static func resource(_ provisioned: ProvisionedEmployee, base: String) -> [String: JSONValue] {
        let employee = provisioned.employee, identity = provisioned.identity
        let id = employee.id.uuidString.lowercased()
        var schemas = [SCIMSchema.user]
        var resource: [String: JSONValue] = [
            "id": .string(id), "userName": .string(employee.externalID), "active": .bool(employee.active),
            "addresses": .array([.object(["country": .string(employee.country), "type": .string("work")])]),
            "meta": .object([
                "resourceType": "User", "created": .string(JSONCoding.timestamp(provisioned.created)),
                "lastModified": .string(JSONCoding.timestamp(provisioned.lastModified)), "location": .string("\(base)/Users/\(id)"),
            ]),
        ]
        resource["externalId"] = identity.clientID.map(JSONValue.string)
        resource["displayName"] = employee.displayName.map(JSONValue.string)
        resource["preferredLanguage"] = employee.preferredLanguage.map(JSONValue.string)
        resource["timezone"] = employee.timeZone.map(JSONValue.string)
        if let email = employee.email { resource["emails"] = .array([.object(["value": .string(email), "type": "work"])]) }
        let name = compact(["formatted": identity.formattedName, "familyName": identity.familyName, "givenName": identity.givenName])
        if !name.isEmpty { resource["name"] = .object(name) }

        var enterprise = compact([
            "employeeNumber": identity.employeeNumber, "department": employee.orgUnit, "organization": identity.organization,
            "division": identity.division,
        ])
        if let manager = provisioned.managerID?.uuidString.lowercased() ?? employee.managerExternalID {
            enterprise["manager"] = .object(["value": .string(manager)])
        }
        if !enterprise.isEmpty {
            resource[SCIMSchema.enterprise] = .object(enterprise)
            schemas.append(SCIMSchema.enterprise)
        }
        let mobilise = compact(["site": employee.site, "gender": employee.gender == .undisclosed ? nil : employee.gender.rawValue])
        if !mobilise.isEmpty {
            resource[SCIMSchema.mobilise] = .object(mobilise)
            schemas.append(SCIMSchema.mobilise)
        }
        resource["schemas"] = .array(schemas.map(JSONValue.string))
        return resource
    }

    private static func compact(_ values: [String: String?]) -> [String: JSONValue] {
        values.compactMapValues { $0.map(JSONValue.string) }
    }

    // MARK: attributes and excludedAttributes

    /// The resource reduced to `attributes`, or without `excluded` (RFC 7644 §3.4.2.5); `id` and
    /// `schemas` are always returned.
    static func project(_ resource: [String: JSONValue], attributes: [String], excluded: [String]) -> [String: JSONValue] {
        if !attributes.isEmpty {
            var kept: [String: JSONValue] = ["id": resource["id"] ?? .null, "schemas": resource["schemas"] ?? .null]
            for name in attributes {
                guard let path = try? SCIMPath(name), let value = path.read(resource) else { continue }
                path.write(value, into: &kept)
            }
            return kept
        }
        var kept = resource
        for name in excluded {
            guard let path = try? SCIMPath(name), !["id", "schemas"].contains(path.attribute) else { continue }
            path.remove(from: &kept)
        }
        return kept
    }
}

/// An attribute path (RFC 7644 §3.10): `[urn:]attribute[.subAttribute]`, or in PATCH
/// `attribute[filter][.subAttribute]`. Names are made canonical (as the resource spells them)
/// when they are attributes Mobilise keeps.
struct SCIMPath: Sendable {
    /// The extension holding the attribute, nil for the core User schema.
    var container: String?
    /// Empty when the path names the whole extension.
    var attribute: String
    var filter: SCIMFilter?
    var subAttribute: String?

    /// The schema attribute the path names, if Mobilise keeps it.
    var schemaAttribute: SCIMAttribute? {
        SCIMSchema.attributes(of: container).first { $0.name == attribute }
    }

    init(_ text: String) throws {
        var rest = Substring(text)
        container = nil
        // The longest known URN the path starts with.
        for urn in ([SCIMSchema.user] + SCIMSchema.extensions).sorted(by: { $0.count > $1.count })
        where rest.lowercased().hasPrefix(urn.lowercased()) {
            let after = rest.dropFirst(urn.count)
            if after.isEmpty, urn != SCIMSchema.user {
                container = urn
                rest = ""
                break
            }
            if after.first == ":" {
                container = urn == SCIMSchema.user ? nil : urn
                rest = after.dropFirst()
                break
            }
        }
        if rest.isEmpty, container == nil { throw SCIMPath.invalid(text) }
        var filterText: Substring?
        if let open = rest.firstIndex(of: "[") {
            guard let close = rest.lastIndex(of: "]"), close > open else { throw SCIMPath.invalid(text) }
            filterText = rest[rest.index(after: open)..<close]
            let after = rest[rest.index(after: close)...]
            rest = rest[..<open] + after
        }
        let parts = rest.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        attribute = parts.first.map(String.init) ?? ""
        subAttribute = parts.count > 1 ? String(parts[1]) : nil
        if subAttribute?.isEmpty == true || (attribute.isEmpty && container == nil) { throw SCIMPath.invalid(text) }
        if attribute.isEmpty, filterText != nil || subAttribute != nil { throw SCIMPath.invalid(text) }
        filter = try filterText.map { try SCIMFilter(String($0)) }
        // Canonical spelling of what Mobilise keeps.
        if let known = SCIMSchema.attributes(of: container).first(where: { $0.name.caseInsensitiveCompare(attribute) == .orderedSame }) {
            attribute = known.name
            if let sub = subAttribute, let knownSub = known.subAttribute(sub) { subAttribute = knownSub.name }
        } else if container == nil, ["id", "externalid", "schemas", "meta"].contains(attribute.lowercased()) {
            attribute = ["id": "id", "externalid": "externalId", "schemas": "schemas", "meta": "meta"][attribute.lowercased()] ?? attribute
        }
    }

    static func invalid(_ text: String) -> SCIMError {
        SCIMError(.badRequest, scimType: "invalidPath", detail: "'\(text)' is not an attribute path")
    }

    /// The value the path designates in a resource (filters aside), nil when absent.
    func read(_ resource: [String: JSONValue]) -> JSONValue? {
        if attribute.isEmpty { return container.flatMap { resource[$0] } }
        let holder = container.map { resource[$0]?.object ?? [:] } ?? resource
        guard let value = holder[attribute] else { return nil }
        guard let subAttribute else { return value }
        switch value {
        case .object(let members): return members[subAttribute].map { .object([subAttribute: $0]) }
        case .array(let items):
            let subs = items.compactMap { $0.object?[subAttribute].map { JSONValue.object([subAttribute: $0]) } }
            return subs.isEmpty ? nil : .array(subs)
        default: return nil
        }
    }

    /// Writes what ``read(_:)`` gave into another resource, at the same place.
    func write(_ value: JSONValue, into resource: inout [String: JSONValue]) {
        guard let container else {
            resource[attribute] = merged(resource[attribute], value)
            return
        }
        if attribute.isEmpty {
            resource[container] = value
            return
        }
        var holder = resource[container]?.object ?? [:]
        holder[attribute] = merged(holder[attribute], value)
        resource[container] = .object(holder)
    }

    private func merged(_ existing: JSONValue?, _ value: JSONValue) -> JSONValue {
        if subAttribute != nil, case .object(var old)? = existing, case .object(let new) = value {
            old.merge(new) { $1 }
            return .object(old)
        }
        return value
    }

    /// Removes what the path designates (filters aside).
    func remove(from resource: inout [String: JSONValue]) {
        func strip(_ holder: inout [String: JSONValue]) {
            guard let subAttribute else {
                holder[attribute] = nil
                return
            }
            switch holder[attribute] {
            case .object(var members)?:
                members[subAttribute] = nil
                holder[attribute] = members.isEmpty ? nil : .object(members)
            case .array(let items)?:
                holder[attribute] = .array(items.map { item in
                    guard var members = item.object else { return item }
                    members[subAttribute] = nil
                    return .object(members)
                })
            default: break
            }
        }
        guard let container else { return strip(&resource) }
        if attribute.isEmpty {
            resource[container] = nil
            return
        }
        var holder = resource[container]?.object ?? [:]
        strip(&holder)
        resource[container] = holder.isEmpty ? nil : .object(holder)
    }
}
