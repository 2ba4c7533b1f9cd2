-- The live stream (issue 4): every ticket event gets a stream position once
-- its transaction has committed, in commit order, so a client that resumes
-- "after position N" misses nothing and gets nothing twice.
--
-- Event ids come from an identity column, taken at insert time: a
-- transaction holding id 10 can commit after one holding id 11, so ids
-- cannot serve as the resume point. Instead a sequencer (any server
-- instance, one at a time under the advisory lock named in
-- app/src/services/live.rs) numbers the committed events that have no
-- position yet, in one transaction; a later commit always gets a later
-- position.

alter table ticket_events add column stream_position bigint;

-- Events from before this migration are all committed: number them by id.
alter table ticket_events disable trigger ticket_events_no_update;
update ticket_events set stream_position = id;
alter table ticket_events enable trigger ticket_events_no_update;

create unique index ticket_events_stream_position_idx on ticket_events (stream_position);
-- The sequencer's work list stays tiny: only events waiting for a position.
create index ticket_events_unsequenced_idx on ticket_events (id) where stream_position is null;

-- Still append-only: the one change allowed is giving a position to an
-- event that has none.
create or replace function ticket_events_append_only() returns trigger language plpgsql as $$
begin
    if old.stream_position is null and new.stream_position is not null
        and (new.id, new.ticket_id, new.actor_id, new.action, new.data, new.created_at)
            is not distinct from (old.id, old.ticket_id, old.actor_id, old.action, old.data, old.created_at)
    then
        return new;
    end if;
    raise exception 'ticket_events is append-only';
end $$;
