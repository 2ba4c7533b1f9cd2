//! The browser's side of the stream (hydrate only): one `EventSource` per
//! tab on `GET /api/v1/events`, reopened with backoff and resumed after the
//! last position seen, feeding [`Live`]; and the `left` beacon of a page
//! going away.

use super::model::{Live, LiveState, TOAST_MS, backoff_ms};
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
    /// The [`crate::providers::AuthVersion`] signal, bumped when the user's
    /// role or session changed under the stream.
    auth_version: RwSignal<u32>,
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
pub fn start(live: Live, auth_version: RwSignal<u32>, me: i64, role: Role) {
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
    let prune = set_interval_with_handle(move || live.prune(web_sys::js_sys::Date::now()), Duration::from_secs(1)).ok();
    CONNECTION.with_borrow_mut(|connection| {
        connection.generation += 1;
        connection.session = Some(Session { live, auth_version, me, role });
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
        set_timeout(move || live.dismiss(toast), Duration::from_millis(TOAST_MS));
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
                    session.auth_version.update(|version| *version += 1);
                }
                open();
            }
            Ok(_) => {
                // Logged out (or in as someone else): stay off until the
                // header learns who is there and starts again.
                stop();
                session.auth_version.update(|version| *version += 1);
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
