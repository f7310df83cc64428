import Foundation
import Postgres

/// What a live reader learns from the signing transactions: a campaign's signatures changed (sent
/// on commit, on whichever instance signed), or changes may have been missed because the listening
/// connection was lost and made again, so every reader re-reads.
public enum SignatureChange: Sendable, Equatable {
    case campaign(UUID)
    case possiblyMissed

    /// Whether a reader of `campaignID` must re-read.
    public func concerns(_ campaignID: UUID) -> Bool {
        switch self {
        case .campaign(let id): id == campaignID
        case .possiblyMissed: true
        }
    }
}

/// The signature changes of the organisation's campaigns as an AsyncSequence (LISTEN on
/// ``MobiliseStore/signatureChannel``, one listening connection shared by the whole process). It
/// ends when the store's pool closes.
public struct SignatureChanges: AsyncSequence, Sendable {
    public typealias Element = SignatureChange
    let notifications: PostgresNotifications

    public struct AsyncIterator: AsyncIteratorProtocol {
        var base: PostgresNotifications.AsyncIterator

        public mutating func next() async -> SignatureChange? {
            while let notification = await base.next() {
                // The hub's notice after a reconnection: no sender, no payload.
                if notification.senderPID == 0 && notification.payload.isEmpty { return .possiblyMissed }
                if let id = UUID(uuidString: notification.payload) { return .campaign(id) }
            }
            return nil
        }
    }

    public func makeAsyncIterator() -> AsyncIterator { AsyncIterator(base: notifications.makeAsyncIterator()) }
}

extension MobiliseStore {
    /// Subscribes to signature changes; the subscription is in place when this returns, so a read
    /// made afterwards misses no change.
    public func signatureChanges() async throws -> SignatureChanges {
        SignatureChanges(notifications: try await pool.notifications(channel: Self.signatureChannel))
    }
}
