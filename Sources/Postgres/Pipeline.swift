import CLibPQ

/// How the statements of a pipeline relate to each other.
public enum PipelineMode: Sendable {
    /// Each statement is its own transaction: one failing does not stop the others.
    case independent
    /// All statements form one transaction: the first failure rolls it back, and the statements
    /// after it are reported as ``PostgresError/Kind/pipelineAborted``.
    case transaction
}

extension PostgresConnection {
    /// Sends all `queries` without waiting for each one's answer (libpq's pipeline mode), then
    /// returns their results in the same order: one round trip instead of one per statement.
    ///
    /// ```swift
    /// let results = try connection.pipeline(signatures.map { "INSERT INTO signatures … VALUES (\($0.id), …)" })
    /// for (index, result) in results.enumerated() { if case .failure(let error) = result { … } }
    /// ```
    ///
    /// Queries marked ``PostgresQuery/prepared()`` are prepared first, before the pipeline starts, the
    /// first time on this connection: a statement the server cannot prepare (bad SQL) makes the whole
    /// call throw rather than come back as that statement's result.
    ///
    /// Cancelling the task (or a timeout) cancels the statement running at that moment; in
    /// `.independent` mode the statements after it still run and commit (each is its own
    /// transaction), and the call then throws. Use `.transaction` when the batch must be all or nothing.
    ///
    /// See <https://www.postgresql.org/docs/current/libpq-pipeline-mode.html>.
    public func pipeline(
        _ queries: [PostgresQuery], mode: PipelineMode = .independent, timeout: Duration? = nil
    ) throws -> [Result<PostgresResult, PostgresError>] {
        try checkUsable()
        if queries.isEmpty { return [] }
        let deadline = makeDeadline(timeout)
        for query in queries { try prepareIfNeeded(query, deadline: deadline) }
        guard PQenterPipelineMode(handle) == 1 else {
            throw PostgresError(kind: .client, message: "could not enter pipeline mode: \(String(cString: PQerrorMessage(handle)).trimmed)")
        }
        var interruption = Interruption()
        do {
            for query in queries {
                try send(query)
                if mode == .independent { try sync() }
                try flush(deadline: deadline, query: query)
            }
            if mode == .transaction { try sync() }
            try flush(deadline: deadline, query: nil)

            var results: [Result<PostgresResult, PostgresError>] = []
            results.reserveCapacity(queries.count)
            for query in queries {
                results.append(try readPipelineResult(query: query, deadline: deadline, interruption: &interruption))
                if mode == .independent { try readSync(deadline: deadline, interruption: &interruption) }
            }
            if mode == .transaction { try readSync(deadline: deadline, interruption: &interruption) }
            if PQexitPipelineMode(handle) != 1 { markBroken() }
            if interruption.happened { try interruption.throwIfInterrupted(query: queries[0]) }
            return results
        } catch {
            // The connection is somewhere in the middle of a pipeline: it cannot be trusted again.
            markBroken()
            throw error
        }
    }

    private func sync() throws {
        guard PQpipelineSync(handle) == 1 else { throw connectionError(query: nil) }
    }

    /// Reads one statement's results, up to the NULL that ends them.
    private func readPipelineResult(
        query: PostgresQuery, deadline: ContinuousClock.Instant?, interruption: inout Interruption
    ) throws -> Result<PostgresResult, PostgresError> {
        var outcome: Result<PostgresResult, PostgresError>?
        while let result = try nextResult(deadline: deadline, interruption: &interruption, query: query) {
            switch PQresultStatus(result) {
            case PGRES_TUPLES_OK, PGRES_COMMAND_OK:
                if outcome == nil { outcome = .success(PostgresResult(taking: result)) } else { PQclear(result) }
            case PGRES_PIPELINE_ABORTED:
                PQclear(result)
                outcome = outcome ?? .failure(PostgresError(
                    kind: .pipelineAborted, message: "not run: an earlier statement of the pipeline failed", query: query.sql))
            case PGRES_PIPELINE_SYNC:
                PQclear(result)
                throw PostgresError(kind: .client, message: "pipeline results out of step with its statements")
            default:
                let error = serverError(result, query: query.sql)
                PQclear(result)
                if outcome == nil { outcome = .failure(error) }
            }
        }
        guard let outcome else { throw connectionError(query: query.sql) }
        return outcome
    }

    /// Reads the result of a sync point.
    private func readSync(deadline: ContinuousClock.Instant?, interruption: inout Interruption) throws {
        guard let result = try nextResult(deadline: deadline, interruption: &interruption, query: nil) else {
            throw connectionError(query: nil)
        }
        let status = PQresultStatus(result)
        PQclear(result)
        guard status == PGRES_PIPELINE_SYNC else {
            throw PostgresError(kind: .client, message: "pipeline results out of step with its statements")
        }
    }
}
