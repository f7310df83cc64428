import Foundation
import MobiliseDomain
import Postgres

/// An organisation's OpenID provider, as an HR admin configured it (sql/0015).
public struct SSOProvider: Sendable, Equatable {
    /// The issuer exactly as the provider spells it (`https://login.example.com/realm`).
    public var issuer: String
    public var clientID: String
    public var clientSecret: String
    /// The ID token claim holding the employee's HR id.
    public var hrIDClaim: String
    /// The claim holding roles or groups; nil: everyone signs in as an employee only.
    public var rolesClaim: String?
    /// Group → role. Empty: the roles claim's values are Mobilise role names.
    public var roleMapping: [(group: String, role: String)]

    public init(issuer: String, clientID: String, clientSecret: String, hrIDClaim: String = "sub",
                rolesClaim: String? = nil, roleMapping: [(group: String, role: String)] = []) {
        self.issuer = issuer
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.hrIDClaim = hrIDClaim
        self.rolesClaim = rolesClaim
        self.roleMapping = roleMapping
    }

    public static func == (a: SSOProvider, b: SSOProvider) -> Bool {
        a.issuer == b.issuer && a.clientID == b.clientID && a.clientSecret == b.clientSecret && a.hrIDClaim == b.hrIDClaim
            && a.rolesClaim == b.rolesClaim && a.roleMapping.map(\.group) == b.roleMapping.map(\.group)
            && a.roleMapping.map(\.role) == b.roleMapping.map(\.role)
    }
}

/// A sign-in in progress: what the provider's redirect back is checked against.
public struct SSOLogin: Sendable, Equatable {
    public var state: String
    public var nonce: String
    public var codeVerifier: String
    public var redirectURI: String
    /// The page of this service to open once signed in.
    public var returnPath: String
    public var expires: Date

    public init(state: String, nonce: String, codeVerifier: String, redirectURI: String, returnPath: String = "/dashboard", expires: Date) {
        self.state = state
        self.nonce = nonce
        self.codeVerifier = codeVerifier
        self.redirectURI = redirectURI
        self.returnPath = returnPath
        self.expires = expires
    }
}

/// Single sign-on: each organisation's provider, and sign-ins in progress (sql/0015). As for
/// sessions, the store never sees the browser's credential, only the SHA-256 of its random part.
extension MobiliseStore {
    /// Sets the organisation's provider (replacing any). Audited, without the secret.
    public func setSSOProvider(organisationID: UUID, _ provider: SSOProvider, actor: Actor) async throws {
        try Self.validate(provider)
        let groups = provider.roleMapping.map(\.group), roles = provider.roleMapping.map(\.role)
        try await pool.withTransaction { connection in
            try connection.execute("""
                INSERT INTO sso_providers (organisation_id, issuer, client_id, client_secret, hr_id_claim, roles_claim,
                                           role_groups, role_names, updated_by)
                VALUES (\(organisationID), \(provider.issuer), \(provider.clientID), \(provider.clientSecret), \(provider.hrIDClaim),
                        \(provider.rolesClaim), \(groups), \(roles), \(actor.identity))
                ON CONFLICT (organisation_id) DO UPDATE SET
                    issuer = EXCLUDED.issuer, client_id = EXCLUDED.client_id, client_secret = EXCLUDED.client_secret,
                    hr_id_claim = EXCLUDED.hr_id_claim, roles_claim = EXCLUDED.roles_claim, role_groups = EXCLUDED.role_groups,
                    role_names = EXCLUDED.role_names, updated_by = EXCLUDED.updated_by, updated_at = now()
                """)
            try Self.audit(connection, organisationID: organisationID, actor: actor, action: "sso.configure", subject: provider.issuer)
        }
    }

    /// The organisation's provider, if one is configured.
    public func ssoProvider(organisationID: UUID) async throws -> SSOProvider? {
        try await pool.withConnection { connection in
            try connection.query("""
                SELECT issuer, client_id, client_secret, hr_id_claim, roles_claim, role_groups, role_names
                FROM sso_providers WHERE organisation_id = \(organisationID)
                """).rows.first.map { row in
                let groups = try row.decode([String].self, column: "role_groups")
                let roles = try row.decode([String].self, column: "role_names")
                return SSOProvider(
                    issuer: try row.decode(String.self, column: "issuer"), clientID: try row.decode(String.self, column: "client_id"),
                    clientSecret: try row.decode(String.self, column: "client_secret"),
                    hrIDClaim: try row.decode(String.self, column: "hr_id_claim"),
                    rolesClaim: try row.decode(String?.self, column: "roles_claim"),
                    roleMapping: zip(groups, roles).map { (group: $0, role: $1) })
            }
        }
    }

    /// Removes the organisation's provider (sign-ins in progress end with it). Audited. False when none.
    public func removeSSOProvider(organisationID: UUID, actor: Actor) async throws -> Bool {
        try await pool.withTransaction { connection in
            guard try connection.execute("DELETE FROM sso_providers WHERE organisation_id = \(organisationID)") > 0 else { return false }
            try connection.execute("DELETE FROM sso_logins WHERE organisation_id = \(organisationID)")
            try Self.audit(connection, organisationID: organisationID, actor: actor, action: "sso.remove", subject: nil)
            return true
        }
    }

    /// Every organisation's OpenID client secret as stored, for the service to seal again at
    /// startup (plain ones saved before sealing, ones sealed under a retired key).
    public func storedSSOClientSecrets() async throws -> [(organisationID: UUID, secret: String)] {
        try await pool.withConnection { connection in
            try connection.query("SELECT organisation_id, client_secret FROM sso_providers ORDER BY organisation_id")
                .rows.map { try $0.decode((UUID, String).self) }.map { (organisationID: $0.0, secret: $0.1) }
        }
    }

    /// Replaces a stored client secret if it is still `old`. Returns whether it did.
    @discardableResult
    public func replaceSSOClientSecret(organisationID: UUID, from old: String, to new: String) async throws -> Bool {
        try await pool.withConnection { connection in
            try connection.execute("""
                UPDATE sso_providers SET client_secret = \(new) WHERE organisation_id = \(organisationID) AND client_secret = \(old)
                """) == 1
        }
    }

    /// Records a sign-in in progress, under the hash of the browser's credential.
    public func startSSOLogin(organisationID: UUID, secretHash: Data, _ login: SSOLogin) async throws {
        try await pool.withTransaction { connection in
            try connection.execute("DELETE FROM sso_logins WHERE organisation_id = \(organisationID) AND expires_at < now()")
            try connection.execute("""
                INSERT INTO sso_logins (organisation_id, secret_hash, state, nonce, code_verifier, redirect_uri, return_path, expires_at)
                VALUES (\(organisationID), \(secretHash), \(login.state), \(login.nonce), \(login.codeVerifier), \(login.redirectURI),
                        \(login.returnPath), \(login.expires))
                """)
        }
    }

    /// Uses up a sign-in in progress, with its organisation's slug: nil if unknown, used already or
    /// expired. Of two requests with the same credential, one gets it.
    public func finishSSOLogin(organisationID: UUID, secretHash: Data) async throws -> (login: SSOLogin, organisationSlug: String)? {
        try await pool.withConnection { connection in
            try connection.query("""
                WITH used AS (
                    DELETE FROM sso_logins WHERE organisation_id = \(organisationID) AND secret_hash = \(secretHash)
                    RETURNING organisation_id, state, nonce, code_verifier, redirect_uri, return_path, expires_at
                )
                SELECT o.slug, used.state, used.nonce, used.code_verifier, used.redirect_uri, used.return_path, used.expires_at,
                       used.expires_at > now() AS valid
                FROM used JOIN organisations o ON o.id = used.organisation_id
                """).rows.first.flatMap { row in
                guard try row.decode(Bool.self, column: "valid") else { return nil }
                let login = SSOLogin(
                    state: try row.decode(String.self, column: "state"), nonce: try row.decode(String.self, column: "nonce"),
                    codeVerifier: try row.decode(String.self, column: "code_verifier"),
                    redirectURI: try row.decode(String.self, column: "redirect_uri"),
                    returnPath: try row.decode(String.self, column: "return_path"),
                    expires: try row.decode(Date.self, column: "expires_at"))
                return (login, try row.decode(String.self, column: "slug"))
            }
        }
    }

    private static func validate(_ provider: SSOProvider) throws {
        guard let url = URL(string: provider.issuer), let scheme = url.scheme?.lowercased(), scheme == "https" || scheme == "http",
              let host = url.host, provider.issuer.count <= 500,
              scheme == "https" || ["127.0.0.1", "localhost", "::1", "[::1]"].contains(host.lowercased())
        else {
            throw MobiliseError(.invalid, code: .invalidIssuer,
                                "the issuer must be the provider's https URL, as its discovery document spells it (http only on loopback)")
        }
        guard (1...500).contains(provider.clientID.count) else {
            throw MobiliseError(.invalid, code: .invalidClientId, "give the client id the provider issued (1 to 500 characters)")
        }
        // As stored: the service seals the secret (up to 500 characters given, about 700 sealed).
        guard (1...1000).contains(provider.clientSecret.count) else {
            throw MobiliseError(.invalid, code: .invalidClientSecret, "give the client secret the provider issued (1 to 500 characters)")
        }
        guard (1...100).contains(provider.hrIDClaim.count), provider.rolesClaim.map({ (1...100).contains($0.count) }) ?? true else {
            throw MobiliseError(.invalid, code: .invalidClaim, "claim names are 1 to 100 characters")
        }
        guard provider.roleMapping.count <= 200 else {
            throw MobiliseError(.invalid, code: .invalidRoleMapping, "at most 200 group-to-role entries")
        }
        for entry in provider.roleMapping where !["employee", "leader", "hr_admin"].contains(entry.role) || entry.group.isEmpty {
            throw MobiliseError(.invalid, code: .invalidRoleMapping,
                                "group '\(entry.group)' maps to '\(entry.role)': roles are employee, leader or hr_admin, groups not empty")
        }
    }
}
