-- Tickets: queues, categories, tickets, messages, events, drafts, API tokens (issue 3).
create extension if not exists unaccent;

-- Search configuration for French and English text alike: no stemming
-- (`simple`), accents folded (`unaccent`), so "église" matches "eglise".
create text search configuration guichet_search (copy = simple);
alter text search configuration guichet_search
    alter mapping for hword, hword_part, word with unaccent, simple;

create table queues (
    id bigint generated always as identity primary key,
    slug text not null constraint queues_slug_key unique,
    name text not null,
    -- Reference prefix, e.g. SUP in SUP-0042.
    prefix text not null constraint queues_prefix_key unique check (prefix ~ '^[A-Z]{2,8}$'),
    color text not null default '#5865f2' check (color ~ '^#[0-9a-fA-F]{6}$'),
    -- Open tickets a requester may have at once in this queue; null = unlimited.
    open_ticket_limit integer check (open_ticket_limit is null or open_ticket_limit >= 1),
    active boolean not null default true,
    -- The number the next ticket of this queue gets; taken with UPDATE ... RETURNING
    -- in the creating transaction, so numbers are distinct and consecutive.
    next_number bigint not null default 1,
    created_at timestamptz not null default now()
);

insert into queues (slug, name, prefix, color, open_ticket_limit) values
    ('support', 'Support', 'SUP', '#5865f2', null),
    ('recruitment', 'Recruitment', 'REC', '#23a55a', 1);

create table categories (
    id bigint generated always as identity primary key,
    slug text not null constraint categories_slug_key unique check (slug ~ '^[a-z0-9_]{2,40}$'),
    name text not null,
    active boolean not null default true,
    position integer not null default 0
);

insert into categories (slug, name, position) values
    ('order_issue', 'Order issue', 1),
    ('product_issue', 'Product issue', 2),
    ('payment_issue', 'Payment issue', 3),
    ('account_issue', 'Account issue', 4),
    ('technical_issue', 'Technical issue', 5),
    ('general_inquiry', 'General inquiry', 6),
    ('refund_request', 'Refund request', 7),
    ('other', 'Other', 8);

-- Declared in rank order so ORDER BY priority sorts low < medium < high < urgent.
create type ticket_priority as enum ('low', 'medium', 'high', 'urgent');
create type ticket_status as enum ('open', 'in_progress', 'pending', 'resolved', 'closed', 'escalated');
create type ticket_source as enum ('web', 'email', 'api', 'discord', 'error');
create type message_kind as enum ('reply', 'internal_note', 'system');

create table tickets (
    id bigint generated always as identity primary key,
    queue_id bigint not null references queues (id) on delete restrict,
    number bigint not null,
    requester_id bigint not null references users (id) on delete cascade,
    assignee_id bigint references users (id) on delete set null,
    category_id bigint not null references categories (id) on delete restrict,
    priority ticket_priority not null default 'medium',
    status ticket_status not null default 'open',
    subject text not null check (char_length(subject) between 1 and 200),
    description text not null check (char_length(description) between 1 and 20000),
    metadata jsonb not null default '{}'::jsonb check (jsonb_typeof(metadata) = 'object'),
    source ticket_source not null default 'web',
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    first_response_at timestamptz,
    resolved_at timestamptz,
    closed_at timestamptz,
    search tsvector generated always as (
        setweight(to_tsvector('guichet_search'::regconfig, subject), 'A') ||
        setweight(to_tsvector('guichet_search'::regconfig, left(description, 20000)), 'B')
    ) stored,
    constraint tickets_queue_number_key unique (queue_id, number)
);

-- Lists: keyset pagination on (sort key, id); each list's filters lead.
create index tickets_requester_idx on tickets (requester_id, id desc);
create index tickets_requester_status_idx on tickets (requester_id, status, id desc);
create index tickets_status_updated_idx on tickets (status, updated_at desc, id desc);
create index tickets_queue_status_priority_updated_idx on tickets (queue_id, status, priority, updated_at desc, id desc);
create index tickets_status_priority_idx on tickets (status, priority desc, id desc);
create index tickets_assignee_status_updated_idx on tickets (assignee_id, status, updated_at desc, id desc);
create index tickets_updated_idx on tickets (updated_at desc, id desc);
create index tickets_priority_idx on tickets (priority desc, id desc);
create index tickets_category_idx on tickets (category_id, id desc);
create index tickets_created_idx on tickets (created_at);
create index tickets_resolved_idx on tickets (resolved_at) where resolved_at is not null;
create index tickets_search_idx on tickets using gin (search);
-- Open-ticket limit per requester and queue.
create index tickets_open_per_requester_idx on tickets (requester_id, queue_id)
    where status not in ('resolved', 'closed');

-- Ticket counts by queue and status, kept by trigger so dashboards never
-- count the whole table.
create table ticket_counts (
    queue_id bigint not null references queues (id) on delete cascade,
    status ticket_status not null,
    count bigint not null default 0,
    primary key (queue_id, status)
);

create function ticket_counts_track() returns trigger language plpgsql as $$
begin
    if tg_op in ('UPDATE', 'DELETE') then
        update ticket_counts set count = count - 1 where queue_id = old.queue_id and status = old.status;
    end if;
    if tg_op in ('INSERT', 'UPDATE') then
        insert into ticket_counts (queue_id, status, count) values (new.queue_id, new.status, 1)
        on conflict (queue_id, status) do update set count = ticket_counts.count + 1;
    end if;
    return null;
end $$;

create trigger tickets_count_insert_delete after insert or delete on tickets
    for each row execute function ticket_counts_track();
create trigger tickets_count_update after update of status, queue_id on tickets
    for each row when (old.status is distinct from new.status or old.queue_id is distinct from new.queue_id)
    execute function ticket_counts_track();

create table messages (
    id bigint generated always as identity primary key,
    ticket_id bigint not null references tickets (id) on delete cascade,
    -- null for system messages; deleting a user deletes their messages.
    author_id bigint references users (id) on delete cascade,
    kind message_kind not null,
    body text not null check (char_length(body) between 1 and 20000),
    created_at timestamptz not null default now()
);
create index messages_ticket_idx on messages (ticket_id, id);

-- Append-only history; ids also number the live-update stream.
create table ticket_events (
    id bigint generated always as identity primary key,
    ticket_id bigint not null references tickets (id) on delete cascade,
    -- null = the system.
    actor_id bigint references users (id) on delete set null,
    action text not null check (action in (
        'created', 'status_changed', 'priority_changed', 'category_changed',
        'assigned', 'unassigned', 'replied', 'note_added', 'escalated', 'reopened'
    )),
    -- {"from": ..., "to": ...} for changes, {"reason": ...} for escalations, {"message_id": ...} for messages.
    data jsonb not null default '{}'::jsonb,
    created_at timestamptz not null default now()
);
create index ticket_events_ticket_idx on ticket_events (ticket_id, id);

create function ticket_events_append_only() returns trigger language plpgsql as $$
begin
    raise exception 'ticket_events is append-only';
end $$;
create trigger ticket_events_no_update before update on ticket_events
    for each row execute function ticket_events_append_only();

-- Drafts: per user and form ("new_ticket", "reply:42"), restored on any device.
create table drafts (
    user_id bigint not null references users (id) on delete cascade,
    form text not null check (char_length(form) between 1 and 64),
    content jsonb not null check (octet_length(content::text) <= 65536),
    updated_at timestamptz not null default now(),
    primary key (user_id, form)
);

-- API tokens: only a SHA-256 of the token is kept; the token is shown once.
create table api_tokens (
    id bigint generated always as identity primary key,
    user_id bigint not null references users (id) on delete cascade,
    name text not null check (char_length(name) between 1 and 100),
    token_hash bytea not null constraint api_tokens_token_hash_key unique,
    created_at timestamptz not null default now(),
    last_used_at timestamptz
);
create index api_tokens_user_idx on api_tokens (user_id, id);
