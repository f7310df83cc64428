import Foundation
import Hummingbird
import MobiliseDomain
import MobiliseStore

/// HR admins save how their HR system's export names Mobilise's columns:
/// `GET`, `PUT` and `DELETE /v1/workforce/column-mapping`. Every import applies it.
struct WorkforceMappingRoutes {
    let environment: APIEnvironment
    var store: MobiliseStore { environment.store }

    func register(on v1: RouterGroup<AuthenticatedContext>) {
        v1.get("workforce/column-mapping", use: show)
        v1.put("workforce/column-mapping", use: set)
        v1.delete("workforce/column-mapping", use: remove)
    }

    struct Entry: Codable {
        /// The HR system's column name, e.g. "Employee ID".
        var source: String
        /// Mobilise's column, e.g. external_id.
        var column: String
    }

    struct Mapping: Codable, ResponseEncodable {
        var columns: [Entry]
    }

    @Sendable func show(_ request: Request, context: AuthenticatedContext) async throws -> Mapping {
        let caller = context.identity
        try caller.require(.hrAdmin)
        guard let mapping = try await store.workforceColumnMapping(organisationID: caller.organisation.id) else {
            throw APIError(.notFound, code: .columnMappingNotFound,
                           "this organisation has no column mapping: files use Mobilise's column names (PUT sets a mapping)")
        }
        return Mapping(columns: mapping.entries.map { Entry(source: $0.source, column: $0.column) })
    }

    @Sendable func set(_ request: Request, context: AuthenticatedContext) async throws -> Mapping {
        let caller = context.identity
        try caller.require(.hrAdmin)
        let input = try await request.json(Mapping.self, context: context, limit: 64 << 10)
        let mapping = try WorkforceColumnMapping(input.columns.map { (source: $0.source, column: $0.column) })
        try await store.setWorkforceColumnMapping(organisationID: caller.organisation.id, mapping, actor: caller.actor)
        return Mapping(columns: mapping.entries.map { Entry(source: $0.source, column: $0.column) })
    }

    @Sendable func remove(_ request: Request, context: AuthenticatedContext) async throws -> Response {
        let caller = context.identity
        try caller.require(.hrAdmin)
        guard try await store.removeWorkforceColumnMapping(organisationID: caller.organisation.id, actor: caller.actor) else {
            throw APIError(.notFound, code: .columnMappingNotFound, "this organisation has no column mapping")
        }
        return Response(status: .noContent)
    }
}
