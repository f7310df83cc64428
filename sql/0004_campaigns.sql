-- Campaigns (internal drives) and the audit log of admin actions.

CREATE TABLE campaigns (
    organisation_id        uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    id                     uuid NOT NULL DEFAULT gen_random_uuid(),
    slug                   text NOT NULL CHECK (slug ~ '^[a-z0-9][a-z0-9-]{0,62}$'),
    hashtag                text NOT NULL CHECK (hashtag ~ '^#[[:alnum:]_]{1,100}$'),
    -- Title and pledge text per BCP 47 language tag ({"en": "…", "fr": "…"}); the default language
    -- must be present in both.
    default_language       text NOT NULL DEFAULT 'en',
    title                  jsonb NOT NULL CHECK (title ? default_language),
    pledge_text            jsonb NOT NULL CHECK (pledge_text ? default_language),
    -- draft → active → closed → archived; the library enforces the transitions.
    status                 text NOT NULL DEFAULT 'draft' CHECK (status IN ('draft', 'active', 'closed', 'archived')),
    starts_at              timestamptz NOT NULL,
    ends_at                timestamptz NOT NULL CHECK (ends_at > starts_at),
    -- Who may sign. An empty array means no restriction on that attribute. Org units match as
    -- path prefixes: 'Energy Management' admits 'Energy Management/Buildings'.
    audience_genders       text[] NOT NULL DEFAULT '{}',
    audience_countries     text[] NOT NULL DEFAULT '{}',
    audience_org_units     text[] NOT NULL DEFAULT '{}',
    goal_signatures        integer CHECK (goal_signatures > 0),
    goal_participation     double precision CHECK (goal_participation > 0 AND goal_participation <= 1),
    -- The campaign succeeds when the country goal is met in at least this many countries.
    success_min_countries  integer CHECK (success_min_countries > 0),
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organisation_id, id),
    UNIQUE (organisation_id, slug)
);

-- A target per country: a number of signatures, or a rate of the country's eligible headcount.
CREATE TABLE campaign_country_goals (
    organisation_id  uuid NOT NULL,
    campaign_id      uuid NOT NULL,
    country          text NOT NULL REFERENCES countries (alpha2),
    signatures       integer CHECK (signatures > 0),
    participation    double precision CHECK (participation > 0 AND participation <= 1),
    CHECK ((signatures IS NULL) <> (participation IS NULL)),
    PRIMARY KEY (organisation_id, campaign_id, country),
    FOREIGN KEY (organisation_id, campaign_id) REFERENCES campaigns (organisation_id, id) ON DELETE CASCADE
);

-- Every admin action (import, campaign change, moderation, check-in): who, when, what.
CREATE TABLE audit_log (
    organisation_id  uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    id               bigint GENERATED ALWAYS AS IDENTITY,
    at               timestamptz NOT NULL DEFAULT now(),
    -- The actor's identity as the caller knows it (an HR id, or an operator's name).
    actor            text NOT NULL,
    action           text NOT NULL,
    subject          text,
    details          jsonb NOT NULL DEFAULT '{}',
    PRIMARY KEY (organisation_id, id)
);
