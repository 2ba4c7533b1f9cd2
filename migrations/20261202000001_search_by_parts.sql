-- Search finds what users type (issue 14): "play" and "/play" find "Bot
-- crashes on /play". PostgreSQL's parser keeps `/play`, `calendar.js` and
-- e-mail addresses as single tokens, so their parts were never found. The
-- search text now has its punctuation turned into spaces first, like the
-- query side (app::services::ticket_lists::search_expression), so slash
-- commands, #channels, @mentions, error codes (E_TIMEOUT), order numbers
-- (#4821, 2026-114), file names and addresses are found by their parts and
-- as a whole. Accents stay folded by the guichet_search configuration.
--
-- `[[:punct:]]` is ASCII punctuation in the C locale, and Unicode
-- punctuation too in others; letters (é, ß) are never touched.
create function guichet_search_words(text) returns text
    language sql immutable strict parallel safe
    return regexp_replace($1, '[[:punct:]]+', ' ', 'g');

-- The generated column is recomputed for every row (dropping it drops
-- tickets_search_idx, rebuilt below).
alter table tickets drop column search;
alter table tickets add column search tsvector generated always as (
    setweight(to_tsvector('guichet_search'::regconfig, guichet_search_words(subject)), 'A') ||
    setweight(to_tsvector('guichet_search'::regconfig, guichet_search_words(left(description, 20000))), 'B')
) stored;
create index tickets_search_idx on tickets using gin (search);
