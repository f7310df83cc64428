-- Identity (issue 21): OpenID Connect single sign-on for the pages (each organisation names its
-- identity provider; a browser's sign-in in progress is remembered between the redirect to the
-- provider and the provider's redirect back), and the column mapping of HR systems' files.

-- One provider per organisation. The client secret is kept as given: Mobilise must present it to the
-- provider's token endpoint (client_secret_basic), so it cannot be stored hashed. Nothing else
-- here is secret.
CREATE TABLE sso_providers (
    organisation_id  uuid PRIMARY KEY REFERENCES organisations (id) ON DELETE CASCADE,
    -- The issuer exactly as the provider's discovery document and ID tokens spell it.
    issuer           text NOT NULL CHECK (issuer ~ '^https?://' AND length(issuer) <= 500),
    client_id        text NOT NULL CHECK (length(client_id) BETWEEN 1 AND 500),
    client_secret    text NOT NULL CHECK (length(client_secret) BETWEEN 1 AND 500),
    -- The ID token claim that carries the employee's HR id (employees.external_id), e.g. 'sub',
    -- 'employee_id' or 'preferred_username'.
    hr_id_claim      text NOT NULL DEFAULT 'sub' CHECK (length(hr_id_claim) BETWEEN 1 AND 100),
    -- The claim that carries roles or groups (a string or an array of strings); NULL: none.
    roles_claim      text CHECK (length(roles_claim) BETWEEN 1 AND 100),
    -- Group-to-role mapping, as parallel arrays: a person in groups[i] gets roles[i]. Empty: the
    -- roles claim's values are taken as Mobilise role names. Everyone signed in is an employee.
    role_groups      text[] NOT NULL DEFAULT '{}',
    role_names       text[] NOT NULL DEFAULT '{}',
    updated_by       text NOT NULL,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (cardinality(role_groups) = cardinality(role_names) AND cardinality(role_groups) <= 200)
);

-- Sign-ins in progress: what the callback checks (state, nonce) and needs (the PKCE verifier, the
-- redirect URI the provider was given). The browser holds a random credential in a cookie; as for
-- sessions (0009) only the SHA-256 of its random part is kept. A row is deleted when the callback
-- uses it, so that a sign-in completes at most once; rows past their expiry are deleted whenever
-- another sign-in of the organisation starts.
CREATE TABLE sso_logins (
    organisation_id  uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    secret_hash      bytea NOT NULL CHECK (length(secret_hash) = 32),
    state            text NOT NULL,
    nonce            text NOT NULL,
    code_verifier    text NOT NULL,
    redirect_uri     text NOT NULL,
    -- The page of this service to open once signed in (the dashboard, the HR console): a path.
    return_path      text NOT NULL DEFAULT '/dashboard' CHECK (return_path ~ '^/([^/\\]|$)' AND length(return_path) <= 500),
    expires_at       timestamptz NOT NULL,
    PRIMARY KEY (organisation_id, secret_hash)
);

-- Workforce files as HR systems export them: each organisation's column mapping, the HR system's
-- column name (e.g. Workday's 'Employee ID') to Mobilise's (external_id), as parallel arrays in
-- the order the HR admin gave. The import (API and command) applies it to every file.
CREATE TABLE workforce_column_mappings (
    organisation_id  uuid PRIMARY KEY REFERENCES organisations (id) ON DELETE CASCADE,
    source_columns   text[] NOT NULL,
    target_columns   text[] NOT NULL,
    updated_by       text NOT NULL,
    updated_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (cardinality(source_columns) = cardinality(target_columns) AND cardinality(source_columns) BETWEEN 1 AND 64)
);
