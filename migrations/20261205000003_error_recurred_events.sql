-- Issue 16, item 4: the history's new action `error_recurred`
-- ({"message_id": 12, "occurrences": 40}), the system message an error
-- ticket gets at most once an hour while its error group keeps occurring
-- (TicketChange::ErrorRecurred). Added to the actions the check lists when
-- this runs, whatever they are, as 20261204100001_satisfaction_ratings.sql does.
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
        || replace(definition, 'ARRAY[', 'ARRAY[''error_recurred''::text, ');
end $$;
