-- Issue 15, items 1 and 3: automatic escalation, run by the jobs worker
-- (app/src/services/jobs.rs, app/src/services/escalation.rs).

-- The thresholds admins set (GET/PUT /api/v1/admin/escalation-rules): one
-- row, written here with the AfrikMode seed's defaults; null switches a
-- rule off.
create table escalation_settings (
    id boolean primary key default true constraint escalation_settings_one_row check (id),
    -- Hours open without a public reply by an agent or admin, from creation.
    unanswered_hours integer
        constraint escalation_settings_unanswered_hours check (unanswered_hours between 1 and 8760),
    -- Hours an urgent ticket may stay open and unassigned, from creation.
    urgent_unassigned_hours integer
        constraint escalation_settings_urgent_unassigned_hours check (urgent_unassigned_hours between 1 and 8760),
    -- A satisfaction rating strictly under this escalates (ratings come later).
    low_rating_below integer
        constraint escalation_settings_low_rating_below check (low_rating_below between 1 and 5),
    updated_at timestamptz not null default now(),
    updated_by bigint references users (id) on delete set null
);
insert into escalation_settings (unanswered_hours, urgent_unassigned_hours, low_rating_below) values (48, 2, 3);

-- Which rule escalated which ticket: at most once per rule per ticket, ever.
-- Written in the transaction of the escalation itself (whose event, by the
-- system, names the rule), so a worker that dies mid-way leaves neither.
create table ticket_automatic_escalations (
    ticket_id bigint not null references tickets (id) on delete cascade,
    rule text not null
        constraint ticket_automatic_escalations_rule check (rule in ('unanswered', 'urgent_unassigned', 'low_rating')),
    escalated_at timestamptz not null default now(),
    constraint ticket_automatic_escalations_pkey primary key (ticket_id, rule)
);

-- Each timed rule's candidates, oldest first, through an index holding only
-- the tickets the rule could act on: a pass reads the few due rows, however
-- many tickets the desk has. The statements in services/escalation.rs
-- repeat these predicates word for word, so the planner can use them.
create index tickets_unanswered_due_idx on tickets (created_at, id)
    where status in ('open', 'in_progress') and first_response_at is null;
create index tickets_urgent_unassigned_due_idx on tickets (created_at, id)
    where priority = 'urgent' and status = 'open' and assignee_id is null;
