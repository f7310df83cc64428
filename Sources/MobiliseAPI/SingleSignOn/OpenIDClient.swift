import AsyncHTTPClient
import Foundation
import JWTKit
import NIOCore
import NIOHTTP1
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
/// provider's key rotation needs no restart.
///
/// Every URL it calls (the discovery document's, and the `jwks_uri` and `token_endpoint` the
/// document names) passes the service's ``OutboundURLPolicy`` first, as webhooks do: an issuer, or a
/// discovery document, naming a loopback or private address (or plain http) is refused unless the
/// service allows them (`MOBILISE_OUTBOUND_ALLOW_PRIVATE`, `MOBILISE_OUTBOUND_ALLOW_HTTP`), the
/// connection goes to the address the policy checked (a name rebinding to loopback between the
/// check and the connection cannot redirect it: ``ResolvedURL``), and redirects are never followed
/// (one could lead anywhere).
final class OpenIDClient: Sendable {
    static let cacheLifetime: Duration = .seconds(3600)
    static let timeout: Duration = .seconds(10)
    /// A discovery document, key set or token answer larger than this is refused.
    static let maxResponseSize = 1 << 20

    private struct Cached<Value: Sendable>: Sendable {
        var value: Value
        var fetched: ContinuousClock.Instant
    }

    private let configurations = Mutex<[String: Cached<OpenIDConfiguration>]>([:])
    private let keySets = Mutex<[String: Cached<JWTKeyCollection>]>([:])
    let policy: OutboundURLPolicy

    /// The HTTP client's settings: no redirect followed. Each request gets a client pinned to the
    /// address the policy checked (discovery documents and keys are cached, so there are few).
    private static let settings: HTTPClient.Configuration = {
        var settings = HTTPClient.Configuration()
        settings.redirectConfiguration = .disallow
        settings.timeout = HTTPClient.Configuration.Timeout(connect: TimeAmount(timeout), read: TimeAmount(timeout))
        settings.decompression = .disabled
        return settings
    }()

    init(policy: OutboundURLPolicy = OutboundURLPolicy()) {
        self.policy = policy
    }

    /// The provider's discovery document, whose `issuer` must be exactly the configured one (so that
    /// a document of another provider is never taken for this one's).
    func configuration(issuer: String) async throws -> OpenIDConfiguration {
        if let hit = configurations.withLock({ $0[issuer] }), ContinuousClock.now - hit.fetched < Self.cacheLifetime {
            return hit.value
        }
        let base = issuer.hasSuffix("/") ? String(issuer.dropLast()) : issuer
        let url = base + "/.well-known/openid-configuration"
        let (status, data) = try await fetch(url)
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
        let (status, data) = try await fetch(configuration.jwksURI)
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
        let credentials = Data("\(Self.formEncode(clientID)):\(Self.formEncode(clientSecret))".utf8).base64EncodedString()
        let form = Self.form([
            ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI), ("code_verifier", codeVerifier),
        ])
        let (status, data) = try await fetch(configuration.tokenEndpoint, method: .POST, headers: [
            ("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json"), ("Authorization", "Basic \(credentials)"),
        ], body: Data(form.utf8))
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

    /// One request to the provider, its URL checked by the outbound-URL policy (after DNS resolution)
    /// first; the status and at most ``maxResponseSize`` bytes of the answer.
    private func fetch(
        _ address: String, method: HTTPMethod = .GET, headers: [(String, String)] = [], body: Data? = nil
    ) async throws -> (Int, Data) {
        let target: ResolvedURL
        do {
            target = try await policy.resolve(address)
        } catch let refusal as OutboundURLPolicy.Refusal {
            throw SingleSignOnFailure.providerUnavailable("its address is refused (\(refusal.description))")
        }
        var request = HTTPClientRequest(url: target.url.absoluteString)
        request.method = method
        request.headers.add(name: "User-Agent", value: "Mobilise-SSO/1")
        for (name, value) in headers { request.headers.add(name: name, value: value) }
        if let body { request.body = .bytes(ByteBuffer(bytes: body)) }
        let sent = request
        do {
            return try await target.withClient(Self.settings) { client in
                let response: HTTPClientResponse
                do {
                    response = try await client.execute(sent, timeout: TimeAmount(Self.timeout * 2))
                } catch {
                    throw SingleSignOnFailure.providerUnavailable("it could not be reached (\(error))")
                }
                do {
                    let bytes = try await response.body.collect(upTo: Self.maxResponseSize)
                    return (Int(response.status.code), Data(bytes.readableBytesView))
                } catch is NIOTooManyBytesError {
                    throw SingleSignOnFailure.providerUnavailable("its answer is larger than \(Self.maxResponseSize) bytes")
                } catch {
                    throw SingleSignOnFailure.providerUnavailable("its answer could not be read (\(error))")
                }
            }
        } catch let failure as SingleSignOnFailure {
            throw failure
        } catch {
            throw SingleSignOnFailure.providerUnavailable("it could not be reached (\(error))")
        }
    }
}
