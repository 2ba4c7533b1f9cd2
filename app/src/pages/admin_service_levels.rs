//! `/admin/service-levels` (issue 15, items 2 and 3): business calendars
//! (opening hours, holidays), SLA policies and the automatic escalation
//! thresholds. Agents read them; admins also add, change and delete them.
//! Every rule is checked by the service layer; the page only shows the
//! reasons it gives, at their fields.

use crate::components::forms::{
    ConfirmSubmit, ErrorSummary, FieldError, FormScope, action_error, described_by_in, first_refusal, invalid,
    record_error,
};
use crate::domain::escalation::EscalationRules;
use crate::domain::service_levels::{BusinessCalendar, OpeningRange, SlaPolicy, WEEKDAYS, clock_time};
use crate::domain::{Priority, Queue, Role};
use crate::error::AppError;
use crate::functions::escalation::{SetEscalationRules, load_escalation_rules};
use crate::functions::service_levels::TYPED;
use crate::functions::service_levels::{
    CreateBusinessCalendar, CreateSlaPolicy, DeleteBusinessCalendar, DeleteSlaPolicy, UpdateBusinessCalendar,
    UpdateSlaPolicy, load_service_levels,
};
use crate::functions::tickets::load_ticket_options;
use crate::pages::errors::ErrorPage;
use crate::providers::CurrentUser;
use crate::t;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The page's forms, one action each.
#[derive(Clone, Copy)]
struct Actions {
    create_calendar: ServerAction<CreateBusinessCalendar>,
    update_calendar: ServerAction<UpdateBusinessCalendar>,
    delete_calendar: ServerAction<DeleteBusinessCalendar>,
    create_policy: ServerAction<CreateSlaPolicy>,
    update_policy: ServerAction<UpdateSlaPolicy>,
    delete_policy: ServerAction<DeleteSlaPolicy>,
    set_rules: ServerAction<SetEscalationRules>,
}

/// The version of `action` at its last success: it changes only when a
/// change was made, so a refused form is not rendered again (the values
/// typed in it stay, next to the reasons).
fn success_version<S>(action: ServerAction<S>) -> Memo<usize>
where
    S: leptos::server_fn::ServerFn<Error = AppError> + Clone + Send + Sync + 'static,
    S::Output: Clone + Send + Sync + 'static,
{
    Memo::new(move |previous: Option<&usize>| match action.value().get() {
        Some(Ok(_)) => action.version().get(),
        _ => previous.copied().unwrap_or_default(),
    })
}

impl Actions {
    fn new() -> Self {
        Actions {
            create_calendar: ServerAction::new(),
            update_calendar: ServerAction::new(),
            delete_calendar: ServerAction::new(),
            create_policy: ServerAction::new(),
            update_policy: ServerAction::new(),
            delete_policy: ServerAction::new(),
            set_rules: ServerAction::new(),
        }
    }

    /// Changes with every change made through the page's forms (never with a refusal).
    fn changes(&self) -> Signal<usize> {
        let versions = [
            success_version(self.create_calendar),
            success_version(self.update_calendar),
            success_version(self.delete_calendar),
            success_version(self.create_policy),
            success_version(self.update_policy),
            success_version(self.delete_policy),
            success_version(self.set_rules),
        ];
        Signal::derive(move || versions.iter().map(|version| version.get()).sum::<usize>())
    }

    /// The refusal for the summary (the form submitted last, see
    /// [`first_refusal`]) and the scope of the form it refused (see
    /// [`crate::components::forms::error_id_in`]).
    fn error(&self) -> (Signal<Option<AppError>>, Signal<String>) {
        let errors = [
            (
                action_error(self.create_calendar.value()),
                self.create_calendar.version().into(),
                FormScope::Fixed(NEW_CALENDAR),
            ),
            (
                action_error(self.update_calendar.value()),
                self.update_calendar.version().into(),
                FormScope::Row(calendar_scope),
            ),
            (
                action_error(self.delete_calendar.value()),
                self.delete_calendar.version().into(),
                FormScope::Row(calendar_scope),
            ),
            (
                action_error(self.create_policy.value()),
                self.create_policy.version().into(),
                FormScope::Fixed(NEW_POLICY),
            ),
            (
                action_error(self.update_policy.value()),
                self.update_policy.version().into(),
                FormScope::Row(policy_scope),
            ),
            (
                action_error(self.delete_policy.value()),
                self.delete_policy.version().into(),
                FormScope::Row(policy_scope),
            ),
            (action_error(self.set_rules.value()), self.set_rules.version().into(), FormScope::Fixed(ESCALATION)),
        ];
        first_refusal(errors)
    }
}

/// The scope of the new-calendar form (its fields' error ids, and the
/// form named in [`crate::functions::service_levels::TYPED`]).
pub const NEW_CALENDAR: &str = "new-calendar";
/// The scope of the new-policy form.
pub const NEW_POLICY: &str = "new-policy";
/// The scope of the escalation thresholds' form.
pub const ESCALATION: &str = "escalation";

/// The scope of calendar `id`'s form: `calendar-3`.
pub fn calendar_scope(id: i64) -> String {
    format!("calendar-{id}")
}

/// The scope of policy `id`'s form: `policy-5`.
pub fn policy_scope(id: i64) -> String {
    format!("policy-{id}")
}

/// The values of a refused plain form post, as the server sent them back
/// in the URL ([`crate::functions::service_levels::TYPED`]): field → text,
/// with the form's scope under `form`. Provided by the page.
#[derive(Clone, Default)]
struct Typed(Option<std::collections::HashMap<String, String>>);

impl Typed {
    /// From the page's URL.
    fn from_query(query: Option<String>) -> Self {
        Typed(query.and_then(|json| serde_json::from_str(&json).ok()))
    }

    /// The values typed in form `scope`, if it is the one refused: only
    /// while the form shows its `error` (which the server signs, see
    /// `server/src/security.rs`), so a link cannot fill a form on its own.
    fn of(&self, scope: &str, error: Signal<Option<AppError>>) -> Option<std::collections::HashMap<String, String>> {
        let refused = error.with_untracked(Option::is_some);
        self.0.clone().filter(|typed| refused && typed.get("form").map(String::as_str) == Some(scope))
    }
}

/// The value field `name` shows: the text typed in the refused form when
/// there is one, else `stored`.
fn shown_value(typed: &Option<std::collections::HashMap<String, String>>, name: &str, stored: String) -> String {
    match typed {
        Some(typed) => typed.get(name).cloned().unwrap_or_default(),
        None => stored,
    }
}

/// The field names of a calendar's days, as the form posts them and the
/// service names their errors (`hours.mon`), Monday first.
const DAY_FIELDS: [(&str, &str); 7] = [
    ("mon", "hours.mon"),
    ("tue", "hours.tue"),
    ("wed", "hours.wed"),
    ("thu", "hours.thu"),
    ("fri", "hours.fri"),
    ("sat", "hours.sat"),
    ("sun", "hours.sun"),
];

/// The day `key` (`mon` ... `sun`), written out in the viewer's language.
fn day_name(key: &str) -> &'static str {
    match key {
        "mon" => t!(service_levels.monday),
        "tue" => t!(service_levels.tuesday),
        "wed" => t!(service_levels.wednesday),
        "thu" => t!(service_levels.thursday),
        "fri" => t!(service_levels.friday),
        "sat" => t!(service_levels.saturday),
        _ => t!(service_levels.sunday),
    }
}

/// The page's fields, named for people (the error summary's links).
fn field_labels() -> Vec<(&'static str, &'static str)> {
    let mut labels = vec![
        ("name", t!(service_levels.name)),
        ("time_zone", t!(service_levels.time_zone)),
        ("hours", t!(service_levels.opening_hours)),
        ("holidays", t!(service_levels.holidays)),
        ("queue", t!(service_levels.queue)),
        ("priority", t!(service_levels.priority)),
        ("first_response_minutes", t!(service_levels.first_response_target)),
        ("resolution_minutes", t!(service_levels.resolution_target)),
        ("calendar_id", t!(service_levels.calendar)),
        ("position", t!(service_levels.position)),
        ("unanswered_hours", t!(service_levels.unanswered_hours)),
        ("urgent_unassigned_hours", t!(service_levels.urgent_unassigned_hours)),
        ("low_rating_below", t!(service_levels.low_rating_below)),
    ];
    labels.extend(DAY_FIELDS.iter().map(|(key, field)| (*field, day_name(key))));
    labels
}

/// A duration of business minutes in words: "45 min", "4 h", "1 day 2 h"
/// (a day is 24 hours of the calendar's business time, counted as the
/// clock counts it).
pub fn target_in_words(minutes: i32) -> String {
    let minutes = i64::from(minutes.max(0));
    let (days, hours, rest) = (minutes / 1440, minutes % 1440 / 60, minutes % 60);
    let mut parts = Vec::new();
    match days {
        0 => {}
        1 => parts.push(t!(service_levels.one_day).to_string()),
        days => parts.push(t!(service_levels.days, days = days)),
    }
    if hours > 0 {
        parts.push(t!(sla.hours, hours = hours));
    }
    if rest > 0 || parts.is_empty() {
        parts.push(t!(sla.minutes, minutes = rest));
    }
    parts.join(" ")
}

/// A day's ranges as a person reads them: "09:00–12:00, 14:00–18:00", or "closed".
fn ranges_in_words(ranges: &[OpeningRange]) -> String {
    if ranges.is_empty() {
        return t!(service_levels.closed).to_string();
    }
    ranges.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ")
}

/// A day's ranges as the form takes them: "09:00-12:00, 14:00-18:00".
fn ranges_as_typed(ranges: &[OpeningRange]) -> String {
    ranges
        .iter()
        .map(|range| format!("{}-{}", clock_time(range.start), clock_time(range.end)))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Everything the page shows, loaded together.
type PageData = (
    Result<crate::domain::service_levels::ServiceLevels, AppError>,
    Result<EscalationRules, AppError>,
    Result<Vec<Queue>, AppError>,
);

/// Business calendars, SLA policies and escalation thresholds: agents read
/// them, admins also change them (403 for requesters).
#[component]
pub fn AdminServiceLevelsPage() -> impl IntoView {
    let actions = Actions::new();
    let changes = actions.changes();
    let (error, error_scope) = actions.error();
    let CurrentUser(user) = expect_context::<CurrentUser>();
    let query = use_query_map();
    provide_context(Typed::from_query(query.with_untracked(|query| query.get(TYPED))));
    let data = Resource::new_blocking(
        move || changes.get(),
        |_| async move {
            let levels = load_service_levels().await;
            let rules = load_escalation_rules().await;
            let queues = load_ticket_options().await.map(|options| options.queues);
            (levels, rules, queues)
        },
    );
    view! {
        <Title text=t!(service_levels.title) />
        <Suspense fallback=|| view! { <p>{t!(common.loading)}</p> }>
            {move || Suspend::new(async move {
                let admin = user.await.is_some_and(|user| user.role == Role::Admin);
                let (levels, rules, queues): PageData = data.await;
                let loaded = levels.and_then(|levels| Ok((levels, rules?, queues?)));
                match loaded {
                    Err(error) => view! { <ErrorPage error /> }.into_any(),
                    Ok((levels, rules, queues)) => view! {
                        <h1>{t!(service_levels.title)}</h1>
                        <p class="hint">{if admin { t!(service_levels.intro_admin) } else { t!(service_levels.intro_agent) }}</p>
                        <ErrorSummary error labels=field_labels() scope=error_scope />
                        <CalendarsSection calendars=levels.calendars.clone() admin actions />
                        <PoliciesSection policies=levels.policies calendars=levels.calendars queues admin actions />
                        <EscalationSection rules admin action=actions.set_rules />
                    }
                    .into_any(),
                }
            })}
        </Suspense>
    }
}

/// The calendars' cards, the built-in "24/7" first, and the form adding one (admins).
#[component]
fn CalendarsSection(calendars: Vec<BusinessCalendar>, admin: bool, actions: Actions) -> impl IntoView {
    let create_error = action_error(actions.create_calendar.value());
    view! {
        <section class="card" aria-labelledby="calendars-title">
            <h2 id="calendars-title">{t!(service_levels.calendars)}</h2>
            <p class="hint">{t!(service_levels.calendars_help)}</p>
            <ul class="calendar-cards">
                <li class="calendar-card" data-calendar="24/7">
                    <h3>{t!(service_levels.always_open_name)}</h3>
                    <p>{t!(service_levels.always_open)}</p>
                    <p class="hint">{t!(service_levels.built_in)}</p>
                </li>
                {calendars.into_iter().map(|calendar| view! { <CalendarCard calendar admin actions /> }).collect_view()}
            </ul>
            {admin.then(|| view! {
                <h3 id="new-calendar-title">{t!(service_levels.add_calendar)}</h3>
                <ActionForm action=actions.create_calendar attr:class="stacked-form" attr:aria-labelledby="new-calendar-title">
                    <CalendarFields calendar=None error=create_error scope=NEW_CALENDAR.to_string() />
                    <div class="form-actions">
                        <button type="submit">{t!(service_levels.add_calendar_button)}</button>
                    </div>
                </ActionForm>
            })}
        </section>
    }
}

/// One calendar: its time zone, hours day by day and holidays; for admins,
/// its form (open while it shows a refusal) and its delete button.
#[component]
fn CalendarCard(calendar: BusinessCalendar, admin: bool, actions: Actions) -> impl IntoView {
    let id = calendar.id;
    let scope = calendar_scope(id);
    let error = record_error(action_error(actions.update_calendar.value()), id);
    let delete_error = record_error(action_error(actions.delete_calendar.value()), id);
    let name = calendar.name.clone();
    let days = WEEKDAYS
        .iter()
        .map(|(day, key)| {
            let ranges = ranges_in_words(calendar.hours.day(*day));
            view! { <dt>{day_name(key)}</dt><dd data-day=*key>{ranges}</dd> }
        })
        .collect_view();
    let holidays = if calendar.holidays.is_empty() {
        view! { <p>{t!(service_levels.no_holidays)}</p> }.into_any()
    } else {
        let dates = calendar
            .holidays
            .iter()
            .map(|day| view! { <li><time datetime=day.to_string()>{day.to_string()}</time></li> })
            .collect_view();
        view! { <ul class="holidays">{dates}</ul> }.into_any()
    };
    let heading_id = format!("{scope}-title");
    let time_zone = calendar.time_zone.clone();
    view! {
        <li class="calendar-card" data-calendar=name.clone()>
            <h3 id=heading_id>{name.clone()}</h3>
            <p><span class="label">{t!(service_levels.time_zone)}": "</span><span data-testid="time-zone">{time_zone}</span></p>
            <dl class="opening-hours">{days}</dl>
            <h4>{t!(service_levels.holidays)}</h4>
            {holidays}
            {admin.then(|| {
                let edit_label = t!(service_levels.edit_calendar, name = name.clone());
                let delete_label = t!(service_levels.delete_calendar, name = name.clone());
                let delete_question = t!(service_levels.delete_calendar_question, name = name.clone());
                view! {
                    <details class="edit" open=move || error.get().is_some()>
                        <summary>{edit_label}</summary>
                        <ActionForm action=actions.update_calendar attr:class="stacked-form">
                            <input type="hidden" name="id" value=id />
                            <CalendarFields calendar=Some(calendar.clone()) error scope=scope.clone() />
                            <div class="form-actions">
                                <button type="submit">{t!(common.save)}</button>
                            </div>
                        </ActionForm>
                    </details>
                    <ActionForm action=actions.delete_calendar attr:class="inline-form">
                        <input type="hidden" name="id" value=id />
                        <ConfirmSubmit
                            label=t!(common.delete).to_string()
                            name=delete_label
                            question=delete_question
                            confirm=t!(service_levels.delete_confirm).to_string()
                        />
                    </ActionForm>
                    {move || delete_error.get().map(|error| view! { <p class="field-error" role="alert" data-testid="delete-error">{error.to_string()}</p> })}
                }
            })}
        </li>
    }
}

/// A calendar's fields (name, time zone, a text of ranges per day,
/// holidays), filled from `calendar` when it is edited; each field's
/// refusal under it, with ids in `scope`.
#[component]
fn CalendarFields(calendar: Option<BusinessCalendar>, error: Signal<Option<AppError>>, scope: String) -> impl IntoView {
    let typed = use_context::<Typed>().unwrap_or_default().of(&scope, error);
    let name = shown_value(&typed, "name", calendar.as_ref().map(|calendar| calendar.name.clone()).unwrap_or_default());
    let time_zone = shown_value(
        &typed,
        "time_zone",
        calendar.as_ref().map(|calendar| calendar.time_zone.clone()).unwrap_or_default(),
    );
    let holidays = shown_value(
        &typed,
        "holidays",
        calendar
            .as_ref()
            .map(|calendar| calendar.holidays.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n"))
            .unwrap_or_default(),
    );
    let hours_hint = format!("{scope}-hours-hint");
    let days = WEEKDAYS
        .iter()
        .zip(DAY_FIELDS)
        .map(|((day, key), (_, field))| {
            let stored =
                calendar.as_ref().map(|calendar| ranges_as_typed(calendar.hours.day(*day))).unwrap_or_default();
            let value = shown_value(&typed, key, stored);
            let described = described_by_in(error, scope.clone(), field);
            let hint = hours_hint.clone();
            view! {
                <label>{day_name(key)}
                    <input type="text" name=*key value=value inputmode="text" autocomplete="off"
                        placeholder=t!(service_levels.day_placeholder)
                        aria-describedby=move || described().unwrap_or_else(|| hint.clone())
                        aria-invalid=invalid(error, field) />
                </label>
                <FieldError error name=field scope=scope.clone() />
            }
        })
        .collect_view();
    view! {
        <label>{t!(service_levels.name)}
            <input type="text" name="name" value=name required maxlength="60"
                aria-describedby=described_by_in(error, scope.clone(), "name") aria-invalid=invalid(error, "name") />
        </label>
        <FieldError error name="name" scope=scope.clone() />
        <label>{t!(service_levels.time_zone)}
            <input type="text" name="time_zone" value=time_zone required placeholder="Europe/Paris" autocomplete="off"
                aria-describedby=described_by_in(error, scope.clone(), "time_zone") aria-invalid=invalid(error, "time_zone") />
        </label>
        <FieldError error name="time_zone" scope=scope.clone() />
        <fieldset class="opening-hours-fields" aria-describedby=described_by_in(error, scope.clone(), "hours")>
            <legend>{t!(service_levels.opening_hours)}</legend>
            <p class="hint" id=hours_hint.clone()>{t!(service_levels.hours_help)}</p>
            {days}
        </fieldset>
        <FieldError error name="hours" scope=scope.clone() />
        <label>{t!(service_levels.holidays)}
            <textarea name="holidays" rows="3" placeholder="2026-12-25"
                aria-describedby=described_by_in(error, scope.clone(), "holidays")
                aria-invalid=invalid(error, "holidays")>{holidays}</textarea>
            <small>{t!(service_levels.holidays_help)}</small>
        </label>
        <FieldError error name="holidays" scope=scope.clone() />
    }
}

/// The policies' table, how the matching works, the forms changing each
/// (admins) and the form adding one.
#[component]
fn PoliciesSection(
    policies: Vec<SlaPolicy>,
    calendars: Vec<BusinessCalendar>,
    queues: Vec<Queue>,
    admin: bool,
    actions: Actions,
) -> impl IntoView {
    let create_error = action_error(actions.create_policy.value());
    let calendar_name = {
        let calendars = calendars.clone();
        move |id: Option<i64>| match id {
            None => t!(service_levels.always_open_name).to_string(),
            Some(id) => calendars
                .iter()
                .find(|calendar| calendar.id == id)
                .map(|calendar| calendar.name.clone())
                .unwrap_or_else(|| id.to_string()),
        }
    };
    let queue_name = {
        let queues = queues.clone();
        move |slug: &Option<String>| match slug {
            None => t!(service_levels.any_queue).to_string(),
            Some(slug) => {
                queues.iter().find(|queue| &queue.slug == slug).map(|queue| queue.name.clone()).unwrap_or(slug.clone())
            }
        }
    };
    let rows = policies
        .iter()
        .map(|policy| {
            let priority = policy.priority.map(Priority::label).unwrap_or(t!(service_levels.any_priority));
            view! {
                <tr data-policy=policy.name.clone()>
                    <th scope="row" data-label=t!(service_levels.name)>{policy.name.clone()}</th>
                    <td data-label=t!(service_levels.queue)>{queue_name(&policy.queue)}</td>
                    <td data-label=t!(service_levels.priority)>{priority}</td>
                    <td data-label=t!(service_levels.first_response_target) data-minutes=policy.first_response_minutes>{target_in_words(policy.first_response_minutes)}</td>
                    <td data-label=t!(service_levels.resolution_target) data-minutes=policy.resolution_minutes>{target_in_words(policy.resolution_minutes)}</td>
                    <td data-label=t!(service_levels.calendar)>{calendar_name(policy.calendar_id)}</td>
                    <td data-label=t!(service_levels.position)>{policy.position}</td>
                </tr>
            }
        })
        .collect_view();
    let empty = policies.is_empty();
    view! {
        <section class="card" aria-labelledby="policies-title">
            <h2 id="policies-title">{t!(service_levels.policies)}</h2>
            <p>{t!(service_levels.most_specific_wins)}</p>
            {if empty {
                view! { <p class="hint">{t!(service_levels.no_policies)}</p> }.into_any()
            } else {
                view! {
                    <div class="scroll-region" tabindex="0" role="region" aria-label=t!(service_levels.policies)>
                        <table class="data-table sla-policies">
                            <caption class="visually-hidden">{t!(service_levels.policies)}</caption>
                            <thead><tr>
                                <th scope="col">{t!(service_levels.name)}</th>
                                <th scope="col">{t!(service_levels.queue)}</th>
                                <th scope="col">{t!(service_levels.priority)}</th>
                                <th scope="col">{t!(service_levels.first_response_target)}</th>
                                <th scope="col">{t!(service_levels.resolution_target)}</th>
                                <th scope="col">{t!(service_levels.calendar)}</th>
                                <th scope="col">{t!(service_levels.position)}</th>
                            </tr></thead>
                            <tbody>{rows}</tbody>
                        </table>
                    </div>
                }.into_any()
            }}
            {admin.then(|| view! {
                {policies.into_iter().map(|policy| view! {
                    <PolicyEdit policy calendars=calendars.clone() queues=queues.clone() actions />
                }).collect_view()}
                <h3 id="new-policy-title">{t!(service_levels.add_policy)}</h3>
                <ActionForm action=actions.create_policy attr:class="stacked-form" attr:aria-labelledby="new-policy-title">
                    <PolicyFields policy=None calendars=calendars.clone() queues=queues.clone() error=create_error scope=NEW_POLICY.to_string() />
                    <div class="form-actions">
                        <button type="submit">{t!(service_levels.add_policy_button)}</button>
                    </div>
                </ActionForm>
            })}
        </section>
    }
}

/// Policy `policy`'s form (folded, open while it shows a refusal) and delete button.
#[component]
fn PolicyEdit(
    policy: SlaPolicy,
    calendars: Vec<BusinessCalendar>,
    queues: Vec<Queue>,
    actions: Actions,
) -> impl IntoView {
    let id = policy.id;
    let scope = policy_scope(id);
    let error = record_error(action_error(actions.update_policy.value()), id);
    let delete_error = record_error(action_error(actions.delete_policy.value()), id);
    let edit_label = t!(service_levels.edit_policy, name = policy.name.clone());
    let delete_label = t!(service_levels.delete_policy, name = policy.name.clone());
    let delete_question = t!(service_levels.delete_policy_question, name = policy.name.clone());
    let policy_name = policy.name.clone();
    view! {
        <details class="edit" data-policy=policy_name open={move || error.get().is_some() || delete_error.get().is_some()}>
            <summary>{edit_label}</summary>
            <ActionForm action=actions.update_policy attr:class="stacked-form">
                <input type="hidden" name="id" value=id />
                <PolicyFields policy=Some(policy) calendars queues error scope />
                <div class="form-actions">
                    <button type="submit">{t!(common.save)}</button>
                </div>
            </ActionForm>
            <ActionForm action=actions.delete_policy attr:class="inline-form">
                <input type="hidden" name="id" value=id />
                <ConfirmSubmit
                    label=t!(common.delete).to_string()
                    name=delete_label
                    question=delete_question
                    confirm=t!(service_levels.delete_confirm).to_string()
                />
            </ActionForm>
            {move || delete_error.get().map(|error| view! { <p class="field-error" role="alert">{error.to_string()}</p> })}
        </details>
    }
}

/// A policy's fields, filled from `policy` when it is edited; each field's
/// refusal under it, with ids in `scope`.
#[component]
fn PolicyFields(
    policy: Option<SlaPolicy>,
    calendars: Vec<BusinessCalendar>,
    queues: Vec<Queue>,
    error: Signal<Option<AppError>>,
    scope: String,
) -> impl IntoView {
    let typed = use_context::<Typed>().unwrap_or_default().of(&scope, error);
    let text = |value: Option<String>| value.unwrap_or_default();
    let name = shown_value(&typed, "name", text(policy.as_ref().map(|policy| policy.name.clone())));
    let queue = shown_value(&typed, "queue", text(policy.as_ref().and_then(|policy| policy.queue.clone())));
    let priority = shown_value(
        &typed,
        "priority",
        text(policy.as_ref().and_then(|policy| policy.priority).map(|priority| priority.as_str().to_string())),
    );
    let calendar_id = shown_value(
        &typed,
        "calendar_id",
        text(policy.as_ref().and_then(|policy| policy.calendar_id).map(|id| id.to_string())),
    );
    let number = |value: Option<i32>| text(value.map(|value| value.to_string()));
    let first_response = shown_value(
        &typed,
        "first_response_minutes",
        number(policy.as_ref().map(|policy| policy.first_response_minutes)),
    );
    let resolution =
        shown_value(&typed, "resolution_minutes", number(policy.as_ref().map(|policy| policy.resolution_minutes)));
    let position = shown_value(
        &typed,
        "position",
        number(Some(policy.as_ref().map(|policy| policy.position).unwrap_or_default())),
    );
    let minutes_hint = format!("{scope}-minutes-hint");
    let with_hint = |field: &'static str| {
        let described = described_by_in(error, scope.clone(), field);
        let hint = minutes_hint.clone();
        move || described().unwrap_or_else(|| hint.clone())
    };
    view! {
        <label>{t!(service_levels.name)}
            <input type="text" name="name" value=name required maxlength="60"
                aria-describedby=described_by_in(error, scope.clone(), "name") aria-invalid=invalid(error, "name") />
        </label>
        <FieldError error name="name" scope=scope.clone() />
        <label>{t!(service_levels.queue)}
            <select name="queue" aria-describedby=described_by_in(error, scope.clone(), "queue") aria-invalid=invalid(error, "queue")>
                <option value="" selected=queue.is_empty()>{t!(service_levels.any_queue)}</option>
                {queues.into_iter().map(|option| {
                    let selected = queue == option.slug;
                    view! { <option value=option.slug.clone() selected=selected>{option.name.clone()}</option> }
                }).collect_view()}
            </select>
        </label>
        <FieldError error name="queue" scope=scope.clone() />
        <label>{t!(service_levels.priority)}
            <select name="priority" aria-describedby=described_by_in(error, scope.clone(), "priority") aria-invalid=invalid(error, "priority")>
                <option value="" selected=priority.is_empty()>{t!(service_levels.any_priority)}</option>
                {Priority::ALL.iter().map(|option| view! {
                    <option value=option.as_str() selected={priority == option.as_str()}>{option.label()}</option>
                }).collect_view()}
            </select>
        </label>
        <FieldError error name="priority" scope=scope.clone() />
        <p class="hint" id=minutes_hint.clone()>{t!(service_levels.minutes_help)}</p>
        <label>{t!(service_levels.first_response_target_minutes)}
            <input type="number" name="first_response_minutes" value=first_response required min="1" step="1"
                aria-describedby=with_hint("first_response_minutes") aria-invalid=invalid(error, "first_response_minutes") />
        </label>
        <FieldError error name="first_response_minutes" scope=scope.clone() />
        <label>{t!(service_levels.resolution_target_minutes)}
            <input type="number" name="resolution_minutes" value=resolution required min="1" step="1"
                aria-describedby=with_hint("resolution_minutes") aria-invalid=invalid(error, "resolution_minutes") />
        </label>
        <FieldError error name="resolution_minutes" scope=scope.clone() />
        <label>{t!(service_levels.calendar)}
            <select name="calendar_id" aria-describedby=described_by_in(error, scope.clone(), "calendar_id") aria-invalid=invalid(error, "calendar_id")>
                <option value="" selected=calendar_id.is_empty()>{t!(service_levels.always_open_name)}</option>
                {calendars.into_iter().map(|calendar| view! {
                    <option value=calendar.id.to_string() selected={calendar_id == calendar.id.to_string()}>{calendar.name.clone()}</option>
                }).collect_view()}
            </select>
        </label>
        <FieldError error name="calendar_id" scope=scope.clone() />
        <label>{t!(service_levels.position)}
            <input type="number" name="position" value=position min="0" step="1"
                aria-describedby=described_by_in(error, scope.clone(), "position") aria-invalid=invalid(error, "position") />
            <small>{t!(service_levels.position_help)}</small>
        </label>
        <FieldError error name="position" scope=scope.clone() />
    }
}

/// The automatic escalation thresholds: a form for admins, the values for agents.
#[component]
fn EscalationSection(rules: EscalationRules, admin: bool, action: ServerAction<SetEscalationRules>) -> impl IntoView {
    let error = action_error(action.value());
    let shown = |value: Option<i32>, words: fn(i32) -> String| {
        value.map(words).unwrap_or_else(|| t!(service_levels.rule_off).to_string())
    };
    let hours = |hours: i32| t!(sla.hours, hours = hours);
    let score = |score: i32| t!(service_levels.score_below, score = score);
    let body = if admin {
        let typed = use_context::<Typed>().unwrap_or_default().of(ESCALATION, error);
        let value = move |name: &str, value: Option<i32>| {
            shown_value(&typed, name, value.map(|value| value.to_string()).unwrap_or_default())
        };
        let field = move |name: &'static str, label: &'static str, current: Option<i32>, max: &'static str| {
            let described = described_by_in(error, ESCALATION, name);
            view! {
                <label>{label}
                    <input type="number" name=name value=value(name, current) min="1" max=max step="1"
                        aria-describedby=move || described().unwrap_or_else(|| "escalation-hint".to_string())
                        aria-invalid=invalid(error, name) />
                </label>
                <FieldError error name=name scope=ESCALATION />
            }
        };
        view! {
            <ActionForm action attr:class="stacked-form" attr:id="escalation-form">
                <p class="hint" id="escalation-hint">{t!(service_levels.rules_help)}</p>
                {field("unanswered_hours", t!(service_levels.unanswered_hours), rules.unanswered_hours, "8760")}
                {field("urgent_unassigned_hours", t!(service_levels.urgent_unassigned_hours), rules.urgent_unassigned_hours, "8760")}
                {field("low_rating_below", t!(service_levels.low_rating_below), rules.low_rating_below, "5")}
                <div class="form-actions">
                    <button type="submit">{t!(service_levels.save_rules)}</button>
                </div>
            </ActionForm>
        }
        .into_any()
    } else {
        view! {
            <dl class="details escalation-rules">
                <dt>{t!(service_levels.unanswered_hours)}</dt><dd data-rule="unanswered">{shown(rules.unanswered_hours, hours)}</dd>
                <dt>{t!(service_levels.urgent_unassigned_hours)}</dt><dd data-rule="urgent_unassigned">{shown(rules.urgent_unassigned_hours, hours)}</dd>
                <dt>{t!(service_levels.low_rating_below)}</dt><dd data-rule="low_rating">{shown(rules.low_rating_below, score)}</dd>
            </dl>
        }
        .into_any()
    };
    view! {
        <section class="card" aria-labelledby="escalation-title">
            <h2 id="escalation-title">{t!(service_levels.escalation)}</h2>
            <p>{t!(service_levels.escalation_help)}</p>
            {body}
        </section>
    }
}
