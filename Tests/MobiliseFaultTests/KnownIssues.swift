import Testing

/// What the suites found and is not fixed yet, recorded as known issues so that `swift test` stays
/// green while they show in its output (and the day one is fixed, the suite says so).
enum KnownIssues {
    /// A withdrawal racing a re-signing of the same employee: the withdrawal's transaction started
    /// before the signing's, waited for its row lock, then set `withdrawn_at = now()` — its own,
    /// earlier, transaction start — below the new `signed_at`, and the `withdrawn_at >= signed_at`
    /// check refused it: 500, nothing recorded. (MobiliseStore.withdraw; the signing path is being
    /// rewritten on another branch.)
    static let withdrawalRaceLog = "signatures_check"

    static func withdrawalRace(_ answer: Answer) -> Bool {
        answer.operation == .withdraw && answer.status == 500 && answer.code == "internal_error"
    }

    /// Records each such 500 as a known issue.
    static func recordWithdrawalRace(_ answers: [Answer]) {
        let raced = answers.filter(withdrawalRace)
        withKnownIssue("a withdrawal racing a re-signing answers 500 (signatures_check: withdrawn_at >= signed_at)", isIntermittent: true) {
            for answer in raced { Issue.record("employee \(answer.employee): withdrawal answered 500") }
        }
    }
}
