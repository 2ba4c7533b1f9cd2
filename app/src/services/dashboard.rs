//! The `/admin/stats` dashboard's data: the statistics of
//! [`statistics::stats`], the first response times in ranges, and the
//! charts drawn as SVG by plotters here on the server, so the page shows
//! them without JavaScript and the wasm carries no charting code.

use crate::components::format::number;
use crate::domain::{DailyStats, FirstResponseBucket, Priority, StatsCharts, StatsDashboard};
use crate::error::AppError;
use crate::services::{Caller, ServerContext, statistics};
use crate::t;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};

/// Width and height of every chart, in SVG user units (the page scales it).
const CHART_SIZE: (u32, u32) = (640, 300);
/// The two series' colours: a blue and an orange that stay apart for the
/// common colour blindnesses; the lines also differ by dash and marker.
const CREATED: RGBColor = RGBColor(0x1f, 0x5f, 0xbf);
const RESOLVED: RGBColor = RGBColor(0xc0, 0x5a, 0x00);

fn chart_failed<E: std::error::Error + Send + Sync + 'static>(error: E) -> AppError {
    AppError::internal_because("statistics chart", error)
}

/// The dashboard for the last `period` (`7d`...) and optionally one queue
/// (its slug): agents and admins, the same checks and errors as
/// [`statistics::stats`] (401, 403 for requesters, 422 on a bad period or
/// queue). Chart text is in the caller's language.
#[tracing::instrument(skip_all, fields(caller = caller.user_id(), period, queue))]
pub async fn dashboard(
    context: &ServerContext,
    caller: &Caller,
    period: &str,
    queue: Option<&str>,
) -> Result<StatsDashboard, AppError> {
    let stats = statistics::stats(context, caller, period, queue, statistics::Freshness::MayReuse).await?;
    let queue = queue.filter(|slug| !slug.is_empty());
    // Checked by `stats`: the period parses and the queue exists. The
    // counts are kept with the statistics (`StatsCache`): read the position
    // before computing, so an event published meanwhile makes them stale.
    let days = stats.period_days;
    let position = context.live.published_position();
    let counts = match context.stats_cache.first_response_ranges(days, queue, position) {
        Some(counts) => counts,
        None => {
            let row = sqlx::query!(
                r#"select count(*) filter (where first_response_at - created_at < interval '15 minutes') as "quarter!",
                  count(*) filter (where first_response_at - created_at >= interval '15 minutes'
                                     and first_response_at - created_at < interval '1 hour') as "hour!",
                  count(*) filter (where first_response_at - created_at >= interval '1 hour'
                                     and first_response_at - created_at < interval '4 hours') as "four_hours!",
                  count(*) filter (where first_response_at - created_at >= interval '4 hours'
                                     and first_response_at - created_at < interval '1 day') as "day!",
                  count(*) filter (where first_response_at - created_at >= interval '1 day') as "longer!",
                  count(*) filter (where first_response_at is null) as "unanswered!"
           from tickets
           where created_at >= now() - make_interval(days => $1)
             and ($2::text is null or queue_id = (select id from queues where slug = $2))"#,
                days as i32,
                queue,
            )
            .fetch_one(&context.pool)
            .await?;
            let counts = [row.quarter, row.hour, row.four_hours, row.day, row.longer, row.unanswered];
            context.stats_cache.put_first_response_ranges(days, queue, position, counts);
            counts
        }
    };
    let labels: [&str; statistics::FIRST_RESPONSE_RANGES] = [
        t!(stats.under_15_minutes),
        t!(stats.under_1_hour),
        t!(stats.under_4_hours),
        t!(stats.under_1_day),
        t!(stats.over_1_day),
        t!(stats.unanswered),
    ];
    let first_response_buckets: Vec<FirstResponseBucket> = labels
        .into_iter()
        .zip(counts)
        .map(|(label, count)| FirstResponseBucket { label: label.to_string(), count })
        .collect();
    let csat: Vec<(String, i64)> =
        stats.csat.distribution.iter().map(|(score, count)| (format!("{score}/5"), *count)).collect();
    let by_queue: Vec<(String, i64)> = stats.by_queue.iter().map(|(queue, count)| (queue.clone(), *count)).collect();
    let by_priority: Vec<(String, i64)> = Priority::ALL
        .iter()
        .map(|priority| (priority.label().to_string(), stats.by_priority.get(priority.as_str()).copied().unwrap_or(0)))
        .collect();
    let buckets: Vec<(String, i64)> =
        first_response_buckets.iter().map(|bucket| (bucket.label.clone(), bucket.count)).collect();
    let charts = StatsCharts {
        daily: daily_chart(&stats.daily)?,
        csat: bar_chart(&csat, t!(stats.ratings))?,
        first_response: bar_chart(&buckets, t!(stats.tickets))?,
        by_queue: bar_chart(&by_queue, t!(stats.tickets))?,
        by_priority: bar_chart(&by_priority, t!(stats.tickets))?,
    };
    Ok(StatsDashboard { stats, first_response_buckets, charts })
}

/// The largest count, at least 1 (an empty axis still has a scale).
fn axis_top(values: impl Iterator<Item = i64>) -> i64 {
    values.max().unwrap_or(0).max(1) + 1
}

/// Created (solid, circles) and resolved (dashed, triangles) per day.
fn daily_chart(daily: &[DailyStats]) -> Result<String, AppError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, CHART_SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(chart_failed)?;
        let days = daily.len().max(1) as i32;
        let top = axis_top(daily.iter().flat_map(|day| [day.created, day.resolved]));
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(44)
            .build_cartesian_2d(0..(days - 1).max(1), 0..top)
            .map_err(chart_failed)?;
        let label = |index: &i32| {
            daily.get(*index as usize).map(|day| crate::components::format::day_and_month(day.date)).unwrap_or_default()
        };
        chart
            .configure_mesh()
            .x_labels(daily.len().min(8))
            .x_label_formatter(&label)
            .y_label_formatter(&|count| number(*count))
            .y_desc(t!(stats.tickets))
            .draw()
            .map_err(chart_failed)?;
        let created: Vec<(i32, i64)> =
            daily.iter().enumerate().map(|(index, day)| (index as i32, day.created)).collect();
        let resolved: Vec<(i32, i64)> =
            daily.iter().enumerate().map(|(index, day)| (index as i32, day.resolved)).collect();
        chart
            .draw_series(LineSeries::new(created.clone(), CREATED.stroke_width(2)))
            .map_err(chart_failed)?
            .label(t!(stats.created))
            .legend(|(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], CREATED.stroke_width(2)));
        chart
            .draw_series(created.iter().map(|point| Circle::new(*point, 4, CREATED.filled())))
            .map_err(chart_failed)?;
        chart
            .draw_series(DashedLineSeries::new(resolved.clone(), 6, 4, RESOLVED.stroke_width(2)))
            .map_err(chart_failed)?
            .label(t!(stats.resolved))
            .legend(|(x, y)| TriangleMarker::new((x + 10, y), 5, RESOLVED.filled()));
        chart
            .draw_series(resolved.iter().map(|point| TriangleMarker::new(*point, 5, RESOLVED.filled())))
            .map_err(chart_failed)?;
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK)
            .draw()
            .map_err(chart_failed)?;
        root.present().map_err(chart_failed)?;
    }
    Ok(svg)
}

/// One bar per `(label, count)`, in order, the count written above each bar.
fn bar_chart(bars: &[(String, i64)], unit: &str) -> Result<String, AppError> {
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, CHART_SIZE).into_drawing_area();
        root.fill(&WHITE).map_err(chart_failed)?;
        let count = bars.len().max(1) as u32;
        let top = axis_top(bars.iter().map(|(_, count)| *count));
        let mut chart = ChartBuilder::on(&root)
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(44)
            .build_cartesian_2d((0..count).into_segmented(), 0..top)
            .map_err(chart_failed)?;
        let label = |segment: &SegmentValue<u32>| match segment {
            SegmentValue::CenterOf(index) => {
                bars.get(*index as usize).map(|(label, _)| label.clone()).unwrap_or_default()
            }
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(bars.len().max(1))
            .x_label_formatter(&label)
            .y_label_formatter(&|count| number(*count))
            .y_desc(unit)
            .draw()
            .map_err(chart_failed)?;
        chart
            .draw_series(
                Histogram::vertical(&chart)
                    .style(CREATED.filled())
                    .margin(8)
                    .data(bars.iter().enumerate().map(|(index, (_, count))| (index as u32, *count))),
            )
            .map_err(chart_failed)?;
        chart
            .draw_series(bars.iter().enumerate().map(|(index, (_, count))| {
                Text::new(
                    number(*count),
                    (SegmentValue::CenterOf(index as u32), *count),
                    ("sans-serif", 14).into_font().color(&BLACK).pos(Pos::new(HPos::Center, VPos::Bottom)),
                )
            }))
            .map_err(chart_failed)?;
        root.present().map_err(chart_failed)?;
    }
    Ok(svg)
}
