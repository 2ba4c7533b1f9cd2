//! Presence and typing on a ticket page: announcing the user's own
//! activity (heartbeats, `left`, typing) and showing the others' ("Also
//! here: alice", "bruno is replying…").

use super::model::Live;
#[cfg(feature = "hydrate")]
use super::model::LiveState;
use crate::domain::Activity;
#[cfg(feature = "hydrate")]
use crate::domain::{PRESENCE_HEARTBEAT_MS, TYPING_HEARTBEAT_MS};
use crate::t;
use leptos::prelude::*;

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
        let page_hide = window_event_listener(leptos::ev::pagehide, move |_| super::stream::beacon_left(ticket_id));
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
        (!names.is_empty())
            .then(|| view! { <p class="presence" data-testid="presence">{t!(live.also_here, names = names)}</p> })
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
                if person.internal {
                    t!(live.writing_note, name = person.user.username)
                } else {
                    t!(live.replying, name = person.user.username)
                }
            })
            .collect::<Vec<_>>()
            .join(" · ")
    };
    // The live region is there from the start (a region that appears with
    // its text is not announced); the line inside comes and goes.
    view! {
        <div class="typing-region" aria-live="polite">
            {move || {
                let text = text();
                (!text.is_empty()).then(|| view! { <p class="typing-indicator" data-testid="typing-indicator">{text}</p> })
            }}
        </div>
    }
}

/// Announces typing in a reply form: `typing` at most every
/// [`crate::domain::TYPING_HEARTBEAT_MS`] while keys are pressed, `stopped` after as long
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
