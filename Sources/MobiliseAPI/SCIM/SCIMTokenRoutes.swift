import Foundation
import Hummingbird
import MobiliseDomain
import MobiliseStore

/// Making SCIM tokens: the organisation's id and 32 random bytes (``BrowserCredential``), shown
/// once; the database keeps only the SHA-256 of the random part.
public enum SCIMTokens {
    /// A new token for the organisation: its record, and the token itself (to be shown once).
    public static func create(
        store: MobiliseStore, organisationID: UUID, description: String?, actor: Actor
    ) async throws -> (info: SCIMTokenInfo, token: String) {
        let credential = BrowserCredential(organisationID: organisationID)
        let info = try await store.createSCIMToken(
            organisationID: organisationID, secretHash: credential.hash, description: description, actor: actor)
        return (info, credential.text)
    }
}

/// HR admins make, list and revoke their organisation's SCIM tokens.
struct SCIMTokenRoutes {
    let environment: APIEnvironment
    var store: MobiliseStore { environment.store }

    func register(on v1: RouterGroup<AuthenticatedContext>) {
        v1.post("scim-tokens", use: create)
        v1.get("scim-tokens", use: list)
        v1.delete("scim-tokens/:token", use: revoke)
    }

    struct CreateInput: Decodable {
        var description: String?
    }

    struct TokenResponse: ResponseEncodable {
        var id: UUID
        var description: String?
        var createdBy: String
        var createdAt: Date
        var lastUsedAt: Date?
        /// Only in the answer that creates it.
        var token: String?

        init(_ info: SCIMTokenInfo, token: String? = nil) {
            id = info.id
            description = info.description
            createdBy = info.createdBy
            createdAt = info.createdAt
            lastUsedAt = info.lastUsedAt
            self.token = token
        }
    }

    struct TokenList: ResponseEncodable {
        var tokens: [TokenResponse]
    }

    /// `POST /v1/scim-tokens`: 201 with the token, shown this once.
    @Sendable func create(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let caller = context.identity
        try caller.require(.hrAdmin)
        let input = try await request.optionalJSON(CreateInput.self, context: context, limit: context.maxUploadSize)
        let (info, token) = try await SCIMTokens.create(
            store: store, organisationID: caller.organisation.id, description: input?.description, actor: caller.actor)
        return try jsonResponse(TokenResponse(info, token: token), status: .created)
    }

    @Sendable func list(_ request: Request, context: AuthenticatedContext) async throws -> TokenList {
        let caller = context.identity
        try caller.require(.hrAdmin)
        return TokenList(tokens: try await store.scimTokens(organisationID: caller.organisation.id).map { TokenResponse($0) })
    }

    @Sendable func revoke(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let caller = context.identity
        try caller.require(.hrAdmin)
        let text = try context.parameters.require("token")
        guard let id = UUID(uuidString: text),
              try await store.revokeSCIMToken(organisationID: caller.organisation.id, id: id, actor: caller.actor)
        else { throw APIError(.notFound, code: .scimTokenNotFound, "no SCIM token '\(text)' in this organisation") }
        return Response(status: .noContent)
    }
}
