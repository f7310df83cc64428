import AsyncHTTPClient
import Foundation
import MobiliseDomain
import NIOPosix
#if canImport(Glibc)
import Glibc
#endif

/// Which URLs the service may call out to (webhooks, Teams, Slack; later the OIDC issuer): the one
/// place the server-side request forgery rules live.
///
/// By default only `https`, and never an address that is loopback, private (RFC 1918, unique local),
/// link-local, carrier-grade NAT, multicast, unspecified or reserved, nor the service's own
/// listening address: an HR admin must not be able to make the service probe the internal network
/// or itself. The rules are checked when a URL is given (``check(_:)``, a clear 422) and again before
/// every request (``resolve(_:)``), after DNS resolution, since a name may later resolve elsewhere.
///
/// DNS rebinding: a name may answer a public address to the check and a loopback or private one a
/// moment later, to the connection. So the connection does not look the name up again: it goes to
/// the address the check accepted (``ResolvedURL/withClient(_:_:)``, AsyncHTTPClient's
/// `dnsOverride`), while the `Host` header, TLS SNI and the certificate's name stay the URL's host.
public struct OutboundURLPolicy: Sendable {
    /// Allow loopback and private addresses (`MOBILISE_OUTBOUND_ALLOW_PRIVATE=1`: tests, or an
    /// intranet chat server). The service's own address stays refused.
    public var allowPrivate: Bool
    /// Allow `http://` as well as `https://` (`MOBILISE_OUTBOUND_ALLOW_HTTP=1`: tests only).
    public var allowHTTP: Bool
    /// The service's own listening port, refused on a loopback or unspecified host (it would call itself).
    public var ownPort: Int?

    /// How names are resolved: the system's resolver (`getaddrinfo`, off the cooperative pool) when
    /// nil. Tests put a resolver of their own here (one that rebinds, say), since the connection
    /// itself never resolves a name the policy has resolved.
    public var resolver: (@Sendable (String) async throws -> [String])?

    public init(allowPrivate: Bool = false, allowHTTP: Bool = false, ownPort: Int? = nil) {
        self.allowPrivate = allowPrivate
        self.allowHTTP = allowHTTP
        self.ownPort = ownPort
    }

    /// A refusal, with the sentence HR is shown and the delivery log keeps.
    public struct Refusal: Error, CustomStringConvertible, Equatable {
        public var description: String
    }

    /// The URL's syntax and, for a literal address, the address: what can be known without DNS.
    @discardableResult
    public func check(_ text: String) throws -> URLComponents {
        guard text.count <= 2000, let url = URLComponents(string: text), let scheme = url.scheme?.lowercased(),
              let host = url.host, !host.isEmpty else {
            throw Refusal(description: "'\(text.prefix(100))' is not an absolute URL")
        }
        guard scheme == "https" || (scheme == "http" && allowHTTP) else {
            throw Refusal(description: "only https:// URLs are allowed (got \(scheme)://)")
        }
        guard url.user == nil, url.password == nil else {
            throw Refusal(description: "the URL must not carry a user name or password")
        }
        let port = url.port ?? (scheme == "https" ? 443 : 80)
        if let address = IPAddress(host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))) {
            try check(address, port: port, host: host)
        } else if host.lowercased() == "localhost" || host.lowercased().hasSuffix(".localhost") {
            try check(IPAddress.loopback, port: port, host: host)
        }
        return url
    }

    /// Checks the URL, resolves its host and checks every address it resolves to (off the
    /// cooperative pool: `getaddrinfo` blocks). Returns the URL to request and the address its
    /// connection must go to (the first the name resolved to, all of them checked).
    public func resolve(_ text: String) async throws -> ResolvedURL {
        let components = try check(text)
        guard let url = components.url, let host = components.host, let requestHost = URL(string: url.absoluteString)?.host else {
            throw Refusal(description: "'\(text.prefix(100))' is not a URL")
        }
        let port = components.port ?? (components.scheme?.lowercased() == "https" ? 443 : 80)
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        if IPAddress(bare) != nil { return ResolvedURL(url: url, host: requestHost, address: nil) }
        let addresses: [IPAddress]
        if let resolver {
            addresses = try await resolver(bare).map { text in
                guard let address = IPAddress(text) else { throw Refusal(description: "'\(host)' resolved to '\(text.prefix(100))', not an address") }
                return address
            }
        } else {
            addresses = try await NIOThreadPool.singleton.runIfActive { try Self.lookUp(bare) }
        }
        guard let first = addresses.first else { throw Refusal(description: "'\(host)' does not resolve") }
        for address in addresses { try check(address, port: port, host: host) }
        return ResolvedURL(url: url, host: requestHost, address: first.description)
    }

    private func check(_ address: IPAddress, port: Int, host: String) throws {
        if let ownPort, port == ownPort, address.isLoopback || address.isUnspecified {
            throw Refusal(description: "'\(host)' is this service's own address")
        }
        if !allowPrivate, let kind = address.restrictedKind {
            throw Refusal(description: "'\(host)' is a \(kind) address (\(address)); such addresses are not allowed")
        }
    }

    /// The host's addresses (blocking).
    static func lookUp(_ host: String) throws -> [IPAddress] {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var result: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &result)
        guard status == 0, let first = result else { throw Refusal(description: "'\(host)' does not resolve") }
        defer { freeaddrinfo(first) }
        var addresses: [IPAddress] = []
        var next: UnsafeMutablePointer<addrinfo>? = first
        while let entry = next {
            if let address = IPAddress(entry.pointee.ai_addr) { addresses.append(address) }
            next = entry.pointee.ai_next
        }
        return addresses
    }

    /// From `MOBILISE_OUTBOUND_ALLOW_PRIVATE` and `MOBILISE_OUTBOUND_ALLOW_HTTP`.
    public static func fromEnvironment(_ environment: [String: String] = ProcessInfo.processInfo.environment, ownPort: Int? = nil) -> Self {
        func flag(_ name: String) -> Bool { ["1", "true", "yes"].contains(environment[name]?.lowercased() ?? "") }
        return OutboundURLPolicy(
            allowPrivate: flag("MOBILISE_OUTBOUND_ALLOW_PRIVATE"), allowHTTP: flag("MOBILISE_OUTBOUND_ALLOW_HTTP"), ownPort: ownPort)
    }
}

/// A URL the policy checked, with the address its connection must go to.
public struct ResolvedURL: Sendable, Equatable {
    /// What to request.
    public var url: URL
    /// The URL's host as the HTTP client reads it: the `Host` header, TLS SNI and the name the
    /// server's certificate must carry.
    public var host: String
    /// The checked address to connect to; nil when the URL's host is an address already.
    public var address: String?

    /// An HTTP client's settings whose connections to ``host`` go to ``address`` and nowhere else:
    /// the client resolves nothing again (no second DNS answer can send it elsewhere).
    public func pinning(_ settings: HTTPClient.Configuration) -> HTTPClient.Configuration {
        var settings = settings
        if let address { settings.dnsOverride = [host: address] }
        return settings
    }

    /// Runs `body` with a client pinned to the checked address (``pinning(_:)``), shut down after
    /// it: read the whole answer inside `body`.
    public func withClient<T: Sendable>(
        _ settings: HTTPClient.Configuration, _ body: (HTTPClient) async throws -> T
    ) async throws -> T {
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: pinning(settings))
        do {
            let result = try await body(client)
            try await client.shutdown()
            return result
        } catch {
            try? await client.shutdown()
            throw error
        }
    }
}

/// An IPv4 or IPv6 address, as 4 or 16 bytes, and what kind of network it belongs to.
struct IPAddress: Equatable, CustomStringConvertible, Sendable {
    var bytes: [UInt8]

    static let loopback = IPAddress(bytes: [127, 0, 0, 1])

    init(bytes: [UInt8]) { self.bytes = bytes }

    init?(_ text: String) {
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            bytes = withUnsafeBytes(of: &v4) { Array($0) }
        } else if inet_pton(AF_INET6, text, &v6) == 1 {
            bytes = withUnsafeBytes(of: &v6) { Array($0) }
        } else {
            return nil
        }
    }

    init?(_ socketAddress: UnsafeMutablePointer<sockaddr>?) {
        guard let socketAddress else { return nil }
        switch Int32(socketAddress.pointee.sa_family) {
        case AF_INET:
            bytes = socketAddress.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { pointer in
                var address = pointer.pointee.sin_addr
                return withUnsafeBytes(of: &address) { Array($0) }
            }
        case AF_INET6:
            bytes = socketAddress.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { pointer in
                var address = pointer.pointee.sin6_addr
                return withUnsafeBytes(of: &address) { Array($0) }
            }
        default:
            return nil
        }
    }

    /// The IPv4 address inside an IPv4-mapped (`::ffff:a.b.c.d`) or IPv4-compatible IPv6 address.
    var embeddedIPv4: IPAddress? {
        guard bytes.count == 16 else { return nil }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xff && bytes[11] == 0xff { return IPAddress(bytes: Array(bytes[12...])) }
        // IPv4-compatible (::a.b.c.d, deprecated), but not :: and ::1 themselves.
        if bytes[0..<12].allSatisfy({ $0 == 0 }) && !(bytes[12..<15].allSatisfy({ $0 == 0 }) && bytes[15] <= 1) {
            return IPAddress(bytes: Array(bytes[12...]))
        }
        return nil
    }

    var isLoopback: Bool {
        if let v4 = embeddedIPv4 { return v4.isLoopback }
        return bytes.count == 4 ? bytes[0] == 127 : bytes == [UInt8](repeating: 0, count: 15) + [1]
    }

    var isUnspecified: Bool {
        if let v4 = embeddedIPv4 { return v4.isUnspecified }
        return bytes.allSatisfy { $0 == 0 }
    }

    /// Why the address is not a public unicast one, or nil when it is.
    var restrictedKind: String? {
        if let v4 = embeddedIPv4 { return v4.restrictedKind }
        if isLoopback { return "loopback" }
        if isUnspecified { return "unspecified" }
        if bytes.count == 4 {
            let (a, b) = (bytes[0], bytes[1])
            if a == 10 || (a == 172 && (16...31).contains(b)) || (a == 192 && b == 168) { return "private" }
            if a == 169 && b == 254 { return "link-local" }
            if a == 100 && (64...127).contains(b) { return "shared (carrier-grade NAT)" }
            if a == 0 { return "reserved" }
            if (224...239).contains(a) { return "multicast" }
            if a >= 240 { return "reserved" }
            if a == 192 && b == 0 && bytes[2] == 0 { return "reserved" }
            if a == 198 && (b == 18 || b == 19) { return "reserved (benchmarking)" }
            return nil
        }
        if bytes[0] & 0xfe == 0xfc { return "private (unique local)" }
        if bytes[0] == 0xfe && bytes[1] & 0xc0 == 0x80 { return "link-local" }
        if bytes[0] == 0xfe && bytes[1] & 0xc0 == 0xc0 { return "site-local" }
        if bytes[0] == 0xff { return "multicast" }
        if bytes[0] == 0x20 && bytes[1] == 0x01 && bytes[2] == 0x0d && bytes[3] == 0xb8 { return "reserved (documentation)" }
        if bytes[0] == 0x00 && bytes[1] == 0x64 && bytes[2] == 0xff && bytes[3] == 0x9b { return "NAT64" }
        return nil
    }

    var description: String {
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        return stride(from: 0, to: 16, by: 2).map { String(UInt16(bytes[$0]) << 8 | UInt16(bytes[$0 + 1]), radix: 16) }.joined(separator: ":")
    }
}
