-- Concurrent status changes deadlocked (found by the benchmark, issue 5): the
-- counter trigger decremented the old (queue, status) row, then incremented
-- the new one, so two tickets moving in opposite directions (in_progress →
-- pending and pending → in_progress) locked the same two rows in opposite
-- orders. Lock both rows first, always in (queue_id, status) order.
create or replace function ticket_counts_track() returns trigger language plpgsql as $$
begin
    if tg_op = 'UPDATE' then
        perform 1 from ticket_counts
        where (queue_id, status) in ((old.queue_id, old.status), (new.queue_id, new.status))
        order by queue_id, status
        for update;
    end if;
    if tg_op in ('UPDATE', 'DELETE') then
        update ticket_counts set count = count - 1 where queue_id = old.queue_id and status = old.status;
    end if;
    if tg_op in ('INSERT', 'UPDATE') then
        insert into ticket_counts (queue_id, status, count) values (new.queue_id, new.status, 1)
        on conflict (queue_id, status) do update set count = ticket_counts.count + 1;
    end if;
    return null;
end $$;
