import CLibPQ
import Foundation

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Transaction isolation levels.
public enum IsolationLevel: String, Sendable {
    case readCommitted = "READ COMMITTED"
    case repeatableRead = "REPEATABLE READ"
    case serializable = "SERIALIZABLE"
}

/// One connection to the server, used inside ``PostgresPool/withConnection(_:)``.
///
/// Its methods are synchronous and run on the connection's own thread, never on Swift's cooperative
/// pool. Do not keep the connection after the closure returns, and do not hand it to another thread:
/// it is deliberately not `Sendable`.
///
/// Internally it drives libpq's asynchronous API (`PQsendQueryParams`, `PQconsumeInput`,
/// `PQisBusy`) in non-blocking mode, waiting on the socket with `poll`. That is what lets a statement
/// be cancelled (``PostgresPool`` turns task cancellation into `PQcancel`), time out, and what lets
/// a pipeline send while it reads.
public final class PostgresConnection {
    let handle: OpaquePointer
    let configuration: PostgresConfiguration
    let interrupt: ConnectionInterrupt
    private let cancelHandle: OpaquePointer?
    /// Set when the connection can no longer be trusted (lost, or stuck after a cancel).
    public private(set) var isBroken = false
    var lastUsed = ContinuousClock.now

    /// Connects, blocking the calling thread (a worker thread) until done or `connectTimeout`.
    init(configuration: PostgresConfiguration, interrupt: ConnectionInterrupt) throws {
        // Defaults first: libpq lets a later keyword win, and expands the connection string at
        // `dbname`, so what the string sets (`connect_timeout`, `keepalives_idle`, …) wins over them.
        var parameters: [(String, String)] = [
            ("connect_timeout", String(max(1, Int(configuration.connectTimeout.components.seconds)))),
            // Notice a silently dead TCP peer in about a minute rather than the OS's two hours.
            ("keepalives", "1"), ("keepalives_idle", "30"), ("keepalives_interval", "10"), ("keepalives_count", "3"),
        ]
        if let name = configuration.applicationName { parameters.append(("application_name", name)) }
        parameters.append(("dbname", configuration.connectionString))
        // The client reads and writes UTF-8, whatever the string says.
        parameters.append(("client_encoding", "UTF8"))
        let handle = withCStrings(parameters.map(\.0)) { keywords in
            withCStrings(parameters.map(\.1)) { values in PQconnectdbParams(keywords, values, 1) }
        }
        guard let handle else { throw PostgresError(kind: .connection, message: "out of memory while connecting") }
        guard PQstatus(handle) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(handle)).trimmed
            PQfinish(handle)
            throw PostgresError(kind: .connection, message: message)
        }
        self.handle = handle
        self.configuration = configuration
        self.interrupt = interrupt
        self.cancelHandle = PQgetCancel(handle)
        // Server notices ("relation … already exists, skipping") would go to standard error by default.
        PQsetNoticeProcessor(handle, { _, _ in }, nil)
        guard PQsetnonblocking(handle, 1) == 0 else {
            throw PostgresError(kind: .connection, message: "could not switch the connection to non-blocking mode")
        }
        // Timestamps come back in ISO format at UTC whatever the server's defaults.
        try executeScript("SET TimeZone TO 'UTC'; SET DateStyle TO 'ISO, MDY'; SET IntervalStyle TO 'iso_8601'")
    }

    /// The value libpq connected with for `keyword` (`connect_timeout`, …), nil when unset.
    func option(_ keyword: String) -> String? {
        guard let options = PQconninfo(handle) else { return nil }
        defer { PQconninfoFree(options) }
        var option = options
        while let name = option.pointee.keyword {
            if String(cString: name) == keyword { return option.pointee.val.map { String(cString: $0) } }
            option += 1
        }
        return nil
    }

    deinit {
        if let cancelHandle { PQfreeCancel(cancelHandle) }
        PQfinish(handle)
    }

    // MARK: - Statements

    /// Runs one statement and returns its rows.
    ///
    /// - Parameter timeout: cancel the statement if it runs longer (default: the configuration's
    ///   `statementTimeout`); the error is then a ``PostgresError`` of kind `.timeout`.
    @discardableResult
    public func query(_ query: PostgresQuery, timeout: Duration? = nil) throws -> PostgresResult {
        try checkUsable()
        let deadline = makeDeadline(timeout)
        try prepareIfNeeded(query, deadline: deadline)
        try send(query)
        try flush(deadline: deadline, query: query)
        var interruption = Interruption()
        var outcome: PostgresResult?
        var failure: PostgresError?
        while let result = try nextResult(deadline: deadline, interruption: &interruption, query: query) {
            switch PQresultStatus(result) {
            case PGRES_TUPLES_OK, PGRES_COMMAND_OK, PGRES_EMPTY_QUERY:
                outcome = PostgresResult(taking: result)
            case PGRES_COPY_IN, PGRES_COPY_OUT, PGRES_COPY_BOTH:
                PQclear(result)
                isBroken = true
                throw PostgresError(kind: .client, message: "COPY statements go through copyFrom(_:_:)", query: query.sql)
            default:
                if failure == nil { failure = serverError(result, query: query.sql) }
                PQclear(result)
            }
        }
        if PQstatus(handle) != CONNECTION_OK { isBroken = true }
        if let outcome, failure == nil { return outcome }
        try interruption.throwIfInterrupted(query: query)
        throw failure ?? connectionError(query: query.sql)
    }

    /// Runs one statement and returns how many rows it affected.
    @discardableResult
    public func execute(_ query: PostgresQuery, timeout: Duration? = nil) throws -> Int {
        try self.query(query, timeout: timeout).affectedRows
    }

    /// Runs SQL text that may hold several statements (a migration file), with no parameters.
    ///
    /// The text is sent as is: only for SQL the program trusts, never for anything a user wrote.
    public func executeScript(_ sql: String, timeout: Duration? = nil) throws {
        try checkUsable()
        guard PQsendQuery(handle, sql) == 1 else { throw connectionError(query: nil) }
        let query = PostgresQuery(unsafeSQL: sql)
        let deadline = makeDeadline(timeout)
        try flush(deadline: deadline, query: query)
        var interruption = Interruption()
        var failure: PostgresError?
        while let result = try nextResult(deadline: deadline, interruption: &interruption, query: query) {
            let status = PQresultStatus(result)
            if status == PGRES_COPY_IN || status == PGRES_COPY_OUT || status == PGRES_COPY_BOTH {
                PQclear(result)
                markBroken()
                throw PostgresError(kind: .client, message: "scripts cannot contain COPY; use copyFrom(_:_:)")
            }
            if status != PGRES_TUPLES_OK, status != PGRES_COMMAND_OK, status != PGRES_EMPTY_QUERY, failure == nil {
                failure = serverError(result, query: nil)
            }
            PQclear(result)
        }
        if PQstatus(handle) != CONNECTION_OK { isBroken = true }
        if failure == nil, !interruption.happened { return }
        try interruption.throwIfInterrupted(query: query)
        throw failure ?? connectionError(query: nil)
    }

    // MARK: - Transactions

    /// Runs `body` in a transaction: committed when it returns, rolled back when it throws.
    /// Inside another transaction it becomes a savepoint.
    public func transaction<T>(
        isolation: IsolationLevel? = nil, _ body: (PostgresConnection) throws -> T
    ) throws -> T {
        let nested = transactionStatus != PQTRANS_IDLE
        let savepoint = "mobilise_savepoint_\(savepointDepth)"
        if nested {
            try execute("SAVEPOINT \(unsafeSQL: savepoint)")
            savepointDepth += 1
        } else {
            try execute("BEGIN\(unsafeSQL: isolation.map { " ISOLATION LEVEL \($0.rawValue)" } ?? "")")
        }
        defer { if nested { savepointDepth -= 1 } }
        let value: T
        do {
            value = try body(self)
        } catch {
            if !isBroken {
                _ = try? execute(nested ? "ROLLBACK TO SAVEPOINT \(unsafeSQL: savepoint)" : "ROLLBACK")
                if nested { _ = try? execute("RELEASE SAVEPOINT \(unsafeSQL: savepoint)") }
            }
            throw error
        }
        try execute(nested ? "RELEASE SAVEPOINT \(unsafeSQL: savepoint)" : "COMMIT")
        return value
    }

    private var savepointDepth = 0
    /// Statements prepared on this connection, by text and parameter types, with their names.
    private var preparedStatements: [PreparedKey: String] = [:]
    /// Prepare calls made on this connection: the number in the next statement's name.
    private var preparedNames = 0

    var transactionStatus: PGTransactionStatusType { PQtransactionStatus(handle) }

    /// The server process serving this connection (for `pg_stat_activity`, `pg_cancel_backend`).
    public var backendPID: Int32 { PQbackendPID(handle) }

    // MARK: - Sending and waiting

    /// What interrupted a statement: the task was cancelled, or the deadline passed.
    struct Interruption {
        enum Cause { case cancelled, timedOut }
        var cause: Cause?
        var graceDeadline: ContinuousClock.Instant?
        var happened: Bool { cause != nil }

        func throwIfInterrupted(query: PostgresQuery) throws {
            switch cause {
            case .cancelled: throw CancellationError()
            case .timedOut:
                throw PostgresError(kind: .timeout, code: .queryCanceled, message: "the statement ran past its timeout and was cancelled", query: query.sql)
            case nil: return
            }
        }
    }

    /// How long the server gets to answer a cancel request before the connection is given up.
    private static let cancelGrace: Duration = .seconds(5)

    func checkUsable() throws {
        if isBroken { throw PostgresError(kind: .connection, message: "the connection was lost") }
        if interrupt.isCancelled { throw CancellationError() }
        lastUsed = .now
    }

    func makeDeadline(_ timeout: Duration?) -> ContinuousClock.Instant? {
        (timeout ?? configuration.statementTimeout).map { ContinuousClock.now + $0 }
    }

    /// Queues a statement with `PQsendQueryParams`, or with `PQsendQueryPrepared` when it was
    /// prepared on this connection (``prepareIfNeeded(_:deadline:)``); its rows come in text format,
    /// or binary when the query asks (``PostgresQuery/binaryResults()``).
    func send(_ query: PostgresQuery) throws {
        let name = query.isPrepared ? preparedStatements[PreparedKey(query)] : nil
        let resultFormat: Int32 = query.resultsInBinary ? 1 : 0
        let sent = try withParameters(query.binds) { count, types, values, lengths, formats in
            if let name { return PQsendQueryPrepared(handle, name, count, values, lengths, formats, resultFormat) }
            return PQsendQueryParams(handle, query.sql, count, types, values, lengths, formats, resultFormat)
        }
        guard sent == 1 else { throw connectionError(query: query.sql) }
    }

    // MARK: - Prepared statements

    /// The most statements a connection keeps prepared; marked queries beyond it run unprepared.
    public static let maxPreparedStatements = 64

    /// A prepared statement is the SQL text with its parameter types.
    struct PreparedKey: Hashable {
        var sql: String
        var types: [UInt32]
        init(_ query: PostgresQuery) {
            sql = query.sql
            types = query.binds.map(\.type.rawValue)
        }
    }

    /// Prepares a query marked with ``PostgresQuery/prepared()`` on this connection the first time it
    /// comes (one extra round trip, once per connection); does nothing for other queries.
    func prepareIfNeeded(_ query: PostgresQuery, deadline: ContinuousClock.Instant?) throws {
        guard query.isPrepared else { return }
        let key = PreparedKey(query)
        guard preparedStatements[key] == nil, preparedStatements.count < Self.maxPreparedStatements else { return }
        // A name is never used twice on a connection, even when a prepare fails or is cut short.
        preparedNames += 1
        let name = "mobilise_\(preparedNames)"
        let types = key.types.map { Oid($0) }
        guard PQsendPrepare(handle, name, key.sql, Int32(types.count), types) == 1 else { throw connectionError(query: key.sql) }
        var interruption = Interruption()
        var failure: PostgresError?
        do {
            try flush(deadline: deadline, query: query)
            while let result = try nextResult(deadline: deadline, interruption: &interruption, query: query) {
                if PQresultStatus(result) != PGRES_COMMAND_OK, failure == nil { failure = serverError(result, query: key.sql) }
                PQclear(result)
            }
        } catch {
            // Cut short: whether the server kept the statement is unknown, so the connection is given up.
            isBroken = true
            throw error
        }
        if PQstatus(handle) != CONNECTION_OK { isBroken = true }
        // Prepared, even if the call was interrupted meanwhile (the statement exists on the server).
        if failure == nil { preparedStatements[key] = name }
        try interruption.throwIfInterrupted(query: query)
        if let failure { throw failure }
    }

    /// Sends what libpq has buffered, reading meanwhile so a server busy writing results never waits
    /// on us while we wait on it.
    func flush(deadline: ContinuousClock.Instant?, query: PostgresQuery?) throws {
        while true {
            let status = PQflush(handle)
            if status == 0 { return }
            if status < 0 { throw connectionError(query: query?.sql) }
            switch wait(forWriting: true, deadline: deadline) {
            case .ready(let readable):
                if readable, PQconsumeInput(handle) != 1 { throw connectionError(query: query?.sql) }
            case .interrupted:
                continue  // a cancellation is acted on once the statement is on the server
            case .timedOut:
                isBroken = true
                throw PostgresError(kind: .timeout, message: "timed out sending the statement to the server", query: query?.sql)
            }
        }
    }

    /// The next result of the running statement (nil when it is done), waiting on the socket.
    /// Turns a cancellation or a passed deadline into a cancel request, then waits a grace period
    /// for the server to stop the statement.
    func nextResult(
        deadline: ContinuousClock.Instant?, interruption: inout Interruption, query: PostgresQuery?
    ) throws -> OpaquePointer? {
        // A cancellation noticed while sending (the pipe was emptied then) is acted on here.
        if interrupt.isCancelled, !interruption.happened {
            interruption.cause = .cancelled
            interruption.graceDeadline = .now + Self.cancelGrace
            requestCancel()
        }
        while PQisBusy(handle) == 1 {
            switch wait(forWriting: false, deadline: interruption.graceDeadline ?? deadline) {
            case .ready:
                guard PQconsumeInput(handle) == 1 else { throw connectionError(query: query?.sql) }
            case .interrupted:
                if interrupt.isCancelled, !interruption.happened {
                    interruption.cause = .cancelled
                    interruption.graceDeadline = .now + Self.cancelGrace
                    requestCancel()
                }
            case .timedOut:
                if interruption.happened {
                    isBroken = true
                    throw PostgresError(kind: .timeout, message: "the server did not answer a cancel request", query: query?.sql)
                }
                interruption.cause = .timedOut
                interruption.graceDeadline = .now + Self.cancelGrace
                requestCancel()
            }
        }
        return PQgetResult(handle)
    }

    /// Asks the server to cancel the running statement (`PQcancel`; blocks this worker thread briefly).
    private func requestCancel() {
        guard let cancelHandle else { return }
        var buffer = [CChar](repeating: 0, count: 256)
        _ = PQcancel(cancelHandle, &buffer, Int32(buffer.count))
    }

    enum WaitOutcome {
        case ready(readable: Bool)
        case interrupted
        case timedOut
    }

    /// Waits until the socket is readable (or writable, when asked), the interrupt pipe is signalled,
    /// or the deadline passes.
    func wait(forWriting: Bool, deadline: ContinuousClock.Instant?) -> WaitOutcome {
        let socket = PQsocket(handle)
        guard socket >= 0 else { return .ready(readable: true) }
        var descriptors = [
            pollfd(fd: socket, events: Int16(POLLIN) | (forWriting ? Int16(POLLOUT) : 0), revents: 0),
            pollfd(fd: interrupt.readDescriptor, events: Int16(POLLIN), revents: 0),
        ]
        while true {
            var timeout: Int32 = -1
            if let deadline {
                let remaining = ContinuousClock.now.duration(to: deadline)
                if remaining <= .zero { return .timedOut }
                let (seconds, attoseconds) = remaining.components
                timeout = Int32(min(seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1, Int64(Int32.max)))
            }
            let count = poll(&descriptors, 2, timeout)
            if count < 0 {
                if errno == EINTR { continue }
                return .ready(readable: true)  // let libpq report the socket's state
            }
            if count == 0 { continue }  // re-check the deadline
            if descriptors[1].revents != 0 {
                interrupt.drain()
                return .interrupted
            }
            let events = descriptors[0].revents
            return .ready(readable: events & (Int16(POLLIN) | Int16(POLLHUP) | Int16(POLLERR)) != 0)
        }
    }

    /// True when the idle connection's socket has something to read: the server closed it, or sent a
    /// shutdown notice. Costs no round trip.
    var hasPendingInput: Bool {
        let socket = PQsocket(handle)
        guard socket >= 0 else { return true }
        var descriptor = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
        return poll(&descriptor, 1, 0) > 0
    }

    /// Reads what the server sent while idle; false when the connection turns out to be dead.
    func consumeIdleInput() -> Bool {
        if PQconsumeInput(handle) != 1 || PQstatus(handle) != CONNECTION_OK {
            isBroken = true
            return false
        }
        return true
    }

    func connectionError(query: String?) -> PostgresError {
        if PQstatus(handle) != CONNECTION_OK { isBroken = true }
        var message = String(cString: PQerrorMessage(handle)).trimmed
        if message.isEmpty { message = "the connection to the server failed" }
        return PostgresError(kind: .connection, message: message, query: query)
    }

    func serverError(_ result: OpaquePointer, query: String?) -> PostgresError {
        func field(_ code: UInt8) -> String? {
            PQresultErrorField(result, Int32(code)).map { String(cString: $0) }
        }
        let code = field(UInt8(ascii: "C")).map(SQLState.init(rawValue:))
        let message = field(UInt8(ascii: "M")) ?? String(cString: PQresultErrorMessage(result)).trimmed
        let isConnectionLoss = code == nil && PQstatus(handle) != CONNECTION_OK
        if isConnectionLoss { isBroken = true }
        // The server no longer has a statement we prepared (DEALLOCATE, DISCARD), or a prepared
        // statement's tables changed shape under it: our list of prepared statements is wrong, so the
        // connection is given up and the pool opens a fresh one (with an empty list).
        if code?.rawValue == "26000" || (code?.rawValue == "0A000" && message.contains("cached plan")) { isBroken = true }
        return PostgresError(
            kind: isConnectionLoss ? .connection : .server, code: code, message: message,
            detail: field(UInt8(ascii: "D")), hint: field(UInt8(ascii: "H")),
            constraint: field(UInt8(ascii: "n")), schema: field(UInt8(ascii: "s")),
            table: field(UInt8(ascii: "t")), column: field(UInt8(ascii: "c")), query: query)
    }

    /// Marks the connection as unusable (the pool will replace it).
    func markBroken() { isBroken = true }
}

@available(*, unavailable)
extension PostgresConnection: Sendable {}

// MARK: - C arrays

/// Calls `body` with a NULL-terminated array of C strings.
func withCStrings<R>(_ strings: [String], _ body: (UnsafePointer<UnsafePointer<CChar>?>) -> R) -> R {
    let storage = strings.map { strdup($0) }
    defer { storage.forEach { free($0) } }
    let pointers: [UnsafePointer<CChar>?] = storage.map { $0.map { UnsafePointer($0) } } + [nil]
    return body(pointers)
}

/// Calls `body` with libpq's parallel parameter arrays (count, types, values, lengths, formats).
func withParameters<R>(
    _ binds: [PostgresBind],
    _ body: (Int32, UnsafePointer<Oid>?, UnsafePointer<UnsafePointer<CChar>?>?, UnsafePointer<Int32>?, UnsafePointer<Int32>?) -> R
) throws -> R {
    if binds.isEmpty { return body(0, nil, nil, nil, nil) }
    var storage: [UInt8] = []
    storage.reserveCapacity(binds.reduce(0) { $0 + ($1.bytes?.count ?? 0) + 1 })
    var offsets: [Int?] = []
    for (index, bind) in binds.enumerated() {
        guard let bytes = bind.bytes else {
            offsets.append(nil)
            continue
        }
        if !bind.isBinary, bytes.contains(0) {
            throw PostgresError(kind: .client, code: .characterNotInRepertoire,
                                message: "parameter $\(index + 1) is text containing a NUL (0x00) character, which PostgreSQL text cannot store; send binary data as Data")
        }
        offsets.append(storage.count)
        storage += bytes
        storage.append(0)  // text parameters are read as C strings
    }
    let types = binds.map { Oid($0.type.rawValue) }
    let lengths = binds.map { Int32($0.bytes?.count ?? 0) }
    let formats = binds.map { Int32($0.isBinary ? 1 : 0) }
    return storage.withUnsafeBufferPointer { buffer in
        let values: [UnsafePointer<CChar>?] = offsets.map { offset in
            guard let offset, let base = buffer.baseAddress else { return nil }
            return UnsafeRawPointer(base + offset).assumingMemoryBound(to: CChar.self)
        }
        return body(Int32(binds.count), types, values, lengths, formats)
    }
}
