//! Display helpers shared by the pages: dates, times and numbers in the
//! viewer's language and time zone (see [`crate::i18n::viewer`]), and the
//! status and priority badges (text as well as colour).
//!
//! The API keeps RFC 3339 UTC; only what people read is local. Month and
//! day names come from the catalogues; the local time comes from the IANA
//! time zone database: chrono-tz on the server, the browser's own `Intl`
//! in the wasm (which carries no time zone data of its own).

use crate::domain::{Priority, Status};
use crate::i18n::viewer;
use crate::t;
use chrono::{DateTime, Datelike, NaiveDateTime, Timelike, Utc};
use leptos::prelude::*;

/// The wall-clock time of `at` in `time_zone` (an IANA name; an unknown one
/// reads as the desk's default zone, else UTC).
pub fn local_time(at: &DateTime<Utc>, time_zone: &str) -> NaiveDateTime {
    #[cfg(feature = "ssr")]
    {
        let zone = time_zone
            .parse::<chrono_tz::Tz>()
            .or_else(|_| crate::i18n::desk().time_zone.parse::<chrono_tz::Tz>())
            .unwrap_or(chrono_tz::UTC);
        at.with_timezone(&zone).naive_local()
    }
    #[cfg(all(feature = "hydrate", not(feature = "ssr")))]
    {
        browser::local_time(at, time_zone).unwrap_or_else(|| at.naive_utc())
    }
    #[cfg(not(any(feature = "ssr", feature = "hydrate")))]
    {
        let _ = time_zone;
        at.naive_utc()
    }
}

/// A date and time for people, in the viewer's language and time zone:
/// `lun. 30 nov. 2026, 14:05`, `Mon, Nov 30, 2026, 2:05 PM`.
pub fn time(at: &DateTime<Utc>) -> String {
    let local = local_time(at, &viewer().time_zone);
    t!(
        time.date_time,
        weekday = weekday_name(local.weekday()),
        day = local.day(),
        month = month_name(local.month()),
        year = local.year(),
        time = clock(&local),
    )
}

/// A short date and time in `time_zone` (an IANA name), in the viewer's
/// language, without the year: `mar. 1 déc., 10:30`, `Tue Dec 1, 10:30 AM`.
/// What an SLA explanation shows, in its calendar's time zone.
pub fn short_time_in(at: &DateTime<Utc>, time_zone: &str) -> String {
    let local = local_time(at, time_zone);
    t!(
        time.short_date_time,
        weekday = weekday_name(local.weekday()),
        day = local.day(),
        month = month_name(local.month()),
        time = clock(&local),
    )
}

/// The time of day of `local` in the viewer's language: `14:05`, `2:05 PM`.
fn clock(local: &NaiveDateTime) -> String {
    let (pm, hour12) = local.hour12();
    t!(
        time.clock,
        hour24 = format!("{:02}", local.hour()),
        hour12 = hour12,
        minute = format!("{:02}", local.minute()),
        meridiem = if pm { t!(time.pm) } else { t!(time.am) },
    )
}

/// A day of the year in the viewer's language: `25 déc.`, `Dec 25`.
pub fn day_and_month(date: chrono::NaiveDate) -> String {
    t!(time.day_month, day = date.day(), month = month_name(date.month()))
}

/// How long ago `at` was, seen at `now`: "il y a 5 min", "3 hours ago";
/// beyond a week (or in the future by more than a minute) the date itself
/// ([`time`]).
pub fn relative(at: &DateTime<Utc>, now: DateTime<Utc>) -> String {
    let seconds = (now - *at).num_seconds();
    match seconds {
        -60..45 => t!(time.just_now).to_string(),
        45..3_600 => t!(time.minutes_ago, count = ((seconds + 30) / 60).max(1) as i32),
        3_600..86_400 => t!(time.hours_ago, count = (seconds / 3_600) as i32),
        86_400..604_800 => t!(time.days_ago, count = (seconds / 86_400) as i32),
        _ => time(at),
    }
}

/// A whole number with the language's digit grouping: `198,604`, `198 604`.
pub fn number(value: i64) -> String {
    let digits = value.unsigned_abs().to_string();
    let separator = t!(time.digit_group_separator);
    let mut grouped = String::with_capacity(digits.len() + digits.len() / 3 * separator.len() + 1);
    if value < 0 {
        grouped.push('-');
    }
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            grouped.push_str(separator);
        }
        grouped.push(digit);
    }
    grouped
}

fn weekday_name(weekday: chrono::Weekday) -> &'static str {
    use chrono::Weekday::*;
    match weekday {
        Mon => t!(time.weekdays.mon),
        Tue => t!(time.weekdays.tue),
        Wed => t!(time.weekdays.wed),
        Thu => t!(time.weekdays.thu),
        Fri => t!(time.weekdays.fri),
        Sat => t!(time.weekdays.sat),
        Sun => t!(time.weekdays.sun),
    }
}

fn month_name(month: u32) -> &'static str {
    match month {
        1 => t!(time.months.jan),
        2 => t!(time.months.feb),
        3 => t!(time.months.mar),
        4 => t!(time.months.apr),
        5 => t!(time.months.may),
        6 => t!(time.months.jun),
        7 => t!(time.months.jul),
        8 => t!(time.months.aug),
        9 => t!(time.months.sep),
        10 => t!(time.months.oct),
        11 => t!(time.months.nov),
        _ => t!(time.months.dec),
    }
}

/// `<time>` showing how long ago `at` was, the full date on hover and in
/// `datetime` (RFC 3339, for machines).
#[component]
pub fn RelativeTime(at: DateTime<Utc>) -> impl IntoView {
    view! { <time datetime=at.to_rfc3339() title=time(&at)>{relative(&at, Utc::now())}</time> }
}

/// `<time>` showing the full date and time of `at`.
#[component]
pub fn FullTime(at: DateTime<Utc>) -> impl IntoView {
    view! { <time datetime=at.to_rfc3339()>{time(&at)}</time> }
}

/// A coloured status badge with its name.
#[component]
pub fn StatusBadge(status: Status) -> impl IntoView {
    view! { <span class=format!("badge status-{}", status.as_str()) data-status=status.as_str()>{status.label()}</span> }
}

/// A queue by its name, with the colour its admins gave it (a swatch beside
/// the name, so the colour is never the only sign). `queue` is a slug;
/// `queues` the catalogue ([`crate::domain::TicketOptions::queues`]). A slug
/// the catalogue does not know (a queue since removed) shows its words.
#[component]
pub fn QueueBadge(queue: String, queues: StoredValue<Vec<crate::domain::Queue>>) -> impl IntoView {
    let known = queues.with_value(|queues| {
        queues.iter().find(|known| known.slug == queue).map(|known| (known.name.clone(), known.color.clone()))
    });
    let (name, color) = match known {
        Some((name, color)) => (name, Some(color)),
        None => (slug_words(&queue), None),
    };
    view! {
        <span class="badge queue-badge" data-queue=queue>
            {color.map(|color| view! { <span class="swatch" aria-hidden="true" style:background-color=color></span> })}
            {name}
        </span>
    }
}

/// A slug in words, for one the catalogue no longer names: `product_issue` → "product issue".
pub fn slug_words(slug: &str) -> String {
    slug.replace(['_', '-'], " ")
}

/// What a person reads for a ticket metadata key: the catalogue's label for
/// the keys Guichet's own forms set (`server_id`, `command`,
/// `error_message`), else the key in words with a capital: `order_number` →
/// "Order number" (keys come from API clients too, and are not translated).
pub fn metadata_label(key: &str) -> String {
    match key {
        "server_id" => t!(new_ticket.server_id).into(),
        "command" => t!(new_ticket.command).into(),
        "error_message" => t!(new_ticket.error_message).into(),
        other => {
            let words = slug_words(other.trim());
            let mut characters = words.chars();
            match characters.next() {
                Some(first) => first.to_uppercase().chain(characters).collect(),
                None => words,
            }
        }
    }
}

/// A coloured priority badge with its name.
#[component]
pub fn PriorityBadge(priority: Priority) -> impl IntoView {
    view! { <span class=format!("badge priority-{}", priority.as_str()) data-priority=priority.as_str()>{priority.label()}</span> }
}

/// The local time through the browser's `Intl.DateTimeFormat`, which knows
/// every IANA zone: the parts of `at` in `time_zone`, read back as a
/// wall-clock time.
#[cfg(all(feature = "hydrate", not(feature = "ssr")))]
mod browser {
    use chrono::{DateTime, NaiveDate, NaiveDateTime, Utc};
    use std::cell::RefCell;
    use wasm_bindgen::JsValue;
    use web_sys::js_sys::{Array, Date, Intl, Object, Reflect};

    thread_local! {
        /// One formatter per page (the zone does not change).
        static FORMATTER: RefCell<Option<(String, Intl::DateTimeFormat)>> = const { RefCell::new(None) };
    }

    fn formatter(time_zone: &str) -> Option<Intl::DateTimeFormat> {
        FORMATTER.with(|cell| {
            let mut cell = cell.borrow_mut();
            if let Some((zone, formatter)) = cell.as_ref()
                && zone == time_zone
            {
                return Some(formatter.clone());
            }
            let options = Object::new();
            for (key, value) in [
                ("timeZone", time_zone),
                ("year", "numeric"),
                ("month", "numeric"),
                ("day", "numeric"),
                ("hour", "numeric"),
                ("minute", "numeric"),
                ("second", "numeric"),
                ("hourCycle", "h23"),
            ] {
                Reflect::set(&options, &JsValue::from_str(key), &JsValue::from_str(value)).ok()?;
            }
            let locales = Array::of1(&JsValue::from_str("en-US"));
            // The server only sends zones it knows (checked when saved and
            // at start-up), which the browser's database has too.
            let formatter = Intl::DateTimeFormat::new(&locales, &options);
            *cell = Some((time_zone.to_string(), formatter.clone()));
            Some(formatter)
        })
    }

    pub fn local_time(at: &DateTime<Utc>, time_zone: &str) -> Option<NaiveDateTime> {
        let formatter = formatter(time_zone)?;
        let date = Date::new(&JsValue::from_f64(at.timestamp_millis() as f64));
        let parts = formatter.format_to_parts(&date);
        let mut fields = [0i64; 6];
        for part in parts.iter() {
            let kind = Reflect::get(&part, &JsValue::from_str("type")).ok()?.as_string()?;
            let value = Reflect::get(&part, &JsValue::from_str("value")).ok()?.as_string()?;
            let index = match kind.as_str() {
                "year" => 0,
                "month" => 1,
                "day" => 2,
                "hour" => 3,
                "minute" => 4,
                "second" => 5,
                _ => continue,
            };
            fields[index] = value.parse().ok()?;
        }
        let [year, month, day, hour, minute, second] = fields;
        NaiveDate::from_ymd_opt(year as i32, month as u32, day as u32)?.and_hms_opt(
            (hour % 24) as u32,
            minute as u32,
            second as u32,
        )
    }
}

#[cfg(all(test, feature = "ssr"))]
mod tests {
    use super::*;
    use crate::i18n::{Language, Viewer, request::ViewerSlot};
    use chrono::TimeZone;

    fn viewer(language: Language) -> ViewerSlot {
        ViewerSlot::new(Viewer { language, time_zone: "Europe/Paris".into() })
    }

    #[tokio::test]
    async fn dates_and_numbers_follow_the_viewer() {
        let at = Utc.with_ymd_and_hms(2026, 11, 30, 13, 5, 0).unwrap();
        let french = viewer(Language::fr)
            .scope(async {
                (time(&at), relative(&(at - chrono::Duration::minutes(5)), at), number(198_604), number(-1_000))
            })
            .await;
        assert_eq!(french.0, "lun. 30 nov. 2026, 14:05");
        assert_eq!(french.1, "il y a 5 min");
        assert_eq!(french.2, "198\u{202f}604");
        assert_eq!(french.3, "-1\u{202f}000");
        let english = viewer(Language::en)
            .scope(async {
                (
                    time(&at),
                    relative(&(at - chrono::Duration::hours(1)), at),
                    relative(&(at - chrono::Duration::hours(3)), at),
                    number(198_604),
                )
            })
            .await;
        assert_eq!(english.0, "Mon, Nov 30, 2026, 2:05 PM");
        assert_eq!(english.1, "1 hour ago");
        assert_eq!(english.2, "3 hours ago");
        assert_eq!(english.3, "198,604");
        let plural = viewer(Language::fr)
            .scope(async {
                (relative(&(at - chrono::Duration::hours(1)), at), relative(&(at - chrono::Duration::days(3)), at))
            })
            .await;
        assert_eq!(plural, ("il y a 1 heure".to_string(), "il y a 3 jours".to_string()));
        // Summer time: Paris is UTC+2 in July.
        let summer = Utc.with_ymd_and_hms(2026, 7, 1, 12, 0, 0).unwrap();
        assert_eq!(local_time(&summer, "Europe/Paris").hour(), 14);
        assert_eq!(local_time(&summer, "Not/AZone").hour(), 14, "unknown zones read as the desk's");
    }
}

/// A duration in seconds in words, rounded to the largest units that
/// matter: `45 s`, `12 min`, `3 h 5 min`, `2 d 4 h` (statistics).
pub fn duration_words(seconds: f64) -> String {
    let seconds = seconds.max(0.0).round() as i64;
    let (minutes, hours, days) = (seconds / 60, seconds / 3600, seconds / 86_400);
    if seconds < 60 {
        t!(stats.seconds, seconds = seconds)
    } else if hours == 0 {
        t!(stats.minutes, minutes = minutes)
    } else if days == 0 {
        t!(stats.hours_minutes, hours = hours, minutes = minutes % 60)
    } else {
        t!(stats.days_hours, days = days, hours = hours % 24)
    }
}

/// A number with one decimal and the language's decimal separator: `3.5`, `3,5`.
pub fn decimal(value: f64) -> String {
    format!("{value:.1}").replace('.', t!(stats.decimal_separator))
}
