import Foundation

/// What the service says about itself (RFC 7644 §4): `/ServiceProviderConfig`, `/ResourceTypes`
/// and `/Schemas`. They say only what is true: PATCH and filters are supported; bulk, sorting,
/// ETags and password changes are not; the one resource type is User.
enum SCIMDiscovery {
    static let serviceProviderConfigSchema = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
    static let resourceTypeSchema = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
    static let schemaSchema = "urn:ietf:params:scim:schemas:core:2.0:Schema"

    /// Most resources in one page of `GET /Users`.
    static let maxResults = 1000
    /// Resources in a page when the client does not say.
    static let defaultCount = 100

    static func serviceProviderConfig(base: String) -> JSONValue {
        .object([
            "schemas": .array([.string(serviceProviderConfigSchema)]),
            "patch": .object(["supported": .bool(true)]),
            "bulk": .object(["supported": .bool(false), "maxOperations": .number(0), "maxPayloadSize": .number(0)]),
            "filter": .object(["supported": .bool(true), "maxResults": .number(Double(maxResults))]),
            "changePassword": .object(["supported": .bool(false)]),
            "sort": .object(["supported": .bool(false)]),
            "etag": .object(["supported": .bool(false)]),
            "authenticationSchemes": .array([.object([
                "type": "oauthbearertoken", "name": "SCIM token",
                "description": .string("Authorization: Bearer <token>, with a token an HR admin made for the organisation "
                    + "(POST /v1/scim-tokens or mobilise scim-token create)."),
                "primary": .bool(true),
            ])]),
            "meta": .object(["resourceType": "ServiceProviderConfig", "location": .string("\(base)/ServiceProviderConfig")]),
        ])
    }

    static func resourceTypes(base: String) -> [JSONValue] {
        [.object([
            "schemas": .array([.string(resourceTypeSchema)]),
            "id": "User", "name": "User", "endpoint": "/Users",
            "description": "An employee of the organisation.",
            "schema": .string(SCIMSchema.user),
            "schemaExtensions": .array(SCIMSchema.extensions.map { .object(["schema": .string($0), "required": .bool(false)]) }),
            "meta": .object(["resourceType": "ResourceType", "location": .string("\(base)/ResourceTypes/User")]),
        ])]
    }

    static func schemas(base: String, countries: [String]) -> [JSONValue] {
        [
            (SCIMSchema.user, "User", "An employee of the organisation."),
            (SCIMSchema.enterprise, "EnterpriseUser", "The enterprise extension, reduced to what Mobilise keeps."),
            (SCIMSchema.mobilise, "MobiliseUser", "What Mobilise needs that identity providers do not carry."),
        ].map { urn, name, description in
            .object([
                "schemas": .array([.string(schemaSchema)]),
                "id": .string(urn), "name": .string(name), "description": .string(description),
                "attributes": .array(SCIMSchema.attributes(of: urn == SCIMSchema.user ? nil : urn).map { $0.representation(countries: countries) }),
                "meta": .object(["resourceType": "Schema", "location": .string("\(base)/Schemas/\(urn)")]),
            ])
        }
    }

    /// A ListResponse of every item, as the discovery endpoints answer.
    static func list(_ items: [JSONValue]) -> JSONValue {
        .object([
            "schemas": .array([.string(SCIMSchema.listResponse)]), "totalResults": .number(Double(items.count)),
            "startIndex": .number(1), "itemsPerPage": .number(Double(items.count)), "Resources": .array(items),
        ])
    }
}
