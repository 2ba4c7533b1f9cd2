-- The log-in throttle counts per account, not per typed name (issue 20,
-- item 2): a username and an email of one account share one budget. A
-- failure for a name that matches no account keeps account_id null and is
-- counted by its name. Rows are inserted before the password is checked
-- (under a per-account advisory lock), so concurrent attempts count exactly.
alter table login_failures add column account_id bigint references users (id) on delete cascade;
create index login_failures_account_idx on login_failures (account_id, failed_at);
