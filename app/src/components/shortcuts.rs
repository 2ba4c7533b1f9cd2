//! Keyboard shortcuts for agents (issue 13): on the dashboard `j` / `k`
//! move between tickets, `Enter` opens the one in focus, `/` goes to the
//! search box; on a ticket `r` starts a reply, `n` an internal note,
//! `Ctrl+Enter` sends, `Esc` leaves the box; `?` lists them anywhere.
//! None fires while typing in a field (or with Ctrl, Alt or Meta held),
//! except `Ctrl+Enter` and `Esc`, which belong to the reply box itself.
//! They need the wasm; without it the pages work as they are.

use crate::t;
use leptos::prelude::*;

/// The id of the shortcuts dialog.
const DIALOG_ID: &str = "keyboard-shortcuts";

/// Whether a key press should be left alone: the user is typing in a
/// field, or holds a modifier (the browser's and the system's shortcuts).
#[cfg(feature = "hydrate")]
pub fn leave_alone(event: &web_sys::KeyboardEvent) -> bool {
    use wasm_bindgen::JsCast;
    if event.ctrl_key() || event.alt_key() || event.meta_key() || event.default_prevented() {
        return true;
    }
    let element = event.target().and_then(|target| target.dyn_into::<web_sys::HtmlElement>().ok());
    element.is_some_and(|element| {
        matches!(element.tag_name().as_str(), "INPUT" | "TEXTAREA" | "SELECT") || element.is_content_editable()
    })
}

/// Listens to `keydown` on the window while the calling component lives.
#[cfg(feature = "hydrate")]
pub fn on_key(handler: impl Fn(web_sys::KeyboardEvent) + 'static) {
    let handle = window_event_listener(leptos::ev::keydown, handler);
    on_cleanup(move || handle.remove());
}

/// Focuses the first element matching `selector`, if any; `true` if found.
#[cfg(feature = "hydrate")]
pub fn focus(selector: &str) -> bool {
    use wasm_bindgen::JsCast;
    let element = document().query_selector(selector).ok().flatten();
    match element.and_then(|element| element.dyn_into::<web_sys::HtmlElement>().ok()) {
        Some(element) => element.focus().is_ok(),
        None => false,
    }
}

/// The dashboard's shortcuts: `j` / `k` focus the next / previous ticket's
/// link (the first one when none has focus), so `Enter` opens it; `/`
/// focuses the search box.
pub fn dashboard_shortcuts() {
    #[cfg(feature = "hydrate")]
    on_key(|event| {
        use wasm_bindgen::JsCast;
        if event.key() == "Escape"
            && let Some(field) = event.target().and_then(|target| target.dyn_into::<web_sys::HtmlInputElement>().ok())
        {
            // Esc leaves the search box (after the browser clears it).
            let _ = field.blur();
            return;
        }
        if leave_alone(&event) {
            return;
        }
        match event.key().as_str() {
            // Focused in the guard: only then is the key taken from the page.
            "/" if focus("input[name=q]") => event.prevent_default(),
            key @ ("j" | "k") => {
                let Ok(links) = document().query_selector_all("table.tickets-table tbody a.subject") else { return };
                if links.length() == 0 {
                    return;
                }
                let active = document().active_element();
                let current = (0..links.length()).find(|index| {
                    links.item(*index).zip(active.as_ref()).is_some_and(|(link, active)| {
                        link.dyn_ref::<web_sys::Element>().is_some_and(|link| link == active)
                    })
                });
                let next = match (current, key) {
                    (None, _) => 0,
                    (Some(index), "j") => (index + 1).min(links.length() - 1),
                    (Some(index), _) => index.saturating_sub(1),
                };
                if let Some(link) = links.item(next).and_then(|node| node.dyn_into::<web_sys::HtmlElement>().ok()) {
                    event.prevent_default();
                    let _ = link.focus();
                }
            }
            _ => {}
        }
    });
}

/// The list of shortcuts in a dialog that `?` opens (and a button in the
/// page's footer), closed with `Esc` or its button.
#[component]
pub fn ShortcutHelp() -> impl IntoView {
    #[cfg(feature = "hydrate")]
    on_key(|event| {
        if event.key() == "?" && !leave_alone(&event) {
            event.prevent_default();
            open_dialog();
        }
    });
    let open = move |_| {
        #[cfg(feature = "hydrate")]
        open_dialog();
    };
    let close = move |_| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            if let Some(dialog) = document()
                .get_element_by_id(DIALOG_ID)
                .and_then(|element| element.dyn_into::<web_sys::HtmlDialogElement>().ok())
            {
                dialog.close();
            }
        }
    };
    let rows = [
        ("j / k", t!(shortcuts.next_previous)),
        ("Enter", t!(shortcuts.open)),
        ("/", t!(shortcuts.search)),
        ("r", t!(shortcuts.reply)),
        ("n", t!(shortcuts.note)),
        ("Ctrl + Enter", t!(shortcuts.send)),
        ("Esc", t!(shortcuts.leave)),
        ("?", t!(shortcuts.help)),
    ];
    view! {
        <footer class="site-footer">
            <button type="button" class="link-button" data-testid="shortcuts-button" on:click=open>
                {t!(shortcuts.title)}" (?)"
            </button>
        </footer>
        <dialog id=DIALOG_ID class="shortcuts" aria-labelledby="keyboard-shortcuts-title">
            <h2 id="keyboard-shortcuts-title">{t!(shortcuts.title)}</h2>
            <p>{t!(shortcuts.intro)}</p>
            <table class="data-table">
                <thead>
                    <tr><th scope="col">{t!(shortcuts.key)}</th><th scope="col">{t!(shortcuts.action)}</th></tr>
                </thead>
                <tbody>
                    {rows.into_iter().map(|(key, action)| view! { <tr><td><kbd>{key}</kbd></td><td>{action}</td></tr> }).collect_view()}
                </tbody>
            </table>
            <button type="button" on:click=close>{t!(shortcuts.close)}</button>
        </dialog>
    }
}

#[cfg(feature = "hydrate")]
fn open_dialog() {
    use wasm_bindgen::JsCast;
    if let Some(dialog) = document()
        .get_element_by_id(DIALOG_ID)
        .and_then(|element| element.dyn_into::<web_sys::HtmlDialogElement>().ok())
        && !dialog.open()
    {
        let _ = dialog.show_modal();
    }
}
