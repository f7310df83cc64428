-- Hysteresis of leaders' published figures (issue 19's adaptive attacker; PRIVACY.md).
--
-- A leader's count is published rounded with a secret offset per campaign and group. Rounding
-- alone lets a leader who saw a quiet group's figure just cross a boundary see one person's
-- withdrawal (or signing) right after take it back. So a published value changes only when the
-- count has moved a margin past the boundary, which needs the value published last: it is kept
-- here, one row per campaign, group and published instant at which the value was first decided or
-- changed (a quiet group adds no row). A leader's figure at a past instant is the value of the
-- last row at or before it.
--
-- group_key is the SHA-256 of the group's name (a country, the folded countries, a drill-down row
-- named by the cells it covers, an event's RSVP count); value is in the offset's frame (a multiple
-- of step, before the headcount clamp); step is the step it was decided with (a group whose
-- headcount crosses 1,000 changes step and starts again). Nothing here says who signed.
CREATE TABLE published_counts (
    organisation_id  uuid NOT NULL,
    campaign_id      uuid NOT NULL,
    group_key        bytea NOT NULL CHECK (length(group_key) = 32),
    published_at     timestamptz NOT NULL,
    step             integer NOT NULL CHECK (step >= 1),
    value            integer NOT NULL CHECK (value >= 0),
    PRIMARY KEY (organisation_id, campaign_id, group_key, published_at),
    FOREIGN KEY (organisation_id, campaign_id) REFERENCES campaigns (organisation_id, id) ON DELETE CASCADE
);
