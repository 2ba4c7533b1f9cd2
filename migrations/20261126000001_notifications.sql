-- Notifications (issue 6): an outbox of emails and Discord messages written in
-- the same transaction as the ticket change that causes them, the in-app
-- inbox behind the bell, per-user preferences with admin defaults, and
-- Discord webhooks per queue. See app/src/services/notifications.rs.

-- What happened, as notifications name it (from the seeds' email list).
create domain notification_kind as text check (value in (
    'ticket_created', 'ticket_assigned', 'agent_replied', 'requester_replied',
    'ticket_resolved', 'ticket_closed', 'ticket_escalated'
));

-- The defaults admins set, per kind; a user's own row overrides them.
create table notification_defaults (
    kind notification_kind primary key,
    email boolean not null,
    in_app boolean not null
);
insert into notification_defaults (kind, email, in_app) values
    ('ticket_created', true, true),
    ('ticket_assigned', true, true),
    ('agent_replied', true, true),
    ('requester_replied', true, true),
    ('ticket_resolved', true, true),
    ('ticket_closed', true, true),
    ('ticket_escalated', true, true);

create table notification_preferences (
    user_id bigint not null references users (id) on delete cascade,
    kind notification_kind not null,
    email boolean not null,
    in_app boolean not null,
    primary key (user_id, kind)
);

-- The in-app inbox: one row per user and event.
create table notifications (
    id bigint generated always as identity primary key,
    user_id bigint not null references users (id) on delete cascade,
    ticket_id bigint not null references tickets (id) on delete cascade,
    event_id bigint references ticket_events (id) on delete cascade,
    kind notification_kind not null,
    -- One line, e.g. "alice replied on SUP-0042 VPN down".
    title text not null,
    created_at timestamptz not null default now(),
    read_at timestamptz
);
create index notifications_user_idx on notifications (user_id, id desc);
create index notifications_unread_idx on notifications (user_id) where read_at is null;

-- Discord webhooks: per queue, with the kinds they announce. The URL holds a
-- secret token: never logged, shown masked.
create table discord_webhooks (
    id bigint generated always as identity primary key,
    queue_id bigint not null references queues (id) on delete cascade,
    name text not null check (char_length(name) between 1 and 100),
    url text not null check (char_length(url) between 1 and 500),
    kinds notification_kind[] not null,
    active boolean not null default true,
    -- After a 429, nothing goes to this webhook before this time.
    rate_limited_until timestamptz,
    created_at timestamptz not null default now()
);
create index discord_webhooks_queue_idx on discord_webhooks (queue_id);

create type outbox_channel as enum ('email', 'discord');
create type outbox_status as enum ('pending', 'sent', 'failed');

-- Messages waiting for (or done with) delivery. A worker claims due rows with
-- FOR UPDATE SKIP LOCKED and a lease (claimed_until): a crashed worker's rows
-- come back when the lease ends.
create table outbox (
    id bigint generated always as identity primary key,
    channel outbox_channel not null,
    status outbox_status not null default 'pending',
    kind notification_kind not null,
    ticket_id bigint references tickets (id) on delete cascade,
    event_id bigint references ticket_events (id) on delete cascade,
    -- The email's recipient; null for Discord.
    user_id bigint references users (id) on delete cascade,
    webhook_id bigint references discord_webhooks (id) on delete cascade,
    -- What to send, rendered by the worker: see notifications.rs (EmailPayload, DiscordPayload).
    payload jsonb not null,
    attempts integer not null default 0,
    last_error text,
    next_attempt_at timestamptz not null default now(),
    -- After this, a failed attempt is the last: the row becomes 'failed'
    -- (an admin's retry gives it another 24 hours).
    give_up_at timestamptz not null default now() + interval '24 hours',
    claimed_until timestamptz,
    created_at timestamptz not null default now(),
    sent_at timestamptz,
    constraint outbox_recipient check ((channel = 'email') = (user_id is not null)
        and (channel = 'discord') = (webhook_id is not null))
);
create index outbox_due_idx on outbox (next_attempt_at, id) where status = 'pending';
create index outbox_thread_idx on outbox (ticket_id, user_id, id) where channel = 'email';
create index outbox_status_idx on outbox (status, id desc);
