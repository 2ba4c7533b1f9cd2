-- Accounts, roles and login throttling (issue 2).
create extension if not exists citext;

create type user_role as enum ('requester', 'agent', 'admin');

create table users (
    id bigint generated always as identity primary key,
    -- citext makes the unique constraints case-insensitive, enforced by the database.
    username citext not null,
    email citext not null,
    password_hash text not null,
    role user_role not null default 'requester',
    discord_username text,
    discord_id text,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now(),
    constraint users_username_key unique (username),
    constraint users_email_key unique (email),
    constraint users_discord_id_digits check (discord_id is null or discord_id ~ '^[0-9]{1,32}$')
);

-- One row per failed log-in; the throttle counts rows in a sliding window
-- per login name and per client address. Old rows are pruned on insert.
create table login_failures (
    id bigint generated always as identity primary key,
    login citext not null,
    address inet,
    failed_at timestamptz not null default now()
);
create index login_failures_login_idx on login_failures (login, failed_at);
create index login_failures_address_idx on login_failures (address, failed_at);
