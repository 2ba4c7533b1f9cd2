//! Light / dark theme switch. The default follows the system; a choice made
//! here is kept on this device (localStorage) and applied before first paint.

use crate::t;
use leptos::prelude::*;

/// A button that flips between the light and dark themes.
#[component]
pub fn ThemeToggle() -> impl IntoView {
    // `None` until the browser says which theme is showing.
    let theme = RwSignal::new(None::<String>);
    Effect::new(move |_| {
        #[cfg(feature = "hydrate")]
        theme.set(Some(current_theme()));
    });
    let toggle = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let next = if current_theme() == "dark" { "light" } else { "dark" };
            apply_theme(next);
            theme.set(Some(next.to_string()));
        }
    };
    let label = move || match theme.get().as_deref() {
        Some("dark") => t!(theme.light),
        Some(_) => t!(theme.dark),
        None => t!(theme.theme),
    };
    view! {
        <button type="button" class="theme-toggle" on:click=toggle data-theme-now=move || theme.get()>
            {label}
        </button>
    }
}

#[cfg(feature = "hydrate")]
fn current_theme() -> String {
    let document = web_sys::window().and_then(|window| window.document());
    let chosen = document
        .as_ref()
        .and_then(|document| document.document_element())
        .and_then(|element| element.get_attribute("data-theme"));
    chosen.unwrap_or_else(|| {
        let dark = web_sys::window()
            .and_then(|window| window.match_media("(prefers-color-scheme: dark)").ok().flatten())
            .is_some_and(|query| query.matches());
        if dark { "dark".into() } else { "light".into() }
    })
}

#[cfg(feature = "hydrate")]
fn apply_theme(theme: &str) {
    let window = web_sys::window();
    if let Some(element) =
        window.as_ref().and_then(|window| window.document()).and_then(|document| document.document_element())
    {
        let _ = element.set_attribute("data-theme", theme);
    }
    if let Some(storage) = window.and_then(|window| window.local_storage().ok().flatten()) {
        let _ = storage.set_item("guichet-theme", theme);
    }
}
