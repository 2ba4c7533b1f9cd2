-- Issue 15, item 2: business calendars and SLA policies. A policy's targets
-- are business minutes of its calendar (null = the built-in "24/7", which is
-- no row). Due times are not stored: they are computed from a ticket's
-- events (app/src/services/service_levels/), so each one can be explained.

-- A calendar's opening hours are local wall-clock times in its IANA time
-- zone (checked by the service layer against the time-zone database the
-- server carries, which may differ from PostgreSQL's).
create table business_calendars (
    id bigint generated always as identity primary key,
    name text not null constraint business_calendars_name_key unique,
    time_zone text not null,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);

-- One range of opening hours of one day of the week (ISO: 1 = Monday ...
-- 7 = Sunday), in minutes after local midnight, the end excluded: 09:00-18:00
-- is (540, 1080); 1440 ends the day ("24:00"). The service layer refuses
-- overlapping ranges, and writes a calendar's hours all at once.
create table business_calendar_hours (
    calendar_id bigint not null references business_calendars (id) on delete cascade,
    weekday smallint not null constraint business_calendar_hours_weekday check (weekday between 1 and 7),
    start_minute smallint not null constraint business_calendar_hours_start check (start_minute between 0 and 1439),
    end_minute smallint not null
        constraint business_calendar_hours_end check (end_minute > start_minute and end_minute <= 1440),
    constraint business_calendar_hours_pkey primary key (calendar_id, weekday, start_minute)
);

-- Whole local days the calendar is closed.
create table business_calendar_holidays (
    calendar_id bigint not null references business_calendars (id) on delete cascade,
    day date not null,
    constraint business_calendar_holidays_pkey primary key (calendar_id, day)
);

-- Which tickets a policy applies to: a queue and/or a priority (null = any);
-- the most specific policy that applies wins, ties by position, then id.
-- A calendar or queue a policy uses cannot be deleted (restrict).
create table sla_policies (
    id bigint generated always as identity primary key,
    name text not null constraint sla_policies_name_key unique,
    queue_id bigint references queues (id) on delete restrict,
    priority ticket_priority,
    first_response_minutes integer not null
        constraint sla_policies_first_response_positive check (first_response_minutes > 0),
    resolution_minutes integer not null
        constraint sla_policies_resolution_positive check (resolution_minutes > 0),
    calendar_id bigint references business_calendars (id) on delete restrict,
    position integer not null default 0,
    created_at timestamptz not null default now(),
    updated_at timestamptz not null default now()
);
create index sla_policies_calendar_idx on sla_policies (calendar_id);
