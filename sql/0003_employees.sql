-- Employees: the workforce, loaded from the HR system. An employee is known to the service by the
-- HR system's id (external_id, the `sub` claim of their token), unique within the organisation.

CREATE TABLE employees (
    organisation_id      uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    id                   uuid NOT NULL DEFAULT gen_random_uuid(),
    external_id          text NOT NULL CHECK (length(external_id) BETWEEN 1 AND 200),
    email                text,
    display_name         text,
    -- Country of work (ISO alpha-2): what the per-country rankings count by.
    country              text NOT NULL REFERENCES countries (alpha2),
    site                 text,
    -- Org unit as a path, e.g. 'Energy Management/Buildings'.
    org_unit             text,
    gender               text NOT NULL DEFAULT 'undisclosed'
                         CHECK (gender IN ('female', 'male', 'non_binary', 'undisclosed')),
    manager_external_id  text,
    active               boolean NOT NULL DEFAULT true,
    hired_on             date,
    left_on              date,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organisation_id, id),
    UNIQUE (organisation_id, external_id)
);

-- Eligible headcount per country is counted from active employees.
CREATE INDEX employees_country ON employees (organisation_id, country) WHERE active;
