//! The Settings page's card for the language and time zone (issue 13).

use crate::components::forms::{ErrorSummary, FieldError, action_error, described_by, invalid};
use crate::functions::viewer::SaveViewerSettings;
use crate::i18n::{LANGUAGES, code, viewer};
use crate::providers::CurrentUser;
use crate::{t, tr};
use leptos::prelude::*;

/// The language (or the desk's default) and the IANA time zone the user
/// reads Guichet in. Saving reloads the page, which then speaks the chosen
/// language; without wasm the form posts and the server sends the browser
/// back here.
#[component]
pub fn ViewerSettings() -> impl IntoView {
    let save = ServerAction::<SaveViewerSettings>::new();
    let error = action_error(save.value());
    let CurrentUser(user) = expect_context::<CurrentUser>();
    Effect::new(move |_| {
        if matches!(save.value().get(), Some(Ok(_))) {
            #[cfg(feature = "hydrate")]
            if let Some(window) = web_sys::window() {
                let _ = window.location().reload();
            }
        }
    });
    let shown_zone = viewer().time_zone;
    view! {
        <Transition fallback=|| ()>
            {move || {
                let shown_zone = shown_zone.clone();
                Suspend::new(async move {
                    let Some(user) = user.await else { return ().into_any() };
                    let chosen = user.language.clone().unwrap_or_default();
                    let zone = user.time_zone.clone().unwrap_or_default();
                    view! {
                        <section class="card" id="language">
                            <h2>{t!(settings.viewer)}</h2>
                            <p>{t!(settings.viewer_intro, zone = shown_zone)}</p>
                            <ErrorSummary error labels=vec![("language", t!(settings.language)), ("time_zone", t!(settings.time_zone))] />
                            <ActionForm action=save attr:class="stacked-form">
                                <label>{t!(settings.language)}
                                    <select name="language" aria-describedby=described_by(error, "language") aria-invalid=invalid(error, "language")>
                                        <option value="" selected=chosen.is_empty()>{t!(settings.desk_default)}</option>
                                        {LANGUAGES.into_iter().map(|language| view! {
                                            <option value=code(language) lang=code(language) selected=chosen == code(language)>{tr!(language, language.name)}</option>
                                        }).collect_view()}
                                    </select>
                                </label>
                                <FieldError error name="language" />
                                <label>{t!(settings.time_zone)}
                                    <input type="text" name="time_zone" value=zone maxlength="64" placeholder="Europe/Paris" autocomplete="off" aria-describedby=move || Some(described_by(error, "time_zone")().map(|id| format!("{id} time-zone-hint")).unwrap_or_else(|| "time-zone-hint".into())) aria-invalid=invalid(error, "time_zone") />
                                    <small id="time-zone-hint">{t!(settings.time_zone_hint)}</small>
                                </label>
                                <FieldError error name="time_zone" />
                                <button type="submit">{t!(common.save)}</button>
                            </ActionForm>
                        </section>
                    }.into_any()
                })
            }}
        </Transition>
    }
}
