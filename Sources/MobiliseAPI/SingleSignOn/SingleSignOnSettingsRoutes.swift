import Foundation
import Hummingbird
import MobiliseDomain
import MobiliseStore

/// HR admins set their organisation's OpenID provider: `GET`, `PUT` and `DELETE /v1/sso`.
struct SingleSignOnSettingsRoutes {
    let environment: APIEnvironment
    var store: MobiliseStore { environment.store }

    func register(on v1: RouterGroup<AuthenticatedContext>) {
        v1.get("sso", use: show)
        v1.put("sso", use: set)
        v1.delete("sso", use: remove)
    }

    struct RoleMappingEntry: Codable {
        var group: String
        var role: String
    }

    /// The body of `PUT /v1/sso`.
    struct SettingsInput: Decodable {
        var issuer: String
        var clientId: String
        var clientSecret: String
        var hrIdClaim: String?
        var rolesClaim: String?
        var roleMapping: [RoleMappingEntry]?
    }

    /// What `GET` answers: never the client secret.
    struct SettingsResponse: ResponseEncodable {
        var issuer: String
        var clientId: String
        var hrIdClaim: String
        var rolesClaim: String?
        var roleMapping: [RoleMappingEntry]
        /// Where people start signing in (link to it from the intranet).
        var signInPath: String
        /// The path to register at the provider as the redirect URI, after this service's origin.
        var redirectPath: String
    }

    @Sendable func show(_ request: Request, context: AuthenticatedContext) async throws -> SettingsResponse {
        let caller = context.identity
        try caller.require(.hrAdmin)
        guard let provider = try await store.ssoProvider(organisationID: caller.organisation.id) else {
            throw APIError(.notFound, code: .ssoNotConfigured, "no identity provider is set for this organisation; PUT /v1/sso sets one")
        }
        return Self.response(provider, organisation: caller.organisation)
    }

    @Sendable func set(_ request: Request, context: AuthenticatedContext) async throws -> SettingsResponse {
        let caller = context.identity
        try caller.require(.hrAdmin)
        let input = try await request.json(SettingsInput.self, context: context, limit: 64 << 10)
        // The service will call the issuer (discovery, keys, token): the outbound-URL policy of webhooks.
        do {
            try environment.configuration.outbox.policy.check(input.issuer)
        } catch let refusal as OutboundURLPolicy.Refusal {
            throw APIError(.unprocessableContent, code: .outboundURLRefused, "issuer: \(refusal.description)")
        }
        // Checked as given, then sealed (SecretSealer): the database never holds it in plain text.
        guard (1...500).contains(input.clientSecret.count) else {
            throw APIError(.badRequest, code: .invalidClientSecret, "give the client secret the provider issued (1 to 500 characters)")
        }
        guard let sealer = SecretSealer(configuration: environment.configuration, purpose: .ssoClientSecret) else {
            throw APIError(.serviceUnavailable, code: .secretsKeyMissing,
                           "this service has no key to keep the client secret with: set MOBILISE_SECRETS_KEY (or MOBILISE_JWT_SECRET)")
        }
        let provider = SSOProvider(
            issuer: input.issuer, clientID: input.clientId,
            clientSecret: try sealer.seal(input.clientSecret, organisationID: caller.organisation.id), hrIDClaim: input.hrIdClaim ?? "sub",
            rolesClaim: input.rolesClaim, roleMapping: (input.roleMapping ?? []).map { (group: $0.group, role: $0.role) })
        try await store.setSSOProvider(organisationID: caller.organisation.id, provider, actor: caller.actor)
        return Self.response(provider, organisation: caller.organisation)
    }

    @Sendable func remove(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let caller = context.identity
        try caller.require(.hrAdmin)
        guard try await store.removeSSOProvider(organisationID: caller.organisation.id, actor: caller.actor) else {
            throw APIError(.notFound, code: .ssoNotConfigured, "no identity provider is set for this organisation")
        }
        return Response(status: .noContent)
    }

    static func response(_ provider: SSOProvider, organisation: Organisation) -> SettingsResponse {
        SettingsResponse(
            issuer: provider.issuer, clientId: provider.clientID, hrIdClaim: provider.hrIDClaim, rolesClaim: provider.rolesClaim,
            roleMapping: provider.roleMapping.map { RoleMappingEntry(group: $0.group, role: $0.role) },
            signInPath: "/auth/oidc/\(organisation.slug)/sign-in", redirectPath: SingleSignOnRoutes.callbackPath)
    }
}
