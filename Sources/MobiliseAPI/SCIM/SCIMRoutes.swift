import Foundation
import HTTPTypes
import Hummingbird
import MobiliseDomain
import MobiliseStore

/// A SCIM client: an organisation's identity provider, through one of the organisation's tokens.
public struct SCIMClient: Sendable {
    public var organisationID: UUID
    public var tokenID: UUID

    /// The actor of the audit log: the token, by id.
    var actor: Actor { Actor("scim:\(tokenID.uuidString.lowercased())") }
}

/// Everything under `/scim/v2` answers as SCIM does: a SCIM token is required (anything else, a
/// JWT included, is 401), errors are SCIM error bodies, an unknown endpoint is 404, a known one
/// asked with another method 405, and what SCIM defines but Mobilise does not offer 501.
struct SCIMMiddleware: RouterMiddleware {
    typealias Context = MobiliseRequestContext
    let store: MobiliseStore

    static let root = "/scim/v2"

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let path = request.uri.path
        guard path == Self.root || path.hasPrefix(Self.root + "/") else { return try await next(request, context) }
        do {
            var context = context
            context.scimClient = try await authenticate(request)
            do {
                return try await next(request, context)
            } catch let error as HTTPError where error.status == .notFound {
                throw Self.unrouted(request.method, path: String(path.dropFirst(Self.root.count)))
            }
        } catch {
            return try SCIMError.from(error, logger: context.logger).response()
        }
    }

    private func authenticate(_ request: Request) async throws -> SCIMClient {
        let challenge: HTTPFields = [.wwwAuthenticate: #"Bearer realm="mobilise-scim""#]
        guard let header = request.headers[.authorization], header.count <= AuthenticationMiddleware.maxTokenLength else {
            throw SCIMError(.unauthorized, detail: "send Authorization: Bearer <SCIM token>", headers: challenge)
        }
        let parts = header.split(separator: " ", maxSplits: 1)
        guard parts.count == 2, parts[0].lowercased() == "bearer", let credential = BrowserCredential(parts[1]),
              let tokenID = try await store.useSCIMToken(organisationID: credential.organisationID, secretHash: credential.hash)
        else {
            throw SCIMError(.unauthorized, detail: "the SCIM token is unknown or revoked (a SCIM token is not a sign-in token)", headers: challenge)
        }
        return SCIMClient(organisationID: credential.organisationID, tokenID: tokenID)
    }

    /// The answer to a request no route took: 501, 405 (with `Allow`) or 404.
    static func unrouted(_ method: HTTPRequest.Method, path: String) -> SCIMError {
        let components = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        if ["/.search", "/Bulk", "/Me", "/Users/.search"].contains(path) {
            return SCIMError(.notImplemented, detail: "\(path) is not offered (see /ServiceProviderConfig)")
        }
        let allowed: [HTTPRequest.Method]
        switch (components.first, components.count) {
        case ("ServiceProviderConfig", 1), ("ResourceTypes", 1), ("ResourceTypes", 2), ("Schemas", 1), ("Schemas", 2): allowed = [.get]
        case ("Users", 1): allowed = [.get, .post]
        case ("Users", 2): allowed = [.get, .put, .patch, .delete]
        default: return SCIMError(.notFound, detail: "no such SCIM endpoint: \(path)")
        }
        guard !allowed.contains(method) else { return SCIMError(.notFound, detail: "no such SCIM endpoint: \(path)") }
        return SCIMError(
            .methodNotAllowed, detail: "\(path) takes \(allowed.map(\.rawValue).joined(separator: ", "))",
            headers: [.allow: allowed.map(\.rawValue).joined(separator: ", ")])
    }
}

extension MobiliseRequestContext {
    /// The SCIM client (the SCIM middleware guarantees it under `/scim/v2`).
    func scimCaller() throws -> SCIMClient {
        guard let scimClient else { throw SCIMError(.unauthorized, detail: "a SCIM token is required") }
        return scimClient
    }
}

/// The SCIM 2.0 service provider (RFC 7643, RFC 7644): Users and the discovery endpoints.
struct SCIMRoutes {
    let store: MobiliseStore
    /// `MOBILISE_PUBLIC_URL`: SCIM's absolute URIs start with it when set.
    var publicURL: String?

    func register(on router: Router<MobiliseRequestContext>) {
        let scim = router.group("scim/v2")
        scim.get("ServiceProviderConfig", use: serviceProviderConfig)
        scim.get("ResourceTypes", use: resourceTypes)
        scim.get("ResourceTypes/:id", use: resourceType)
        scim.get("Schemas", use: schemas)
        scim.get("Schemas/:id", use: schema)
        scim.get("Users", use: users)
        scim.post("Users", use: createUser)
        scim.get("Users/:id", use: user)
        scim.put("Users/:id", use: replaceUser)
        scim.patch("Users/:id", use: patchUser)
        scim.delete("Users/:id", use: deleteUser)
    }

    // MARK: Discovery

    @Sendable func serviceProviderConfig(_ request: Request, context: MobiliseRequestContext) async throws -> Response {
        try SCIMBody.response(SCIMDiscovery.serviceProviderConfig(base: base(request)))
    }

    @Sendable func resourceTypes(_ request: Request, context: MobiliseRequestContext) async throws -> Response {
        try SCIMBody.response(SCIMDiscovery.list(SCIMDiscovery.resourceTypes(base: base(request))))
    }

    @Sendable func resourceType(_ request: Request, context: MobiliseRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        guard let found = SCIMDiscovery.resourceTypes(base: base(request)).first(where: { $0.object?["id"] == .string(id) }) else {
            throw SCIMError(.notFound, detail: "no resource type '\(id)' (the one resource type is User)")
        }
        return try SCIMBody.response(found)
    }

    @Sendable func schemas(_ request: Request, context: MobiliseRequestContext) async throws -> Response {
        try SCIMBody.response(SCIMDiscovery.list(SCIMDiscovery.schemas(base: base(request), countries: try await store.countryCodes())))
    }

    @Sendable func schema(_ request: Request, context: MobiliseRequestContext) async throws -> Response {
        let id = try context.parameters.require("id")
        let all = SCIMDiscovery.schemas(base: base(request), countries: try await store.countryCodes())
        guard let found = all.first(where: { $0.object?["id"] == .string(SCIMSchema.knownURN(id) ?? id) }) else {
            throw SCIMError(.notFound, detail: "no schema '\(id)'")
        }
        return try SCIMBody.response(found)
    }

    // MARK: Users

    @Sendable func users(_ request: Request, context: MobiliseRequestContext) async throws -> Response {
        let client = try context.scimCaller()
        let filter = try request.query("filter").map { try SCIMFilter($0).employeeFilter() }
        let startIndex = max(try Self.integer(request, "startIndex") ?? 1, 1)
        let count = min(max(try Self.integer(request, "count") ?? SCIMDiscovery.defaultCount, 0), SCIMDiscovery.maxResults)
        let (total, employees) = try await store.provisionedEmployees(
            organisationID: client.organisationID, filter: filter, offset: startIndex - 1, limit: count)
        let base = base(request)
        let (attributes, excluded) = Self.projection(request)
        let resources = employees.map { JSONValue.object(SCIMUser.project(SCIMUser.resource($0, base: base), attributes: attributes, excluded: excluded)) }
        return try SCIMBody.response(.object([
            "schemas": .array([.string(SCIMSchema.listResponse)]), "totalResults": .number(Double(total)),
            "startIndex": .number(Double(startIndex)), "itemsPerPage": .number(Double(resources.count)), "Resources": .array(resources),
        ]))
    }

    @Sendable func user(_ request: Request, context: MobiliseRequestContext) async throws -> Response {
        let client = try context.scimCaller()
        let id = try Self.userID(context)
        guard let found = try await store.provisionedEmployee(organisationID: client.organisationID, id: id) else { throw Self.notFound(id) }
        let (attributes, excluded) = Self.projection(request)
        return try SCIMBody.response(.object(SCIMUser.project(SCIMUser.resource(found, base: base(request)), attributes: attributes, excluded: excluded)))
    }

    @Sendable func createUser(_ request: Request, context: MobiliseRequestContext) async throws -> Response {
        let client = try context.scimCaller()
        let record = try SCIMUser.record(from: try await SCIMBody.object(of: request, limit: context.maxUploadSize), whole: true)
        let created = try await store.createProvisionedEmployee(organisationID: client.organisationID, record, actor: client.actor)
        let resource = SCIMUser.resource(created, base: base(request))
        var headers: HTTPFields = [:]
        if case .object(let meta)? = resource["meta"], case .string(let location)? = meta["location"] { headers[.location] = location }
        return try SCIMBody.response(.object(resource), status: .created, headers: headers)
    }

    @Sendable func replaceUser(_ request: Request, context: MobiliseRequestContext) async throws -> Response {
        let client = try context.scimCaller()
        let id = try Self.userID(context)
        let record = try SCIMUser.record(from: try await SCIMBody.object(of: request, limit: context.maxUploadSize), whole: true)
        guard let replaced = try await store.updateProvisionedEmployee(
            organisationID: client.organisationID, id: id, operation: "replace", actor: client.actor, { _ in record })
        else { throw Self.notFound(id) }
        return try SCIMBody.response(.object(SCIMUser.resource(replaced, base: base(request))))
    }

    @Sendable func patchUser(_ request: Request, context: MobiliseRequestContext) async throws -> Response {
        let client = try context.scimCaller()
        let id = try Self.userID(context)
        let body = try await SCIMBody.object(of: request, limit: context.maxUploadSize)
        let base = base(request)
        guard let patched = try await store.updateProvisionedEmployee(
            organisationID: client.organisationID, id: id, operation: "update", actor: client.actor, { current in
                var resource = SCIMUser.resource(current, base: base)
                try SCIMPatch.apply(body, to: &resource)
                return try SCIMUser.record(from: resource, whole: false)
            })
        else { throw Self.notFound(id) }
        return try SCIMBody.response(.object(SCIMUser.resource(patched, base: base)))
    }

    @Sendable func deleteUser(_ request: Request, context: MobiliseRequestContext) async throws -> Response {
        let client = try context.scimCaller()
        let id = try Self.userID(context)
        guard try await store.deleteProvisionedEmployee(organisationID: client.organisationID, id: id, actor: client.actor) else {
            throw Self.notFound(id)
        }
        return Response(status: .noContent)
    }

    // MARK: Helpers

    /// The SCIM root as the client reached it, for `meta.location`; under the configured public
    /// address when there is one (`MOBILISE_PUBLIC_URL`).
    func base(_ request: Request) -> String {
        if let publicURL { return publicURL + SCIMMiddleware.root }
        let forwarded = HTTPField.Name("X-Forwarded-Proto").flatMap { request.headers[$0] }?.lowercased()
        let scheme = forwarded == "https" ? "https" : (request.head.scheme ?? "http")
        return "\(scheme)://\(request.head.authority ?? "localhost")\(SCIMMiddleware.root)"
    }

    private static func userID(_ context: MobiliseRequestContext) throws -> UUID {
        let text = try context.parameters.require("id")
        guard let id = UUID(uuidString: text) else { throw SCIMError(.notFound, detail: "no user '\(text)'") }
        return id
    }

    private static func notFound(_ id: UUID) -> SCIMError {
        SCIMError(.notFound, detail: "no user '\(id.uuidString.lowercased())'")
    }

    private static func integer(_ request: Request, _ name: String) throws -> Int? {
        guard let text = request.query(name) else { return nil }
        guard let value = Int(text) else { throw SCIMError.invalidValue("'\(name)' must be a whole number") }
        return value
    }

    /// `attributes` and `excludedAttributes`, comma-separated.
    private static func projection(_ request: Request) -> (attributes: [String], excluded: [String]) {
        func names(_ parameter: String) -> [String] {
            (request.query(parameter) ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        }
        return (names("attributes"), names("excludedAttributes"))
    }
}
