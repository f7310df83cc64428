import Foundation
import MobiliseDomain
import MobiliseStore
import PostgresMigrations

/// What the routes share.
struct APIEnvironment: Sendable {
    let store: MobiliseStore
    let configuration: APIConfiguration
    let metrics: ServiceMetrics
    let migrator: Migrator
    /// Signing and posting, per employee.
    let employeeLimiter: RateLimiter<EmployeeKey>
    /// Workforce imports, per organisation.
    let importLimiter: RateLimiter<UUID>
    /// Requests in progress, for load shedding.
    let inFlight: InFlightLimit
    /// Workforce imports running now, at most ``APIConfiguration/maxConcurrentImports``.
    let importsInProgress: InFlightLimit
    /// Live streams open, per person and in all.
    let liveStreams: LiveStreamSlots
    /// The live streams' shared re-reads.
    let liveReads = LiveReads()
    /// The last readiness check, shared by the callers of `/readyz`.
    let readiness = ReadinessProbe()

    init(store: MobiliseStore, configuration: APIConfiguration, metrics: ServiceMetrics, migrator: Migrator) {
        self.store = store
        self.configuration = configuration
        self.metrics = metrics
        self.migrator = migrator
        employeeLimiter = RateLimiter(capacity: configuration.ratePerMinute, per: .seconds(60))
        importLimiter = RateLimiter(capacity: configuration.importsPerHour, per: .seconds(3600))
        inFlight = InFlightLimit(limit: configuration.maxInFlight)
        liveStreams = LiveStreamSlots(limit: configuration.maxLiveStreams)
        importsInProgress = InFlightLimit(limit: configuration.maxConcurrentImports)
    }

    /// A campaign the caller may see: HR and leaders see all, others never see drafts (404, as if absent).
    func visibleCampaign(_ caller: Identity, reference: String) async throws -> Campaign {
        let campaign = try await store.campaign(organisationID: caller.organisation.id, reference: reference)
        guard campaign.status != .draft || caller.has(.leader) else {
            throw APIError(.notFound, code: "campaign_not_found", "no campaign '\(reference)' in this organisation")
        }
        return campaign
    }

    /// The caller as an active employee of the organisation: employee actions need one (403 otherwise).
    func activeEmployee(_ caller: Identity) async throws -> Employee {
        try caller.require(.employee)
        guard let employee = try await store.employee(organisationID: caller.organisation.id, externalID: caller.subject) else {
            throw Self.notAnEmployee
        }
        guard employee.active else {
            throw APIError(.forbidden, code: "employee_inactive", "your employee record is not active")
        }
        return employee
    }

    /// A token whose subject is not an employee of its organisation, on an employee action.
    static let notAnEmployee = APIError(.forbidden, code: "not_an_employee", "your token's subject is not an employee of this organisation")
}
