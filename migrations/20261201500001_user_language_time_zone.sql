-- Issue 13: the language and time zone each user reads Guichet in (the
-- Settings page). NULL means the desk's default (GUICHET_DEFAULT_LANGUAGE,
-- GUICHET_TIME_ZONE). Not limited to today's languages: a value Guichet no
-- longer speaks (or a zone it no longer knows) reads as the default.
alter table users
    add column language text constraint users_language_length check (length(language) between 2 and 16),
    add column time_zone text constraint users_time_zone_length check (length(time_zone) between 1 and 64);
