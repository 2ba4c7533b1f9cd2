//! The live connection seen from the page: [`keep_connected`] runs it while
//! someone is logged in, [`LiveConnection`] shows its state (the
//! "Reconnecting…" pill, the unread count, the toasts), [`throttled`]
//! paces the pages that refetch on its events and [`held_until`] holds those
//! refetches back while a page hydrates.

use super::model::{Live, LiveState};
use crate::domain::User;
use crate::t;
use leptos::prelude::*;
use leptos_router::components::A;

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

/// `version` (a resource's live source, e.g. [`throttled`]'s counter or
/// [`Live::ticket_version`]) held still until `shown` is true, then followed
/// (catching up at once on what changed meanwhile).
///
/// A page sets `shown` from an effect of its hydrated content: a live event
/// that arrives while the page's Transition is still hydrating from the
/// server's data would otherwise refetch its resource, drop that data and
/// fail the hydration ("expected an HTML <div> element").
pub fn held_until(shown: RwSignal<bool>, version: impl Fn() -> u64 + Send + Sync + 'static) -> Memo<u64> {
    Memo::new(move |previous: Option<&u64>| match previous {
        Some(previous) if !shown.get() => *previous,
        _ => version(),
    })
}

/// Runs the tab's connection while someone is logged in: every refetch of
/// `user` (the current user) starts it for them or stops it; the stream bumps
/// `auth_version` when it finds the session or role changed. Called once, by
/// [`crate::providers`]; does nothing on the server.
pub fn keep_connected(live: Live, user: Resource<Option<User>>, auth_version: RwSignal<u32>) {
    Effect::new(move |_| {
        // Every refetch of the current user lands here; `start` ignores repeats.
        #[cfg(feature = "hydrate")]
        match user.get() {
            Some(Some(user)) => super::stream::start(live, auth_version, user.id, user.role),
            Some(None) => super::stream::stop(),
            None => {}
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (live, user, auth_version);
    });
}

/// Shows the live connection's state (a discreet "Reconnecting…" pill), the
/// count of tickets with unread activity and the toasts, from the [`Live`]
/// context. Renders nothing on the server.
#[component]
pub fn LiveConnection() -> impl IntoView {
    let live = expect_context::<Live>();
    let state = live.state;
    view! {
        {move || (state.get() != LiveState::Off).then(|| view! {
            <span
                class="live-state"
                data-live-state=move || state.get().as_str()
                hidden=move || state.get() != LiveState::Reconnecting
                role="status"
                title=t!(live.reconnecting_title)
            >
                {t!(live.reconnecting)}
            </span>
        })}
        {move || (live.unread_count() > 0).then(|| {
            // Said in words to screen readers and in the tooltip, not only as a number.
            let label = move || {
                let references = live.unread.with(|unread| unread.values().cloned().collect::<Vec<_>>().join(", "));
                t!(live.unread_activity, count = live.unread_count(), references = references)
            };
            view! {
                <span class="unread-count" data-testid="unread-count" title=label>
                    <span aria-hidden="true">{move || live.unread_count()}</span>
                    <span class="visually-hidden">{label}</span>
                </span>
            }
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
                            <button type="button" class="toast-close" aria-label=t!(live.dismiss) on:click=move |_| live.dismiss(id)>
                                "×"
                            </button>
                        </div>
                    }
                }
            />
        </div>
    }
}
