import CLibPQ

extension PostgresConnection {
    /// Streams rows into a table with `COPY … FROM STDIN`, the fastest way to load many rows.
    ///
    /// `body` writes the data through the ``CopyWriter`` (PostgreSQL's text format by default);
    /// it is sent in chunks as it is written, so the data never has to be held whole in memory. If
    /// `body` throws, the COPY is aborted, nothing is loaded, and the error is rethrown.
    ///
    /// ```swift
    /// let count = try connection.copyFrom("COPY staging (external_id, email) FROM STDIN") { writer in
    ///     for employee in employees { try writer.writeRow([employee.id, employee.email]) }
    /// }
    /// ```
    ///
    /// - Returns: the number of rows loaded.
    @discardableResult
    public func copyFrom(_ query: PostgresQuery, timeout: Duration? = nil, _ body: (CopyWriter) throws -> Void) throws -> Int {
        try checkUsable()
        try send(query)
        let deadline = makeDeadline(timeout)
        try flush(deadline: deadline, query: query)
        var interruption = Interruption()
        guard let start = try nextResult(deadline: deadline, interruption: &interruption, query: query) else {
            throw connectionError(query: query.sql)
        }
        if PQresultStatus(start) == PGRES_COPY_OUT || PQresultStatus(start) == PGRES_COPY_BOTH {
            PQclear(start)
            markBroken()
            throw PostgresError(kind: .client, message: "copyFrom needs a COPY … FROM STDIN statement", query: query.sql)
        }
        guard PQresultStatus(start) == PGRES_COPY_IN else {
            let error = PQresultStatus(start) == PGRES_FATAL_ERROR
                ? serverError(start, query: query.sql)
                : PostgresError(kind: .client, message: "copyFrom needs a COPY … FROM STDIN statement", query: query.sql)
            PQclear(start)
            while let rest = try nextResult(deadline: deadline, interruption: &interruption, query: query) { PQclear(rest) }
            throw error
        }
        PQclear(start)

        let writer = CopyWriter(connection: self, deadline: deadline, query: query)
        var bodyError: (any Error)?
        do {
            try body(writer)
            try writer.sendBuffer()
        } catch {
            bodyError = error
        }
        try endCopy(failure: bodyError.map { _ in "aborted by the client" }, deadline: deadline, query: query)

        var loaded = 0
        var failure: PostgresError?
        while let result = try nextResult(deadline: deadline, interruption: &interruption, query: query) {
            if PQresultStatus(result) == PGRES_COMMAND_OK {
                loaded = PostgresResult(taking: result).affectedRows
            } else {
                failure = failure ?? serverError(result, query: query.sql)
                PQclear(result)
            }
        }
        if let bodyError { throw bodyError }
        try interruption.throwIfInterrupted(query: query)
        if let failure { throw failure }
        return loaded
    }

    /// Sends a chunk of COPY data, waiting for the socket when libpq's buffer is full.
    func putCopyData(_ bytes: [UInt8], deadline: ContinuousClock.Instant?, query: PostgresQuery) throws {
        if interrupt.isCancelled { throw CancellationError() }
        while true {
            let status = bytes.withUnsafeBufferPointer { buffer in
                buffer.baseAddress.map { base in
                    base.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                        PQputCopyData(handle, $0, Int32(buffer.count))
                    }
                } ?? 1
            }
            if status == 1 {
                // Send it now: libpq would otherwise grow its buffer to the whole file.
                try flush(deadline: deadline, query: query)
                return
            }
            if status < 0 { throw connectionError(query: query.sql) }
            try waitToSend(deadline: deadline, query: query)
        }
    }

    private func endCopy(failure: String?, deadline: ContinuousClock.Instant?, query: PostgresQuery) throws {
        while true {
            let status = PQputCopyEnd(handle, failure)
            if status == 1 { break }
            if status < 0 { throw connectionError(query: query.sql) }
            try waitToSend(deadline: deadline, query: query)
        }
        try flush(deadline: deadline, query: query)
    }

    private func waitToSend(deadline: ContinuousClock.Instant?, query: PostgresQuery) throws {
        if interrupt.isCancelled { throw CancellationError() }
        switch wait(forWriting: true, deadline: deadline) {
        case .ready(let readable):
            if readable, PQconsumeInput(handle) != 1 { throw connectionError(query: query.sql) }
        case .interrupted:
            if interrupt.isCancelled { throw CancellationError() }
        case .timedOut:
            throw PostgresError(kind: .timeout, code: .queryCanceled, message: "COPY ran past its timeout", query: query.sql)
        }
    }
}

/// Writes COPY data; handed to the body of ``PostgresConnection/copyFrom(_:timeout:_:)``.
public final class CopyWriter {
    private unowned let connection: PostgresConnection
    private let deadline: ContinuousClock.Instant?
    private let query: PostgresQuery
    private var buffer: [UInt8] = []
    private static let chunkSize = 64 * 1024

    init(connection: PostgresConnection, deadline: ContinuousClock.Instant?, query: PostgresQuery) {
        self.connection = connection
        self.deadline = deadline
        self.query = query
        buffer.reserveCapacity(Self.chunkSize + 1024)
    }

    /// Raw COPY data, in whatever format the statement names.
    public func write(_ bytes: some Sequence<UInt8>) throws {
        buffer.append(contentsOf: bytes)
        if buffer.count >= Self.chunkSize { try sendBuffer() }
    }

    /// One row in PostgreSQL's text format: fields separated by tabs, nil as NULL (`\N`),
    /// backslash, tab, newline and carriage return escaped.
    public func writeRow(_ fields: [String?]) throws {
        for (index, field) in fields.enumerated() {
            if index > 0 { buffer.append(UInt8(ascii: "\t")) }
            guard let field else {
                buffer += [UInt8(ascii: "\\"), UInt8(ascii: "N")]
                continue
            }
            for byte in field.utf8 {
                switch byte {
                case UInt8(ascii: "\\"): buffer += [UInt8(ascii: "\\"), UInt8(ascii: "\\")]
                case UInt8(ascii: "\t"): buffer += [UInt8(ascii: "\\"), UInt8(ascii: "t")]
                case UInt8(ascii: "\n"): buffer += [UInt8(ascii: "\\"), UInt8(ascii: "n")]
                case UInt8(ascii: "\r"): buffer += [UInt8(ascii: "\\"), UInt8(ascii: "r")]
                default: buffer.append(byte)
                }
            }
        }
        buffer.append(UInt8(ascii: "\n"))
        if buffer.count >= Self.chunkSize { try sendBuffer() }
    }

    func sendBuffer() throws {
        guard !buffer.isEmpty else { return }
        try connection.putCopyData(buffer, deadline: deadline, query: query)
        buffer.removeAll(keepingCapacity: true)
    }
}

@available(*, unavailable)
extension CopyWriter: Sendable {}
