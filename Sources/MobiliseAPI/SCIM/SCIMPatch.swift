import Foundation

/// PATCH (RFC 7644 §3.5.2) applied to a User resource as JSON; the result is then read as a whole
/// resource is (``SCIMUser/record(from:whole:)``), so a patch is held to the same rules as a
/// replacement, and a patch that breaks one writes nothing.
///
/// Both dialects identity providers send are understood: Entra ID's (`"op": "Replace"` capitalised,
/// paths such as `active` or `emails[type eq "work"].value`, booleans as "False") and Okta's
/// (`{"op": "replace", "value": {"active": false}}` without a path).
///
/// Mobilise keeps one email and one address: adding to `emails` or `addresses` replaces what is kept.
enum SCIMPatch {
    static func apply(_ body: [String: JSONValue], to resource: inout [String: JSONValue]) throws {
        for key in body.keys where !["schemas", "operations"].contains(key.lowercased()) {
            throw SCIMError.invalidSyntax("unknown member '\(key)' in the PatchOp body")
        }
        guard case .array(let schemas)? = body.member("schemas"),
              schemas.contains(where: { if case .string(let urn) = $0 { urn.caseInsensitiveCompare(SCIMSchema.patchOp) == .orderedSame } else { false } })
        else { throw SCIMError.invalidSyntax("'schemas' must name \(SCIMSchema.patchOp)") }
        guard case .array(let operations)? = body.member("Operations"), !operations.isEmpty else {
            throw SCIMError.invalidSyntax("'Operations' must be a non-empty array")
        }
        for operation in operations { try apply(operation, to: &resource) }
    }

    enum Op: String { case add, remove, replace }

    private static func apply(_ operation: JSONValue, to resource: inout [String: JSONValue]) throws {
        guard case .object(let members) = operation else { throw SCIMError.invalidSyntax("each operation must be an object") }
        for key in members.keys where !["op", "path", "value"].contains(key.lowercased()) {
            throw SCIMError.invalidSyntax("unknown member '\(key)' in a PATCH operation")
        }
        guard case .string(let name)? = members.member("op"), let op = Op(rawValue: name.lowercased()) else {
            throw SCIMError.invalidSyntax("each operation's 'op' is add, remove or replace")
        }
        let value = members.member("value")
        switch members.member("path") {
        case nil, .null?:
            guard op != .remove else { throw SCIMError(.badRequest, scimType: "noTarget", detail: "a remove operation needs a path") }
            guard case .object(let values)? = value else {
                throw SCIMError.invalidValue("without a path, an operation's value is an object of attributes")
            }
            for (key, member) in values {
                if let urn = SCIMSchema.knownURN(key), urn != SCIMSchema.user, case .object(let attributes) = member {
                    try apply(op, SCIMPath(urn), .object(attributes), to: &resource)
                } else {
                    try apply(op, SCIMPath(key), member, to: &resource)
                }
            }
        case .string(let text)?:
            try apply(op, SCIMPath(text), value, to: &resource)
        default:
            throw SCIMError.invalidSyntax("an operation's 'path' must be a string")
        }
    }

    private static func apply(_ op: Op, _ path: SCIMPath, _ given: JSONValue?, to resource: inout [String: JSONValue]) throws {
        if path.container == nil, ["id", "meta", "schemas"].contains(path.attribute) {
            throw SCIMError(.badRequest, scimType: "mutability", detail: "'\(path.attribute)' cannot be changed")
        }
        // An add or replace of nothing (null, []) removes (RFC 7644 §3.5.2).
        var op = op
        if op != .remove {
            guard let given else { throw SCIMError.invalidValue("an \(op.rawValue) operation needs a value") }
            if given == .null || given == .array([]) { op = .remove }
        }
        let value = given ?? .null

        // The whole extension.
        if path.attribute.isEmpty, let urn = path.container {
            if op == .remove {
                resource[urn] = nil
                return
            }
            guard case .object(let attributes) = value else { throw SCIMError.invalidValue("'\(urn)' takes an object of its attributes") }
            // An extension object may name its own schema (scim2-models sends it).
            for (name, inner) in attributes where name.lowercased() != "schemas" {
                try apply(op, SCIMPath("\(urn):\(name)"), inner, to: &resource)
            }
            return
        }

        let attribute: SCIMAttribute
        if path.container == nil, path.attribute == "externalId" {
            attribute = SCIMAttribute(name: "externalId", description: "")
        } else if let known = path.schemaAttribute {
            attribute = known
        } else if isIgnored(path) {
            return
        } else {
            throw SCIMError(.badRequest, scimType: "invalidPath", detail: "unknown attribute '\(path.attribute)' (see /Schemas)")
        }
        if let sub = path.subAttribute, attribute.subAttribute(sub) == nil {
            if SCIMSchema.ignoredSubAttributes[attribute.name, default: []].contains(sub.lowercased()) { return }
            throw SCIMError(.badRequest, scimType: "invalidPath", detail: "unknown attribute '\(attribute.name).\(sub)' (see /Schemas)")
        }
        if op == .remove, path.container == nil, path.filter == nil, path.subAttribute == nil, attribute.required {
            throw SCIMError.invalidValue("'\(attribute.name)' is required and cannot be removed")
        }

        var holder = path.container.map { resource[$0]?.object ?? [:] } ?? resource
        if attribute.multiValued {
            try applyMultiValued(op, path, value, attribute: attribute, holder: &holder)
        } else {
            guard path.filter == nil else {
                throw SCIMError(.badRequest, scimType: "invalidPath", detail: "'\(attribute.name)' is single-valued: it takes no filter")
            }
            applySingle(op, path, value, attribute: attribute, holder: &holder)
        }
        if let urn = path.container {
            resource[urn] = holder.isEmpty ? nil : .object(holder)
        } else {
            resource = holder
        }
    }

    private static func applySingle(_ op: Op, _ path: SCIMPath, _ value: JSONValue, attribute: SCIMAttribute, holder: inout [String: JSONValue]) {
        let name = attribute.name
        guard let sub = path.subAttribute else {
            if op == .remove {
                holder[name] = nil
            } else if attribute.kind == .complex, case .object(let members) = value {
                // Sub-attributes not given keep their values (RFC 7644 §3.5.2.1 and .3).
                var merged = holder[name]?.object ?? [:]
                merged.merge(members) { $1 }
                holder[name] = .object(merged)
            } else if attribute.kind == .complex, case .string = value {
                holder[name] = .object(["value": value])  // a manager by its bare id (Entra ID)
            } else {
                holder[name] = value
            }
            return
        }
        var members = holder[name]?.object ?? [:]
        members[sub] = op == .remove ? nil : value
        holder[name] = members.isEmpty ? nil : .object(members)
    }

    private static func applyMultiValued(
        _ op: Op, _ path: SCIMPath, _ value: JSONValue, attribute: SCIMAttribute, holder: inout [String: JSONValue]
    ) throws {
        let name = attribute.name
        var items = (holder[name]?.array ?? []).map { $0.object ?? [:] }
        defer { holder[name] = items.isEmpty ? nil : .array(items.map(JSONValue.object)) }
        guard let filter = path.filter else {
            switch (op, path.subAttribute) {
            case (.remove, nil): items = []
            case (.remove, let sub?): items = items.map { var item = $0; item[sub] = nil; return item }
            case (_, nil):
                // Mobilise keeps one: what is added replaces it.
                switch value {
                case .array(let given): items = try given.map { try object($0, name) }
                default: items = [try object(value, name)]
                }
            case (_, let sub?):
                items = items.isEmpty ? [[sub: value]] : items.map { var item = $0; item[sub] = value; return item }
            }
            return
        }
        let matching = items.indices.filter { filter.matches(items[$0]) }
        if op == .remove {
            guard !matching.isEmpty else {
                throw SCIMError(.badRequest, scimType: "noTarget", detail: "no value of '\(name)' matches the path's filter")
            }
            if let sub = path.subAttribute {
                for index in matching { items[index][sub] = nil }
            } else {
                items = items.indices.filter { !matching.contains($0) }.map { items[$0] }
            }
            return
        }
        guard !matching.isEmpty else {
            // `emails[type eq "work"].value` when there is no work email yet: one is made (Entra ID).
            guard case .compare(let key, "eq", let expected) = filter else {
                throw SCIMError(.badRequest, scimType: "noTarget", detail: "no value of '\(name)' matches the path's filter")
            }
            var item: [String: JSONValue] = [key: expected]
            if let sub = path.subAttribute { item[sub] = value } else { item.merge(try object(value, name)) { $1 } }
            items.append(item)
            return
        }
        for index in matching {
            if let sub = path.subAttribute { items[index][sub] = value } else { items[index] = try object(value, name) }
        }
    }

    private static func object(_ value: JSONValue, _ name: String) throws -> [String: JSONValue] {
        guard case .object(let members) = value else { throw SCIMError.invalidValue("each value of '\(name)' must be an object") }
        return members
    }

    /// An attribute of RFC 7643's User schemas that Mobilise does not keep.
    private static func isIgnored(_ path: SCIMPath) -> Bool {
        switch path.container {
        case nil: SCIMSchema.ignoredUserAttributes.contains(path.attribute.lowercased())
        case SCIMSchema.enterprise: SCIMSchema.ignoredEnterpriseAttributes.contains(path.attribute.lowercased())
        default: false
        }
    }
}
