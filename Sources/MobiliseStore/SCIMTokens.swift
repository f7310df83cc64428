import Foundation
import MobiliseDomain
import Postgres
import Synchronization

/// A SCIM client's bearer token, as HR admins see it: never the secret.
public struct SCIMTokenInfo: Sendable, Equatable {
    public var id: UUID
    public var description: String?
    /// Who made it (an HR id, or `operator:cli`).
    public var createdBy: String
    public var createdAt: Date
    /// When a request last presented it (to the minute), nil if never.
    public var lastUsedAt: Date?

    public init(id: UUID, description: String?, createdBy: String, createdAt: Date, lastUsedAt: Date?) {
        self.id = id
        self.description = description
        self.createdBy = createdBy
        self.createdAt = createdAt
        self.lastUsedAt = lastUsedAt
    }
}

/// The tokens of SCIM clients (sql/0012), several per organisation (rotation). As for sessions, the
/// store never sees a token: callers pass the SHA-256 of its random part.
extension MobiliseStore {
    /// Records a new token; returns its id. Audited.
    public func createSCIMToken(organisationID: UUID, secretHash: Data, description: String?, actor: Actor) async throws -> SCIMTokenInfo {
        if let description, description.count > 200 {
            throw MobiliseError(.invalid, code: .invalidDescription, "the description is longer than 200 characters")
        }
        return try await pool.withTransaction { connection in
            let row = try connection.query("""
                INSERT INTO scim_tokens (organisation_id, secret_hash, description, created_by)
                VALUES (\(organisationID), \(secretHash), \(description), \(actor.identity))
                RETURNING id, description, created_by, created_at, last_used_at
                """).rows[0]
            let token = try Self.tokenInfo(from: row)
            try Self.audit(connection, organisationID: organisationID, actor: actor, action: "scim_token.create",
                           subject: token.id.uuidString.lowercased())
            return token
        }
    }

    /// The organisation's tokens, oldest first.
    public func scimTokens(organisationID: UUID) async throws -> [SCIMTokenInfo] {
        try await pool.withConnection { connection in
            try connection.query("""
                SELECT id, description, created_by, created_at, last_used_at FROM scim_tokens
                WHERE organisation_id = \(organisationID) ORDER BY created_at, id
                """).rows.map(Self.tokenInfo(from:))
        }
    }

    /// Revokes a token: from now on it authenticates nothing. Audited. False when there is no such token.
    public func revokeSCIMToken(organisationID: UUID, id: UUID, actor: Actor) async throws -> Bool {
        // Forgotten once the deletion is committed: a look-up that began before is not remembered.
        defer { scimTokenCache.forget(id) }
        return try await pool.withTransaction { connection in
            let deleted = try connection.execute("DELETE FROM scim_tokens WHERE organisation_id = \(organisationID) AND id = \(id)")
            guard deleted > 0 else { return false }
            try Self.audit(connection, organisationID: organisationID, actor: actor, action: "scim_token.revoke", subject: id.uuidString.lowercased())
            return true
        }
    }

    /// The id of the token with this hash, noting its use (at most once a minute); nil when there is none.
    ///
    /// A token found is remembered for ``SCIMTokenCache/lifetime`` (an identity provider's push sends
    /// it with every request): a token revoked through this store is forgotten at once, one revoked
    /// elsewhere (the command line, another instance of the service) within that lifetime.
    public func useSCIMToken(organisationID: UUID, secretHash: Data) async throws -> UUID? {
        let key = SCIMTokenCache.Key(organisationID: organisationID, secretHash: secretHash)
        if let cached = scimTokenCache.lookUp(key) { return cached }
        let generation = scimTokenCache.generation
        guard let id = try await lookUpSCIMToken(organisationID: organisationID, secretHash: secretHash) else { return nil }
        scimTokenCache.remember(key, id: id, ifStill: generation)
        return id
    }

    private func lookUpSCIMToken(organisationID: UUID, secretHash: Data) async throws -> UUID? {
        let query: PostgresQuery = """
            WITH found AS (
                SELECT id, last_used_at FROM scim_tokens WHERE organisation_id = \(organisationID) AND secret_hash = \(secretHash)
            ), noted AS (
                UPDATE scim_tokens t SET last_used_at = now() FROM found
                WHERE t.organisation_id = \(organisationID) AND t.id = found.id
                  AND (found.last_used_at IS NULL OR found.last_used_at < now() - interval '1 minute')
            )
            SELECT id FROM found
            """
        return try await pool.withConnection { connection in try connection.query(query.prepared()).scalar(UUID.self) }
    }

    private static func tokenInfo(from row: PostgresRow) throws -> SCIMTokenInfo {
        SCIMTokenInfo(
            id: try row.decode(UUID.self, column: "id"), description: try row.decode(String?.self, column: "description"),
            createdBy: try row.decode(String.self, column: "created_by"), createdAt: try row.decode(Date.self, column: "created_at"),
            lastUsedAt: try row.decode(Date?.self, column: "last_used_at"))
    }
}

/// The SCIM tokens a store found lately, so that a push of one request per user does not look its
/// token up every time: by organisation and hash of the secret, for ``lifetime`` (default 5 seconds).
/// Revoking through the store forgets the token at once, and a look-up that was under way while a
/// token was revoked is not remembered.
public final class SCIMTokenCache: Sendable {
    struct Key: Hashable, Sendable {
        var organisationID: UUID
        var secretHash: Data
    }

    private struct Entry {
        var id: UUID
        var expires: ContinuousClock.Instant
    }

    private struct State {
        var entries: [Key: Entry] = [:]
        var lifetime: Duration
        /// Counts revocations: a look-up started before one is not remembered.
        var generation = 0
    }

    /// Tokens remembered at most (each a valid token of some organisation); past it, all are forgotten.
    static let capacity = 10_000

    private let state: Mutex<State>

    public init(lifetime: Duration = .seconds(5)) {
        state = Mutex(State(lifetime: lifetime))
    }

    /// How long a token found is trusted without asking the database again.
    public var lifetime: Duration {
        get { state.withLock { $0.lifetime } }
        set { state.withLock { $0.lifetime = newValue; $0.entries.removeAll() } }
    }

    var generation: Int { state.withLock { $0.generation } }

    func lookUp(_ key: Key) -> UUID? {
        let now = ContinuousClock.now
        return state.withLock { state in
            guard let entry = state.entries[key] else { return nil }
            if entry.expires > now { return entry.id }
            state.entries[key] = nil
            return nil
        }
    }

    func remember(_ key: Key, id: UUID, ifStill generation: Int) {
        let now = ContinuousClock.now
        state.withLock { state in
            guard state.generation == generation, state.lifetime > .zero else { return }
            if state.entries.count >= Self.capacity { state.entries.removeAll() }
            state.entries[key] = Entry(id: id, expires: now + state.lifetime)
        }
    }

    func forget(_ id: UUID) {
        state.withLock { state in
            state.generation += 1
            state.entries = state.entries.filter { $0.value.id != id }
        }
    }
}
