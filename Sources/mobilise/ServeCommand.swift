import ArgumentParser
import EmbeddedPostgres
import Foundation
import Hummingbird
import Logging
import MobiliseAPI
import MobiliseDemo
import MobiliseDomain
import MobiliseSchema
import MobiliseStore
import Postgres
import ServiceLifecycle
import UnixSignals

/// `mobilise serve`: the HTTP service.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the intranet API. Without a database URL, runs the embedded PostgreSQL under ./.mobilise."
    )

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Address to listen on (default: $MOBILISE_HOST, else 127.0.0.1).")
    var host: String?

    @Option(help: "Port to listen on (default: $MOBILISE_PORT, else 8080).")
    var port: Int?

    @Option(help: "Database connections at most (default: $MOBILISE_DB_POOL, else 16).")
    var poolSize: Int?

    @Flag(help: "Load the demo organisation first when it is missing (see `mobilise demo`), and print sign-in tokens.")
    var demo = false

    func validate() throws {
        if let port, !(1...65535).contains(port) { throw ValidationError("--port must be between 1 and 65535") }
        if let poolSize, poolSize < 1 { throw ValidationError("--pool-size must be at least 1") }
    }

    func run() async throws {
        let logger = MobiliseCommand.bootstrapLogging(standard: .info)
        var configuration = APIConfiguration.fromEnvironment()
        // Refused at start rather than left out: a widget that no intranet may frame is a surprise.
        do {
            configuration.widgetOrigins = try APIConfiguration.widgetOrigins(Environment.value("MOBILISE_WIDGET_ORIGINS") ?? "")
        } catch let error as APIConfiguration.InvalidWidgetOrigin {
            throw ValidationError(error.description)
        }
        do {
            configuration.publicURL = try Environment.value("MOBILISE_PUBLIC_URL").map(APIConfiguration.publicURL)
        } catch let error as APIConfiguration.InvalidPublicURL {
            throw ValidationError(error.description)
        }
        // E-mail reminders: a wrong SMTP address, sender or rate stops the start with its reason.
        do {
            configuration.email = try EmailConfiguration.fromEnvironment()
        } catch {
            throw ValidationError("\(error)")
        }
        let host = host ?? Environment.value("MOBILISE_HOST") ?? "127.0.0.1"
        let port = port ?? Environment.value("MOBILISE_PORT").flatMap(Int.init) ?? 8080
        let poolSize = poolSize ?? Environment.value("MOBILISE_DB_POOL").flatMap(Int.init) ?? 16
        let limits = try ServiceLimits.fromEnvironment()
        if let interval = Environment.value("MOBILISE_LEADER_PUBLISH_INTERVAL"), Publication.parseInterval(interval) == nil {
            throw ValidationError("MOBILISE_LEADER_PUBLISH_INTERVAL is a positive duration such as 15m, 2s or 500ms, not '\(interval)'")
        }

        let (connectionString, startedServer) = try await database.database(logger: logger)
        // Development only: the embedded database without a configured key gets a secret kept beside it.
        if database.externalURL == nil, configuration.jwtSecret == nil, configuration.jwksFile == nil {
            configuration.jwtSecret = try database.developmentSecret()
            logger.warning("MOBILISE_JWT_SECRET is not set: using a development secret kept in the data directory")
        }
        guard configuration.jwtSecret != nil || configuration.jwksFile != nil else {
            throw ValidationError("set MOBILISE_JWT_SECRET (HS256) or MOBILISE_JWKS_FILE (RS256/ES256 keys) so tokens can be verified")
        }

        let pool = PostgresPool(
            configuration: .init(
                connection: try PostgresConfiguration(connectionString, applicationName: "mobilise", statementTimeout: limits.statementTimeout),
                maxConnections: poolSize, acquireTimeout: limits.acquireTimeout),
            logger: logger)
        let replicaURLs = (Environment.value("DATABASE_REPLICA_URLS") ?? "").split(separator: ",")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        var readReplicas: PostgresReadReplicas?
        if !replicaURLs.isEmpty {
            let replicaPools = try replicaURLs.map { url in
                PostgresPool(
                    configuration: .init(
                        connection: try PostgresConfiguration(url, applicationName: "mobilise-reads", statementTimeout: limits.statementTimeout),
                        maxConnections: poolSize, acquireTimeout: limits.acquireTimeout, label: "replica"),
                    logger: logger)
            }
            readReplicas = PostgresReadReplicas(primary: pool, replicas: replicaPools, logger: logger)
            logger.info("read replicas configured", metadata: ["db.replicas": "\(replicaPools.count)"])
        }
        let store = MobiliseStore(pool: pool, readReplicas: readReplicas, groupCommit: GroupCommit(maxBatch: limits.signingBatch), logger: logger)
        let migrator = try MobiliseSchema.migrator(logger: logger)
        if demo {
            try await migrator.migrate(pool)
            let summary = try await DemoOrganisation.load(into: store) { step in logger.info("demo: \(step)") }
            print("""
                Demo organisation '\(summary.organisation.slug)', campaign \(summary.campaignSlug): \(summary.signatures) signatures.
                Sign in as:
                """)
            try await DemoCommand.printSignIn(summary, secret: configuration.jwtSecret.map { .success($0) }
                ?? .failure(.init(message: "the service verifies tokens with a JWKS: ask your identity provider for one")),
                dashboard: ("http://\(host):\(port)", store))
            print("Then: curl -H \"Authorization: Bearer <token>\" http://\(host):\(port)/v1/me\n")
            fflush(nil)  // the service runs on: show this now even when standard output is a file or a pipe
        }
        let app = try await MobiliseService.application(
            store: store, configuration: configuration, migrator: migrator, host: host, port: port, logger: logger)
        logger.info("serving", metadata: ["address": "http://\(host):\(port)"])
        // SIGTERM or SIGINT: stop accepting, let in-flight requests finish, close the pool, exit 0.
        // Requests still running after the shutdown timeout are cancelled.
        var group = ServiceGroupConfiguration(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)
        group.maximumGracefulShutdownDuration = limits.shutdownTimeout
        do {
            try await ServiceGroup(configuration: group).run()
            logger.info("stopped")
        } catch {
            try? await startedServer?.stop()
            throw error
        }
        try await startedServer?.stop()
    }
}

extension DatabaseOptions {
    /// Where `serve` keeps the development secret: in the data directory.
    var developmentSecretFile: URL {
        URL(fileURLWithPath: dataDirectory ?? Environment.value("MOBILISE_DATA_DIR") ?? ".mobilise")
            .appendingPathComponent("dev-jwt-secret")
    }

    /// The development secret `serve` made, if it made one (nothing is created).
    func existingDevelopmentSecret() -> String? {
        guard let existing = try? String(contentsOf: developmentSecretFile, encoding: .utf8) else { return nil }
        let secret = existing.trimmingCharacters(in: .whitespacesAndNewlines)
        return secret.utf8.count >= TokenCommand.minimumSecretBytes ? secret : nil
    }

    /// A random secret kept in the data directory, so development tokens survive a restart.
    func developmentSecret() throws -> String {
        if let existing = existingDevelopmentSecret() { return existing }
        let file = developmentSecretFile
        var generator = SystemRandomNumberGenerator()
        let secret = (0..<32).map { _ in String(format: "%02x", UInt8.random(in: 0...255, using: &generator)) }.joined()
        try FileManager.default.createDirectory(at: file.deletingLastPathComponent(), withIntermediateDirectories: true)
        try secret.write(to: file, atomically: true, encoding: .utf8)
        _ = chmod(file.path, 0o600)
        return secret
    }
}
