// Text against binary results (issue 25, BENCHMARKS.md section 6): the signing batch's answer read in
// PostgreSQL's text and binary formats. The rows are the answer of a batch of 32 new signers (its 17
// columns: 32 rows of requests, whose signature as it was is NULL, and 32 of signatures written), kept
// in a temporary table, selected by a prepared statement and decoded by position into the Swift types
// SignatureBatch reads them as.
//
//   swift build -c release --product result-format-bench
//   .build/release/result-format-bench CONNECTION_STRING [ROUNDS]
//   .build/release/result-format-bench CONNECTION_STRING decode|select text|binary N
//
// The first form alternates the formats for ROUNDS rounds (default 5), each 20,000 executions on one
// connection, and prints per row: the server backend's CPU (/proc/PID/stat: the server must run on this
// machine), the client thread's CPU (receiving and decoding), and decoding alone (ns, best of 5 runs of
// 200 passes over one result). The second fetches once and decodes the rows N times (`decode`), or
// executes and decodes N times (`select`), in one format: for a profile (`perf record`) of either side.
import Foundation
import Logging
import Postgres

#if canImport(Glibc)
import Glibc
#endif

@main
struct ResultFormatBench {
    static let rows = 64

    static let setup = """
        CREATE TEMPORARY TABLE answer AS
        SELECT n::bigint AS ord, true AS found, true AS active, true AS admitted, true AS open, true AS in_window,
               false AS created, gen_random_uuid() AS employee_id, NULL::uuid AS id, NULL::uuid AS campaign_id,
               NULL::text AS country, NULL::text AS site, NULL::text AS org_unit, NULL::text AS channel,
               NULL::uuid AS event_id, NULL::timestamptz AS signed_at, NULL::timestamptz AS withdrawn_at
        FROM generate_series(1, 32) n
        UNION ALL
        SELECT 0, true, true, true, true, true, true, gen_random_uuid(), gen_random_uuid(), gen_random_uuid(),
               'IN', 'Site ' || n, 'Unit ' || n % 7, 'web', NULL, now() - n * interval '1.234567 second', NULL
        FROM generate_series(1, 32) n
        """
    static let select: PostgresQuery = PostgresQuery(unsafeSQL: "SELECT * FROM answer").prepared()

    /// The rows as SignatureBatch reads them (one column at a time, by position); returns something of
    /// them so the work is not optimised away.
    static func decode(_ result: PostgresResult) throws -> Int {
        var sum = 0
        for index in 0..<result.count {
            let row = result[index]
            let ord = try row.decode(Int.self, at: 0), found = try row.decode(Bool.self, at: 1), active = try row.decode(Bool.self, at: 2)
            let admitted = try row.decode(Bool.self, at: 3), open = try row.decode(Bool.self, at: 4), inWindow = try row.decode(Bool.self, at: 5)
            let created = try row.decode(Bool.self, at: 6), employee = try row.decode(UUID?.self, at: 7), id = try row.decode(UUID?.self, at: 8)
            let campaign = try row.decode(UUID?.self, at: 9), country = try row.decode(String?.self, at: 10)
            let site = try row.decode(String?.self, at: 11), orgUnit = try row.decode(String?.self, at: 12)
            let channel = try row.decode(String?.self, at: 13), event = try row.decode(UUID?.self, at: 14)
            let signedAt = try row.decode(Date?.self, at: 15), withdrawnAt = try row.decode(Date?.self, at: 16)
            sum &+= ord &+ (found && active && admitted && open && inWindow && created ? 1 : 0) &+ (employee?.hashValue ?? 0)
            sum &+= (id == campaign ? 1 : 0) &+ (country?.utf8.count ?? 0) &+ (site?.utf8.count ?? 0) &+ (orgUnit?.utf8.count ?? 0)
            sum &+= (channel?.utf8.count ?? 0) &+ (event == nil ? 0 : 1) &+ Int(signedAt?.timeIntervalSince1970 ?? 0) &+ (withdrawnAt == nil ? 0 : 1)
        }
        return sum
    }

    static func query(binary: Bool) -> PostgresQuery { binary ? select.binaryResults() : select }

    /// CPU seconds of this thread.
    static func threadCPU() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    /// CPU seconds of a process on this machine (utime + stime of /proc/PID/stat).
    static func processCPU(_ pid: Int32) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
              let end = stat.lastIndex(of: ")")
        else { return .nan }
        let fields = stat[stat.index(after: end)...].split(separator: " ")
        // After the command: state is field 3, utime 14 and stime 15 (1-based in proc(5)).
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return .nan }
        return (user + system) / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    static func main() async throws {
        let arguments = CommandLine.arguments
        guard arguments.count >= 2 else {
            print("usage: result-format-bench CONNECTION_STRING [ROUNDS] | CONNECTION_STRING decode|select text|binary N")
            exit(64)
        }
        let pool = PostgresPool(
            configuration: .init(connection: try PostgresConfiguration(arguments[1]), maxConnections: 1),
            logger: Logger(label: "result-format-bench"))
        if arguments.count == 5, arguments[2] == "decode" || arguments[2] == "select" {
            let binary = arguments[3] == "binary"
            let passes = Int(arguments[4]) ?? 0
            let executes = arguments[2] == "select"
            let sum = try await pool.withConnection { connection in
                try connection.execute(PostgresQuery(unsafeSQL: setup))
                let result = try connection.query(query(binary: binary))
                var sum = 0
                for _ in 0..<passes { sum &+= try decode(executes ? connection.query(query(binary: binary)) : result) }
                return sum
            }
            print("\(arguments[2]) \(passes) × \(rows) rows (\(binary ? "binary" : "text")), checksum \(sum)")
            await pool.close()
            return
        }
        let rounds = arguments.count > 2 ? Int(arguments[2]) ?? 5 : 5
        let executions = 20_000
        print("per row (\(rows) rows a result, \(executions) executions a measurement, \(rounds) rounds, load \(loadAverage()))")
        print("format   server CPU µs   client CPU µs   decoding alone ns")
        try await pool.withConnection { connection in
            try connection.execute(PostgresQuery(unsafeSQL: setup))
            let backend = connection.backendPID
            for _ in 0..<rounds {
                for binary in [false, true] {
                    let server = processCPU(backend)
                    let client = threadCPU()
                    var sum = 0
                    for _ in 0..<executions { sum &+= try decode(connection.query(query(binary: binary))) }
                    let serverPerRow = (processCPU(backend) - server) / Double(executions * rows) * 1e6
                    let clientPerRow = (threadCPU() - client) / Double(executions * rows) * 1e6
                    let result = try connection.query(query(binary: binary))
                    var best = Double.infinity
                    for _ in 0..<5 {
                        let start = ContinuousClock.now
                        for _ in 0..<200 { sum &+= try decode(result) }
                        let elapsed = ContinuousClock.now - start
                        let nanoseconds = Double(elapsed.components.seconds) * 1e9 + Double(elapsed.components.attoseconds) / 1e9
                        best = min(best, nanoseconds / Double(200 * rows))
                    }
                    print((binary ? "binary" : "text").padding(toLength: 8, withPad: " ", startingAt: 0)
                          + String(format: " %13.3f   %13.3f   %17.1f   (checksum %d)", serverPerRow, clientPerRow, best, sum & 0xFF))
                }
            }
        }
        await pool.close()
    }

    static func loadAverage() -> String {
        (try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8))?.split(separator: " ").prefix(3).joined(separator: " ") ?? "?"
    }
}
