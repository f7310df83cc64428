import MobiliseTesting
import Testing

/// The limits `serve` reads from the environment: a value it cannot read stops it with a sentence
/// naming the variable, before it touches the database.
@Suite struct ServiceLimitsTests {
    @Test(arguments: ["MOBILISE_STATEMENT_TIMEOUT", "MOBILISE_DB_ACQUIRE_TIMEOUT", "MOBILISE_SHUTDOWN_TIMEOUT"])
    func anUnreadableDurationIsRefusedByName(variable: String) async throws {
        let output = try await CommandRunner.run(
            CommandRunner.mobilise, ["serve", "--database-url", "postgresql://127.0.0.1:1/none"],
            environment: [variable: "soon", "MOBILISE_JWT_SECRET": ServiceProcess.secret])
        #expect(output.status != 0)
        #expect(output.standardError.contains("\(variable) is a duration"), "\(output.standardError)")
    }

    @Test(arguments: ["lots", "0", "20000"])
    func anUnreadableSigningBatchIsRefusedByName(value: String) async throws {
        let output = try await CommandRunner.run(
            CommandRunner.mobilise, ["serve", "--database-url", "postgresql://127.0.0.1:1/none"],
            environment: ["MOBILISE_SIGNING_BATCH": value, "MOBILISE_JWT_SECRET": ServiceProcess.secret])
        #expect(output.status != 0)
        #expect(output.standardError.contains("MOBILISE_SIGNING_BATCH is a number of signatures"), "\(output.standardError)")
    }
}
