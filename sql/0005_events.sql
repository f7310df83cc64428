-- Internal events (in cities, villages, online, on sites), their RSVPs and attendance.

CREATE TABLE events (
    organisation_id  uuid NOT NULL,
    id               uuid NOT NULL DEFAULT gen_random_uuid(),
    campaign_id      uuid NOT NULL,
    title            text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    kind             text NOT NULL CHECK (kind IN ('city', 'village', 'online', 'site')),
    country          text NOT NULL REFERENCES countries (alpha2),
    -- Required unless the event is online.
    city             text CHECK (city IS NULL OR length(city) BETWEEN 1 AND 200),
    starts_at        timestamptz NOT NULL,
    ends_at          timestamptz NOT NULL CHECK (ends_at > starts_at),
    -- NULL: no limit.
    capacity         integer CHECK (capacity > 0),
    -- The host's HR id (an employee of the organisation). Not a foreign key: the library checks
    -- the host is active when the event is created, and a host who later leaves must not block
    -- a workforce import or take the event with them.
    host_external_id text NOT NULL,
    created_at       timestamptz NOT NULL DEFAULT now(),
    CHECK (kind = 'online' OR city IS NOT NULL),
    PRIMARY KEY (organisation_id, id),
    FOREIGN KEY (organisation_id, campaign_id) REFERENCES campaigns (organisation_id, id) ON DELETE CASCADE
);

CREATE INDEX events_campaign ON events (organisation_id, campaign_id, starts_at);

-- One RSVP per employee per event: 'going' while there is room, else 'waiting' in order of
-- `requested_at`; a cancellation promotes the first waiting one. Every change takes the event's
-- row lock first (SELECT … FOR UPDATE), which is what keeps `going` within the capacity under
-- concurrent RSVPs and makes `requested_at` order the order in which requests were served.
-- Walk-ins checked in at the door get 'going' whatever the capacity, so `going` may exceed it.
CREATE TABLE event_rsvps (
    organisation_id  uuid NOT NULL,
    event_id         uuid NOT NULL,
    employee_id      uuid NOT NULL,
    status           text NOT NULL CHECK (status IN ('going', 'waiting')),
    requested_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
    -- When the attendee was checked in (the first time: checking in again keeps it).
    checked_in_at    timestamptz,
    CHECK (checked_in_at IS NULL OR status = 'going'),
    PRIMARY KEY (organisation_id, event_id, employee_id),
    FOREIGN KEY (organisation_id, event_id) REFERENCES events (organisation_id, id) ON DELETE CASCADE,
    FOREIGN KEY (organisation_id, employee_id) REFERENCES employees (organisation_id, id) ON DELETE CASCADE
);

CREATE INDEX event_rsvps_waiting ON event_rsvps (organisation_id, event_id, requested_at) WHERE status = 'waiting';
