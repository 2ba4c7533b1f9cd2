-- Issue 15, item 5: the statistics' new fields (app/src/services/statistics.rs)
-- read only the period's rows, through indexes.

-- SLA met percentages look up each ticket's breach notices by id and check
-- whether a policy applies by queue and priority: both covering indexes
-- carry them, so the period's tickets stay an index-only scan. Same names,
-- wider columns.
drop index tickets_created_covering_idx;
create index tickets_created_covering_idx on tickets (created_at)
    include (queue_id, status, priority, first_response_at, id);
drop index tickets_resolved_covering_idx;
create index tickets_resolved_covering_idx on tickets (resolved_at)
    include (queue_id, created_at, priority, id)
    where resolved_at is not null;

-- Escalations of a period (manual and automatic: the automatic ones name
-- their rule in `data`, read from the few rows the index finds).
create index ticket_events_escalated_idx on ticket_events (created_at) include (ticket_id)
    where action = 'escalated';

-- Breaches of a period (the SLA worker writes one notice per target and
-- ticket, ever).
create index ticket_sla_notices_breached_idx on ticket_sla_notices (created_at) include (ticket_id, target)
    where kind = 'breached';
