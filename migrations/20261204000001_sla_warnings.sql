-- Issue 15, item 2: SLA warnings and breaches, recorded by the jobs worker
-- (app/src/services/service_levels/watch.rs) as staff-only ticket events
-- and notified to the assignee (else every agent), breaches also to admins.

alter table ticket_events drop constraint ticket_events_action_check;
alter table ticket_events add constraint ticket_events_action_check check (action in (
    'created', 'status_changed', 'priority_changed', 'category_changed',
    'assigned', 'unassigned', 'replied', 'note_added', 'escalated', 'reopened',
    'sla_warning', 'sla_breached'
));

-- The new check is only wider than the old one, so existing values pass it;
-- `not valid` because PostgreSQL cannot re-check a domain that an array
-- column uses (discord_webhooks.kinds). New values are checked as always.
alter domain notification_kind drop constraint notification_kind_check;
alter domain notification_kind add constraint notification_kind_check check (value in (
    'ticket_created', 'ticket_assigned', 'agent_replied', 'requester_replied',
    'ticket_resolved', 'ticket_closed', 'ticket_escalated',
    'sla_warning', 'sla_breached'
)) not valid;
insert into notification_defaults (kind, email, in_app) values
    ('sla_warning', true, true),
    ('sla_breached', true, true);

-- When the worker should look at a ticket's clocks next (UTC): set to now()
-- by every change that may move them (TicketChange::moves_service_levels)
-- and by every change of a policy or calendar; set by the worker to the
-- next warning or due time of a running clock, or null when nothing can
-- fall due (no policy, paused, stopped, or both notices sent).
alter table tickets add column sla_checks_at timestamptz;
update tickets set sla_checks_at = now() where status not in ('resolved', 'closed');
create index tickets_sla_checks_idx on tickets (sla_checks_at) where sla_checks_at is not null;

-- The notices sent, once per target and kind per ticket, ever: the mark
-- that makes a ticket's warning or breach no longer due.
create table ticket_sla_notices (
    ticket_id bigint not null references tickets (id) on delete cascade,
    target text not null constraint ticket_sla_notices_target check (target in ('first_response', 'resolution')),
    kind text not null constraint ticket_sla_notices_kind check (kind in ('warning', 'breached')),
    created_at timestamptz not null default now(),
    constraint ticket_sla_notices_pkey primary key (ticket_id, target, kind)
);
