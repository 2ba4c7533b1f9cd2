-- Issue 14: a reply sent twice (a double click, a retry after a timeout)
-- creates one message. The form (or the API's Idempotency-Key header) names
-- its submission; the same author sending the same key again gets the
-- message that key created. NULL for messages sent without a key (system
-- messages, older clients).
alter table messages
    add column submission_key text
        constraint messages_submission_key_length check (length(submission_key) between 16 and 64);
create unique index messages_author_submission_idx on messages (author_id, submission_key)
    where submission_key is not null;
