import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import MobiliseStore
import PostgresMigrations

/// The HTTP service: builds the router and the Hummingbird application.
public enum MobiliseService {
    /// The router with every route: operations at the root, the API under `/v1` behind a bearer token,
    /// SCIM provisioning under `/scim/v2` behind a SCIM token.
    public static func router(
        store: MobiliseStore, configuration: APIConfiguration, verifier: TokenVerifier, migrator: Migrator,
        metrics: ServiceMetrics = ServiceMetrics()
    ) -> Router<MobiliseRequestContext> {
        let environment = APIEnvironment(store: store, configuration: configuration, metrics: metrics, migrator: migrator)
        let router = Router(context: MobiliseRequestContext.self)
        addFrontMiddleware(to: router, configuration: configuration, inFlight: environment.inFlight, metrics: metrics)
        router.add(middleware: SCIMMiddleware(store: store))
        OperationsRoutes(environment: environment).register(on: router)
        DashboardRoutes().register(on: router)
        EmployeePageRoutes(widgetOrigins: configuration.widgetOrigins).register(on: router)
        ConsoleRoutes().register(on: router)
        let organisations = OrganisationDirectory(store: store)
        let sessions = SessionRoutes(verifier: verifier, store: store, organisations: organisations)
        sessions.register(on: router)
        SingleSignOnRoutes(store: store, organisations: organisations, client: OpenIDClient(policy: configuration.outbox.policy), publicURL: configuration.publicURL,
                           sealer: SecretSealer(configuration: configuration, purpose: .ssoClientSecret)).register(on: router)
        let v1 = v1Group(on: router, verifier: verifier, store: store, organisations: organisations)
        sessions.registerRead(on: v1)
        PeopleRoutes(environment: environment).register(on: v1)
        CampaignRoutes(environment: environment).register(on: v1)
        PostRoutes(environment: environment).register(on: v1)
        EventRoutes(environment: environment).register(on: v1)
        RankingRoutes(environment: environment).register(on: v1)
        LiveRoutes(environment: environment).register(on: v1)
        SCIMTokenRoutes(environment: environment).register(on: v1)
        SingleSignOnSettingsRoutes(environment: environment).register(on: v1)
        WorkforceMappingRoutes(environment: environment).register(on: v1)
        WebhookRoutes(environment: environment).register(on: v1)
        PosterRoutes(environment: environment).register(on: v1)
        PaperRoutes(environment: environment).register(on: v1)
        ReminderRoutes(environment: environment).register(on: v1)
        ReminderRoutes.registerUnsubscribe(on: router, store: store)
        ImportJobRoutes(environment: environment).register(on: v1)
        SCIMRoutes(store: store, publicURL: configuration.publicURL).register(on: router)
        return router
    }

    /// The middleware every request passes first, in order: the request log line and metrics, the
    /// security headers, load shedding, the JSON error body, the NUL guard. (The benchmark's
    /// no-database ceiling, ``SigningCeiling``, puts the same in front of its route.)
    static func addFrontMiddleware(
        to router: Router<MobiliseRequestContext>, configuration: APIConfiguration, inFlight: InFlightLimit, metrics: ServiceMetrics
    ) {
        router.add(middleware: ObservabilityMiddleware(metrics: metrics))
        router.add(middleware: SecurityHeadersMiddleware(widgetOrigins: configuration.widgetOrigins))
        router.add(middleware: LoadSheddingMiddleware(inFlight: inFlight, metrics: metrics))
        router.add(middleware: ErrorMiddleware())
        router.add(middleware: NULGuardMiddleware())
    }

    /// `/v1`: a verified bearer token (or session cookie, with a store), then decoded path parameters.
    static func v1Group(
        on router: Router<MobiliseRequestContext>, verifier: TokenVerifier, store: MobiliseStore?, organisations: OrganisationDirectory
    ) -> RouterGroup<AuthenticatedContext> {
        router.group("v1")
            .add(middleware: AuthenticationMiddleware(verifier: verifier, store: store, organisations: organisations))
            .add(middleware: PathParameterDecoding())
            .group(context: AuthenticatedContext.self)
    }

    /// The application: serves on `host:port`, runs the pool, the read replicas' checks and the
    /// hourly compaction of the daily counts (once across instances) as services (closed after the server stops, on SIGTERM
    /// or SIGINT, once in-flight requests are done), and migrates before serving.
    public static func application(
        store: MobiliseStore, configuration: APIConfiguration, migrator: Migrator, host: String, port: Int, logger: Logger
    ) async throws -> some ApplicationProtocol {
        var configuration = configuration
        // The service never calls itself (the outbound-URL policy refuses its own address).
        configuration.outbox.policy.ownPort = port
        let verifier = try await TokenVerifier(configuration: configuration)
        let router = router(store: store, configuration: configuration, verifier: verifier, migrator: migrator)
        var services = store.services
        services.append(ScheduledJobService.countCompaction(store: store, logger: logger))
        // The outbox: its sender, and the milestone detector (once across instances).
        services.append(OutboxSender(
            store: store, configuration: configuration.outbox, sealer: SecretSealer(configuration: configuration, purpose: .webhookSigningKey),
            logger: logger))
        services.append(ScheduledJobService.milestones(
            store: store, publication: configuration.leaderPublication, logger: logger, interval: configuration.outbox.milestoneInterval))
        // E-mail reminders' sender (when MOBILISE_SMTP_URL is set).
        if configuration.email.smtp != nil {
            services.append(EmailSender(store: store, configuration: configuration.email, logger: logger))
        }
        var app = Application(
            router: router, server: .http1OnConnectionLoops(), configuration: .init(address: .hostname(host, port: port), serverName: "mobilise"),
            services: services, logger: logger)
        let sealing = configuration
        app.beforeServerStarts {
            try await store.migrate(migrator)
            // Webhook signing keys saved in plain text before 0031, or secrets under a retired key: sealed now.
            do {
                try await StoredSecrets.seal(store: store, configuration: sealing, logger: logger)
            } catch {
                logger.error("could not seal the stored secrets; the service starts, and tries again at its next start", metadata: ["error": "\(error)"])
            }
        }
        return app
    }
}
