-- Issue 14, item 8: each queue offers its own categories and may preselect
-- one of them in the new-ticket form (the form used to default to "Order
-- issue" even for Recruitment). A category may be offered in several queues
-- ("Other" fits everywhere), so the link is its own table.
create table queue_categories (
    queue_id bigint not null references queues (id) on delete cascade,
    category_id bigint not null references categories (id) on delete cascade,
    constraint queue_categories_pkey primary key (queue_id, category_id)
);
create index queue_categories_category_idx on queue_categories (category_id);

-- Nothing breaks: every existing category stays offered in every existing queue.
insert into queue_categories (queue_id, category_id)
select queues.id, categories.id from queues cross join categories;

-- The category the new-ticket form preselects for this queue; null = none
-- (the requester chooses). It must be one the queue offers: the foreign key
-- refuses anything else, and when the category stops being offered (or is
-- deleted) the default goes back to none.
alter table queues
    add column default_category_id bigint,
    add constraint queues_default_category_offered
        foreign key (id, default_category_id) references queue_categories (queue_id, category_id)
        on delete set null (default_category_id);
