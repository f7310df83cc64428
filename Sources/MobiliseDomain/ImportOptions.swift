import Foundation

/// How an import is run, besides its mode: for real or as a dry run, and the full-sync guard.
///
/// The guard keeps a broken export (a country missing, a file cut short) from deactivating part of
/// the workforce: a full sync that would deactivate more than ``deactivationGuard`` of the active
/// employees is refused with `full_sync_unconfirmed`, changing nothing, unless the admin confirmed
/// that many deactivations (``confirmedDeactivations``, the count a dry run reported). Confirming a
/// number rather than "yes" means a confirmation given for one file does not carry over to a worse one.
public struct ImportOptions: Sendable, Equatable {
    /// The share the service and the `mobilise` command apply unless configured otherwise: 10% of
    /// the active workforce.
    public static let defaultDeactivationGuard = 0.10

    /// Report what the import would do, and change nothing (no audit entry either).
    public var dryRun: Bool
    /// The share (0 to 1) of the active workforce a full sync may deactivate without confirmation.
    public var deactivationGuard: Double
    /// Deactivations the admin confirmed: the sync goes ahead when it deactivates at most this many.
    public var confirmedDeactivations: Int?

    /// A library caller chooses its guard: by default none (a share of 1, which no full sync
    /// exceeds), as before the guard existed; the API and the command pass the configured share.
    public init(dryRun: Bool = false, deactivationGuard: Double = 1, confirmedDeactivations: Int? = nil) {
        self.dryRun = dryRun
        self.deactivationGuard = min(max(deactivationGuard, 0), 1)
        self.confirmedDeactivations = confirmedDeactivations
    }

    /// Whether deactivating `deactivated` of `active` employees goes beyond the guard's share.
    public func exceedsGuard(deactivated: Int, active: Int) -> Bool {
        Double(deactivated) > deactivationGuard * Double(active)
    }

    /// Whether a full sync deactivating `deactivated` of `active` employees must wait for a confirmation.
    public func holds(deactivated: Int, active: Int) -> Bool {
        guard exceedsGuard(deactivated: deactivated, active: active) else { return false }
        guard let confirmed = confirmedDeactivations else { return true }
        return deactivated > confirmed
    }

    /// The refusal of a full sync held by the guard.
    public func refusal(deactivated: Int, active: Int) -> MobiliseError {
        let share = active > 0 ? Double(deactivated) / Double(active) : 1
        let percent = { (value: Double) in (value * 100).formatted(.number.precision(.fractionLength(0...1))) + "%" }
        let confirmed = confirmedDeactivations.map { " (\($0) were confirmed)" } ?? ""
        return MobiliseError(
            .conflict, code: .fullSyncUnconfirmed,
            "this full sync would deactivate \(deactivated) of the \(active) active employees (\(percent(share))), more than "
                + "the \(percent(deactivationGuard)) allowed without confirmation\(confirmed); nothing was changed. Check that the "
                + "file is complete, then send it again confirming \(deactivated) deactivations (confirm_deactivations=\(deactivated))")
    }

    /// A share written `0.1` or `10%` (between 0 and 1), as `MOBILISE_FULL_SYNC_GUARD` and
    /// `--full-sync-guard` take it; nil otherwise.
    public static func share(_ text: String) -> Double? {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let value = trimmed.hasSuffix("%") ? Double(trimmed.dropLast()).map { $0 / 100 } : Double(trimmed)
        guard let value, value.isFinite, (0...1).contains(value) else { return nil }
        return value
    }
}
