-- Issue 16, items 1 to 4: application errors become tickets. An error
-- project is a client's application (its key, its thresholds); each of its
-- error groups gathers the events of one signature (see
-- app/src/services/errors/signature.rs) and opens at most one ticket.
--
-- How growth is bounded: intake writes a constant number of rows per event,
-- and no table grows with the number of events. A group keeps counters
-- (count, first and last seen, one row per hour in error_group_hours) and a
-- sample of its latest events in error_events: at most
-- error_projects.sample_size rows per group (default 100), written as a ring
-- (slot = count modulo sample_size, so a new event overwrites the oldest
-- one in place instead of inserting and deleting). Intake never scans or
-- deletes, so its cost does not depend on how many events were ever
-- received, and the table holds at most groups x sample_size rows. Time
-- partitions would keep every event, at the price of a partition job and
-- of reads across partitions; nobody reads the 10,000th occurrence of an
-- error, and the counters answer every question the monitoring pages ask.

create table error_projects (
    id bigint generated always as identity primary key,
    name text not null constraint error_projects_name_length check (char_length(name) between 1 and 100),
    -- The client whose application it is: the requester of its tickets, who gets the emails.
    requester_id bigint not null references users (id) on delete cascade,
    queue_id bigint not null references queues (id) on delete restrict,
    threshold_count integer not null default 3
        constraint error_projects_threshold_count check (threshold_count between 1 and 1000),
    threshold_window_minutes integer not null default 60
        constraint error_projects_threshold_window check (threshold_window_minutes between 1 and 10080),
    watch_hours integer not null default 24
        constraint error_projects_watch_hours check (watch_hours between 1 and 720),
    priority ticket_priority not null default 'high',
    active boolean not null default true,
    -- SHA-256 of the DSN key: the key itself is shown once (creation, rotation) and never stored.
    key_digest bytea not null constraint error_projects_key_digest_key unique,
    key_rotated_at timestamptz not null default now(),
    -- Events kept per group (see above).
    sample_size integer not null default 100 constraint error_projects_sample_size check (sample_size between 1 and 1000),
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint error_projects_name_key unique (name)
);

create table error_groups (
    id bigint generated always as identity primary key,
    project_id bigint not null references error_projects (id) on delete cascade,
    -- SHA-256 (hex) of the signature's text.
    signature text not null constraint error_groups_signature_format check (signature ~ '^[0-9a-f]{64}$'),
    -- The text the signature was computed from (type | message | file | function | line, or the fingerprint).
    signature_text text not null,
    title text not null constraint error_groups_title_length check (char_length(title) between 1 and 300),
    culprit text not null default '' constraint error_groups_culprit_length check (char_length(culprit) <= 500),
    count bigint not null default 0 constraint error_groups_count check (count >= 0),
    first_seen timestamptz not null default now(),
    last_seen timestamptz not null default now(),
    -- When the newest error_projects.threshold_count events arrived (UTC,
    -- oldest first, at most that many): the group reaches its threshold when
    -- the array is full and its first time is within the window.
    recent_seen timestamptz[] not null default '{}',
    -- The latest event, trimmed (see app/src/services/errors/intake.rs).
    latest_event jsonb not null default '{}'::jsonb,
    status text not null default 'unresolved' constraint error_groups_status check (status in (
        'unresolved', 'ticketed', 'watching', 'resolved', 'regressed'
    )),
    ticket_id bigint references tickets (id) on delete set null,
    -- Occurrences since the last system message on the ticket, and when that was.
    unreported_count bigint not null default 0,
    reported_at timestamptz,
    constraint error_groups_signature_key unique (project_id, signature)
);

create index error_groups_project_last_seen_idx on error_groups (project_id, last_seen desc, id desc);
create index error_groups_ticket_idx on error_groups (ticket_id) where ticket_id is not null;

-- Occurrences per hour (UTC), for sparklines and charts.
create table error_group_hours (
    group_id bigint not null references error_groups (id) on delete cascade,
    hour timestamptz not null,
    count bigint not null constraint error_group_hours_count check (count > 0),
    primary key (group_id, hour)
);

-- The sample of a group's latest events, a ring of error_projects.sample_size slots.
create table error_events (
    group_id bigint not null references error_groups (id) on delete cascade,
    slot integer not null constraint error_events_slot check (slot >= 0),
    -- The SDK's event id (32 hex digits), or one Guichet made.
    event_id text not null constraint error_events_event_id check (event_id ~ '^[0-9a-f]{32}$'),
    received_at timestamptz not null default now(),
    -- When the SDK says it happened.
    occurred_at timestamptz,
    payload jsonb not null,
    primary key (group_id, slot)
);

create index error_events_received_idx on error_events (received_at);
