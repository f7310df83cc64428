// The no-database ceiling of signing (issue 25): the service's HTTP stack, middleware and token
// verification answering `PUT /v1/campaigns/{id}/signature` without a database (see
// `SigningCeiling` in MobiliseAPI). `bench/run` measures it in the same run as signing.
//
//   MOBILISE_JWT_SECRET=… CEILING_PORT=8082 .build/release/signing-ceiling
//
// Configured as the service is: MOBILISE_LOG_LEVEL (default info, one line per request, written as
// the service writes its own), MOBILISE_RATE_LIMIT, MOBILISE_MAX_IN_FLIGHT, MOBILISE_JWT_*.
import Foundation
import Hummingbird
import Logging
import MobiliseAPI
import ServiceLifecycle

@main
struct SigningCeilingMain {
    static func main() async throws {
        let environment = ProcessInfo.processInfo.environment
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }

        let level = value("MOBILISE_LOG_LEVEL").flatMap(Logger.Level.init(rawValue:)) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = BufferedLogHandler(label: label, output: .standardError)
            handler.logLevel = level
            return handler
        }
        atexit { BufferedLogOutput.standardError.flush() }
        let logger = Logger(label: "mobilise")

        let configuration = APIConfiguration.fromEnvironment()
        guard configuration.jwtSecret != nil || configuration.jwksFile != nil else {
            FileHandle.standardError.write(Data("signing-ceiling: set MOBILISE_JWT_SECRET (or MOBILISE_JWKS_FILE)\n".utf8))
            exit(64)
        }
        let host = value("CEILING_HOST") ?? "127.0.0.1"
        guard let port = Int(value("CEILING_PORT") ?? "8082") else {
            FileHandle.standardError.write(Data("signing-ceiling: CEILING_PORT is a port number\n".utf8))
            exit(64)
        }
        let app = try await SigningCeiling.application(configuration: configuration, host: host, port: port, logger: logger)
        logger.info("serving the signing ceiling (no database)", metadata: ["address": "http://\(host):\(port)"])
        try await ServiceGroup(configuration: .init(services: [app], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger)).run()
    }
}
