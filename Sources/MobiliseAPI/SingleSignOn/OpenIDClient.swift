import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import JWTKit
import Synchronization

/// What Mobilise reads from a provider's discovery document (OpenID Connect Discovery 1.0).
struct OpenIDConfiguration: Sendable, Decodable {
    var issuer: String
    var authorizationEndpoint: String
    var tokenEndpoint: String
    var jwksURI: String

    enum CodingKeys: String, CodingKey {
        case issuer, authorizationEndpoint = "authorization_endpoint", tokenEndpoint = "token_endpoint", jwksURI = "jwks_uri"
    }
}

/// Why a sign-in through the provider failed; each case becomes a page that says what to do.
enum SingleSignOnFailure: Error, Equatable {
    /// The discovery document or JWKS could not be read, or says something else than configured.
    case providerUnavailable(String)
    /// The token endpoint refused the code (used already, expired, or not ours).
    case codeRefused(String)
    /// The ID token failed a check (signature, `iss`, `aud`, `exp`, algorithm, form).
    case idTokenRejected(String)
    /// The ID token's `nonce` is not the one this sign-in sent.
    case nonceMismatch
}

/// Talks to organisations' OpenID providers: discovery, keys and the token endpoint.
///
/// Discovery documents and key sets are cached per issuer for ``cacheLifetime``; an ID token signed
/// with a key the cached set lacks refetches the set (at most once a minute per issuer), so that a
/// provider's key rotation needs no restart. Requests go through URLSession, whose completion
/// handlers run on its own queue: no thread of the cooperative pool waits on the network.
final class OpenIDClient: Sendable {
    static let cacheLifetime: Duration = .seconds(3600)
    static let timeout: TimeInterval = 10
    /// A discovery document, key set or token answer larger than this is refused.
    static let maxResponseSize = 1 << 20

    private struct Cached<Value: Sendable>: Sendable {
        var value: Value
        var fetched: ContinuousClock.Instant
    }

    private let configurations = Mutex<[String: Cached<OpenIDConfiguration>]>([:])
    private let keySets = Mutex<[String: Cached<JWTKeyCollection>]>([:])
    private let session: URLSession

    init() {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = Self.timeout
        configuration.timeoutIntervalForResource = Self.timeout * 2
        configuration.httpCookieStorage = nil
        configuration.urlCache = nil
        session = URLSession(configuration: configuration)
    }

    /// The provider's discovery document, whose `issuer` must be exactly the configured one (so that
    /// a document of another provider is never taken for this one's).
    func configuration(issuer: String) async throws -> OpenIDConfiguration {
        if let hit = configurations.withLock({ $0[issuer] }), ContinuousClock.now - hit.fetched < Self.cacheLifetime {
            return hit.value
        }
        let base = issuer.hasSuffix("/") ? String(issuer.dropLast()) : issuer
        guard let url = URL(string: base + "/.well-known/openid-configuration") else {
            throw SingleSignOnFailure.providerUnavailable("the issuer is not a URL")
        }
        let (status, data) = try await fetch(URLRequest(url: url))
        guard status == 200, let document = try? JSONDecoder().decode(OpenIDConfiguration.self, from: data) else {
            throw SingleSignOnFailure.providerUnavailable("its discovery document answered \(status) or could not be read")
        }
        guard document.issuer == issuer else {
            throw SingleSignOnFailure.providerUnavailable("its discovery document names the issuer \(document.issuer), not \(issuer)")
        }
        configurations.withLock { $0[issuer] = Cached(value: document, fetched: .now) }
        return document
    }

    /// The provider's signing keys; `refresh` fetches them again unless that was done in the last minute.
    func keys(issuer: String, refresh: Bool = false) async throws -> JWTKeyCollection {
        let hit = keySets.withLock { $0[issuer] }
        if let hit {
            let age = ContinuousClock.now - hit.fetched
            if age < Self.cacheLifetime && (!refresh || age < .seconds(60)) { return hit.value }
        }
        let configuration = try await configuration(issuer: issuer)
        guard let url = URL(string: configuration.jwksURI) else { throw SingleSignOnFailure.providerUnavailable("its jwks_uri is not a URL") }
        let (status, data) = try await fetch(URLRequest(url: url))
        guard status == 200, let json = String(data: data, encoding: .utf8) else {
            throw SingleSignOnFailure.providerUnavailable("its key set answered \(status)")
        }
        let keys = JWTKeyCollection()
        do {
            try await keys.add(jwksJSON: json)
        } catch {
            throw SingleSignOnFailure.providerUnavailable("its key set could not be read")
        }
        keySets.withLock { $0[issuer] = Cached(value: keys, fetched: .now) }
        return keys
    }

    /// Exchanges an authorization code (with its PKCE verifier) for the ID token, authenticating as
    /// the client with HTTP Basic (`client_secret_basic`, RFC 6749 section 2.3.1).
    func exchange(code: String, codeVerifier: String, redirectURI: String, issuer: String, clientID: String, clientSecret: String)
        async throws -> String
    {
        let configuration = try await configuration(issuer: issuer)
        guard let url = URL(string: configuration.tokenEndpoint) else {
            throw SingleSignOnFailure.providerUnavailable("its token_endpoint is not a URL")
        }
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.setValue("application/x-www-form-urlencoded", forHTTPHeaderField: "Content-Type")
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        let credentials = Data("\(Self.formEncode(clientID)):\(Self.formEncode(clientSecret))".utf8).base64EncodedString()
        request.setValue("Basic \(credentials)", forHTTPHeaderField: "Authorization")
        request.httpBody = Data(Self.form([
            ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI), ("code_verifier", codeVerifier),
        ]).utf8)
        let (status, data) = try await fetch(request)
        let body = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        guard status == 200 else {
            let error = (body?["error"] as? String).map { " (\($0))" } ?? ""
            throw SingleSignOnFailure.codeRefused("the provider's token endpoint answered \(status)\(error)")
        }
        guard let idToken = body?["id_token"] as? String, !idToken.isEmpty else {
            throw SingleSignOnFailure.idTokenRejected("the provider's answer has no ID token")
        }
        return idToken
    }

    /// `application/x-www-form-urlencoded` (the token request's body, and Basic credentials per RFC 6749).
    static func form(_ fields: [(String, String)]) -> String {
        fields.map { "\(formEncode($0.0))=\(formEncode($0.1))" }.joined(separator: "&")
    }

    static func formEncode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }

    private func fetch(_ request: URLRequest) async throws -> (Int, Data) {
        try await withCheckedThrowingContinuation { continuation in
            session.dataTask(with: request) { data, response, error in
                if let error {
                    continuation.resume(throwing: SingleSignOnFailure.providerUnavailable("it could not be reached (\(error.localizedDescription))"))
                    return
                }
                let data = data ?? Data()
                guard data.count <= Self.maxResponseSize else {
                    continuation.resume(throwing: SingleSignOnFailure.providerUnavailable("its answer is larger than \(Self.maxResponseSize) bytes"))
                    return
                }
                continuation.resume(returning: ((response as? HTTPURLResponse)?.statusCode ?? 0, data))
            }.resume()
        }
    }
}
