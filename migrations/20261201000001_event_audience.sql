-- Who may see each ticket event (issue 12), stored with the event: 'staff'
-- (agents and admins) or 'everyone' who may see the ticket. Every filter
-- (the ticket page's history, the live stream's replay) reads this column
-- instead of repeating which actions are internal; new rows get it at
-- insert from TicketChange::audience() (app/src/domain.rs).
create type event_audience as enum ('everyone', 'staff');

-- Old rows: internal notes were the only staff-only events. The default
-- stays 'staff' so that a row written without saying who may see it (by
-- hand, by a script) fails closed: requesters do not see it.
alter table ticket_events add column audience event_audience not null default 'staff';
alter table ticket_events disable trigger ticket_events_no_update;
update ticket_events set audience = 'everyone' where action <> 'note_added';
alter table ticket_events enable trigger ticket_events_no_update;

-- Still append-only: the one change allowed is giving a position to an
-- event that has none (the audience cannot change either).
create or replace function ticket_events_append_only() returns trigger language plpgsql as $$
begin
    if old.stream_position is null and new.stream_position is not null
        and (new.id, new.ticket_id, new.actor_id, new.action, new.data, new.created_at, new.audience)
            is not distinct from (old.id, old.ticket_id, old.actor_id, old.action, old.data, old.created_at, old.audience)
    then
        return new;
    end if;
    raise exception 'ticket_events is append-only';
end $$;
