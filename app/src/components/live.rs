//! Live updates in the browser.
//!
//! One Server-Sent Events connection per tab (`GET /api/v1/events`, see
//! `server/src/api/live.rs`) while a user is logged in. What arrives lands in
//! the [`Live`] context, which pages read: ticket events bump version
//! counters (pages refetch in place), typing and presence fill
//! [`Live::activity`], and events on the user's own tickets become toasts and
//! the unread count of the tab title. The connection reopens by itself with
//! exponential backoff and resumes after the last position it saw.
//!
//! Everything here needs wasm; on the server and without JavaScript the
//! context stays empty and pages work by reloading.

use crate::AuthVersion;
use crate::components::header::CurrentUser;
use crate::domain::{
    Activity, LiveActivity, LiveTicketEvent, PRESENCE_HEARTBEAT_MS, TYPING_HEARTBEAT_MS, UserReference,
};
use leptos::prelude::*;
use leptos_router::components::A;
use std::collections::{BTreeMap, HashMap};

/// How long a toast stays, in ms.
pub const TOAST_MS: u64 = 6_000;
/// Most toasts shown at once; older ones go first.
const TOAST_MAX: usize = 4;
/// First reconnection delay, in ms; it doubles with each failed attempt.
const BACKOFF_FIRST_MS: f64 = 500.0;
/// Longest reconnection delay, in ms.
const BACKOFF_MAX_MS: f64 = 30_000.0;

/// Where the live connection stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LiveState {
    /// Not logged in, or not in a browser.
    Off,
    /// Opening the first connection.
    Connecting,
    /// The stream is open and has said `ready`.
    Live,
    /// The stream broke; waiting to try again.
    Reconnecting,
}

impl LiveState {
    /// The value of the pill's `data-live-state` attribute.
    pub fn as_str(self) -> &'static str {
        match self {
            LiveState::Off => "off",
            LiveState::Connecting => "connecting",
            LiveState::Live => "live",
            LiveState::Reconnecting => "reconnecting",
        }
    }
}

/// Someone else on a ticket page, as their announcements tell.
#[derive(Debug, Clone, PartialEq)]
pub struct Presence {
    pub user: UserReference,
    /// Has the ticket page open. Requesters are not told who is viewing,
    /// only who is typing a reply to them.
    pub viewing: bool,
    /// Writing a reply or note right now.
    pub typing: bool,
    /// The text being written is an internal note.
    pub internal: bool,
    /// Gone after this time (ms since the epoch) without news.
    viewing_until: f64,
    /// Stopped typing after this time without news.
    typing_until: f64,
}

/// A short notice about activity on one of the user's tickets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Toast {
    pub id: u64,
    pub ticket_id: i64,
    pub text: String,
    /// The ticket page.
    pub href: String,
}

/// The live-update state of the tab, provided by [`crate::App`].
#[derive(Clone, Copy)]
pub struct Live {
    /// The connection's state, for the header's pill.
    pub state: RwSignal<LiveState>,
    /// Bumped by every ticket event and every reset: lists depend on it.
    pub changes: RwSignal<u64>,
    /// Bumped when the server could not replay what was missed: every page refetches.
    pub resets: RwSignal<u64>,
    /// Events per ticket, under the ticket id and the upper-case reference.
    ticket_changes: RwSignal<HashMap<String, u64>>,
    /// Who else is on which ticket (ticket id → people), without the user.
    pub activity: RwSignal<HashMap<i64, Vec<Presence>>>,
    /// Tickets of the user with activity they have not looked at (id → reference).
    pub unread: RwSignal<BTreeMap<i64, String>>,
    pub toasts: RwSignal<Vec<Toast>>,
    /// The ticket whose page is open, if any.
    pub open_ticket: RwSignal<Option<i64>>,
    /// Bumped when someone starts viewing the open ticket, so that the page
    /// announces itself to them.
    pub newcomers: RwSignal<u64>,
    next_toast: StoredValue<u64>,
}

impl Default for Live {
    fn default() -> Self {
        Self::new()
    }
}

impl Live {
    /// An empty, disconnected state.
    pub fn new() -> Self {
        Live {
            state: RwSignal::new(LiveState::Off),
            changes: RwSignal::new(0),
            resets: RwSignal::new(0),
            ticket_changes: RwSignal::new(HashMap::new()),
            activity: RwSignal::new(HashMap::new()),
            unread: RwSignal::new(BTreeMap::new()),
            toasts: RwSignal::new(Vec::new()),
            open_ticket: RwSignal::new(None),
            newcomers: RwSignal::new(0),
            next_toast: StoredValue::new(0),
        }
    }

    /// A number that changes whenever the ticket `key` (id or reference) changes
    /// or everything must be reloaded. Tracked: use it in a resource's source.
    pub fn ticket_version(&self, key: &str) -> u64 {
        let key = key.trim().to_uppercase();
        self.resets.get() + self.ticket_changes.with(|changes| changes.get(&key).copied().unwrap_or(0))
    }

    /// How many tickets have unread activity (tracked).
    ///
    /// 0 once the signal is disposed: leptos_meta may still format a title
    /// after the page's reactive owner is gone (server rendering under load).
    pub fn unread_count(&self) -> usize {
        self.unread.try_with(BTreeMap::len).unwrap_or(0)
    }

    /// The people on ticket `ticket_id` (tracked).
    pub fn people(&self, ticket_id: i64) -> Vec<Presence> {
        self.activity.with(|activity| activity.get(&ticket_id).cloned().unwrap_or_default())
    }

    /// Takes a ticket event from the stream (already deduplicated) for the user
    /// `me`; returns the id of the toast it raised, if any.
    pub fn receive_ticket(&self, event: &LiveTicketEvent, me: i64) -> Option<u64> {
        self.ticket_changes.update(|changes| {
            for key in [event.ticket_id.to_string(), event.reference.to_uppercase()] {
                *changes.entry(key).or_default() += 1;
            }
        });
        self.changes.update(|changes| *changes += 1);
        let by_someone_else = event.actor.as_ref().is_none_or(|actor| actor.id != me);
        let open = self.open_ticket.get_untracked() == Some(event.ticket_id);
        if !event.mine || !by_someone_else || open {
            return None;
        }
        self.unread.update(|unread| {
            unread.insert(event.ticket_id, event.reference.clone());
        });
        let id = self.next_toast.get_value() + 1;
        self.next_toast.set_value(id);
        let toast = Toast {
            id,
            ticket_id: event.ticket_id,
            text: toast_text(event),
            href: format!("/tickets/{}", event.reference),
        };
        self.toasts.update(|toasts| {
            toasts.push(toast);
            let excess = toasts.len().saturating_sub(TOAST_MAX);
            toasts.drain(..excess);
        });
        Some(id)
    }

    /// Everything must be reloaded (the server could not replay what was missed).
    pub fn reset(&self) {
        self.resets.update(|resets| *resets += 1);
        self.changes.update(|changes| *changes += 1);
    }

    /// Takes someone's activity from the stream at time `now` (ms).
    pub fn receive_activity(&self, activity: &LiveActivity, now: f64) {
        let mut newcomer = false;
        self.activity.update(|people| {
            let list = people.entry(activity.ticket_id).or_default();
            newcomer = update_presence(list, activity, now);
            if list.is_empty() {
                people.remove(&activity.ticket_id);
            }
        });
        if newcomer && self.open_ticket.get_untracked() == Some(activity.ticket_id) {
            self.newcomers.update(|newcomers| *newcomers += 1);
        }
    }

    /// Forgets viewers and typers unheard of for too long (at time `now`, ms).
    pub fn prune(&self, now: f64) {
        let stale =
            self.activity.with_untracked(|people| people.values().flatten().any(|person| is_stale(person, now)));
        if stale {
            self.activity.update(|people| prune_presence(people, now));
        }
    }

    /// Removes one toast.
    pub fn dismiss(&self, id: u64) {
        self.toasts.update(|toasts| toasts.retain(|toast| toast.id != id));
    }

    /// Marks ticket `ticket_id` as open (or none): its activity is read.
    pub fn set_open_ticket(&self, ticket_id: Option<i64>) {
        self.open_ticket.set(ticket_id);
        if let Some(ticket_id) = ticket_id
            && self.unread.with_untracked(|unread| unread.contains_key(&ticket_id))
        {
            self.unread.update(|unread| {
                unread.remove(&ticket_id);
            });
            self.toasts.update(|toasts| toasts.retain(|toast| toast.ticket_id != ticket_id));
        }
    }

    /// Forgets everything about the previous user (after a log-out).
    pub fn clear(&self) {
        self.activity.set(HashMap::new());
        self.unread.set(BTreeMap::new());
        self.toasts.set(Vec::new());
    }
}

/// Applies one announcement to the people of a ticket; true when it reveals
/// someone who was not known to be there.
fn update_presence(people: &mut Vec<Presence>, activity: &LiveActivity, now: f64) -> bool {
    let position = people.iter().position(|person| person.user.id == activity.user.id);
    if activity.activity == Activity::Left {
        if let Some(position) = position {
            people.remove(position);
        }
        return false;
    }
    let newcomer = position.is_none();
    let index = position.unwrap_or_else(|| {
        people.push(Presence {
            user: activity.user.clone(),
            viewing: false,
            typing: false,
            internal: false,
            viewing_until: 0.0,
            typing_until: 0.0,
        });
        people.len() - 1
    });
    let person = &mut people[index];
    person.user.username = activity.user.username.clone();
    match activity.activity {
        Activity::Viewing => {
            person.viewing = true;
            person.viewing_until = now + 3.0 * f64::from(PRESENCE_HEARTBEAT_MS);
        }
        Activity::Typing => {
            person.typing = true;
            person.internal = activity.internal;
            person.typing_until = now + 2.0 * f64::from(TYPING_HEARTBEAT_MS);
        }
        Activity::Stopped => person.typing = false,
        Activity::Left => {}
    }
    if !person.viewing && !person.typing {
        people.remove(index);
    }
    newcomer
}

fn is_stale(person: &Presence, now: f64) -> bool {
    (person.viewing && person.viewing_until < now) || (person.typing && person.typing_until < now)
}

fn prune_presence(people: &mut HashMap<i64, Vec<Presence>>, now: f64) {
    for list in people.values_mut() {
        for person in list.iter_mut() {
            person.viewing &= person.viewing_until >= now;
            person.typing &= person.typing_until >= now;
        }
        list.retain(|person| person.viewing || person.typing);
    }
    people.retain(|_, list| !list.is_empty());
}

/// "SUP-0042: new reply from alice".
pub fn toast_text(event: &LiveTicketEvent) -> String {
    let actor = event.actor.as_ref().map(|actor| actor.username.as_str()).unwrap_or("Guichet");
    let value = |key: &str| match event.data.get(key) {
        Some(serde_json::Value::String(text)) => text.replace('_', " "),
        Some(serde_json::Value::Object(object)) => {
            object.get("username").and_then(|name| name.as_str()).unwrap_or("someone").to_string()
        }
        Some(serde_json::Value::Null) | None => "nobody".into(),
        Some(other) => other.to_string(),
    };
    let what = match event.action.as_str() {
        "created" => format!("opened by {actor}"),
        "replied" => format!("new reply from {actor}"),
        "note_added" => format!("internal note from {actor}"),
        "status_changed" => format!("status set to {} by {actor}", value("to")),
        "priority_changed" => format!("priority set to {} by {actor}", value("to")),
        "category_changed" => format!("category set to {} by {actor}", value("to")),
        "assigned" => format!("assigned to {} by {actor}", value("to")),
        "unassigned" => format!("unassigned by {actor}"),
        "escalated" => format!("escalated by {actor}"),
        "reopened" => format!("reopened by {actor}"),
        other => format!("{} by {actor}", other.replace('_', " ")),
    };
    format!("{}: {what}", event.reference)
}

/// The wait (ms) before reconnection attempt `attempt` (0 for the first):
/// 0.5 s doubling up to 30 s, times a jitter factor between 0.5 and 1 taken
/// from `random` (in 0..1), so that many tabs cut at once do not come back
/// together.
pub fn backoff_ms(attempt: u32, random: f64) -> f64 {
    let base = (BACKOFF_FIRST_MS * 2f64.powi(attempt.min(16) as i32)).min(BACKOFF_MAX_MS);
    base * (0.5 + 0.5 * random.clamp(0.0, 1.0))
}

/// The tab title's unread prefix: `(3) ` (empty for none).
pub fn unread_prefix(count: usize) -> String {
    if count == 0 { String::new() } else { format!("({count}) ") }
}

/// A counter that follows `source` at most once per `interval_ms` (the last
/// change always gets through, late). For refetching lists on bursts of events.
pub fn throttled(source: RwSignal<u64>, interval_ms: u64) -> RwSignal<u64> {
    let output = RwSignal::new(source.get_untracked());
    #[cfg(feature = "hydrate")]
    {
        let last = StoredValue::new(0f64);
        let pending = StoredValue::new(false);
        Effect::new(move |_| {
            let value = source.get();
            if value == output.get_untracked() || pending.get_value() {
                return;
            }
            let now = web_sys::js_sys::Date::now();
            let wait = last.get_value() + interval_ms as f64 - now;
            if wait <= 0.0 {
                last.set_value(now);
                output.set(value);
            } else {
                pending.set_value(true);
                set_timeout(
                    move || {
                        pending.set_value(false);
                        last.set_value(web_sys::js_sys::Date::now());
                        output.set(source.get_untracked());
                    },
                    std::time::Duration::from_millis(wait as u64),
                );
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = interval_ms;
    output
}

/// Sends the user's activity on a ticket (fire and forget).
pub fn announce(ticket_id: i64, activity: Activity, internal: bool) {
    #[cfg(feature = "hydrate")]
    leptos::task::spawn_local(async move {
        let _ =
            crate::functions::live::announce_activity(ticket_id.to_string(), activity.as_str().into(), internal).await;
    });
    #[cfg(not(feature = "hydrate"))]
    let _ = (ticket_id, activity, internal);
}

/// Runs the connection while someone is logged in, and shows its state
/// (a discreet "Reconnecting…" pill) and the toasts. Renders nothing on the server.
#[component]
pub fn LiveConnection() -> impl IntoView {
    let live = expect_context::<Live>();
    let CurrentUser(user) = expect_context::<CurrentUser>();
    let auth = expect_context::<AuthVersion>();
    Effect::new(move |_| {
        // Every refetch of the current user lands here; `start` ignores repeats.
        #[cfg(feature = "hydrate")]
        match user.get() {
            Some(Some(user)) => client::start(live, auth, user.id, user.role),
            Some(None) => client::stop(),
            None => {}
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (user, auth);
    });
    let state = live.state;
    view! {
        {move || (state.get() != LiveState::Off).then(|| view! {
            <span
                class="live-state"
                data-live-state=move || state.get().as_str()
                hidden=move || state.get() != LiveState::Reconnecting
                role="status"
                title="The connection to the server was lost; trying again"
            >
                "Reconnecting…"
            </span>
        })}
        {move || (live.unread_count() > 0).then(|| view! {
            <span class="unread-count" data-testid="unread-count" title=move || {
                live.unread.with(|unread| format!("Activity on {}", unread.values().cloned().collect::<Vec<_>>().join(", ")))
            }>
                {move || live.unread_count()}
            </span>
        })}
        <div class="toasts" aria-live="polite">
            <For
                each=move || live.toasts.get()
                key=|toast| toast.id
                children=move |toast| {
                    let id = toast.id;
                    view! {
                        <div class="toast" role="status" data-testid="toast">
                            <A href=toast.href on:click=move |_| live.dismiss(id)>{toast.text}</A>
                            <button type="button" class="toast-close" aria-label="Dismiss" on:click=move |_| live.dismiss(id)>
                                "×"
                            </button>
                        </div>
                    }
                }
            />
        </div>
    }
}

/// Keeps the others informed that the user is on ticket `ticket_id` (heartbeats,
/// `left` when leaving) and shows who else is there ("Also here: alice, bruno").
#[component]
pub fn TicketPresence(ticket_id: i64) -> impl IntoView {
    let live = expect_context::<Live>();
    #[cfg(feature = "hydrate")]
    {
        use std::time::Duration;
        live.set_open_ticket(Some(ticket_id));
        let heartbeat = set_interval_with_handle(
            move || announce(ticket_id, Activity::Viewing, false),
            Duration::from_millis(PRESENCE_HEARTBEAT_MS.into()),
        )
        .ok();
        // Someone new arrived: tell them we are here (once, shortly after).
        let reply = StoredValue::new(None::<TimeoutHandle>);
        Effect::new(move |previous: Option<u64>| {
            let newcomers = live.newcomers.get();
            if previous.is_some_and(|previous| previous != newcomers) && reply.get_value().is_none() {
                let handle = set_timeout_with_handle(
                    move || {
                        reply.set_value(None);
                        announce(ticket_id, Activity::Viewing, false);
                    },
                    Duration::from_millis(250),
                )
                .ok();
                reply.set_value(handle);
            }
            newcomers
        });
        // The first announcement waits for the stream, so that the answers of
        // those already here (see `newcomers`) reach us; after a reconnection
        // the others may have forgotten us.
        Effect::new(move |previous: Option<LiveState>| {
            let state = live.state.get();
            if state == LiveState::Live && previous != Some(LiveState::Live) {
                announce(ticket_id, Activity::Viewing, false);
            }
            state
        });
        let page_hide = window_event_listener(leptos::ev::pagehide, move |_| client::beacon_left(ticket_id));
        on_cleanup(move || {
            page_hide.remove();
            if let Some(handle) = heartbeat {
                handle.clear();
            }
            if let Some(handle) = reply.try_get_value().flatten() {
                handle.clear();
            }
            announce(ticket_id, Activity::Left, false);
            if live.open_ticket.try_get_untracked() == Some(Some(ticket_id)) {
                live.set_open_ticket(None);
            }
        });
    }
    let names = move || {
        live.people(ticket_id)
            .into_iter()
            .filter(|person| person.viewing)
            .map(|person| person.user.username)
            .collect::<Vec<_>>()
            .join(", ")
    };
    move || {
        let names = names();
        (!names.is_empty()).then(|| view! { <p class="presence" data-testid="presence">"Also here: "{names}</p> })
    }
}

/// "alice is replying…" / "bruno is writing an internal note…" for ticket `ticket_id`.
#[component]
pub fn TypingIndicator(ticket_id: i64) -> impl IntoView {
    let live = expect_context::<Live>();
    let text = move || {
        live.people(ticket_id)
            .into_iter()
            .filter(|person| person.typing)
            .map(|person| {
                let what = if person.internal { "is writing an internal note…" } else { "is replying…" };
                format!("{} {what}", person.user.username)
            })
            .collect::<Vec<_>>()
            .join(" · ")
    };
    move || {
        let text = text();
        (!text.is_empty())
            .then(|| view! { <p class="typing-indicator" data-testid="typing-indicator" aria-live="polite">{text}</p> })
    }
}

/// Announces typing in a reply form: `typing` at most every
/// [`TYPING_HEARTBEAT_MS`] while keys are pressed, `stopped` after as long
/// without input, on sending and when the text is emptied.
#[derive(Clone, Copy)]
pub struct Typing {
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    ticket_id: i64,
    /// The form is set to write an internal note.
    pub internal: RwSignal<bool>,
    /// When `typing` was last sent (ms), 0 when not typing.
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    sent_at: StoredValue<f64>,
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    idle: StoredValue<Option<TimeoutHandle>>,
}

impl Typing {
    /// Typing announcements for ticket `ticket_id`; stops when the owner is cleaned up.
    pub fn new(ticket_id: i64) -> Self {
        let typing = Typing {
            ticket_id,
            internal: RwSignal::new(false),
            sent_at: StoredValue::new(0.0),
            idle: StoredValue::new(None),
        };
        on_cleanup(move || typing.stop());
        typing
    }

    /// The text is now `text`.
    pub fn on_input(&self, text: &str) {
        #[cfg(feature = "hydrate")]
        {
            if text.trim().is_empty() {
                self.stop();
                return;
            }
            let now = web_sys::js_sys::Date::now();
            if now - self.sent_at.get_value() >= f64::from(TYPING_HEARTBEAT_MS) {
                self.sent_at.set_value(now);
                announce(self.ticket_id, Activity::Typing, self.internal.get_untracked());
            }
            if let Some(handle) = self.idle.get_value() {
                handle.clear();
            }
            let this = *self;
            let handle = set_timeout_with_handle(
                move || {
                    this.idle.try_set_value(None);
                    this.stop();
                },
                std::time::Duration::from_millis(TYPING_HEARTBEAT_MS.into()),
            )
            .ok();
            self.idle.set_value(handle);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = text;
    }

    /// Switches between reply and internal note; re-announces if typing.
    pub fn set_internal(&self, internal: bool) {
        self.internal.set(internal);
        #[cfg(feature = "hydrate")]
        if self.sent_at.get_value() > 0.0 {
            self.sent_at.set_value(web_sys::js_sys::Date::now());
            announce(self.ticket_id, Activity::Typing, internal);
        }
    }

    /// Typing is over (idle, sent, emptied or page left).
    pub fn stop(&self) {
        #[cfg(feature = "hydrate")]
        {
            if let Some(Some(handle)) = self.idle.try_get_value() {
                handle.clear();
            }
            self.idle.try_set_value(None);
            if self.sent_at.try_get_value().unwrap_or(0.0) > 0.0 {
                self.sent_at.try_set_value(0.0);
                announce(self.ticket_id, Activity::Stopped, self.internal.try_get_untracked().unwrap_or(false));
            }
        }
    }
}

/// The `EventSource` side: one connection per tab, reopened with backoff.
#[cfg(feature = "hydrate")]
mod client {
    use super::{Live, LiveState, backoff_ms};
    use crate::AuthVersion;
    use crate::domain::{LiveActivity, LiveReady, LiveTicketEvent, Role};
    use leptos::prelude::*;
    use std::cell::RefCell;
    use std::time::Duration;
    use wasm_bindgen::{JsCast, closure::Closure};
    use web_sys::{EventSource, MessageEvent};

    type Listener = Closure<dyn FnMut(web_sys::Event)>;
    /// Handles one stream event of the connection with the given generation.
    type Handler = fn(u64, web_sys::Event);

    /// What the listeners need; copied out of [`Connection`] before use so that
    /// no borrow is held while signals run their effects.
    #[derive(Clone, Copy)]
    struct Session {
        live: Live,
        auth: AuthVersion,
        me: i64,
        role: Role,
    }

    #[derive(Default)]
    struct Connection {
        /// Bumped by every start and stop: callbacks of older ones do nothing.
        generation: u64,
        session: Option<Session>,
        source: Option<EventSource>,
        listeners: Vec<Listener>,
        /// Listeners of closed streams, dropped later: one of them may be running.
        retired: Vec<Listener>,
        last_position: Option<i64>,
        attempts: u32,
        retry: Option<TimeoutHandle>,
        prune: Option<IntervalHandle>,
    }

    thread_local! {
        static CONNECTION: RefCell<Connection> = RefCell::default();
    }

    /// Connects for user `me` unless already connected (or reconnecting) for them.
    pub fn start(live: Live, auth: AuthVersion, me: i64, role: Role) {
        let running = CONNECTION.with_borrow_mut(|connection| match connection.session.as_mut() {
            Some(session) if session.me == me => {
                session.role = role;
                true
            }
            _ => false,
        });
        if running {
            return;
        }
        stop();
        let prune =
            set_interval_with_handle(move || live.prune(web_sys::js_sys::Date::now()), Duration::from_secs(1)).ok();
        CONNECTION.with_borrow_mut(|connection| {
            connection.generation += 1;
            connection.session = Some(Session { live, auth, me, role });
            connection.last_position = None;
            connection.attempts = 0;
            connection.prune = prune;
        });
        live.state.set(LiveState::Connecting);
        open();
    }

    /// Closes the connection for good (logged out).
    pub fn stop() {
        let (source, retry, prune, session) = CONNECTION.with_borrow_mut(|connection| {
            connection.generation += 1;
            let listeners = std::mem::take(&mut connection.listeners);
            connection.retired.extend(listeners);
            (connection.source.take(), connection.retry.take(), connection.prune.take(), connection.session.take())
        });
        if let Some(source) = source {
            source.close();
        }
        if let Some(handle) = retry {
            handle.clear();
        }
        if let Some(handle) = prune {
            handle.clear();
        }
        if let Some(session) = session {
            session.live.state.set(LiveState::Off);
            session.live.clear();
        }
    }

    fn open() {
        let opened = CONNECTION.with_borrow_mut(|connection| {
            connection.retired.clear();
            let session = connection.session?;
            let url = match connection.last_position {
                Some(position) => format!("/api/v1/events?after={position}"),
                None => "/api/v1/events".to_string(),
            };
            Some((connection.generation, url, session))
        });
        let Some((generation, url, _session)) = opened else { return };
        let Ok(source) = EventSource::new(&url) else {
            schedule_retry(generation);
            return;
        };
        let handlers: [(&str, Handler); 4] =
            [("ready", on_ready), ("ticket", on_ticket), ("activity", on_activity), ("error", on_error)];
        let listeners: Vec<Listener> = handlers
            .into_iter()
            .map(|(name, handler)| {
                let listener: Listener = Closure::new(move |event: web_sys::Event| handler(generation, event));
                let _ = source.add_event_listener_with_callback(name, listener.as_ref().unchecked_ref());
                listener
            })
            .collect();
        CONNECTION.with_borrow_mut(|connection| {
            connection.source = Some(source);
            connection.listeners = listeners;
        });
    }

    /// The current session, if `generation` is still the running one.
    fn session(generation: u64) -> Option<Session> {
        CONNECTION.with_borrow(|connection| connection.session.filter(|_| connection.generation == generation))
    }

    fn data<T: serde::de::DeserializeOwned>(event: &web_sys::Event) -> Option<T> {
        let text = event.dyn_ref::<MessageEvent>()?.data().as_string()?;
        serde_json::from_str(&text).ok()
    }

    fn on_ready(generation: u64, event: web_sys::Event) {
        let Some(ready) = data::<LiveReady>(&event) else { return };
        let Some(session) = session(generation) else { return };
        CONNECTION.with_borrow_mut(|connection| {
            connection.attempts = 0;
            if ready.reset || connection.last_position.is_none() {
                connection.last_position = Some(ready.position);
            }
        });
        session.live.state.set(LiveState::Live);
        if ready.reset {
            session.live.reset();
        }
    }

    fn on_ticket(generation: u64, event: web_sys::Event) {
        let Some(ticket_event) = data::<LiveTicketEvent>(&event) else { return };
        let Some(session) = session(generation) else { return };
        let fresh = CONNECTION.with_borrow_mut(|connection| {
            if connection.last_position.is_some_and(|last| ticket_event.position <= last) {
                return false;
            }
            connection.last_position = Some(ticket_event.position);
            true
        });
        if !fresh {
            return;
        }
        let live = session.live;
        if let Some(toast) = live.receive_ticket(&ticket_event, session.me) {
            set_timeout(move || live.dismiss(toast), Duration::from_millis(super::TOAST_MS));
        }
    }

    fn on_activity(generation: u64, event: web_sys::Event) {
        let Some(activity) = data::<LiveActivity>(&event) else { return };
        let Some(session) = session(generation) else { return };
        session.live.receive_activity(&activity, web_sys::js_sys::Date::now());
    }

    fn on_error(generation: u64, _event: web_sys::Event) {
        let source = CONNECTION.with_borrow_mut(|connection| {
            if connection.generation != generation {
                return None;
            }
            let listeners = std::mem::take(&mut connection.listeners);
            connection.retired.extend(listeners);
            connection.source.take()
        });
        let Some(source) = source else { return };
        source.close();
        schedule_retry(generation);
    }

    fn schedule_retry(generation: u64) {
        let Some(session) = session(generation) else { return };
        let attempt = CONNECTION.with_borrow_mut(|connection| {
            connection.attempts += 1;
            connection.attempts - 1
        });
        session.live.state.set(LiveState::Reconnecting);
        let delay = backoff_ms(attempt, web_sys::js_sys::Math::random());
        let handle = set_timeout_with_handle(move || retry(generation), Duration::from_millis(delay as u64)).ok();
        CONNECTION.with_borrow_mut(|connection| connection.retry = handle);
    }

    /// Checks the session first: a stream refused for want of one (401) looks
    /// like any other failure to `EventSource`.
    fn retry(generation: u64) {
        CONNECTION.with_borrow_mut(|connection| connection.retry = None);
        let Some(session) = session(generation) else { return };
        leptos::task::spawn_local(async move {
            let answer = crate::functions::accounts::current_user().await;
            if self::session(generation).is_none() {
                return;
            }
            match answer {
                Ok(Some(user)) if user.id == session.me => {
                    if user.role != session.role {
                        CONNECTION.with_borrow_mut(|connection| {
                            if let Some(current) = connection.session.as_mut() {
                                current.role = user.role;
                            }
                        });
                        // The header shows the new role's navigation.
                        session.auth.0.update(|version| *version += 1);
                    }
                    open();
                }
                Ok(_) => {
                    // Logged out (or in as someone else): stay off until the
                    // header learns who is there and starts again.
                    stop();
                    session.auth.0.update(|version| *version += 1);
                }
                Err(_) => schedule_retry(generation),
            }
        });
    }

    /// Tells the others the page is going away, even as it unloads.
    pub fn beacon_left(ticket_id: i64) {
        let Some(window) = web_sys::window() else { return };
        if let Ok(body) =
            web_sys::UrlSearchParams::new_with_str(&format!("ticket={ticket_id}&activity=left&internal=false"))
        {
            let _ = window.navigator().send_beacon_with_opt_url_search_params("/fn/announce_activity", Some(&body));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::UserReference;

    fn activity(user: i64, activity: Activity, internal: bool) -> LiveActivity {
        LiveActivity {
            ticket_id: 7,
            user: UserReference { id: user, username: format!("user{user}") },
            activity,
            internal,
        }
    }

    #[test]
    fn presence_follows_announcements_and_expires() {
        let mut people = Vec::new();
        assert!(update_presence(&mut people, &activity(1, Activity::Viewing, false), 0.0));
        assert!(!update_presence(&mut people, &activity(1, Activity::Viewing, false), 1_000.0));
        assert!(update_presence(&mut people, &activity(2, Activity::Viewing, false), 1_000.0));
        assert!(!update_presence(&mut people, &activity(2, Activity::Typing, true), 1_000.0));
        assert!(people[1].typing && people[1].internal);
        update_presence(&mut people, &activity(2, Activity::Stopped, true), 2_000.0);
        assert!(!people[1].typing && people[1].viewing);

        update_presence(&mut people, &activity(2, Activity::Typing, false), 2_000.0);
        update_presence(&mut people, &activity(2, Activity::Viewing, false), 2_000.0);
        let mut map = HashMap::from([(7, people)]);
        // Typing ends after two typing heartbeats without news; viewing after three presence heartbeats.
        prune_presence(&mut map, 2_000.0 + 2.0 * f64::from(TYPING_HEARTBEAT_MS) + 1.0);
        assert!(!map[&7][1].typing);
        assert_eq!(map[&7].len(), 2);
        prune_presence(&mut map, 1_000.0 + 3.0 * f64::from(PRESENCE_HEARTBEAT_MS) + 1.0);
        assert_eq!(map[&7].iter().map(|person| person.user.id).collect::<Vec<_>>(), vec![2]);

        let mut people = map.remove(&7).unwrap();
        update_presence(&mut people, &activity(2, Activity::Left, false), 3_000.0);
        assert!(people.is_empty());
    }

    #[test]
    fn a_typer_not_seen_viewing_is_only_typing() {
        // What a requester gets: typing and stopped, never viewing.
        let mut people = Vec::new();
        assert!(update_presence(&mut people, &activity(3, Activity::Typing, false), 0.0));
        assert!(people[0].typing && !people[0].viewing);
        update_presence(&mut people, &activity(3, Activity::Stopped, false), 500.0);
        assert!(people.is_empty());

        update_presence(&mut people, &activity(3, Activity::Typing, false), 1_000.0);
        let mut map = HashMap::from([(7, people)]);
        prune_presence(&mut map, 1_000.0 + 2.0 * f64::from(TYPING_HEARTBEAT_MS) + 1.0);
        assert!(map.is_empty());
    }

    #[test]
    fn toasts_say_what_happened() {
        let event = LiveTicketEvent {
            position: 3,
            event_id: 9,
            ticket_id: 7,
            reference: "SUP-0042".into(),
            action: "replied".into(),
            actor: Some(UserReference { id: 1, username: "alice".into() }),
            data: serde_json::json!({"message_id": 4}),
            created_at: chrono::Utc::now(),
            mine: true,
        };
        assert_eq!(toast_text(&event), "SUP-0042: new reply from alice");
        let status = LiveTicketEvent {
            action: "status_changed".into(),
            data: serde_json::json!({"from": "open", "to": "in_progress"}),
            ..event
        };
        assert_eq!(toast_text(&status), "SUP-0042: status set to in progress by alice");
    }

    #[test]
    fn backoff_doubles_up_to_thirty_seconds_with_jitter() {
        assert_eq!(backoff_ms(0, 1.0), 500.0);
        assert_eq!(backoff_ms(0, 0.0), 250.0);
        assert_eq!(backoff_ms(3, 1.0), 4_000.0);
        assert_eq!(backoff_ms(10, 1.0), 30_000.0);
        assert_eq!(backoff_ms(u32::MAX, 0.5), 22_500.0);
    }

    #[test]
    fn unread_prefix_only_when_something_is_unread() {
        assert_eq!(unread_prefix(0), "");
        assert_eq!(unread_prefix(2), "(2) ");
    }
}
