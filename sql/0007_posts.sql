-- Posts (stories, opinions, selfies) employees share in a campaign, their media, moderation and
-- the reports other employees make about them.

-- How many distinct employees' reports hide an approved post from the feed until a moderator
-- looks at it again.
ALTER TABLE organisations ADD COLUMN report_threshold integer NOT NULL DEFAULT 3 CHECK (report_threshold >= 1);

CREATE TABLE posts (
    organisation_id    uuid NOT NULL,
    id                 uuid NOT NULL DEFAULT gen_random_uuid(),
    campaign_id        uuid NOT NULL,
    author_id          uuid NOT NULL,
    -- Trimmed by the library. Length counts code points, as the library does. Empty only when
    -- media is attached (a selfie needs no words).
    body               text NOT NULL CHECK (length(body) <= 5000),
    -- Lower-cased, de-duplicated, with their '#', in order of first appearance (extracted by the
    -- library from the body, so the feed can be filtered by tag without parsing text).
    hashtags           text[] NOT NULL DEFAULT '{}',
    -- The file itself. Its type was recognised from its bytes (magic numbers), never from what the
    -- client claimed. Only `media(organisationID:postID:)` reads this column: the feed selects the
    -- other columns, and large values live out of line (TOAST), so they cost the feed nothing.
    media              bytea,
    media_type         text CHECK (media_type IN ('image/jpeg', 'image/png', 'image/webp', 'video/mp4')),
    media_size         integer CHECK (media_size BETWEEN 1 AND 10485760),
    media_sha256       text CHECK (media_sha256 ~ '^[0-9a-f]{64}$'),
    -- pending → approved | rejected. An approved post hidden by reports (hidden_at set) is decided
    -- again: approved (visible, reports cleared) or rejected.
    status             text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
    -- The moderator's identity (Actor), the reason (required to reject) and when they decided.
    moderator          text,
    moderation_reason  text CHECK (length(moderation_reason) BETWEEN 1 AND 1000),
    decided_at         timestamptz,
    -- Set when the reports reach the organisation's report_threshold.
    hidden_at          timestamptz,
    -- clock_timestamp(): posts created in one transaction still get distinct, ordered times.
    created_at         timestamptz NOT NULL DEFAULT clock_timestamp(),
    PRIMARY KEY (organisation_id, id),
    FOREIGN KEY (organisation_id, campaign_id) REFERENCES campaigns (organisation_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organisation_id, author_id) REFERENCES employees (organisation_id, id) ON DELETE CASCADE,
    CONSTRAINT posts_body_or_media CHECK (length(body) >= 1 OR media IS NOT NULL),
    CONSTRAINT posts_media_complete CHECK (
        (media IS NULL AND media_type IS NULL AND media_size IS NULL AND media_sha256 IS NULL)
        OR (media IS NOT NULL AND media_type IS NOT NULL AND media_sha256 IS NOT NULL
            AND media_size = octet_length(media))),
    CONSTRAINT posts_decision CHECK ((status = 'pending') = (decided_at IS NULL AND moderator IS NULL)),
    CONSTRAINT posts_reject_reason CHECK (status <> 'rejected' OR moderation_reason IS NOT NULL),
    CONSTRAINT posts_hidden_approved CHECK (hidden_at IS NULL OR status = 'approved')
);

-- The files are already compressed (JPEG, PNG, WebP, MP4): store them out of line without
-- trying to compress them again.
ALTER TABLE posts ALTER COLUMN media SET STORAGE EXTERNAL;

-- The feed: a campaign's visible posts, newest first, paginated by (created_at, id).
CREATE INDEX posts_feed ON posts (organisation_id, campaign_id, created_at DESC, id DESC)
    WHERE status = 'approved' AND hidden_at IS NULL;
-- The moderation queue: posts awaiting a decision.
CREATE INDEX posts_queue ON posts (organisation_id, campaign_id, created_at)
    WHERE status = 'pending' OR hidden_at IS NOT NULL;
-- Deleting an employee cascades to their posts.
CREATE INDEX posts_author ON posts (organisation_id, author_id);

-- One report per employee per post (reporting again changes nothing). Cleared when a moderator
-- approves the post again; kept with a rejected post as the record of why it was looked at.
CREATE TABLE post_reports (
    organisation_id  uuid NOT NULL,
    post_id          uuid NOT NULL,
    employee_id      uuid NOT NULL,
    reported_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (organisation_id, post_id, employee_id),
    FOREIGN KEY (organisation_id, post_id) REFERENCES posts (organisation_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organisation_id, employee_id) REFERENCES employees (organisation_id, id) ON DELETE CASCADE
);

CREATE INDEX post_reports_employee ON post_reports (organisation_id, employee_id);
