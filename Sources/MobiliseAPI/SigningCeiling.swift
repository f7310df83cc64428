import Foundation
import Hummingbird
import Logging
import MobiliseDomain
import NIOCore

/// The ceiling of our HTTP stack for signing (issue 25): `PUT /v1/campaigns/{id}/signature` served
/// by the same stack as the service with no database at all. `bench/run` measures it in the same run
/// as signing (`Benchmarks/SigningCeiling`), so "signing at N× the ceiling" compares like with like
/// on a shared machine.
///
/// Per request it does what the service does before and after the signing batch: the same middleware
/// in the same order (the request log line and metrics, security headers, load shedding, the error
/// body, the NUL guard: ``MobiliseService/addFrontMiddleware(to:configuration:inFlight:metrics:)``),
/// the same bearer-token verification (``TokenVerifier``, jwt-kit) and organisation directory
/// (answered from memory instead of a cached database look-up), the same checks before the
/// database (role, per-employee rate limit, body, channel: ``CampaignRoutes/signingInput(_:context:limiter:)``)
/// and the same answer (201 with a signature's JSON, the signatures counter). Left out: the
/// signing batch and its database, and the SCIM middleware (a prefix test on other paths) whose
/// token look-up needs the store.
package enum SigningCeiling {
    /// The router: `PUT /v1/campaigns/{id}/signature` and `GET /healthz`.
    package static func router(configuration: APIConfiguration, verifier: TokenVerifier, metrics: ServiceMetrics = ServiceMetrics())
        -> Router<MobiliseRequestContext>
    {
        let router = Router(context: MobiliseRequestContext.self)
        MobiliseService.addFrontMiddleware(
            to: router, configuration: configuration, inFlight: InFlightLimit(limit: configuration.maxInFlight), metrics: metrics)
        router.get("healthz") { _, _ in textResponse("{\"status\":\"ok\"}\n", contentType: "application/json") }
        // Every organisation a token names exists, with one id (the limiter's key includes it).
        let organisationID = UUID()
        let organisations = OrganisationDirectory { slug in
            Organisation(id: organisationID, slug: slug, name: slug, privacyK: 1, timeZone: "UTC")
        }
        let limiter = RateLimiter<EmployeeKey>(capacity: configuration.ratePerMinute, per: .seconds(60), instances: configuration.instances)
        let campaignID = UUID()
        let v1 = MobiliseService.v1Group(on: router, verifier: verifier, store: nil, organisations: organisations)
        v1.put("campaigns/:id/signature") { request, context -> Response in
            let (channel, eventID) = try await CampaignRoutes.signingInput(request, context: context, limiter: limiter)
            _ = try context.campaignReference()
            // What a signature of the benchmark's workforce looks like (gen.py: country, site, org unit).
            let signature = Signature(
                id: UUID(), campaignID: campaignID, country: "FR", site: "FR-site-1", orgUnit: "/ops/fr", channel: channel, eventID: eventID,
                signedAt: Date(), withdrawnAt: nil)
            metrics.signaturesRecorded.increment()
            return Response(status: .created, headers: [.contentType: "application/json; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: SignatureResponse(signature).json)))
        }
        return router
    }

    /// The application on `host:port`, as ``MobiliseService/application(store:configuration:migrator:host:port:logger:)``
    /// makes the service's.
    package static func application(configuration: APIConfiguration, host: String, port: Int, logger: Logger) async throws
        -> some ApplicationProtocol
    {
        let verifier = try await TokenVerifier(configuration: configuration)
        return Application(
            router: router(configuration: configuration, verifier: verifier), server: .http1OnConnectionLoops(),
            configuration: .init(address: .hostname(host, port: port), serverName: "mobilise"), logger: logger)
    }
}
