-- Issue 15, item 4: satisfaction ratings (CSAT), app/src/services/ratings.rs.

-- One rating per resolution: keyed by the `status_changed` event that
-- resolved the ticket (a later resolution is another event, rated again);
-- changing a rating within 7 days of it replaces the row. Only the ticket's
-- requester rates (checked by the service; kept here for the statistics).
create table ticket_ratings (
    resolution_event_id bigint primary key references ticket_events (id) on delete cascade,
    ticket_id bigint not null references tickets (id) on delete cascade,
    requester_id bigint not null references users (id) on delete cascade,
    score smallint not null constraint ticket_ratings_score check (score between 1 and 5),
    -- Null when none was given; trimmed, 1 to 2,000 characters.
    comment text constraint ticket_ratings_comment check (char_length(comment) between 1 and 2000),
    -- When it was first given (the 7 days to change it start here) and last changed.
    rated_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
-- The ticket's latest rating (ticket page and API).
create index ticket_ratings_ticket_idx on ticket_ratings (ticket_id, resolution_event_id desc);
-- The statistics to come (issue 15, item 5): ratings of a period.
create index ticket_ratings_rated_at_idx on ticket_ratings (rated_at) include (score, ticket_id);

-- The history's new action: `rated` ({"score": 4, "comment": "..."}),
-- added to the actions the check lists when this runs, whatever they are
-- (another migration of the same day, 20261204000001, adds its own): the
-- definition PostgreSQL keeps, `CHECK ((action = ANY (ARRAY['created'::text,
-- ...])))`, gets `'rated'` first in its array.
do $$
declare
    definition text;
begin
    select pg_get_constraintdef(oid) into strict definition from pg_constraint
    where conrelid = 'ticket_events'::regclass and conname = 'ticket_events_action_check';
    if position('ARRAY[' in definition) = 0 then
        raise exception 'unexpected ticket_events_action_check: %', definition;
    end if;
    execute 'alter table ticket_events drop constraint ticket_events_action_check';
    execute 'alter table ticket_events add constraint ticket_events_action_check '
        || replace(definition, 'ARRAY[', 'ARRAY[''rated''::text, ');
end $$;
