import Foundation
import HTTPTypes
import Hummingbird
import Logging
import MobiliseDomain

/// An error answered as SCIM says (RFC 7644 §3.12): `urn:ietf:params:scim:api:messages:2.0:Error`
/// with the status as a string and, for 400 and 409, a `scimType`.
struct SCIMError: Error, Sendable {
    static let schema = "urn:ietf:params:scim:api:messages:2.0:Error"

    var status: HTTPResponse.Status
    var scimType: String?
    var detail: String
    var headers: HTTPFields = [:]

    init(_ status: HTTPResponse.Status, scimType: String? = nil, detail: String, headers: HTTPFields = [:]) {
        self.status = status
        self.scimType = scimType
        self.detail = detail
        self.headers = headers
    }

    func response() throws -> Response {
        var body: [String: JSONValue] = [
            "schemas": .array([.string(Self.schema)]), "status": .string(String(status.code)), "detail": .string(detail),
        ]
        if let scimType { body["scimType"] = .string(scimType) }
        return try SCIMBody.response(.object(body), status: status, headers: headers)
    }

    static func invalidValue(_ detail: String) -> SCIMError { SCIMError(.badRequest, scimType: "invalidValue", detail: detail) }
    static func invalidSyntax(_ detail: String) -> SCIMError { SCIMError(.badRequest, scimType: "invalidSyntax", detail: detail) }

    /// The SCIM answer for any error a SCIM route throws.
    static func from(_ error: any Error, logger: Logger) -> SCIMError {
        switch error {
        case let error as SCIMError:
            return error
        case let error as MobiliseError:
            switch error.kind {
            case .invalid, .unprocessable: return invalidValue(error.message)
            case .conflict: return SCIMError(.conflict, scimType: "uniqueness", detail: error.message)
            case .notFound: return SCIMError(.notFound, detail: error.message)
            case .forbidden: return SCIMError(.forbidden, detail: error.message)
            case .tooLarge: return SCIMError(.contentTooLarge, detail: error.message)
            case .unsupportedMediaType: return SCIMError(.unsupportedMediaType, detail: error.message)
            }
        case let error as HTTPError where error.status == .notFound:
            return SCIMError(.notFound, detail: "no such SCIM endpoint")
        default:
            // The service's own answers (a database that is down, a body too large…), with their status.
            let api = APIError.from(error, logger: logger)
            return SCIMError(api.status, scimType: api.status == .badRequest ? "invalidValue" : nil, detail: api.message, headers: api.headers)
        }
    }
}
