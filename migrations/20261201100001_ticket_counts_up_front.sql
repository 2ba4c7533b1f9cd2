-- Concurrent creates and status changes on a fresh desk deadlocked (issue 20,
-- item 11): the counter rows of a queue were created by the first ticket to
-- reach each (queue, status), and two transactions inserting missing rows
-- while holding a lock on an existing one waited on each other. The rows now
-- exist from the moment a queue does, one per status, so the trigger only
-- ever updates rows it first locked in (queue_id, status) order.
insert into ticket_counts (queue_id, status, count)
select queues.id, status, 0
from queues cross join unnest(enum_range(null::ticket_status)) as status
on conflict (queue_id, status) do nothing;

create function ticket_counts_for_new_queue() returns trigger language plpgsql as $$
begin
    insert into ticket_counts (queue_id, status, count)
    select new.id, status, 0 from unnest(enum_range(null::ticket_status)) as status
    on conflict (queue_id, status) do nothing;
    return null;
end $$;

create trigger queues_ticket_counts after insert on queues
    for each row execute function ticket_counts_for_new_queue();

create or replace function ticket_counts_track() returns trigger language plpgsql as $$
begin
    -- Lock the rows this change touches, always in (queue_id, status) order.
    perform 1 from ticket_counts
    where (tg_op <> 'INSERT' and (queue_id, status) = (old.queue_id, old.status))
       or (tg_op <> 'DELETE' and (queue_id, status) = (new.queue_id, new.status))
    order by queue_id, status
    for update;
    if tg_op in ('UPDATE', 'DELETE') then
        update ticket_counts set count = count - 1 where queue_id = old.queue_id and status = old.status;
    end if;
    if tg_op in ('INSERT', 'UPDATE') then
        -- A plain update: an insert (even one that ends in its ON CONFLICT
        -- update) checks the foreign key to queues with a KEY SHARE lock,
        -- which waits for a ticket creation holding the queue row (its
        -- number and open-ticket limit) while this transaction holds a
        -- counter row that creation needs next.
        update ticket_counts set count = count + 1 where queue_id = new.queue_id and status = new.status;
        if not found then
            -- Only for a status added to the enum after the queue.
            insert into ticket_counts (queue_id, status, count) values (new.queue_id, new.status, 1)
            on conflict (queue_id, status) do update set count = ticket_counts.count + 1;
        end if;
    end if;
    return null;
end $$;
