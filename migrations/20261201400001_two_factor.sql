-- Two-factor authentication (TOTP, RFC 6238) with recovery codes, and the
-- account's history (issue 20, item 10).

-- One row per account with two-factor authentication, or with an enrolment
-- waiting for its first code (enabled_at null).
create table two_factor (
    user_id bigint primary key references users (id) on delete cascade,
    -- The TOTP secret sealed with XChaCha20-Poly1305 under a key derived from
    -- GUICHET_SECRET_KEY (app/src/services/two_factor.rs): a version byte,
    -- the 24-byte nonce, then the ciphertext and its tag. A dump of the
    -- database alone does not give the secret.
    secret_ciphertext bytea not null,
    enabled_at timestamptz,
    -- The last accepted TOTP time step (Unix seconds / 30): no step is
    -- accepted twice, nor one before it (RFC 6238 section 5.2).
    last_used_step bigint,
    created_at timestamptz not null default now()
);

-- Single-use recovery codes, stored as SHA-256 digests of their 80 random bits.
create table two_factor_recovery_codes (
    id bigint generated always as identity primary key,
    user_id bigint not null references users (id) on delete cascade,
    code_hash bytea not null,
    used_at timestamptz,
    created_at timestamptz not null default now(),
    constraint two_factor_recovery_codes_user_code_key unique (user_id, code_hash)
);

-- What happened to an account's security, shown to its owner on Settings.
create table account_events (
    id bigint generated always as identity primary key,
    user_id bigint not null references users (id) on delete cascade,
    -- Who did it when not the owner (an admin's reset); null once deleted.
    actor_id bigint references users (id) on delete set null,
    action text not null constraint account_events_action_check check (action in (
        'two_factor_enabled', 'two_factor_disabled', 'two_factor_reset',
        'recovery_codes_regenerated', 'recovery_code_used', 'second_factor_failed'
    )),
    -- The client address of the request that did it.
    address inet,
    created_at timestamptz not null default now()
);
create index account_events_user_idx on account_events (user_id, id desc);
