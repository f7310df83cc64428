import Foundation
import MobiliseDomain
import Postgres

/// The identity a browser session or a sign-in code stands for.
public struct SessionIdentity: Sendable, Equatable {
    public var organisationID: UUID
    /// The organisation's slug (what a token's `org` claim carries).
    public var organisationSlug: String
    /// An HR id, as a token's `sub`.
    public var subject: String
    /// Role names, as a token's `roles`.
    public var roles: [String]
    /// When the session ends at the latest.
    public var expires: Date

    public init(organisationID: UUID, organisationSlug: String, subject: String, roles: [String], expires: Date) {
        self.organisationID = organisationID
        self.organisationSlug = organisationSlug
        self.subject = subject
        self.roles = roles
        self.expires = expires
    }
}

/// Browser sessions and the single-use codes of one-click sign-in links (sql/0009).
///
/// The store never sees a credential: callers pass the SHA-256 of its random part (`secretHash`),
/// with the organisation it names. Rows past their expiry are deleted whenever a row of the same
/// organisation is created, so neither table grows without bound and no scheduled job is needed.
extension MobiliseStore {
    /// Records a session for `identity`, valid until `identity.expires`.
    public func createSession(secretHash: Data, identity: SessionIdentity) async throws {
        try await pool.withTransaction { connection in
            try connection.execute("""
                DELETE FROM sessions WHERE organisation_id = \(identity.organisationID) AND expires_at < now()
                """)
            try connection.execute("""
                INSERT INTO sessions (organisation_id, secret_hash, subject, roles, expires_at)
                VALUES (\(identity.organisationID), \(secretHash), \(identity.subject), \(identity.roles), \(identity.expires))
                """)
        }
    }

    /// The identity of a session that has neither expired nor ended; nil otherwise.
    public func session(organisationID: UUID, secretHash: Data) async throws -> SessionIdentity? {
        try await pool.withConnection { connection in
            try connection.query("""
                SELECT o.slug, s.subject, s.roles, s.expires_at
                FROM sessions s JOIN organisations o ON o.id = s.organisation_id
                WHERE s.organisation_id = \(organisationID) AND s.secret_hash = \(secretHash)
                  AND s.ended_at IS NULL AND s.expires_at > now()
                """).rows.first.map { row in
                SessionIdentity(
                    organisationID: organisationID, organisationSlug: try row.decode(String.self, column: "slug"),
                    subject: try row.decode(String.self, column: "subject"), roles: try row.decode([String].self, column: "roles"),
                    expires: try row.decode(Date.self, column: "expires_at"))
            }
        }
    }

    /// Ends a session (sign-out): from now on it authenticates nothing. Ending an unknown or ended
    /// session does nothing.
    public func endSession(organisationID: UUID, secretHash: Data) async throws {
        _ = try await pool.withConnection { connection in
            try connection.execute("""
                UPDATE sessions SET ended_at = now()
                WHERE organisation_id = \(organisationID) AND secret_hash = \(secretHash) AND ended_at IS NULL
                """)
        }
    }

    /// Records a sign-in code for `identity`, exchangeable once until `codeExpires`.
    public func createSignInCode(secretHash: Data, identity: SessionIdentity, codeExpires: Date) async throws {
        try await pool.withTransaction { connection in
            try connection.execute("""
                DELETE FROM sign_in_codes WHERE organisation_id = \(identity.organisationID) AND expires_at < now()
                """)
            try connection.execute("""
                INSERT INTO sign_in_codes (organisation_id, secret_hash, subject, roles, expires_at, session_expires_at)
                VALUES (\(identity.organisationID), \(secretHash), \(identity.subject), \(identity.roles), \(codeExpires), \(identity.expires))
                """)
        }
    }

    /// The identity of a sign-in code that has not expired, without using it up; nil otherwise.
    public func signInCode(organisationID: UUID, secretHash: Data) async throws -> SessionIdentity? {
        try await pool.withConnection { connection in
            try Self.signInCodeRow(connection, organisationID: organisationID, secretHash: secretHash, consume: false)
        }
    }

    /// Uses up a sign-in code and opens the session it stands for, in one transaction: of two
    /// browsers presenting the same code, one gets the session and the other nil (as for an unknown
    /// or expired code). `replacing`, the hash of the browser's current session, is ended with it.
    public func redeemSignInCode(
        organisationID: UUID, codeHash: Data, sessionHash: Data, replacing previous: (organisationID: UUID, secretHash: Data)?
    ) async throws -> SessionIdentity? {
        try await pool.withTransaction { connection in
            guard let identity = try Self.signInCodeRow(connection, organisationID: organisationID, secretHash: codeHash, consume: true)
            else { return nil }
            if let previous {
                try connection.execute("""
                    UPDATE sessions SET ended_at = now()
                    WHERE organisation_id = \(previous.organisationID) AND secret_hash = \(previous.secretHash) AND ended_at IS NULL
                    """)
            }
            try connection.execute("""
                INSERT INTO sessions (organisation_id, secret_hash, subject, roles, expires_at)
                VALUES (\(organisationID), \(sessionHash), \(identity.subject), \(identity.roles), \(identity.expires))
                """)
            return identity
        }
    }

    /// A code's row (deleted when `consume`), joined with its organisation's slug.
    private static func signInCodeRow(
        _ connection: PostgresConnection, organisationID: UUID, secretHash: Data, consume: Bool
    ) throws -> SessionIdentity? {
        let rows: [PostgresRow]
        if consume {
            rows = try connection.query("""
                WITH used AS (
                    DELETE FROM sign_in_codes
                    WHERE organisation_id = \(organisationID) AND secret_hash = \(secretHash) AND expires_at > now()
                    RETURNING organisation_id, subject, roles, session_expires_at
                )
                SELECT o.slug, used.subject, used.roles, used.session_expires_at FROM used JOIN organisations o ON o.id = used.organisation_id
                """).rows
        } else {
            rows = try connection.query("""
                SELECT o.slug, c.subject, c.roles, c.session_expires_at
                FROM sign_in_codes c JOIN organisations o ON o.id = c.organisation_id
                WHERE c.organisation_id = \(organisationID) AND c.secret_hash = \(secretHash) AND c.expires_at > now()
                """).rows
        }
        return try rows.first.map { row in
            SessionIdentity(
                organisationID: organisationID, organisationSlug: try row.decode(String.self, column: "slug"),
                subject: try row.decode(String.self, column: "subject"), roles: try row.decode([String].self, column: "roles"),
                expires: try row.decode(Date.self, column: "session_expires_at"))
        }
    }
}
