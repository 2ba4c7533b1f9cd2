-- When the jobs worker looks at a ticket's SLA clocks next moves from the
-- column tickets.sla_checks_at to a table of its own.
--
-- Setting the column in the transaction of a change was a second UPDATE of
-- the ticket's row in that transaction, and PostgreSQL re-checks every
-- foreign key of a row that the updating transaction itself wrote
-- (RI_FKey_fk_upd_check_required in ri_triggers.c): a KEY SHARE lock on the
-- queue's row, which waits for a ticket creation holding that row (its
-- number, its open-ticket limit) while this transaction holds the
-- ticket_counts row the creation needs next. Concurrent creates and status
-- changes deadlocked (server/tests/concurrency.rs). A row here is written
-- without touching the ticket's row again.
--
-- A ticket has a row while the worker should look at it, at due_at (UTC):
-- set to now() by every change that may move its clocks
-- (TicketChange::moves_service_levels) and by every change of a policy or
-- a calendar; moved by the worker to the next warning or due time of a
-- running clock, or deleted when nothing can fall due (no policy, paused,
-- stopped, or both notices sent).
create table ticket_sla_checks (
    ticket_id bigint primary key references tickets (id) on delete cascade,
    due_at timestamptz not null
);

insert into ticket_sla_checks (ticket_id, due_at)
select id, sla_checks_at from tickets where sla_checks_at is not null;

create index ticket_sla_checks_due_idx on ticket_sla_checks (due_at, ticket_id);

drop index tickets_sla_checks_idx;
alter table tickets drop column sla_checks_at;
