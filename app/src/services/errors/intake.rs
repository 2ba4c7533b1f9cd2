//! Error intake (issue 16, item 2): events from Sentry SDKs
//! (`POST /api/{project_id}/envelope/` and `/store/`) and from the plain
//! intake (`POST /api/v1/errors`), authenticated by the project's key,
//! decoded within bounds, grouped by signature and recorded, each request
//! in one transaction; the group that reaches its project's threshold
//! opens its one ticket there (see [`super::tickets`]).
//!
//! Bounds, so that no body can make the server work or store without
//! limit: the handler reads at most [`MAX_COMPRESSED`] bytes of body; gzip
//! and deflate are inflated through a reader that stops at
//! [`MAX_DECOMPRESSED`] bytes (a gzip bomb stops there, it is never
//! inflated whole); JSON nesting is limited by serde_json (128 levels);
//! what is stored of an event is a trimmed copy ([`trim_event`]): known
//! fields only, at most [`MAX_FRAMES`] frames per exception, strings clipped.

use super::signature::{self, Frame, Occurrence};
use super::{clip, tickets};
use crate::error::{AppError, FieldErrors};
use crate::services::{ServerContext, text, transaction};
use crate::t;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value, json};
use sqlx::PgConnection;
use std::io::Read;

/// The largest body read, compressed or not: 1 MiB (Sentry's own limit for an envelope item).
pub const MAX_COMPRESSED: usize = 1 << 20;
/// The largest body once inflated: 20 MiB (Sentry's limit for a whole envelope).
pub const MAX_DECOMPRESSED: usize = 20 << 20;
/// Frames kept per exception (the newest), as Sentry trims its own.
pub const MAX_FRAMES: usize = 250;
/// Exceptions kept per event (the newest of a chain).
const MAX_EXCEPTIONS: usize = 10;
/// Longest string kept in a stored event, in characters.
const MAX_STRING: usize = 2_000;
/// Longest message kept, in characters.
const MAX_MESSAGE: usize = 8_000;
/// Most tags kept per event.
const MAX_TAGS: usize = 100;

/// How an intake request's body is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BodyKind {
    /// A Sentry envelope (`/envelope/`): a header line, then items.
    Envelope,
    /// One Sentry event as JSON (`/store/`, the older protocol).
    Store,
}

/// The key a Sentry SDK sends: `sentry_key` of the `X-Sentry-Auth` header
/// (`Sentry sentry_key=<key>, sentry_version=7, ...`), else of the query
/// string (`?sentry_key=<key>`); `None` when neither has one.
pub fn sentry_key(auth_header: Option<&str>, query: Option<&str>) -> Option<String> {
    let from_header = auth_header.and_then(|header| {
        let header = header.trim();
        let rest = header.strip_prefix("Sentry ").or_else(|| header.strip_prefix("sentry ")).unwrap_or(header);
        rest.split(',')
            .filter_map(|pair| pair.trim().split_once('='))
            .find_map(|(name, value)| (name.trim() == "sentry_key").then(|| value.trim().to_string()))
    });
    from_header
        .or_else(|| {
            url::form_urlencoded::parse(query.unwrap_or_default().as_bytes())
                .find_map(|(name, value)| (name == "sentry_key").then(|| value.into_owned()))
        })
        .filter(|key| !key.is_empty())
}

/// `body` inflated after its `Content-Encoding` (none, `identity`, `gzip`,
/// `deflate`: zlib, else raw deflate), reading at most [`MAX_DECOMPRESSED`]
/// bytes out of the decoder.
///
/// Errors: 413 beyond [`MAX_DECOMPRESSED`]; 400 for another encoding or a
/// body that does not inflate (truncated, not compressed).
pub fn decode_body(body: &[u8], content_encoding: Option<&str>) -> Result<Vec<u8>, AppError> {
    let encoding = content_encoding.unwrap_or("").trim().to_ascii_lowercase();
    match encoding.as_str() {
        "" | "identity" => Ok(body.to_vec()),
        "gzip" | "x-gzip" => inflate(flate2::read::GzDecoder::new(body)),
        "deflate" => inflate(flate2::read::ZlibDecoder::new(body)).or_else(|error| {
            if error.status() == 413 { Err(error) } else { inflate(flate2::read::DeflateDecoder::new(body)) }
        }),
        _ => Err(AppError::bad_request(t!(error_intake.unknown_encoding))),
    }
}

/// Reads `decoder` to its end or one byte past [`MAX_DECOMPRESSED`].
fn inflate(decoder: impl Read) -> Result<Vec<u8>, AppError> {
    let mut out = Vec::new();
    decoder
        .take(MAX_DECOMPRESSED as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|_| AppError::bad_request(t!(error_intake.not_compressed)))?;
    if out.len() > MAX_DECOMPRESSED {
        return Err(AppError::PayloadTooLarge { message: t!(error_intake.too_large_decompressed).into() });
    }
    Ok(out)
}

/// The events of a decoded body: the `event` items of an envelope (other
/// item types are skipped) or the one event of a store request, each a
/// JSON object; and the envelope's `event_id`, answered when it has no event.
///
/// Errors: 400 for a malformed or truncated envelope, JSON that is not an
/// object, invalid UTF-8.
pub fn read_events(kind: BodyKind, body: &[u8]) -> Result<(Vec<Value>, Option<String>), AppError> {
    let malformed = |detail: &str| AppError::bad_request(t!(error_intake.malformed, detail = detail.to_string()));
    match kind {
        BodyKind::Store => {
            let event: Value = serde_json::from_slice(body).map_err(|error| malformed(&error.to_string()))?;
            if !event.is_object() {
                return Err(malformed("not a JSON object"));
            }
            Ok((vec![event], None))
        }
        BodyKind::Envelope => {
            let (header_line, mut rest) = split_line(body);
            let header: Value =
                serde_json::from_slice(header_line).map_err(|error| malformed(&format!("envelope header: {error}")))?;
            let Some(header) = header.as_object() else { return Err(malformed("envelope header is not an object")) };
            let envelope_id = header.get("event_id").and_then(Value::as_str).map(String::from);
            let mut events = Vec::new();
            while !rest.is_empty() {
                let (item_line, after) = split_line(rest);
                if item_line.iter().all(u8::is_ascii_whitespace) {
                    rest = after;
                    continue;
                }
                let item: Value =
                    serde_json::from_slice(item_line).map_err(|error| malformed(&format!("item header: {error}")))?;
                let item_type =
                    item.get("type").and_then(Value::as_str).ok_or_else(|| malformed("item without type"))?;
                let (payload, after_payload) = match item.get("length") {
                    Some(length) => {
                        let length = length.as_u64().ok_or_else(|| malformed("item length"))? as usize;
                        if length > after.len() {
                            return Err(malformed("truncated item"));
                        }
                        let (payload, after_payload) = after.split_at(length);
                        (payload, after_payload.strip_prefix(b"\n").unwrap_or(after_payload))
                    }
                    None => split_line(after),
                };
                if item_type == "event" {
                    let event: Value =
                        serde_json::from_slice(payload).map_err(|error| malformed(&format!("event: {error}")))?;
                    if !event.is_object() {
                        return Err(malformed("event is not a JSON object"));
                    }
                    events.push(event);
                }
                rest = after_payload;
            }
            Ok((events, envelope_id))
        }
    }
}

/// The bytes before the first `\n` and those after it.
fn split_line(bytes: &[u8]) -> (&[u8], &[u8]) {
    match bytes.iter().position(|byte| *byte == b'\n') {
        Some(end) => (&bytes[..end], &bytes[end + 1..]),
        None => (bytes, &[]),
    }
}

/// An event ready to be recorded: what its signature is computed from, its
/// title and culprit, and its trimmed copy.
#[derive(Debug, Clone)]
pub struct ReadEvent {
    /// 32 lower-case hex digits: the SDK's `event_id`, else a new one.
    pub event_id: String,
    pub occurrence: Occurrence,
    /// `Type: message`, one line, at most 300 characters.
    pub title: String,
    /// Where it happened: `function (file:line)` of the top frame, else the
    /// event's `culprit` or `transaction`; at most 500 characters.
    pub culprit: String,
    pub occurred_at: Option<DateTime<Utc>>,
    /// See [`trim_event`].
    pub payload: Value,
}

/// Reads a Sentry event (a JSON object) into a [`ReadEvent`]: the newest
/// exception of `exception.values` (else the event's `logentry` or
/// `message`), the frames of its stack trace (else the event's), its
/// `fingerprint`.
pub fn read_event(event: &Value) -> ReadEvent {
    let exceptions: Vec<&Value> = match event.get("exception") {
        Some(Value::Object(exception)) => {
            exception.get("values").and_then(Value::as_array).map(|values| values.iter().collect())
        }
        Some(Value::Array(values)) => Some(values.iter().collect()),
        _ => None,
    }
    .unwrap_or_default();
    let primary = exceptions.last().copied();
    let exception_type = primary.and_then(|value| value.get("type")).and_then(Value::as_str).unwrap_or_default();
    let message = primary
        .and_then(|value| value.get("value"))
        .and_then(Value::as_str)
        .map(String::from)
        .or_else(|| message_of(event))
        .unwrap_or_default();
    let frames_value = primary
        .and_then(|value| value.pointer("/stacktrace/frames"))
        .or_else(|| event.pointer("/stacktrace/frames"))
        .and_then(Value::as_array);
    let frames: Vec<Frame> = frames_value
        .map(|frames| {
            let skip = frames.len().saturating_sub(MAX_FRAMES);
            frames.iter().skip(skip).map(frame_of).collect()
        })
        .unwrap_or_default();
    let fingerprint = event.get("fingerprint").and_then(Value::as_array).map(|parts| {
        parts
            .iter()
            .take(20)
            .map(|part| clip(&part.as_str().map(String::from).unwrap_or_else(|| part.to_string()), 200))
            .collect()
    });
    let occurrence = Occurrence {
        exception_type: clip(exception_type, 200),
        message: clip(&message, MAX_MESSAGE),
        frames,
        fingerprint,
    };
    let first_line = occurrence.message.lines().next().unwrap_or_default().trim().to_string();
    let title = match (occurrence.exception_type.is_empty(), first_line.is_empty()) {
        (false, false) => format!("{}: {first_line}", occurrence.exception_type),
        (false, true) => occurrence.exception_type.clone(),
        (true, false) => first_line,
        (true, true) => t!(error_intake.untitled).to_string(),
    };
    let culprit = match signature::top_frame(&occurrence.frames) {
        Some(frame) => {
            let line = frame.line.map(|line| format!(":{line}")).unwrap_or_default();
            format!("{} ({}{line})", frame.function, frame.file).trim().to_string()
        }
        None => ["culprit", "transaction"]
            .iter()
            .find_map(|field| event.get(*field).and_then(Value::as_str))
            .unwrap_or_default()
            .to_string(),
    };
    let event_id = event
        .get("event_id")
        .and_then(Value::as_str)
        .map(|id| id.replace('-', "").to_ascii_lowercase())
        .filter(|id| id.len() == 32 && id.chars().all(|c| c.is_ascii_hexdigit()))
        .unwrap_or_else(new_event_id);
    let occurred_at = match event.get("timestamp") {
        Some(Value::String(text)) => DateTime::parse_from_rfc3339(text)
            .map(|time| time.with_timezone(&Utc))
            .ok()
            .or_else(|| text.parse::<f64>().ok().and_then(from_seconds)),
        Some(Value::Number(number)) => number.as_f64().and_then(from_seconds),
        _ => None,
    };
    ReadEvent {
        event_id,
        title: clip(&strip_controls(&title), 300),
        culprit: clip(&strip_controls(&culprit), 500),
        occurred_at,
        payload: trim_event(event),
        occurrence,
    }
}

fn from_seconds(seconds: f64) -> Option<DateTime<Utc>> {
    if !seconds.is_finite() {
        return None;
    }
    DateTime::from_timestamp(seconds.trunc() as i64, (seconds.fract() * 1e9) as u32)
}

/// A message event's text: `logentry.formatted`, `logentry.message`, or
/// `message` (a string, or an object with `formatted` / `message`).
fn message_of(event: &Value) -> Option<String> {
    for field in ["logentry", "message"] {
        match event.get(field) {
            Some(Value::String(text)) => return Some(text.clone()),
            Some(Value::Object(entry)) => {
                if let Some(text) = entry.get("formatted").or_else(|| entry.get("message")).and_then(Value::as_str) {
                    return Some(text.to_string());
                }
            }
            _ => {}
        }
    }
    None
}

fn frame_of(frame: &Value) -> Frame {
    let text = |field: &str| frame.get(field).and_then(Value::as_str).filter(|text| !text.is_empty());
    Frame {
        file: clip(text("filename").or_else(|| text("module")).or_else(|| text("abs_path")).unwrap_or_default(), 500),
        function: clip(text("function").unwrap_or_default(), 200),
        line: frame.get("lineno").and_then(Value::as_u64).and_then(|line| u32::try_from(line).ok()),
        in_app: frame.get("in_app").and_then(Value::as_bool),
    }
}

/// A new event id: 16 random bytes in hex.
fn new_event_id() -> String {
    use rand::RngCore;
    let mut bytes = [0u8; 16];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// `text` without control characters (line breaks and tabs become spaces).
fn strip_controls(text: &str) -> String {
    text.chars().map(|c| if c.is_control() { ' ' } else { c }).collect()
}

/// What is stored of an event: its known fields only (`event_id`,
/// `timestamp`, `level`, `platform`, `logger`, `transaction`,
/// `server_name`, `release`, `environment`, `message`, `logentry`,
/// `exception` with at most 10 exceptions of at most [`MAX_FRAMES`] frames
/// each, `tags` (at most 100), `request` (`url`, `method` and the
/// `User-Agent` header only: never cookies or authorisation), `user`
/// (`id`, `username`, `email`), `sdk`, `fingerprint`, and the plain
/// intake's `stack`), every string clipped ([`MAX_STRING`] characters, the
/// message and stack longer). `extra`, `contexts`, `breadcrumbs` and the
/// rest are dropped: arbitrary data stays out of the database.
pub fn trim_event(event: &Value) -> Value {
    let mut out = Map::new();
    for field in ["event_id", "level", "platform", "logger", "transaction", "server_name", "release", "environment"] {
        if let Some(text) = event.get(field).and_then(Value::as_str) {
            out.insert(field.into(), Value::String(clip(text, 200)));
        }
    }
    if let Some(timestamp) = event.get("timestamp").filter(|value| value.is_string() || value.is_number()) {
        out.insert("timestamp".into(), timestamp.clone());
    }
    if let Some(message) = message_of(event) {
        out.insert("message".into(), Value::String(clip(&message, MAX_MESSAGE)));
    }
    if let Some(stack) = event.get("stack").and_then(Value::as_str) {
        out.insert("stack".into(), Value::String(clip(stack, 65_536)));
    }
    let exceptions: Vec<&Value> = match event.get("exception") {
        Some(Value::Object(exception)) => {
            exception.get("values").and_then(Value::as_array).map(|values| values.iter().collect()).unwrap_or_default()
        }
        Some(Value::Array(values)) => values.iter().collect(),
        _ => Vec::new(),
    };
    if !exceptions.is_empty() {
        let skip = exceptions.len().saturating_sub(MAX_EXCEPTIONS);
        let values: Vec<Value> = exceptions.iter().skip(skip).map(|exception| trim_exception(exception)).collect();
        out.insert("exception".into(), json!({ "values": values }));
    }
    if let Some(tags) = event.get("tags") {
        let pairs: Vec<(String, String)> = match tags {
            Value::Object(tags) => tags.iter().map(|(name, value)| (name.clone(), scalar_text(value))).collect(),
            Value::Array(pairs) => pairs
                .iter()
                .filter_map(|pair| pair.as_array())
                .filter(|pair| pair.len() == 2)
                .map(|pair| (scalar_text(&pair[0]), scalar_text(&pair[1])))
                .collect(),
            _ => Vec::new(),
        };
        let tags: Map<String, Value> = pairs
            .into_iter()
            .take(MAX_TAGS)
            .map(|(name, value)| (clip(&name, 200), Value::String(clip(&value, 200))))
            .collect();
        out.insert("tags".into(), Value::Object(tags));
    }
    if let Some(request) = event.get("request").and_then(Value::as_object) {
        let mut kept = Map::new();
        for field in ["url", "method"] {
            if let Some(text) = request.get(field).and_then(Value::as_str) {
                kept.insert(field.into(), Value::String(clip(text, MAX_STRING)));
            }
        }
        let user_agent = request.get("headers").and_then(|headers| match headers {
            Value::Object(headers) => headers
                .iter()
                .find(|(name, _)| name.eq_ignore_ascii_case("user-agent"))
                .and_then(|(_, value)| value.as_str()),
            Value::Array(pairs) => pairs.iter().filter_map(Value::as_array).find_map(|pair| {
                match (pair.first().and_then(Value::as_str), pair.get(1).and_then(Value::as_str)) {
                    (Some(name), Some(value)) if name.eq_ignore_ascii_case("user-agent") => Some(value),
                    _ => None,
                }
            }),
            _ => None,
        });
        if let Some(user_agent) = user_agent {
            kept.insert("headers".into(), json!({ "User-Agent": clip(user_agent, 500) }));
        }
        out.insert("request".into(), Value::Object(kept));
    }
    if let Some(user) = event.get("user").and_then(Value::as_object) {
        let kept: Map<String, Value> = ["id", "username", "email"]
            .iter()
            .filter_map(|field| {
                user.get(*field).map(|value| (field.to_string(), Value::String(clip(&scalar_text(value), 200))))
            })
            .collect();
        out.insert("user".into(), Value::Object(kept));
    }
    if let Some(sdk) = event.get("sdk").and_then(Value::as_object) {
        let kept: Map<String, Value> = ["name", "version"]
            .iter()
            .filter_map(|field| {
                sdk.get(*field).and_then(Value::as_str).map(|text| (field.to_string(), Value::String(clip(text, 100))))
            })
            .collect();
        out.insert("sdk".into(), Value::Object(kept));
    }
    if let Some(parts) = event.get("fingerprint").and_then(Value::as_array) {
        let parts: Vec<Value> =
            parts.iter().take(20).map(|part| Value::String(clip(&scalar_text(part), 200))).collect();
        out.insert("fingerprint".into(), Value::Array(parts));
    }
    Value::Object(out)
}

fn trim_exception(exception: &Value) -> Value {
    let mut out = Map::new();
    for (field, max) in [("type", 200), ("value", MAX_MESSAGE), ("module", 200)] {
        if let Some(text) = exception.get(field).and_then(Value::as_str) {
            out.insert(field.into(), Value::String(clip(text, max)));
        }
    }
    if let Some(frames) = exception.pointer("/stacktrace/frames").and_then(Value::as_array) {
        let skip = frames.len().saturating_sub(MAX_FRAMES);
        let frames: Vec<Value> = frames
            .iter()
            .skip(skip)
            .map(|frame| {
                let mut kept = Map::new();
                for field in ["filename", "abs_path", "module", "function", "context_line"] {
                    if let Some(text) = frame.get(field).and_then(Value::as_str) {
                        kept.insert(field.into(), Value::String(clip(text, 500)));
                    }
                }
                for field in ["lineno", "colno"] {
                    if let Some(number) = frame.get(field).and_then(Value::as_u64) {
                        kept.insert(field.into(), number.into());
                    }
                }
                if let Some(in_app) = frame.get("in_app").and_then(Value::as_bool) {
                    kept.insert("in_app".into(), in_app.into());
                }
                Value::Object(kept)
            })
            .collect();
        out.insert("stacktrace".into(), json!({ "frames": frames }));
    }
    Value::Object(out)
}

/// A string as it is, anything else as its JSON text.
fn scalar_text(value: &Value) -> String {
    match value {
        Value::String(text) => text.clone(),
        other => other.to_string(),
    }
}

/// An error sent by code without a Sentry SDK (`POST /api/v1/errors`, the
/// seed's `logError(error, file, line)`). Only `message` is required.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct PlainError {
    /// 1–8000 characters.
    pub message: String,
    /// The exception's type, e.g. `TypeError` (at most 200 characters).
    #[serde(rename = "type")]
    pub error_type: Option<String>,
    /// Where it was raised (at most 500 characters): with `function` and
    /// `line`, the top in-app frame; without, the top frame comes from `stack`.
    pub file: Option<String>,
    pub line: Option<u32>,
    pub function: Option<String>,
    /// The stack trace as text (a Python traceback, a JavaScript
    /// `Error.stack`; at most 65,536 characters), read by
    /// [`signature::parse_stack`].
    pub stack: Option<String>,
    /// The page or endpoint (at most 2000 characters).
    pub url: Option<String>,
    pub user_agent: Option<String>,
    /// When it happened (UTC); default: when received.
    pub occurred_at: Option<DateTime<Utc>>,
    /// Name → value, at most 100.
    pub tags: Option<std::collections::BTreeMap<String, String>>,
    /// Replaces the default grouping (see [`signature`]).
    pub fingerprint: Option<Vec<String>>,
}

/// `error` as the Sentry event the rest of the intake reads.
///
/// Errors: 422 with `message` (missing, too long, control characters),
/// `type`, `file`, `function`, `stack`, `url`, `user_agent`, `tags` or `fingerprint`.
pub fn plain_event(error: &PlainError) -> Result<Value, AppError> {
    let mut fields = FieldErrors::new();
    // Messages are the application's own: line breaks and tabs pass, other control characters do not.
    let message = text::required(&mut fields, "message", &error.message, 1, MAX_MESSAGE);
    let error_type = text::optional(&mut fields, "type", error.error_type.as_deref(), 200);
    let file = text::optional(&mut fields, "file", error.file.as_deref(), 500);
    let function = text::optional(&mut fields, "function", error.function.as_deref(), 200);
    let stack = text::optional(&mut fields, "stack", error.stack.as_deref(), 65_536);
    let url = text::optional(&mut fields, "url", error.url.as_deref(), 2_000);
    let user_agent = text::optional(&mut fields, "user_agent", error.user_agent.as_deref(), 500);
    if let Some(tags) = &error.tags
        && (tags.len() > MAX_TAGS
            || tags
                .iter()
                .any(|(name, value)| text::problem(name, 200).or_else(|| text::problem(value, 200)).is_some()))
    {
        fields.insert("tags".into(), t!(error_intake.tags).into());
    }
    if let Some(parts) = &error.fingerprint
        && (parts.len() > 20 || parts.iter().any(|part| text::problem(part, 200).is_some()))
    {
        fields.insert("fingerprint".into(), t!(error_intake.fingerprint).into());
    }
    AppError::check(fields)?;
    let mut frames: Vec<Value> = stack
        .as_deref()
        .map(|stack| signature::parse_stack(stack, MAX_FRAMES))
        .unwrap_or_default()
        .into_iter()
        .map(|frame| json!({"filename": frame.file, "function": frame.function, "lineno": frame.line, "in_app": frame.in_app}))
        .collect();
    if file.is_some() || function.is_some() || error.line.is_some() {
        frames.push(json!({"filename": file, "function": function, "lineno": error.line, "in_app": true}));
    }
    let mut event = json!({
        "platform": "other",
        "exception": {"values": [{"type": error_type, "value": message, "stacktrace": {"frames": frames}}]},
    });
    if let Some(stack) = stack {
        event["stack"] = stack.into();
    }
    if url.is_some() || user_agent.is_some() {
        event["request"] = json!({"url": url, "headers": {"User-Agent": user_agent}});
    }
    if let Some(occurred_at) = error.occurred_at {
        event["timestamp"] = occurred_at.to_rfc3339().into();
    }
    if let Some(tags) = &error.tags {
        event["tags"] = json!(tags);
    }
    if let Some(fingerprint) = &error.fingerprint {
        event["fingerprint"] = json!(fingerprint);
    }
    Ok(event)
}

/// The project an intake request is for, once its key is checked.
#[derive(Debug, Clone)]
pub(crate) struct IntakeProject {
    pub id: i64,
    pub requester_id: i64,
    pub queue_id: i64,
    pub threshold_count: i32,
    pub threshold_window_minutes: i32,
    pub priority: crate::domain::Priority,
    pub sample_size: i32,
    pub watch_hours: i32,
}

/// The project whose key is `key`, when it is project `project_id` (the
/// Sentry intake names it in the path; the plain intake does not, `None`).
///
/// Errors: 401 without a key or with one no project has; 403 with the key
/// of another project, or for an inactive project.
async fn authenticate(
    connection: &mut PgConnection,
    project_id: Option<i64>,
    key: Option<&str>,
) -> Result<IntakeProject, AppError> {
    let key = key
        .filter(|key| !key.is_empty())
        .ok_or_else(|| AppError::Unauthorized { message: t!(error_intake.key_missing).into() })?;
    let digest = super::projects::key_digest(key);
    let row = sqlx::query!(
        r#"select id, requester_id, queue_id, threshold_count, threshold_window_minutes,
            priority as "priority: crate::domain::Priority", sample_size, watch_hours, active
         from error_projects where key_digest = $1"#,
        digest,
    )
    .fetch_optional(&mut *connection)
    .await?
    .ok_or_else(|| AppError::Unauthorized { message: t!(error_intake.key_unknown).into() })?;
    if project_id.is_some_and(|id| id != row.id) {
        return Err(AppError::forbidden(t!(error_intake.key_other_project)));
    }
    if !row.active {
        return Err(AppError::forbidden(t!(error_intake.project_inactive)));
    }
    Ok(IntakeProject {
        id: row.id,
        requester_id: row.requester_id,
        queue_id: row.queue_id,
        threshold_count: row.threshold_count,
        threshold_window_minutes: row.threshold_window_minutes,
        priority: row.priority,
        sample_size: row.sample_size,
        watch_hours: row.watch_hours,
    })
}

/// Error events a minute per project on this instance (issue 16:
/// `GUICHET_ERROR_RATE_PER_MINUTE`), counted in fixed windows of one UTC
/// minute: the request that would pass the rate gets 429 with
/// `Retry-After` up to the next minute. Per instance, like the API's rate
/// limits (`server/src/rate_limit.rs`): N instances let N times the rate
/// through, which keeps intake free of a shared counter's row lock.
#[derive(Debug, Default)]
pub struct RateLimiter {
    /// Project id → (minute since the epoch, events counted in it).
    windows: std::sync::Mutex<std::collections::HashMap<i64, (i64, u32)>>,
}

impl RateLimiter {
    /// Counts `events` of project `project_id` at `now` against `per_minute`.
    ///
    /// Errors: 429 [`AppError::TooManyRequests`] when the minute's count
    /// would pass `per_minute` (the events are then not counted).
    pub fn check(&self, project_id: i64, events: u32, per_minute: u32, now: DateTime<Utc>) -> Result<(), AppError> {
        let minute = now.timestamp().div_euclid(60);
        let mut windows = self.windows.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        // Forget the projects of past minutes, so the map stays as small as the active projects.
        if windows.len() > 1_000 {
            windows.retain(|_, (window, _)| *window == minute);
        }
        let entry = windows.entry(project_id).or_insert((minute, 0));
        if entry.0 != minute {
            *entry = (minute, 0);
        }
        if entry.1.saturating_add(events) > per_minute {
            let retry_after_seconds = u64::try_from(60 - now.timestamp().rem_euclid(60)).unwrap_or(60);
            return Err(AppError::TooManyRequests {
                message: t!(error_intake.rate_limited).into(),
                retry_after_seconds,
            });
        }
        entry.1 += events;
        Ok(())
    }
}

/// What an intake request carries, read by the handler.
pub enum IntakeBody<'body> {
    /// A Sentry request's raw body (at most [`MAX_COMPRESSED`] bytes, the
    /// handler's limit) and its `Content-Encoding`.
    Sentry { kind: BodyKind, body: &'body [u8], content_encoding: Option<&'body str> },
    /// A plain intake request's JSON.
    Plain(&'body PlainError),
}

/// Receives one intake request for project `project_id` (the Sentry
/// intake's path; `None` for the plain intake) sent with `key`: checks the
/// key, decodes the body, and records its events in one transaction
/// (grouped, counted, sampled, the group's ticket opened at its threshold:
/// see [`super::tickets::record`]). Returns the id of its first event (32
/// hex digits), else the envelope's `event_id`, once committed.
///
/// Errors: 401/403 (see [`authenticate`]); 429 past the project's rate
/// (see [`RateLimiter`]); 400 malformed body; 413 too large once inflated;
/// 422 a plain error's bad fields. Nothing is stored then.
#[tracing::instrument(skip_all, fields(project_id))]
pub async fn receive(
    context: &ServerContext,
    project_id: Option<i64>,
    key: Option<&str>,
    body: IntakeBody<'_>,
) -> Result<Option<String>, AppError> {
    let pool = &context.pool;
    let project = {
        let mut connection = pool.acquire().await?;
        authenticate(&mut connection, project_id, key).await?
    };
    context.error_rate.check(project.id, 1, context.settings.error_rate_per_minute, Utc::now())?;
    let (events, envelope_id) = match body {
        IntakeBody::Sentry { kind, body, content_encoding } => {
            let decoded = decode_body(body, content_encoding)?;
            read_events(kind, &decoded)?
        }
        IntakeBody::Plain(error) => (vec![plain_event(error)?], None),
    };
    let events: Vec<ReadEvent> = events.iter().map(read_event).collect();
    let first = events.first().map(|event| event.event_id.clone()).or(envelope_id);
    if events.is_empty() {
        return Ok(first);
    }
    let language = crate::i18n::desk().language;
    transaction::run(pool, |transaction| {
        let (project, events) = (&project, &events);
        Box::pin(async move {
            for event in events {
                tickets::record(transaction, project, event, language).await?;
            }
            Ok(())
        })
    })
    .await?;
    tracing::debug!(events = events.len(), project = project.id, "error events recorded");
    Ok(first)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        encoder.write_all(bytes).unwrap();
        encoder.finish().unwrap()
    }

    #[test]
    fn the_rate_limit_counts_per_project_and_minute() {
        let limiter = RateLimiter::default();
        let now = DateTime::parse_from_rfc3339("2026-12-05T10:00:15Z").unwrap().with_timezone(&Utc);
        assert!(limiter.check(1, 2, 2, now).is_ok());
        let refused = limiter.check(1, 1, 2, now).unwrap_err();
        assert_eq!((refused.status(), refused.retry_after_seconds()), (429, Some(45)));
        assert!(limiter.check(2, 1, 2, now).is_ok(), "another project");
        assert!(limiter.check(1, 1, 2, now + chrono::Duration::seconds(45)).is_ok(), "the next minute");
    }

    #[test]
    fn the_key_comes_from_the_auth_header_else_the_query() {
        let header = "Sentry sentry_key=abc123, sentry_version=7, sentry_client=sentry.python/2.19.0";
        assert_eq!(sentry_key(Some(header), Some("sentry_key=other")).as_deref(), Some("abc123"));
        assert_eq!(sentry_key(None, Some("sentry_version=7&sentry_key=q1")).as_deref(), Some("q1"));
        assert_eq!(sentry_key(Some("Sentry sentry_version=7"), None), None);
        assert_eq!(sentry_key(None, Some("sentry_key=")), None);
    }

    #[test]
    fn bodies_inflate_within_bounds() {
        let envelope = b"{}\n{\"type\":\"event\"}\n{\"message\":\"x\"}\n";
        assert_eq!(decode_body(&gzip(envelope), Some("gzip")).unwrap(), envelope);
        let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        zlib.write_all(envelope).unwrap();
        assert_eq!(decode_body(&zlib.finish().unwrap(), Some("deflate")).unwrap(), envelope);
        assert_eq!(decode_body(b"not gzip", Some("gzip")).unwrap_err().status(), 400);
        assert_eq!(decode_body(b"x", Some("br")).unwrap_err().status(), 400);
        // A bomb: 64 MiB of zeros, about 64 KiB compressed, stops at the bound.
        let bomb = gzip(&vec![0u8; 64 << 20]);
        assert!(bomb.len() < MAX_COMPRESSED);
        assert_eq!(decode_body(&bomb, Some("gzip")).unwrap_err().status(), 413);
        let truncated = &gzip(envelope)[..20];
        assert_eq!(decode_body(truncated, Some("gzip")).unwrap_err().status(), 400);
    }

    #[test]
    fn envelopes_give_their_event_items_and_skip_the_others() {
        let event = r#"{"event_id":"9ec79c33ec9942ab8353589fcb2e04dc","exception":{"values":[{"type":"ZeroDivisionError","value":"division by zero"}]}}"#;
        let session = r#"{"sid":"1","status":"ok"}"#;
        let body = format!(
            "{{\"event_id\":\"9ec79c33ec9942ab8353589fcb2e04dc\"}}\n{{\"type\":\"session\"}}\n{session}\n{{\"type\":\"event\",\"length\":{}}}\n{event}\n",
            event.len()
        );
        let (events, id) = read_events(BodyKind::Envelope, body.as_bytes()).unwrap();
        assert_eq!(events.len(), 1);
        assert_eq!(id.as_deref(), Some("9ec79c33ec9942ab8353589fcb2e04dc"));
        let read = read_event(&events[0]);
        assert_eq!(read.title, "ZeroDivisionError: division by zero");
        assert_eq!(read.event_id, "9ec79c33ec9942ab8353589fcb2e04dc");
        // Truncated: the length runs past the end.
        let truncated = format!("{{}}\n{{\"type\":\"event\",\"length\":{}}}\n{{\"a\":1}}", 400);
        assert_eq!(read_events(BodyKind::Envelope, truncated.as_bytes()).unwrap_err().status(), 400);
        assert_eq!(read_events(BodyKind::Envelope, b"not json\n").unwrap_err().status(), 400);
        assert_eq!(read_events(BodyKind::Store, b"[1]").unwrap_err().status(), 400);
        assert_eq!(read_events(BodyKind::Store, b"{\"message\":\"\xff\xfe\"}").unwrap_err().status(), 400);
        let nested = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
        assert_eq!(
            read_events(BodyKind::Store, format!("{{\"extra\":{nested}}}").as_bytes()).unwrap_err().status(),
            400
        );
    }

    #[test]
    fn stored_events_are_trimmed() {
        let frames: Vec<Value> = (0..10_000)
            .map(|line| json!({"filename": "app.py", "function": "f", "lineno": line, "in_app": true}))
            .collect();
        let event = json!({
            "exception": {"values": [{"type": "RecursionError", "value": "maximum recursion depth exceeded", "stacktrace": {"frames": frames}}]},
            "extra": {"password": "hunter2"},
            "request": {"url": "https://shop.example.com/cart", "headers": {"Cookie": "session=secret", "User-Agent": "Firefox"}},
        });
        let read = read_event(&event);
        assert_eq!(read.occurrence.frames.len(), MAX_FRAMES);
        assert_eq!(read.occurrence.frames.last().unwrap().line, Some(9_999), "the newest frames are kept");
        let stored = read.payload.to_string();
        assert!(!stored.contains("hunter2") && !stored.contains("secret"), "{stored}");
        assert!(stored.contains("Firefox"));
        assert_eq!(read.culprit, "f (app.py:9999)");
    }

    #[test]
    fn a_plain_error_reads_like_a_sentry_event() {
        let error = PlainError {
            message: "Cannot read properties of undefined (reading 'price')".into(),
            error_type: Some("TypeError".into()),
            file: Some("js/cart.js".into()),
            line: Some(123),
            ..Default::default()
        };
        let read = read_event(&plain_event(&error).unwrap());
        assert_eq!(read.title, "TypeError: Cannot read properties of undefined (reading 'price')");
        assert_eq!(
            signature::signature(&read.occurrence).text,
            "TypeError|Cannot read properties of undefined (reading <quoted>)|js/cart.js||123"
        );
        let missing = plain_event(&PlainError::default()).unwrap_err();
        assert!(missing.field_error("message").is_some());
    }
}
