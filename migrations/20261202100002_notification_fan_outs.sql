-- Notifications for everyone with a role (issue 12: replies on a ticket that
-- notifies every agent must cost what a reply to one person costs). The
-- requester's reply on an unassigned ticket goes to every agent, an
-- escalation to every admin: instead of one inbox line and one email row per
-- recipient written in the change's own transaction, that transaction writes
-- one row here, and a delivery worker expands it into the per-recipient rows
-- (the same statements, the same preferences): the inbox lines at once, the
-- email rows (then it deletes the row) once it can send mail. See
-- app/src/services/notifications/rules.rs.
create table notification_fan_outs (
    id bigint generated always as identity primary key,
    event_id bigint not null references ticket_events (id) on delete cascade,
    ticket_id bigint not null references tickets (id) on delete cascade,
    kind notification_kind not null,
    -- Everyone with this role hears it...
    role user_role not null,
    -- ...except the user who acted.
    actor_id bigint references users (id) on delete cascade,
    -- The email rows' payload but for its recipient (EmailPayload in notifications/mod.rs).
    email jsonb not null,
    -- The inbox line in the desk's language, in French and in English.
    title text not null,
    title_fr text not null,
    title_en text not null,
    -- When the change happened: the inbox lines' time.
    created_at timestamptz not null default now(),
    -- The inbox lines are written; the email rows wait for a mail server.
    inbox_written boolean not null default false
);
create index notification_fan_outs_inbox_idx on notification_fan_outs (id) where not inbox_written;

-- Recipients are picked by id or by role (`u.id = any($1) or u.role = $2`):
-- without this index every notification read all users (20,000 requesters
-- in the benchmark's desk) to find 60 agents, or one requester.
create index users_role_idx on users (role);
