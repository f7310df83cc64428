import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MobiliseDomain
import NIOCore
import MobiliseStore

/// An error answered as `{"error": {"code": "…", "message": "…"}}` with its status.
public struct APIError: HTTPResponseError, Sendable {
    public var status: HTTPResponse.Status
    public var code: ErrorCode
    public var message: String
    public var headers: HTTPFields

    public init(_ status: HTTPResponse.Status, code: ErrorCode, _ message: String, headers: HTTPFields = [:]) {
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers
    }

    struct Body: Encodable {
        struct Detail: Encodable {
            var code: ErrorCode
            var message: String
        }
        var error: Detail
    }

    public func response(from request: Request, context: some RequestContext) throws -> Response {
        let data = try JSONCoding.encoder.encode(Body(error: .init(code: code, message: message)))
        var fields = headers
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: status, headers: fields, body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    static func badRequest(_ code: ErrorCode, _ message: String) -> APIError { APIError(.badRequest, code: code, message) }
}

extension APIError {
    /// The API's answer for any error a route throws.
    static func from(_ error: any Error, logger: Logger) -> APIError {
        if let failure = StoreFailure(error) {
            switch failure {
            case .unavailable:
                logger.warning("database unavailable", metadata: ["error": "\(error)"])
                return APIError(.serviceUnavailable, code: .databaseUnavailable, "the database is unavailable; try again shortly",
                                headers: [.retryAfter: "2"])
            case .timeout:
                return APIError(.serviceUnavailable, code: .databaseTimeout, "the database did not answer in time; try again shortly",
                                headers: [.retryAfter: "2"])
            case .invalidValue:
                // A value PostgreSQL cannot hold (a date outside its range…). The database's own words
                // stay in the log: they name parameters, types and internals.
                logger.notice("data exception", metadata: ["error": "\(error)"])
                return APIError(.badRequest, code: .invalidValue, "a value in the request cannot be stored (out of range, or not valid text)")
            }
        }
        switch error {
        case let error as APIError:
            return error
        case let error as MobiliseError:
            return APIError(status(of: error.kind), code: error.code, error.message)
        case let error as DecodingError:
            return APIError(.badRequest, code: .malformedBody, describe(error))
        case let error as HTTPError:
            return APIError(error.status, code: error.status == .contentTooLarge ? .tooLarge : .httpError,
                            error.body ?? error.status.reasonPhrase)
        case is NIOTooManyBytesError:
            return APIError(.contentTooLarge, code: .tooLarge, "the body is too large")
        case is CancellationError:
            return APIError(.serviceUnavailable, code: .cancelled, "the request was cancelled", headers: [.retryAfter: "1"])
        default:
            logger.error("unexpected error", metadata: ["error": "\(error)"])
            return APIError(.internalServerError, code: .internalError, "something went wrong on our side")
        }
    }

    static func status(of kind: MobiliseError.Kind) -> HTTPResponse.Status {
        switch kind {
        case .invalid: .badRequest
        case .unprocessable: .unprocessableContent
        case .notFound: .notFound
        case .conflict: .conflict
        case .forbidden: .forbidden
        case .tooLarge: .contentTooLarge
        case .unsupportedMediaType: .unsupportedMediaType
        }
    }

    /// A sentence about a JSON body that did not decode, naming the field.
    static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { key in key.intValue.map { "[\($0)]" } ?? key.stringValue.snakeCased }
            return keys.isEmpty ? "the body" : "'\(keys.joined(separator: "."))'"
        }
        switch error {
        case .keyNotFound(let key, let context):
            let parent = path(context)
            return "missing field '\(key.stringValue.snakeCased)'" + (parent == "the body" ? "" : " in \(parent)")
        case .typeMismatch(let type, let context): return "\(path(context)) should be \(describe(type))"
        case .valueNotFound(let type, let context): return "\(path(context)) should be \(describe(type)), not null"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "the body is not valid JSON" : "\(path(context)): \(context.debugDescription)"
        @unknown default: return "the body could not be read"
        }
    }

    private static func describe(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Int.Type, is Double.Type: "a number"
        case is Bool.Type: "true or false"
        default: "\(type)"
        }
    }
}

extension String {
    /// `displayName` → `display_name`.
    var snakeCased: String {
        var result = ""
        for character in self {
            if character.isUppercase {
                result += "_" + character.lowercased()
            } else {
                result.append(character)
            }
        }
        return result
    }
}

/// Refuses a NUL character (U+0000) in the path or query, which no text of the API (and no
/// PostgreSQL text) can hold: 400 `invalid_text`, before any route runs. JSON bodies are checked
/// as they are read (``Request/json(_:context:limit:)``).
struct NULGuardMiddleware: RouterMiddleware {
    typealias Context = MobiliseRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        // Percent-decoding gives U+0000 only from `%00` (the HTTP parser refuses a raw NUL).
        guard !request.uri.description.contains("%00") else { throw APIError.nulInText }
        return try await next(request, context)
    }
}

extension APIError {
    /// A NUL character in any text of the request.
    static let nulInText = APIError(
        .badRequest, code: .invalidText, "the request holds a NUL character (U+0000), which no text here may contain")
}

/// Turns every error a route throws into the API's JSON error body.
struct ErrorMiddleware: RouterMiddleware {
    typealias Context = MobiliseRequestContext

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch {
            throw APIError.from(error, logger: context.logger)
        }
    }
}
