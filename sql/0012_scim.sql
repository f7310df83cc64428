-- SCIM 2.0 provisioning (RFC 7643/7644): identity providers create, change and remove employees
-- one at a time, besides the HR system's file.
--
-- Erased employees. An erasure (GDPR) keeps the employee's row, pseudonymised, so that their
-- signatures stay counted. A SCIM client must no longer see them (a deleted user answers 404), so
-- the erasure now says so explicitly. Rows erased before this migration are recognised by the
-- pseudonym the erasure gave them and by their emptied identifiers.
ALTER TABLE employees ADD COLUMN erased_at timestamptz;
UPDATE employees SET erased_at = updated_at
WHERE external_id ~ '^erased-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$'
  AND email IS NULL AND display_name IS NULL;

-- What a SCIM client said about an employee that Mobilise's own rules do not use, kept so that the
-- client reads back what it wrote: its own id for the person (externalId), the parts of the name,
-- and the enterprise extension's employee number, organization and division. One row per employee
-- written through SCIM; deleted with the employee's identifiers by an erasure.
CREATE TABLE scim_users (
    organisation_id  uuid NOT NULL,
    employee_id      uuid NOT NULL,
    external_id      text CHECK (length(external_id) BETWEEN 1 AND 200),
    given_name       text CHECK (length(given_name) <= 200),
    family_name      text CHECK (length(family_name) <= 200),
    formatted_name   text CHECK (length(formatted_name) <= 200),
    employee_number  text CHECK (length(employee_number) <= 200),
    organization     text CHECK (length(organization) <= 200),
    division         text CHECK (length(division) <= 200),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organisation_id, employee_id),
    FOREIGN KEY (organisation_id, employee_id) REFERENCES employees (organisation_id, id) ON DELETE CASCADE
);
-- `filter=externalId eq "…"`, what identity providers ask before creating a user.
CREATE INDEX scim_users_by_external_id ON scim_users (organisation_id, external_id);

-- The bearer tokens SCIM clients present, several per organisation at once (rotation). As for
-- sessions (0009), the token is the organisation's id and 32 random bytes; only the SHA-256 of the
-- random part is kept, so a look-up is a primary-key read on the organisation's rows and a copy of
-- the database provisions nothing.
CREATE TABLE scim_tokens (
    organisation_id  uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    id               uuid NOT NULL DEFAULT gen_random_uuid(),
    secret_hash      bytea NOT NULL CHECK (length(secret_hash) = 32),
    -- What the token is for, e.g. 'Entra ID'.
    description      text CHECK (length(description) <= 200),
    created_by       text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    -- Updated at most once a minute, so that a busy client does not write at every request.
    last_used_at     timestamptz,
    PRIMARY KEY (organisation_id, id),
    UNIQUE (organisation_id, secret_hash)
);
