//! Draft autosave: what is typed in a form is saved to the server about a
//! second after the last keystroke, so a reload, a crash or another device
//! gets it back. Needs wasm; without it the form still works, unsaved.

use crate::t;
use leptos::prelude::*;

/// Where the draft stands, for the quiet indicator next to the form.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DraftState {
    /// Nothing typed since the page loaded.
    Idle,
    /// Typed, not yet saved.
    Unsaved,
    Saving,
    Saved,
    /// The last save failed (e.g. offline); the next keystroke retries.
    Failed,
}

/// Debounce before saving, in ms ("about 1 s" in the issue).
pub const DRAFT_DEBOUNCE_MS: u64 = 1000;

/// Saves the named `fields` of the form the `input` events come from as the
/// draft `form_key`. Attach [`Autosave::on_input`] to the form's `input`
/// event and [`Autosave::cancel`] to its `submit`.
#[derive(Clone, Copy)]
pub struct Autosave {
    pub state: RwSignal<DraftState>,
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    timer: StoredValue<Option<leptos::prelude::TimeoutHandle>>,
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    form_key: StoredValue<String>,
    #[cfg_attr(not(feature = "hydrate"), allow(dead_code))]
    fields: &'static [&'static str],
}

impl Autosave {
    /// An autosave for the draft `form_key` (`new_ticket`, `reply:<id>`).
    pub fn new(form_key: String, fields: &'static [&'static str]) -> Self {
        Autosave {
            state: RwSignal::new(DraftState::Idle),
            timer: StoredValue::new(None),
            form_key: StoredValue::new(form_key),
            fields,
        }
    }

    /// Handles an `input` event bubbling from the form: (re)starts the debounce.
    pub fn on_input(&self, event: leptos::ev::Event) {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let Some(form) =
                event.current_target().and_then(|target| target.dyn_into::<web_sys::HtmlFormElement>().ok())
            else {
                return;
            };
            let Ok(data) = web_sys::FormData::new_with_form(&form) else { return };
            let mut content = serde_json::Map::new();
            for name in self.fields {
                if let Some(value) = data.get(name).as_string() {
                    content.insert((*name).to_string(), value.into());
                }
            }
            self.cancel();
            self.state.set(DraftState::Unsaved);
            let state = self.state;
            let form_key = self.form_key.get_value();
            let handle = set_timeout_with_handle(
                move || {
                    state.set(DraftState::Saving);
                    leptos::task::spawn_local(async move {
                        let saved =
                            crate::functions::tickets::save_draft(form_key, serde_json::Value::Object(content)).await;
                        state.set(if saved.is_ok() { DraftState::Saved } else { DraftState::Failed });
                    });
                },
                std::time::Duration::from_millis(DRAFT_DEBOUNCE_MS),
            )
            .ok();
            self.timer.set_value(handle);
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = event;
    }

    /// Drops a pending save (the form is being submitted, which clears the draft).
    pub fn cancel(&self) {
        if let Some(handle) = self.timer.get_value() {
            handle.clear();
        }
        self.timer.set_value(None);
    }
}

/// The quiet "saved" indicator.
#[component]
pub fn DraftIndicator(state: RwSignal<DraftState>) -> impl IntoView {
    let text = move || match state.get() {
        DraftState::Idle => "",
        DraftState::Unsaved => t!(draft.unsaved),
        DraftState::Saving => t!(draft.saving),
        DraftState::Saved => t!(draft.saved),
        DraftState::Failed => t!(draft.failed),
    };
    view! { <span class="draft-status" aria-live="polite" data-state=move || format!("{:?}", state.get()).to_lowercase()>{text}</span> }
}

/// The text of `field` in a draft object, or empty.
pub fn draft_field(draft: &Option<serde_json::Value>, field: &str) -> String {
    draft
        .as_ref()
        .and_then(|content| content.get(field))
        .and_then(|value| value.as_str())
        .unwrap_or_default()
        .to_string()
}
