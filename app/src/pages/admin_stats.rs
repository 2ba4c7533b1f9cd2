//! `/admin/stats`: the desk's statistics for agents and admins (issue 15,
//! item 6): KPI cards, charts drawn as SVG on the server with a table of
//! their numbers each, the period and queue filters in the address (a GET
//! form: it works without wasm), the CSV of the same figures. Once hydrated,
//! ticket events from the live stream refetch it (at most twice a second),
//! the filters kept: they are the address.

use crate::components::format::{decimal, duration_words, number};
use crate::components::live::{Live, held_until, throttled};
use crate::domain::{Queue, StatsDashboard, TicketStats};
use crate::functions::statistics::load_stats_dashboard;
use crate::functions::tickets::load_ticket_options;
use crate::pages::errors::ErrorPage;
use crate::t;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Form;
use leptos_router::hooks::use_query_map;

/// The periods the filter offers, in days (the API takes 1 to 365).
const PERIODS: [i64; 4] = [7, 30, 90, 365];

fn period_label(days: i64) -> &'static str {
    match days {
        7 => t!(stats.period_7),
        30 => t!(stats.period_30),
        90 => t!(stats.period_90),
        _ => t!(stats.period_365),
    }
}

/// `value` percent, or "none yet".
fn percent(value: Option<f64>) -> String {
    value.map(|value| t!(stats.percent, value = decimal(value))).unwrap_or_else(|| t!(stats.none).into())
}

fn duration(seconds: Option<f64>) -> String {
    seconds.map(duration_words).unwrap_or_else(|| t!(stats.none).into())
}

/// The KPI cards: (key for tests and styles, label, value in words, the
/// API's raw number when there is one).
fn cards(stats: &TicketStats) -> Vec<(&'static str, &'static str, String, Option<String>)> {
    let raw = |value: Option<f64>| Some(value.map(|value| value.to_string()).unwrap_or_default());
    let count = |value: i64| (number(value), Some(value.to_string()));
    let (open_now, open_raw) = count(stats.open_now);
    let (created, created_raw) = count(stats.created);
    let (resolved, resolved_raw) = count(stats.resolved);
    let csat = match stats.csat.average {
        Some(average) => t!(stats.csat_value, average = decimal(average), count = number(stats.csat.count)),
        None => t!(stats.none).into(),
    };
    vec![
        ("open_now", t!(stats.open_now), open_now, open_raw),
        ("created", t!(stats.created), created, created_raw),
        ("resolved", t!(stats.resolved), resolved, resolved_raw),
        (
            "resolution_rate_pct",
            t!(stats.resolution_rate),
            percent(stats.resolution_rate_pct),
            raw(stats.resolution_rate_pct),
        ),
        (
            "first_response_seconds_median",
            t!(stats.first_response_median),
            duration(stats.first_response_seconds_median),
            raw(stats.first_response_seconds_median),
        ),
        (
            "first_response_seconds_p90",
            t!(stats.first_response_p90),
            duration(stats.first_response_seconds_p90),
            raw(stats.first_response_seconds_p90),
        ),
        (
            "resolution_seconds_median",
            t!(stats.resolution_median),
            duration(stats.resolution_seconds_median),
            raw(stats.resolution_seconds_median),
        ),
        (
            "resolution_seconds_p90",
            t!(stats.resolution_p90),
            duration(stats.resolution_seconds_p90),
            raw(stats.resolution_seconds_p90),
        ),
        (
            "sla_first_response_met_pct",
            t!(stats.sla_first_response),
            percent(stats.sla.first_response_met_pct),
            raw(stats.sla.first_response_met_pct),
        ),
        (
            "sla_resolution_met_pct",
            t!(stats.sla_resolution),
            percent(stats.sla.resolution_met_pct),
            raw(stats.sla.resolution_met_pct),
        ),
        ("sla_breached", t!(stats.sla_breached), number(stats.sla.breached), Some(stats.sla.breached.to_string())),
        ("csat_average", t!(stats.csat), csat, raw(stats.csat.average)),
        (
            "escalations",
            t!(stats.escalations),
            t!(
                stats.escalations_value,
                manual = number(stats.escalations.manual),
                automatic = number(stats.escalations.automatic)
            ),
            Some((stats.escalations.manual + stats.escalations.automatic).to_string()),
        ),
    ]
}

/// A chart (the server's SVG, its figcaption as its name) and its numbers
/// as a table: the text alternative, which needs no colour.
#[component]
fn Chart(
    id: &'static str,
    title: &'static str,
    svg: String,
    heads: Vec<&'static str>,
    rows: Vec<Vec<String>>,
) -> impl IntoView {
    let caption = format!("chart-{id}");
    let table = format!("chart-{id}-numbers");
    view! {
        <figure class="chart" data-chart=id>
            <figcaption id=caption.clone()>{title}</figcaption>
            <div class="chart-image" role="img" aria-labelledby=caption aria-describedby=table.clone() inner_html=svg></div>
            <details>
                <summary>{t!(stats.numbers)}</summary>
                <div class="table-scroll">
                    <table id=table class="data-table stats-table">
                        <thead><tr>{heads.into_iter().map(|head| view! { <th scope="col">{head}</th> }).collect_view()}</tr></thead>
                        <tbody>
                            {rows.into_iter().map(|row| {
                                let mut cells = row.into_iter();
                                let first = cells.next().unwrap_or_default();
                                view! {
                                    <tr>
                                        <th scope="row">{first}</th>
                                        {cells.map(|cell| view! { <td>{cell}</td> }).collect_view()}
                                    </tr>
                                }
                            }).collect_view()}
                        </tbody>
                    </table>
                </div>
            </details>
        </figure>
    }
}

/// The period and queue filters: a GET form to this page.
#[component]
fn Filters(period: i64, queue: Option<String>, queues: Vec<Queue>) -> impl IntoView {
    view! {
        <Form method="GET" action="/admin/stats" attr:class="filters stats-filters" attr:role="search">
            <label>{t!(stats.period)}
                <select name="period">
                    {PERIODS.into_iter().map(|days| view! {
                        <option value=format!("{days}d") selected={days == period}>{period_label(days)}</option>
                    }).collect_view()}
                </select>
            </label>
            <label>{t!(stats.queue)}
                <select name="queue">
                    <option value="">{t!(stats.all_queues)}</option>
                    {queues.into_iter().map(|option| {
                        let chosen = queue.as_deref() == Some(option.slug.as_str());
                        view! { <option value=option.slug selected=chosen>{option.name}</option> }
                    }).collect_view()}
                </select>
            </label>
            <button type="submit">{t!(stats.apply)}</button>
        </Form>
    }
}

fn dashboard_view(data: StatsDashboard, queues: Vec<Queue>, queue: Option<String>) -> impl IntoView {
    let StatsDashboard { stats, first_response_buckets, charts } = data;
    let csv = format!(
        "/api/v1/tickets/stats?period={}d{}&format=csv",
        stats.period_days,
        queue.as_deref().map(|slug| format!("&queue={slug}")).unwrap_or_default()
    );
    let queue_name = |slug: &str| {
        queues
            .iter()
            .find(|queue| queue.slug == slug)
            .map(|queue| queue.name.clone())
            .unwrap_or_else(|| slug.to_string())
    };
    let daily_rows = stats
        .daily
        .iter()
        .map(|day| {
            vec![
                crate::components::format::day_and_month(day.date),
                number(day.created),
                number(day.resolved),
                duration(day.first_response_median_s),
            ]
        })
        .collect();
    let csat_rows =
        stats.csat.distribution.iter().map(|(score, count)| vec![format!("{score}/5"), number(*count)]).collect();
    let bucket_rows =
        first_response_buckets.iter().map(|bucket| vec![bucket.label.clone(), number(bucket.count)]).collect();
    let queue_rows = stats.by_queue.iter().map(|(slug, count)| vec![queue_name(slug), number(*count)]).collect();
    let priority_rows = crate::domain::Priority::ALL
        .iter()
        .map(|priority| {
            vec![priority.label().to_string(), number(stats.by_priority.get(priority.as_str()).copied().unwrap_or(0))]
        })
        .collect();
    view! {
        <p class="stats-actions">
            <a href=csv download="" class="button secondary" data-testid="stats-csv">{t!(stats.download_csv)}</a>
        </p>
        <ul class="kpi-cards" aria-label=t!(stats.key_figures)>
            {cards(&stats).into_iter().map(|(key, label, value, raw)| view! {
                <li class="kpi-card" data-kpi=key data-value=raw>
                    <span class="kpi-label">{label}</span>
                    <strong class="kpi-value">{value}</strong>
                </li>
            }).collect_view()}
        </ul>
        <div class="charts">
            <Chart id="daily" title=t!(stats.daily_chart) svg=charts.daily
                heads=vec![t!(stats.day), t!(stats.created), t!(stats.resolved), t!(stats.first_response_median)] rows=daily_rows />
            <Chart id="csat" title=t!(stats.csat_chart) svg=charts.csat heads=vec![t!(stats.score), t!(stats.ratings)] rows=csat_rows />
            <Chart id="first-response" title=t!(stats.first_response_chart) svg=charts.first_response
                heads=vec![t!(stats.first_response), t!(stats.tickets)] rows=bucket_rows />
            <Chart id="queue" title=t!(stats.by_queue_chart) svg=charts.by_queue heads=vec![t!(stats.queue), t!(stats.tickets)] rows=queue_rows />
            <Chart id="priority" title=t!(stats.by_priority_chart) svg=charts.by_priority
                heads=vec![t!(stats.priority), t!(stats.tickets)] rows=priority_rows />
        </div>
    }
}

/// The statistics dashboard (403 for requesters, on the server too).
#[component]
pub fn AdminStatsPage() -> impl IntoView {
    let query = use_query_map();
    let period = Memo::new(move |_| query.with(|query| query.get("period").filter(|period| !period.is_empty())));
    let queue = Memo::new(move |_| query.with(|query| query.get("queue").filter(|queue| !queue.is_empty())));
    let live = expect_context::<Live>();
    // Live events refetch once the page has hydrated (see `held_until`).
    let shown = RwSignal::new(false);
    let refresh = held_until(shown, {
        let throttled = throttled(live.changes, 500);
        move || throttled.get()
    });
    // Blocking, so the page's status (403, 422) is known before the headers go out.
    let data = Resource::new_blocking(
        move || (period.get(), queue.get(), refresh.get()),
        |(period, queue, _)| load_stats_dashboard(period, queue),
    );
    let options = Resource::new_blocking(|| (), |_| load_ticket_options());

    view! {
        <Title text=t!(stats.title) />
        <div class="page-heading">
            <h1>{t!(stats.title)}</h1>
        </div>
        <Transition fallback=|| view! { <p>{t!(common.loading)}</p> }>
            {move || Suspend::new(async move {
                let (data, options) = (data.await, options.await);
                match (data, options) {
                    (Err(error), _) | (_, Err(error)) => view! { <ErrorPage error /> }.into_any(),
                    (Ok(data), Ok(options)) => {
                        Effect::new(move |_| shown.set(true));
                        let days = data.stats.period_days;
                        let chosen = queue.get_untracked();
                        view! {
                            <Filters period=days queue=chosen.clone() queues=options.queues.clone() />
                            {dashboard_view(data, options.queues, chosen)}
                        }
                        .into_any()
                    }
                }
            })}
        </Transition>
    }
}
