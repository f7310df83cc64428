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
        // Each instance enforces its share of the limits (see RateLimiter.init).
        employeeLimiter = RateLimiter(capacity: configuration.ratePerMinute, per: .seconds(60), instances: configuration.instances)
        importLimiter = RateLimiter(capacity: configuration.importsPerHour, per: .seconds(3600), instances: configuration.instances)
        inFlight = InFlightLimit(limit: configuration.maxInFlight)
        liveStreams = LiveStreamSlots(limit: configuration.maxLiveStreams)
        importsInProgress = InFlightLimit(limit: configuration.maxConcurrentImports)
    }

    /// A campaign the caller may see: HR and leaders see all, others never see drafts (404, as if absent).
    func visibleCampaign(_ caller: Identity, reference: String) async throws -> Campaign {
        let campaign = try await store.campaign(organisationID: caller.organisation.id, reference: reference)
        guard campaign.status != .draft || caller.has(.leader) else {
            throw APIError(.notFound, code: .campaignNotFound, "no campaign '\(reference)' in this organisation")
        }
        return campaign
    }

    /// A campaign the caller may read (its page, feed and events): leaders and HR admins every one
    /// (``visibleCampaign(_:reference:)``); anyone else only as an active employee in its audience
    /// (403 `not_an_employee`, `employee_inactive`, `not_in_audience`), and never a draft (404).
    func readableCampaign(_ caller: Identity, reference: String) async throws -> Campaign {
        guard !caller.has(.leader) else { return try await visibleCampaign(caller, reference: reference) }
        let employee = try await activeEmployee(caller)
        let campaign = try await visibleCampaign(caller, reference: reference)
        try Self.requireAudience(of: campaign, admits: employee)
        return campaign
    }

    /// Throws 403 `not_in_audience` unless the campaign's audience admits the employee.
    static func requireAudience(of campaign: Campaign, admits employee: Employee) throws {
        guard campaign.audience.admits(gender: employee.gender, country: employee.country, orgUnit: employee.orgUnit) else {
            throw SigningRules.Refusal.notInAudience.error
        }
    }

    /// The caller as an active employee of the organisation: employee actions need one (403 otherwise).
    func activeEmployee(_ caller: Identity) async throws -> Employee {
        try caller.require(.employee)
        guard let employee = try await store.employee(organisationID: caller.organisation.id, externalID: caller.subject) else {
            throw Self.notAnEmployee
        }
        guard employee.active else {
            throw APIError(.forbidden, code: .employeeInactive, "your employee record is not active")
        }
        return employee
    }

    /// Counts a leader's read of `surface` in the access log of leader views (HR admins' reads are
    /// not counted).
    func recordLeaderView(_ caller: Identity, viewer: Viewer, campaignID: UUID, surface: LeaderSurface) async throws {
        // Employees reading the published live count (the employee page, the widget) are not leaders.
        guard viewer == .leader, caller.has(.leader) else { return }
        try await store.recordLeaderView(organisationID: caller.organisation.id, viewer: caller.subject, campaignID: campaignID, surface: surface)
    }

    /// A token whose subject is not an employee of its organisation, on an employee action.
    static let notAnEmployee = APIError(.forbidden, code: .notAnEmployee, "your token's subject is not an employee of this organisation")
}
