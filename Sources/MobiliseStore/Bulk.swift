import Foundation
import MobiliseDomain
import Postgres

/// One signing for ``MobiliseStore/signInBulk(organisationID:campaign:_:batchSize:progress:)``.
public struct BulkSigning: Sendable, Equatable {
    /// The employee's HR id.
    public var employee: String
    public var channel: SignatureChannel
    /// The event signed at (the channel is then recorded as `event`).
    public var eventID: UUID?
    /// When the signature was given; nil for now.
    public var at: Date?

    public init(employee: String, channel: SignatureChannel = .web, eventID: UUID? = nil, at: Date? = nil) {
        self.employee = employee
        self.channel = channel
        self.eventID = eventID
        self.at = at
    }
}

/// What a bulk signing did.
public struct BulkSigningReport: Sendable, Equatable {
    /// Signatures made current (new, or signed again after a withdrawal).
    public var created: Int
    /// Signings that found the signature already current.
    public var alreadyCurrent: Int
    /// Refused signings: their index in the input and why (the same refusals as ``MobiliseStore/sign(organisationID:campaign:employee:channel:eventID:at:)``).
    public var refused: [(index: Int, error: MobiliseError)]

    public init(created: Int = 0, alreadyCurrent: Int = 0, refused: [(index: Int, error: MobiliseError)] = []) {
        self.created = created
        self.alreadyCurrent = alreadyCurrent
        self.refused = refused
    }

    public static func == (lhs: BulkSigningReport, rhs: BulkSigningReport) -> Bool {
        lhs.created == rhs.created && lhs.alreadyCurrent == rhs.alreadyCurrent
            && lhs.refused.map(\.index) == rhs.refused.map(\.index) && lhs.refused.map(\.error) == rhs.refused.map(\.error)
    }
}

extension MobiliseStore {
    /// Signs for many employees at once (a paper drive typed in, the demo organisation), running
    /// `batchSize` signings per transaction instead of one.
    ///
    /// Each signing goes through exactly the rules and counting of
    /// ``sign(organisationID:campaign:employee:channel:eventID:at:)``, so the counts stay exact
    /// (``verifyCounts(organisationID:campaign:)`` finds nothing). A refused signing (inactive
    /// employee, outside the audience, …) is reported with its index and does not stop the others.
    /// A database error rolls back the batch it happened in and is thrown; earlier batches stay.
    ///
    /// ```swift
    /// let report = try await store.signInBulk(organisationID: org.id, campaign: "heforshe",
    ///                                          ids.map { BulkSigning(employee: $0, channel: .paper) })
    /// ```
    ///
    /// - Parameter progress: called after each batch with the number of signings done so far.
    public func signInBulk(
        organisationID: UUID, campaign reference: String, _ signings: [BulkSigning], batchSize: Int = 500,
        progress: (@Sendable (Int) -> Void)? = nil
    ) async throws -> BulkSigningReport {
        let size = max(1, batchSize)
        var report = BulkSigningReport()
        var start = 0
        while start < signings.count {
            try Task.checkCancellation()
            let end = min(start + size, signings.count)
            let batch = Array(signings[start..<end])
            let offset = start
            // Retried as a whole on a deadlock: the body recomputes everything it returns.
            let outcome = try await pool.withTransaction(attempts: 5) { connection -> BatchOutcome in
                var outcome = BatchOutcome()
                for (position, signing) in batch.enumerated() {
                    do {
                        let result = try Self.sign(
                            connection, organisationID: organisationID, campaign: reference, employee: signing.employee,
                            channel: signing.channel, eventID: signing.eventID, at: signing.at)
                        if result.created { outcome.created += 1 } else { outcome.alreadyCurrent += 1 }
                    } catch let error as MobiliseError {
                        // Refusals are decided before anything is written: the transaction is intact.
                        outcome.refused.append(BatchRefusal(index: offset + position, error: error))
                    }
                }
                return outcome
            }
            report.created += outcome.created
            report.alreadyCurrent += outcome.alreadyCurrent
            report.refused += outcome.refused.map { (index: $0.index, error: $0.error) }
            start = end
            progress?(end)
        }
        return report
    }

    private struct BatchRefusal: Sendable {
        var index: Int
        var error: MobiliseError
    }

    private struct BatchOutcome: Sendable {
        var created = 0
        var alreadyCurrent = 0
        var refused: [BatchRefusal] = []
    }
}
