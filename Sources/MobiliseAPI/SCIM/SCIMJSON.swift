import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// A JSON value as SCIM bodies need it: attribute names are matched ignoring case (RFC 7643 §2.1),
/// values keep their JSON type, and a body is checked and transformed (PATCH) before anything is
/// decoded into the domain.
enum JSONValue: Sendable, Equatable, Codable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([JSONValue])
    case object([String: JSONValue])

    init(from decoder: any Decoder) throws {
        // The JSON types are disjoint (a number is never decoded as a boolean, nor a string as
        // either), so the order only matters for speed: each wrong guess throws an error. Strings
        // first, then objects and arrays: what SCIM bodies are made of.
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([String: JSONValue].self) {
            self = .object(value)
        } else if let value = try? container.decode([JSONValue].self) {
            self = .array(value)
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else {
            self = .number(try container.decode(Double.self))
        }
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        switch self {
        case .null: try container.encodeNil()
        case .bool(let value): try container.encode(value)
        case .number(let value):
            if value == value.rounded(), abs(value) < 1e15 { try container.encode(Int64(value)) } else { try container.encode(value) }
        case .string(let value): try container.encode(value)
        case .array(let value): try container.encode(value)
        case .object(let value): try container.encode(value)
        }
    }

    var object: [String: JSONValue]? {
        if case .object(let value) = self { return value }
        return nil
    }

    var array: [JSONValue]? {
        if case .array(let value) = self { return value }
        return nil
    }

    /// What a JSON type is called in a message.
    var typeName: String {
        switch self {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}

extension JSONValue: ExpressibleByStringLiteral {
    init(stringLiteral value: String) { self = .string(value) }
}

extension Dictionary where Key == String, Value == JSONValue {
    /// The key naming `name`, ignoring case.
    func key(for name: String) -> String? {
        if self[name] != nil { return name }
        return keys.first { $0.caseInsensitiveCompare(name) == .orderedSame }
    }

    /// The member named `name`, ignoring case.
    func member(_ name: String) -> JSONValue? { key(for: name).flatMap { self[$0] } }
}

/// SCIM's media type, and its bodies both ways.
enum SCIMBody {
    static let mediaType = "application/scim+json"

    /// A response with a SCIM body (written as Foundation's encoder would, sorted keys: ``JSONValue/jsonBytes``).
    static func response(_ value: JSONValue, status: HTTPResponse.Status = .ok, headers: HTTPFields = [:]) throws -> Response {
        var fields = headers
        fields[.contentType] = mediaType
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: value.jsonBytes)))
    }

    /// The request's body as a JSON object: `application/scim+json` or `application/json`, at most
    /// `limit` bytes (413 past it), 400 `invalidSyntax` when it is not a JSON object.
    static func object(of request: Request, limit: Int) async throws -> [String: JSONValue] {
        if let type = request.headers[.contentType]?.lowercased().split(separator: ";").first?.trimmingCharacters(in: .whitespaces),
           type != mediaType, type != "application/json" {
            throw SCIMError(.unsupportedMediaType, detail: "send the body as \(mediaType) (or application/json)")
        }
        let buffer = try await request.collectBody(limit: limit)
        let value: JSONValue
        do {
            value = try buffer.withUnsafeReadableBytes { try JSONReader.value($0) }
        } catch {
            throw SCIMError(.badRequest, scimType: "invalidSyntax", detail: "the body is not valid JSON")
        }
        guard let object = value.object else {
            throw SCIMError(.badRequest, scimType: "invalidSyntax", detail: "the body must be a JSON object")
        }
        return object
    }
}
