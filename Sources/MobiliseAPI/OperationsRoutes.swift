import Foundation
import Hummingbird
import MobiliseStore

/// Health, readiness, metrics and the API's description: no token needed.
struct OperationsRoutes {
    let environment: APIEnvironment

    func register(on router: Router<MobiliseRequestContext>) {
        router.get("healthz") { _, _ in textResponse("{\"status\":\"ok\"}\n", contentType: "application/json") }
        router.get("readyz", use: ready)
        router.get("metrics") { _, _ in
            textResponse(environment.metrics.exposition(pool: environment.store.pool, replicas: environment.store.readReplicas,
                                                                inFlight: environment.inFlight),
                         contentType: "text/plain; version=0.0.4")
        }
        router.get("openapi.yaml") { _, _ in
            textResponse(OpenAPIDocument.yaml, contentType: "application/yaml; charset=utf-8")
        }
    }

    /// 200 when the database answers and every migration is applied, 503 otherwise.
    @Sendable func ready(_ request: Request, context: MobiliseRequestContext) async throws -> Response {
        do {
            let pending = try await environment.migrator.status(environment.store.pool).filter { $0.appliedAt == nil }
            guard pending.isEmpty else {
                return textResponse("{\"status\":\"migrations_pending\",\"pending\":\(pending.count)}\n", contentType: "application/json",
                                    status: .serviceUnavailable)
            }
            return textResponse("{\"status\":\"ready\"}\n", contentType: "application/json")
        } catch {
            return textResponse("{\"status\":\"database_unavailable\"}\n", contentType: "application/json", status: .serviceUnavailable)
        }
    }
}

/// `openapi.yaml`, compiled into the binary.
public enum OpenAPIDocument {
    public static let yaml = String(decoding: PackageResources.openapi_yaml, as: UTF8.self)
}
