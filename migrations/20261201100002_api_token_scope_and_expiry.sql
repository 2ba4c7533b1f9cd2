-- API tokens get a scope and an optional expiry (issue 20, item 9).
-- Tokens made before this could do everything their owner could: they keep
-- that (`admin`); new tokens default to `write`.
alter table api_tokens
    add column scope text not null default 'admin'
        constraint api_tokens_scope_check check (scope in ('read', 'write', 'admin')),
    add column expires_at timestamptz;
alter table api_tokens alter column scope set default 'write';
