import Foundation
import MobiliseDomain
import Postgres

extension MobiliseStore {
    /// Creates an organisation (operators do this with the CLI).
    public func createOrganisation(slug: String, name: String, privacyK: Int = 10, timeZone: String = "UTC") async throws -> Organisation {
        guard slug.range(of: "^[a-z0-9][a-z0-9-]{0,62}$", options: .regularExpression) != nil else {
            throw MobiliseError(.invalid, code: .invalidSlug, "an organisation slug is 1 to 63 lowercase letters, digits and dashes, starting with a letter or digit")
        }
        guard !name.isEmpty, name.count <= 200 else {
            throw MobiliseError(.invalid, code: .invalidName, "an organisation name is 1 to 200 characters")
        }
        guard privacyK >= 1 else { throw MobiliseError(.invalid, code: .invalidPrivacyK, "the privacy threshold k must be at least 1") }
        do {
            return try await pool.withConnection { connection in
                // PostgreSQL counts the days, so PostgreSQL's list decides (POSIX forms like GMT+2 are refused).
                let known = try connection.query("""
                    SELECT EXISTS (SELECT 1 FROM pg_timezone_names WHERE name = \(timeZone)) AND \(timeZone) !~ '^(Etc/)?GMT[+-]'
                    """).scalar(Bool.self) ?? false
                guard known else { throw MobiliseError(.invalid, code: .invalidTimeZone, "'\(timeZone)' is not an IANA time zone name") }
                return try connection.query("""
                    INSERT INTO organisations (slug, name, privacy_k, time_zone)
                    VALUES (\(slug), \(name), \(privacyK), \(timeZone))
                    RETURNING id, slug, name, privacy_k, time_zone
                    """)[0].decode(Organisation.self)
            }
        } catch SQLState.uniqueViolation {
            throw MobiliseError(.conflict, code: .organisationExists, "an organisation with slug '\(slug)' already exists")
        }
    }

    /// The organisation with this slug.
    public func organisation(slug: String) async throws -> Organisation {
        let found = try await pool.withConnection { connection in
            try connection.query("SELECT id, slug, name, privacy_k, time_zone FROM organisations WHERE slug = \(slug)")
                .decode(Organisation.self).first
        }
        guard let found else { throw MobiliseError(.notFound, code: .organisationNotFound, "no organisation '\(slug)'") }
        return found
    }
}

extension Organisation {
    enum CodingKeys: String, CodingKey {
        case id, slug, name
        case privacyK = "privacy_k"
        case timeZone = "time_zone"
    }
}
