-- Names the claim that holds an outbox row (issue 20, item 8). A worker
-- claims a row with a random token and a short lease (claimed_until), renews
-- the lease while it sends, and marks the row only where the token is still
-- its own: a worker whose lease ran out and was taken over can neither renew
-- it nor overwrite the new holder's state. Null when nobody holds the row.
alter table outbox add column lease_token bigint;
