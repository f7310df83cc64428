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
    /// Signs for many employees at once (a paper drive typed in, the demo organisation), writing
    /// `batchSize` signings per transaction the way concurrent signers are written
    /// (``signBatch(_:connection:campaigns:)``).
    ///
    /// Each signing follows exactly the rules and counting of
    /// ``sign(organisationID:campaign:employee:channel:eventID:at:hidingDrafts:)``, so the counts stay exact
    /// (``verifyCounts(organisationID:campaign:)`` finds nothing). A refused signing (inactive
    /// employee, outside the audience, …) is reported with its index and does not stop the others.
    /// A database error that is not about one row (the server went away) is thrown after the batch
    /// it happened in; earlier batches stay.
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
            let requests = signings[start..<end].map { signing in
                SigningRequest(organisationID: organisationID, campaign: reference, employee: signing.employee, channel: signing.channel,
                               eventID: signing.eventID, at: signing.at, hideDrafts: false)
            }
            let campaigns = signing.campaigns
            let results = try await pool.withConnection { Self.signBatch(requests, connection: $0, campaigns: campaigns) }
            for (position, result) in results.enumerated() {
                switch result {
                case .success(let signed): if signed.created { report.created += 1 } else { report.alreadyCurrent += 1 }
                case .failure(let refusal as MobiliseError): report.refused.append((index: start + position, error: refusal))
                case .failure(let error): throw error
                }
            }
            start = end
            progress?(end)
        }
        return report
    }
}
