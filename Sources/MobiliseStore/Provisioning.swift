import Foundation
import MobiliseDomain
import Postgres
import Synchronization

// Provisioning: an identity provider's writes of one employee at a time (SCIM). Each write is one
// transaction that takes the organisation's workforce lock as an import does, writes the employee
// through the import's own merge statement (so a new employee, a change, a leaver and an unchanged
// employee are written exactly as a line of the file would be, and the employees table's triggers
// keep the headcounts), and records one audit entry through `recordWorkforceChange`.
//
// Employees are addressed by their id, which never changes (the HR id may: SCIM's `userName`).
// Erased employees are not seen here.

extension MobiliseStore {
    /// The employee with this id, unless erased.
    public func provisionedEmployee(organisationID: UUID, id: UUID) async throws -> ProvisionedEmployee? {
        try await pool.withConnection { connection in
            try Self.provisioned(connection, organisationID: organisationID, where: Self.hasID(id), suffix: Self.oneByID).first
        }
    }

    /// The employees matching `filter` (all when nil), ordered by HR id: `limit` of them after the
    /// first `offset`, and how many match in all.
    ///
    /// One statement, so one round trip and one snapshot for the count and the page: an identity
    /// provider asks `filter=userName eq "…"` before each creation (Entra ID does). Such a look-up
    /// by key (``isLookUpByKey(_:)``) reads one employee through the key's index, whatever the
    /// organisation's size: its statement is prepared once per connection and planned with index
    /// look-ups only, as the writes of one employee are (``indexPlans``, "Plans that do not depend
    /// on the statistics" below; `SCIMPlanTests` checks its plan).
    public func provisionedEmployees(
        organisationID: UUID, filter: EmployeeFilter?, offset: Int, limit: Int
    ) async throws -> (total: Int, employees: [ProvisionedEmployee]) {
        let statement = Self.provisionedEmployeesQuery(organisationID: organisationID, filter: filter, offset: offset, limit: limit)
        let byKey = filter.map(Self.isLookUpByKey) ?? false
        return try await pool.withConnection { connection in
            let result: PostgresResult
            if byKey {
                let results = try connection.pipeline([Self.indexPlans, statement.prepared()], mode: .transaction)
                _ = try results[0].get()
                result = try results[1].get()
            } else {
                result = try connection.query(statement)
            }
            guard limit > 0 else { return (try result.scalar(Int.self) ?? 0, []) }
            let rows = result.rows
            let total = try rows.first?.decode(Int.self, column: "total") ?? 0
            let employees = try rows.filter { try $0.decode(UUID?.self, column: "id") != nil }.map(Self.provisionedEmployee)
            return (total, employees)
        }
    }

    /// The statement of ``provisionedEmployees(organisationID:filter:offset:limit:)``: how many
    /// employees match (`total`), with the page beside it (no page: one row whose employee columns
    /// are NULL); only the count when `limit` is 0.
    static func provisionedEmployeesQuery(organisationID: UUID, filter: EmployeeFilter?, offset: Int, limit: Int) -> PostgresQuery {
        let condition = filter.map(Self.condition) ?? "true"
        let offset = max(offset, 0), limit = max(limit, 0)
        // The erasure checked as in the page (``notErased(_:)``), so that a look-up by key takes the
        // key's index even on empty tables' statistics.
        let counted: PostgresQuery = """
            SELECT count(*) AS total FROM employees e
            \(unsafeSQL: Self.scimUserJoin)
            WHERE e.organisation_id = \(organisationID) AND \(unsafeSQL: notErased("e")) AND \(condition)
            """
        guard limit > 0 else { return counted }
        let page = Self.provisionedQuery(
            organisationID: organisationID, where: condition, suffix: "ORDER BY e.external_id OFFSET \(offset) LIMIT \(limit)")
        return "SELECT t.total, p.* FROM (\(counted)) t LEFT JOIN (\(page)) p ON true"
    }

    /// Whether `filter` is the look-up by HR id identity providers ask before each creation:
    /// `userName eq`, alone or with `active eq` beside it (`and`). Few shapes, so few prepared
    /// statements per connection. Any other filter is planned with its values at each request
    /// (custom plans, which see the tables' size), `externalId eq` and `id eq` among them: on empty
    /// tables' statistics every estimate is one row, and a generic plan of either may read all the
    /// organisation's employees by the organisation alone, the key as a filter (`SCIMPlanTests`).
    static func isLookUpByKey(_ filter: EmployeeFilter) -> Bool {
        func isKey(_ filter: EmployeeFilter) -> Bool {
            if case .compare(.externalID, .equal, .text) = filter { return true }
            return false
        }
        func isActive(_ filter: EmployeeFilter) -> Bool {
            if case .compare(.active, .equal, .bool) = filter { return true }
            return false
        }
        switch filter {
        case .and(let left, let right): return (isKey(left) && isActive(right)) || (isActive(left) && isKey(right))
        default: return isKey(filter)
        }
    }

    /// Creates an employee. Throws `user_name_taken` (conflict) when the HR id is already an
    /// employee's (erased ones excepted), `unknown_country` (invalid) for a country code that does
    /// not exist.
    ///
    /// One round trip to the database (an identity provider's first push creates every employee
    /// this way, one request at a time): the settings and the workforce lock of
    /// ``lockWorkforce(_:organisationID:indexPlans:asynchronousCommit:)``, then one statement that
    /// inserts the employee (unless the HR id is taken), what the client keeps about them, and the
    /// audit entry ``recordWorkforceChange(_:organisationID:actor:_:)`` would write, returning the
    /// employee as written — all pipelined in one transaction (the pipeline's), without waiting for
    /// the WAL flush (RELIABILITY.md, "SCIM writes and durability").
    public func createProvisionedEmployee(
        organisationID: UUID, _ record: ProvisioningRecord, actor: Actor
    ) async throws -> ProvisionedEmployee {
        let row = record.row
        // The audit entry names the columns written: those of a new employee that are not empty.
        let expected = ProvisionedEmployee(
            employee: Employee(
                id: UUID(), organisationID: organisationID, externalID: row.externalID, email: row.email, displayName: row.displayName,
                country: row.country, site: row.site, orgUnit: row.orgUnit, gender: row.gender, managerExternalID: row.managerExternalID,
                active: row.active, preferredLanguage: row.preferredLanguage, timeZone: row.timeZone),
            identity: record.identity, managerID: nil, created: Date(), lastModified: Date())
        // The audit entry's details, built by the statement (`jsonb_build_object`) rather than encoded here.
        let changed = Self.changedColumns(nil, expected).joined(separator: ",")
        let identity = record.identity
        // The manager may be named by their id: the row keeps HR ids.
        let managerID = row.managerExternalID.flatMap(UUID.init(uuidString:))
        let create: PostgresQuery = """
            WITH inserted AS (
                INSERT INTO employees (organisation_id, external_id, email, display_name, country, site, org_unit, gender,
                                       manager_external_id, active, preferred_language, time_zone)
                SELECT \(organisationID), \(row.externalID)::text, \(row.email)::text, \(row.displayName)::text, \(row.country)::text,
                       \(row.site)::text, \(row.orgUnit)::text, \(row.gender.rawValue)::text,
                       COALESCE(\(Self.externalIDOf(organisationID: organisationID, id: managerID)), \(row.managerExternalID)::text),
                       \(row.active)::boolean, \(row.preferredLanguage)::text, \(row.timeZone)::text
                -- A creation meeting an employee with this HR id writes nothing (erased employees'
                -- pseudonyms never collide with one). The workforce lock, taken by the statement
                -- before this one, makes this check and the insert one step.
                WHERE NOT EXISTS (SELECT 1 FROM employees e WHERE e.organisation_id = \(organisationID) AND e.external_id = \(row.externalID))
                RETURNING \(unsafeSQL: Self.employeeColumns), created_at, updated_at
            ), identity AS (
                INSERT INTO scim_users (organisation_id, employee_id, external_id, given_name, family_name, formatted_name,
                                        employee_number, organization, division)
                SELECT \(organisationID), i.id, \(identity.clientID)::text, \(identity.givenName)::text, \(identity.familyName)::text,
                       \(identity.formattedName)::text, \(identity.employeeNumber)::text, \(identity.organization)::text,
                       \(identity.division)::text
                FROM inserted i
                RETURNING updated_at
            ), next AS (
                -- The audit entry, as `audit(_:organisationID:actor:action:subject:details:)` writes it.
                \(Self.nextAuditEntryNumber(organisationID: organisationID, onlyIfRowIn: "inserted"))
            ), audited AS (
                INSERT INTO audit_log (organisation_id, id, actor, action, subject, details)
                SELECT \(organisationID), next.last_id, \(actor.identity), 'employees.provision', i.id::text,
                       jsonb_build_object('operation', 'create', 'changed', \(changed)::text)
                FROM next, inserted i
                RETURNING 1
            )
            SELECT i.id, i.organisation_id, i.external_id, i.email, i.display_name, i.country, i.site, i.org_unit, i.gender,
                   i.manager_external_id, i.active, i.preferred_language, i.time_zone, i.created_at, GREATEST(i.updated_at, s.updated_at) AS last_modified,
                   -- The statement does not see its own insert: someone who is their own manager is named here.
                   CASE WHEN i.manager_external_id IS NULL THEN NULL
                        WHEN i.manager_external_id = i.external_id THEN i.id
                        ELSE (SELECT m.id FROM employees m
                              WHERE m.organisation_id = i.organisation_id AND m.external_id = i.manager_external_id
                                AND \(unsafeSQL: Self.notErased("m")))
                   END AS manager_id
            FROM inserted i, identity s
            """
        do {
            return try await pool.withConnection { connection in
                // Not durable at the answer (RELIABILITY.md, "SCIM writes and durability"): an identity
                // provider pushes one user per request, and one fsync per request would bound the push
                // at the disk's flush rate; what a crash could lose it sends again.
                let results = try connection.pipeline(
                    [Self.indexPlans, Self.asynchronousCommit, Self.workforceLock(organisationID: organisationID).prepared(), create.prepared()],
                    mode: .transaction)
                for result in results.prefix(2) { _ = try result.get() }
                guard try results[2].get().scalar(String.self) != nil else {
                    throw MobiliseError(.notFound, code: .organisationNotFound, "no organisation with id \(organisationID)")
                }
                // Nothing inserted: an employee has this HR id already (the pipeline's transaction wrote nothing).
                guard let written = try results[3].get().rows.first else {
                    throw MobiliseError(.conflict, code: .userNameTaken, "an employee with the HR id '\(row.externalID)' already exists")
                }
                var created = expected
                created.employee = try Self.employee(from: written)
                created.managerID = try written.decode(UUID?.self, column: "manager_id")
                created.created = try written.decode(Date.self, column: "created_at")
                created.lastModified = try written.decode(Date.self, column: "last_modified")
                if employeeStatistics.countCreation() {
                    // Best effort: statistics are an optimisation, the creation has committed.
                    do { try connection.execute("ANALYZE employees") } catch {
                        logger.warning("could not analyze employees during a SCIM push", metadata: ["error": "\(error)"])
                    }
                }
                return created
            }
        } catch let error as PostgresError {
            throw error.asInputError(Self.provisioningConstraints)
        }
    }

    /// Rewrites the employee `id` with what `change` makes of their current state (a replacement,
    /// or a patch applied to it), in one transaction: nothing is written when `change` throws.
    /// Returns nil when there is no such employee. Throws as
    /// ``createProvisionedEmployee(organisationID:_:actor:)`` when the new HR id or country is refused.
    ///
    /// Two round trips to the database (an identity provider's re-push replaces or patches every
    /// employee, one request at a time): the transaction's start, its settings, the workforce lock
    /// and the employee (locked) pipelined in one; then ``rewrite(organisationID:id:_:today:operation:actor:)``,
    /// one statement that writes the employee, what the client keeps about them and the audit
    /// entry, pipelined with the commit. Committed as creations are, without waiting for the WAL
    /// flush (RELIABILITY.md, "SCIM writes and durability").
    ///
    /// - Parameter operation: what the audit entry calls the write (`replace`, `update`).
    public func updateProvisionedEmployee(
        organisationID: UUID, id: UUID, operation: String, actor: Actor,
        _ change: @escaping @Sendable (ProvisionedEmployee) throws -> ProvisioningRecord
    ) async throws -> ProvisionedEmployee? {
        do {
            return try await pool.withConnection { connection in
                do {
                    let opened = try connection.pipeline(
                        [Self.begin, Self.indexPlans, Self.asynchronousCommit, Self.workforceLock(organisationID: organisationID).prepared(),
                         Self.provisionedQuery(organisationID: organisationID, where: Self.hasID(id), suffix: "\(Self.oneByID) FOR UPDATE OF e")
                            .prepared()],
                        mode: .transaction)
                    for result in opened.prefix(3) { _ = try result.get() }
                    guard let today = try opened[3].get().scalar(String.self) else {
                        throw MobiliseError(.notFound, code: .organisationNotFound, "no organisation with id \(organisationID)")
                    }
                    guard let found = try opened[4].get().rows.first else {
                        try connection.execute(Self.rollback)
                        return nil
                    }
                    let record = try change(try Self.provisionedEmployee(from: found))
                    let written = try connection.pipeline(
                        [Self.rewrite(organisationID: organisationID, id: id, record, today: today, operation: operation, actor: actor),
                         Self.commit],
                        mode: .transaction)
                    // No row: the new HR id is another employee's, and nothing was written.
                    guard let row = try written[0].get().rows.first else {
                        throw MobiliseError(.conflict, code: .userNameTaken, "an employee with the HR id '\(record.row.externalID)' already exists")
                    }
                    _ = try written[1].get()
                    return try Self.provisionedEmployee(from: row)
                } catch {
                    // The transaction the pipeline began is still open after a refusal (ours or the
                    // server's): end it here rather than leave it to the pool.
                    if !connection.isBroken { _ = try? connection.execute(Self.rollback) }
                    throw error
                }
            }
        } catch let error as PostgresError {
            throw error.asInputError(Self.provisioningConstraints)
        }
    }

    /// What a provisioning client's delete means: the person has left the company and their
    /// identity provider has forgotten them. The employee becomes a leaver (inactive from today,
    /// as a full sync does with an employee missing from the file), and is then erased as
    /// ``eraseEmployee(organisationID:externalID:actor:)`` does: their signatures stay counted,
    /// anonymised, and nothing identifies them any more. One transaction, one audit entry.
    ///
    /// - Returns: false when there is no such employee.
    public func deleteProvisionedEmployee(organisationID: UUID, id: UUID, actor: Actor) async throws -> Bool {
        try await pool.withTransaction { connection in
            let today = try Self.lockWorkforce(connection, organisationID: organisationID, indexPlans: true)
            guard let current = try Self.provisioned(
                connection, organisationID: organisationID, where: Self.hasID(id), suffix: "\(Self.oneByID) FOR UPDATE OF e")
                .first
            else { return false }
            var leaving = current.record
            leaving.row.active = false
            try Self.merge(connection, organisationID: organisationID, leaving, today: today)
            _ = try Self.erase(connection, organisationID: organisationID, id: id, externalID: current.employee.externalID)
            try Self.recordWorkforceChange(
                connection, organisationID: organisationID, actor: actor,
                .provisioning(operation: "delete", employeeID: id, changed: current.employee.active ? ["active", "erased"] : ["erased"]))
            return true
        }
    }

    // MARK: - Writing

    /// Writes one employee's workforce row with the import's merge statement (every column).
    @discardableResult
    private static func merge(
        _ connection: PostgresConnection, organisationID: UUID, _ record: ProvisioningRecord, today: String
    ) throws -> (inserted: Int, updated: Int) {
        let row = record.row
        // The manager may be named by their id: the row keeps HR ids.
        let managerID = row.managerExternalID.flatMap(UUID.init(uuidString:))
        let source: PostgresQuery = """
            (SELECT 0 AS line, \(row.externalID)::text AS external_id, \(row.email)::text AS email,
                    \(row.displayName)::text AS display_name, \(row.country)::text AS country, \(row.site)::text AS site,
                    \(row.orgUnit)::text AS org_unit, \(row.gender.rawValue)::text AS gender,
                    COALESCE(\(externalIDOf(organisationID: organisationID, id: managerID)), \(row.managerExternalID)::text)
                        AS manager_external_id,
                    \(row.active)::boolean AS active, \(row.preferredLanguage)::text AS preferred_language,
                    \(row.timeZone)::text AS time_zone)
            """
        let merge = mergeStatement(organisationID: organisationID, columns: Set(WorkforceCSV.columns))
        // Prepared: with every column, the statement's text never changes (planned once per connection).
        return try connection.query(merge.query(from: source, today: today).prepared())[0].decode((Int, Int).self)
    }

    static let begin = PostgresQuery(unsafeSQL: "BEGIN")
    static let commit = PostgresQuery(unsafeSQL: "COMMIT")
    static let rollback = PostgresQuery(unsafeSQL: "ROLLBACK")

    /// The statement that writes employee `id` (locked by the transaction, as is the workforce) as
    /// `record` says and returns the employee as written, in the columns of ``provisionedQuery``;
    /// no row, and nothing written, when the new HR id is another employee's (erased employees'
    /// pseudonyms never collide with one).
    ///
    /// The employee's row is written as the import's merge statement writes a line of the file
    /// (every column, only when one differs; `left_on` set to today for a leaver, cleared for
    /// someone coming back), what the client keeps about them when it differs, and the audit entry
    /// `recordWorkforceChange(_:organisationID:actor:_:)` would write, naming the columns that
    /// changed in the order ``changedColumns(_:_:)`` gives. The text never changes: prepared once
    /// per connection.
    static func rewrite(
        organisationID: UUID, id: UUID, _ record: ProvisioningRecord, today: String, operation: String, actor: Actor
    ) -> PostgresQuery {
        let row = record.row, identity = record.identity
        // The manager may be named by their id: the row keeps HR ids.
        let managerID = row.managerExternalID.flatMap(UUID.init(uuidString:))
        // Old and new value of each column the audit entry may name, in ``changedColumns(_:_:)``'s order.
        let changed = auditedColumns.map { "CASE WHEN o.\($0) IS DISTINCT FROM n.\($0) THEN '\($0)' END" }.joined(separator: ", ")
        let query: PostgresQuery = """
            WITH prior AS (
                SELECT e.external_id, e.email, e.display_name, e.country, e.site, e.org_unit, e.gender, e.manager_external_id, e.active,
                       e.preferred_language, e.time_zone, e.created_at, e.updated_at, \(unsafeSQL: identityColumns),
                       s.updated_at AS identity_updated_at, e.ctid AS row_ctid
                FROM employees e
                \(unsafeSQL: Self.scimUserJoin)
                WHERE e.organisation_id = \(organisationID) AND \(Self.hasID(id)) \(Self.oneByID)
            ), incoming AS (
                SELECT \(row.externalID)::text AS external_id, \(row.email)::text AS email, \(row.displayName)::text AS display_name,
                       \(row.country)::text AS country, \(row.site)::text AS site, \(row.orgUnit)::text AS org_unit,
                       \(row.gender.rawValue)::text AS gender,
                       COALESCE(\(Self.externalIDOf(organisationID: organisationID, id: managerID)), \(row.managerExternalID)::text)
                           AS manager_external_id,
                       \(row.active)::boolean AS active, \(row.preferredLanguage)::text AS preferred_language,
                       \(row.timeZone)::text AS time_zone,
                       \(identity.clientID)::text AS client_id, \(identity.givenName)::text AS given_name,
                       \(identity.familyName)::text AS family_name, \(identity.formattedName)::text AS formatted_name,
                       \(identity.employeeNumber)::text AS employee_number, \(identity.organization)::text AS organization,
                       \(identity.division)::text AS division
            ), free AS (
                -- The HR id is unchanged, or no employee has the new one.
                SELECT 1 FROM prior o, incoming n
                WHERE o.external_id = n.external_id
                   OR NOT EXISTS (SELECT 1 FROM employees x WHERE x.organisation_id = \(organisationID) AND x.external_id = \(row.externalID)::text)
            ), updated AS (
                UPDATE employees e SET
                    external_id = n.external_id, email = n.email, display_name = n.display_name, country = n.country, site = n.site,
                    org_unit = n.org_unit, gender = n.gender, manager_external_id = n.manager_external_id, active = n.active,
                    preferred_language = n.preferred_language, time_zone = n.time_zone,
                    left_on = CASE WHEN n.active THEN NULL WHEN e.active THEN \(today)::date ELSE e.left_on END,
                    updated_at = now()
                FROM incoming n, free, prior o
                -- The row `prior` read (locked by the transaction since its first statement): by its
                -- address, whatever the statistics were when the statement was prepared.
                WHERE e.ctid = o.row_ctid AND e.organisation_id = \(organisationID) AND e.id = \(id)
                  AND ROW(e.external_id, e.email, e.display_name, e.country, e.site, e.org_unit, e.gender, e.manager_external_id, e.active,
                          e.preferred_language, e.time_zone)
                      IS DISTINCT FROM ROW(n.external_id, n.email, n.display_name, n.country, n.site, n.org_unit, n.gender,
                                           n.manager_external_id, n.active, n.preferred_language, n.time_zone)
                RETURNING e.updated_at
            ), identity AS (
                INSERT INTO scim_users (organisation_id, employee_id, external_id, given_name, family_name, formatted_name,
                                        employee_number, organization, division)
                SELECT \(organisationID), \(id), n.client_id, n.given_name, n.family_name, n.formatted_name, n.employee_number,
                       n.organization, n.division
                FROM prior o, incoming n, free
                WHERE ROW(o.client_id, o.given_name, o.family_name, o.formatted_name, o.employee_number, o.organization, o.division)
                      IS DISTINCT FROM ROW(n.client_id, n.given_name, n.family_name, n.formatted_name, n.employee_number, n.organization,
                                           n.division)
                ON CONFLICT (organisation_id, employee_id) DO UPDATE SET
                    external_id = EXCLUDED.external_id, given_name = EXCLUDED.given_name, family_name = EXCLUDED.family_name,
                    formatted_name = EXCLUDED.formatted_name, employee_number = EXCLUDED.employee_number,
                    organization = EXCLUDED.organization, division = EXCLUDED.division, updated_at = now()
                RETURNING updated_at
            ), next AS (
                -- The audit entry, as `audit(_:organisationID:actor:action:subject:details:)` writes it.
                \(Self.nextAuditEntryNumber(organisationID: organisationID, onlyIfRowIn: "free"))
            ), audited AS (
                INSERT INTO audit_log (organisation_id, id, actor, action, subject, details)
                SELECT \(organisationID), next.last_id, \(actor.identity), 'employees.provision', \(id.uuidString.lowercased()),
                       jsonb_build_object('operation', \(operation)::text, 'changed', concat_ws(',', \(unsafeSQL: changed)))
                FROM next, prior o, incoming n
                RETURNING 1
            )
            SELECT \(id) AS id, \(organisationID) AS organisation_id, n.external_id, n.email, n.display_name, n.country, n.site,
                   n.org_unit, n.gender, n.manager_external_id, n.active, n.preferred_language, n.time_zone, o.created_at,
                   GREATEST(COALESCE((SELECT updated_at FROM updated), o.updated_at),
                            COALESCE((SELECT updated_at FROM identity), o.identity_updated_at)) AS last_modified,
                   n.client_id, n.given_name, n.family_name, n.formatted_name, n.employee_number, n.organization, n.division,
                   -- The statement does not see its own write: someone who is their own manager is named
                   -- here, and nobody else has the employee's old HR id.
                   CASE WHEN n.manager_external_id IS NULL THEN NULL
                        WHEN n.manager_external_id = n.external_id THEN \(id)
                        ELSE (SELECT m.id FROM employees m
                              WHERE m.organisation_id = \(organisationID) AND m.external_id = n.manager_external_id
                                AND \(unsafeSQL: Self.notErased("m")) AND m.id <> \(id))
                   END AS manager_id
            FROM prior o, incoming n, free
            """
        return query.prepared()
    }

    /// The columns an audit entry of a provisioning write may name, in its order (``changedColumns(_:_:)``'s).
    static let auditedColumns = [
        "external_id", "email", "display_name", "country", "site", "org_unit", "gender", "manager_external_id", "active",
        "preferred_language", "time_zone", "client_id", "given_name", "family_name", "formatted_name", "employee_number", "organization",
        "division",
    ]

    /// What the database refuses, said as input errors.
    private static let provisioningConstraints: [String: MobiliseError] = [
        "employees_country_fkey": MobiliseError(.invalid, code: .unknownCountry, "the country code is not an ISO 3166-1 alpha-2 code"),
        "employees_organisation_id_external_id_key": MobiliseError(
            .conflict, code: .userNameTaken, "an employee with this HR id already exists"),
    ]

    /// The columns a write changed, for the audit entry (names, never values).
    private static func changedColumns(_ before: ProvisionedEmployee?, _ after: ProvisionedEmployee) -> [String] {
        let a = after.employee, b = before?.employee
        let i = after.identity, j = before?.identity
        let changes: [(String, Bool)] = [
            ("external_id", a.externalID != b?.externalID), ("email", a.email != b?.email),
            ("display_name", a.displayName != b?.displayName), ("country", a.country != b?.country), ("site", a.site != b?.site),
            ("org_unit", a.orgUnit != b?.orgUnit), ("gender", a.gender != b?.gender),
            ("manager_external_id", a.managerExternalID != b?.managerExternalID), ("active", a.active != b?.active),
            ("preferred_language", a.preferredLanguage != b?.preferredLanguage), ("time_zone", a.timeZone != b?.timeZone),
            ("client_id", i.clientID != j?.clientID), ("given_name", i.givenName != j?.givenName),
            ("family_name", i.familyName != j?.familyName), ("formatted_name", i.formattedName != j?.formattedName),
            ("employee_number", i.employeeNumber != j?.employeeNumber), ("organization", i.organization != j?.organization),
            ("division", i.division != j?.division),
        ]
        return changes.filter(\.1).map(\.0)
    }

    // MARK: - Plans that do not depend on the statistics
    //
    // The statements of one employee are prepared once per connection and keep one generic plan
    // (`indexPlans`), which may be made while the tables look empty (a new cluster, an ANALYZE
    // before a first push). Every index of `employees` starts with the organisation, so on empty
    // tables every look-up costs the same whichever index it takes, and the planner took one that
    // matches the organisation alone: a scan of all its employees per request, as they grow (an
    // identity provider's first push spent most of its database time there; BENCHMARKS.md
    // section 7). The look-ups are therefore written so that the key's index is the cheapest plan
    // even on empty tables (SCIMPlanTests checks the plans):
    //   * by HR id: `organisation_id = … AND external_id = …` with the erasure checked by
    //     ``notErased(_:)``, so that no partial search index (sql/0019, `WHERE erased_at IS NULL`)
    //     saves the planner a filter: the unique index (organisation_id, external_id) is then taken;
    //   * by id: ``hasID(_:)`` with ``oneByID``, a one-key range read in key order, which only the
    //     primary key (organisation_id, id) gives without a sort;
    //   * a client's look-up by HR id (`filter=userName eq "…"`, ``isLookUpByKey(_:)``):
    //     prepared and planned under `indexPlans` too, its comparisons in forms an index serves (``condition(_:)``)
    //     and the erasure checked by ``notErased(_:)`` in the count as in the page.

    /// `alias.erased_at IS NULL`, in a form the planner does not match with the predicate of the
    /// partial search indexes (see above).
    static func notErased(_ alias: String) -> String {
        "CASE WHEN \(alias).erased_at IS NULL THEN true ELSE false END"
    }

    /// What the client keeps about employee `e` (`s`, scim_users, or NULLs), read through its
    /// primary key whatever the statistics (see above): as a plain join, a plan made on empty
    /// tables matched the organisation alone.
    static let scimUserJoin = """
        LEFT JOIN LATERAL (SELECT * FROM scim_users s0
                           WHERE s0.organisation_id = e.organisation_id AND s0.employee_id >= e.id AND s0.employee_id <= e.id
                           ORDER BY s0.employee_id LIMIT 1) s ON true
        """

    /// The condition on `e` (employees) of the employee `id`: with ``oneByID`` after it, read
    /// through the primary key whatever the statistics (see above).
    static func hasID(_ id: UUID) -> PostgresQuery {
        "e.id >= \(id) AND e.id <= \(id)"
    }

    /// What follows ``hasID(_:)``'s condition (before any `FOR UPDATE`).
    static let oneByID: PostgresQuery = "ORDER BY e.id LIMIT 1"

    /// The HR id of the organisation's employee `id` (not erased), NULL when there is none or `id`
    /// is NULL: a subquery read through the primary key whatever the statistics (see above).
    static func externalIDOf(organisationID: UUID, id: UUID?) -> PostgresQuery {
        """
        (SELECT m.external_id FROM employees m
         WHERE m.organisation_id = \(organisationID) AND m.id >= \(id) AND m.id <= \(id) AND \(unsafeSQL: notErased("m"))
         ORDER BY m.id LIMIT 1)
        """
    }

    // MARK: - Reading

    static let identityColumns =
        "s.external_id AS client_id, s.given_name, s.family_name, s.formatted_name, s.employee_number, s.organization, s.division"

    static func identity(from row: PostgresRow) throws -> IdentityAttributes {
        IdentityAttributes(
            clientID: try row.decode(String?.self, column: "client_id"), givenName: try row.decode(String?.self, column: "given_name"),
            familyName: try row.decode(String?.self, column: "family_name"),
            formattedName: try row.decode(String?.self, column: "formatted_name"),
            employeeNumber: try row.decode(String?.self, column: "employee_number"),
            organization: try row.decode(String?.self, column: "organization"), division: try row.decode(String?.self, column: "division"))
    }

    /// Employees (not erased) matching `condition` on `e` (employees) and `s` (scim_users).
    ///
    /// - Parameter prepared: for the look-ups of one employee, whose text never changes.
    private static func provisioned(
        _ connection: PostgresConnection, organisationID: UUID, where condition: PostgresQuery, suffix: PostgresQuery = "",
        prepared: Bool = false
    ) throws -> [ProvisionedEmployee] {
        let query = provisionedQuery(organisationID: organisationID, where: condition, suffix: suffix)
        return try connection.query(prepared ? query.prepared() : query).rows.map(provisionedEmployee)
    }

    /// The statement reading employees (not erased) matching `condition` on `e` (employees) and
    /// `s` (scim_users), in the columns ``provisionedEmployee(from:)`` reads.
    private static func provisionedQuery(organisationID: UUID, where condition: PostgresQuery, suffix: PostgresQuery = "") -> PostgresQuery {
        """
        SELECT e.id, e.organisation_id, e.external_id, e.email, e.display_name, e.country, e.site, e.org_unit, e.gender,
               e.manager_external_id, e.active, e.preferred_language, e.time_zone, e.created_at,
               GREATEST(e.updated_at, s.updated_at) AS last_modified,
               \(unsafeSQL: identityColumns),
               CASE WHEN e.manager_external_id IS NOT NULL THEN
                   (SELECT m.id FROM employees m
                    WHERE m.organisation_id = e.organisation_id AND m.external_id = e.manager_external_id AND \(unsafeSQL: notErased("m")))
               END AS manager_id
        FROM employees e
        \(unsafeSQL: Self.scimUserJoin)
        WHERE e.organisation_id = \(organisationID) AND \(unsafeSQL: notErased("e")) AND \(condition)
        \(suffix)
        """
    }

    private static func provisionedEmployee(from row: PostgresRow) throws -> ProvisionedEmployee {
        ProvisionedEmployee(
            employee: try employee(from: row), identity: try identity(from: row),
            managerID: try row.decode(UUID?.self, column: "manager_id"), created: try row.decode(Date.self, column: "created_at"),
            lastModified: try row.decode(Date.self, column: "last_modified"))
    }

    /// `filter` as a condition on `e` (employees) and `s` (scim_users). Every comparison is true or
    /// false, never NULL, so that `not` keeps the employees without the attribute.
    ///
    /// The keys an identity provider looks a user up by are compared so that an index serves them
    /// (`COALESCE(column = value, false)`, which no index serves, read all the organisation's
    /// employees at each look-up), with the same results, under `not` and `or` too:
    ///   * `userName` (the HR id, `e.external_id`, never NULL): a plain equality, served by the unique
    ///     index (organisation_id, external_id). Compared exactly, as it always was here (RFC 7643
    ///     makes `userName` caseExact false; HR ids are unique as written, so a case-insensitive
    ///     look-up could name two employees), so no index on lower(external_id) is needed;
    ///   * `externalId` (the client's id, `s.external_id`, NULL without a `scim_users` row): whether
    ///     the employee's `scim_users` row has it, an `EXISTS` that PostgreSQL turns into a read of
    ///     `scim_users_by_external_id` joined to the employee by primary key;
    ///   * `id`: a plain equality (never NULL), served by the primary key.
    static func condition(_ filter: EmployeeFilter) -> PostgresQuery {
        switch filter {
        case .and(let left, let right): return "(\(condition(left)) AND \(condition(right)))"
        case .or(let left, let right): return "(\(condition(left)) OR \(condition(right)))"
        case .not(let inner): return "(NOT \(condition(inner)))"
        case .present(let attribute): return "(\(unsafeSQL: column(attribute)) IS NOT NULL)"
        case .compare(.active, let comparison, .bool(let value)):
            return comparison == .notEqual ? "(e.active <> \(value))" : comparison == .equal ? "(e.active = \(value))" : "false"
        case .compare(.id, let comparison, .text(let text)):
            guard let id = UUID(uuidString: text), comparison == .equal || comparison == .notEqual else { return "false" }
            return comparison == .equal ? "(e.id = \(id))" : "(e.id <> \(id))"
        case .compare(.externalID, .equal, .text(let text)):
            return "(e.external_id = \(text))"
        case .compare(.clientID, .equal, .text(let text)):
            return """
                EXISTS (SELECT FROM scim_users x
                        WHERE x.organisation_id = e.organisation_id AND x.employee_id = e.id AND x.external_id = \(text))
                """
        case .compare(let attribute, let comparison, .text(let text)):
            let ignoresCase = attribute == .displayName || attribute == .email
            let column = ignoresCase ? "lower(\(column(attribute)))" : column(attribute)
            let value = ignoresCase ? text.lowercased() : text
            switch comparison {
            case .equal: return "COALESCE(\(unsafeSQL: column) = \(value), false)"
            case .notEqual: return "(\(unsafeSQL: column) IS DISTINCT FROM \(value))"
            case .contains: return "COALESCE(strpos(\(unsafeSQL: column), \(value)) > 0, false)"
            case .startsWith: return "COALESCE(starts_with(\(unsafeSQL: column), \(value)), false)"
            case .endsWith: return "COALESCE(right(\(unsafeSQL: column), length(\(value))) = \(value), false)"
            }
        case .compare:
            return "false"
        }
    }

    private static func column(_ attribute: EmployeeFilter.Attribute) -> String {
        switch attribute {
        case .externalID: "e.external_id"
        case .clientID: "s.external_id"
        case .id: "e.id"
        case .displayName: "e.display_name"
        case .email: "e.email"
        case .active: "e.active"
        }
    }
}

/// When the SCIM creations of this process bring the planner's statistics of `employees` up to date:
/// after the 128th, 256th, 512th, … creation (a doubling, 11 times in a push of 100,000).
///
/// An identity provider's first push fills `employees` one request at a time. Until autovacuum's
/// first ANALYZE of the table (up to `autovacuum_naptime`, a minute, and tens of thousands of users
/// into a push), plans made without its statistics, PostgreSQL's own foreign-key checks of
/// `scim_users` among them (cached generic plans, which this service's statements ask for), read
/// one employee by the organisation alone, so each creation cost more than the last: measured on a
/// quiet machine, the mean creation took 0.96, 1.65, 2.71, 1.6 and 1.1 ms over the push's first five
/// tenths, 0.76–0.83 ms after (BENCHMARKS.md section 7). An ANALYZE replans them with the key.
final class EmployeeStatisticsSchedule: Sendable {
    private let creations = Atomic<Int>(0)

    /// Counts one creation; returns whether an ANALYZE is due after it.
    func countCreation() -> Bool {
        let n = creations.add(1, ordering: .relaxed).newValue
        return n >= 128 && n & (n - 1) == 0
    }
}
