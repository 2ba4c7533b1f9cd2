//! `/register`: a new requester account.

use crate::components::forms::{ErrorSummary, FieldError, action_error, described_by, invalid};
use crate::functions::accounts::Register;
use crate::t;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

/// The registration form's fields, named for people (the error summary's links).
fn field_labels() -> Vec<(&'static str, &'static str)> {
    vec![
        ("username", t!(register.username)),
        ("email", t!(register.email)),
        ("password", t!(register.password)),
        ("discord_username", t!(register.discord_username)),
        ("discord_id", t!(register.discord_id)),
    ]
}

/// The registration form; works without wasm and hydrated.
#[component]
pub fn RegisterPage() -> impl IntoView {
    let action = ServerAction::<Register>::new();
    let error = action_error(action.value());
    view! {
        <Title text=t!(register.title) />
        <section class="card narrow">
            <h1>{t!(register.heading)}</h1>
            // Every reason at once (issue 14), each also at its field.
            <ErrorSummary error labels=field_labels() />
            <ActionForm action=action attr:class="stacked-form">
                <label>{t!(register.username)}
                    <input type="text" name="username" autocomplete="username" required minlength="3" maxlength="32" aria-describedby=described_by(error, "username") aria-invalid=invalid(error, "username") />
                </label>
                <FieldError error name="username" />
                <label>{t!(register.email)}
                    <input type="email" name="email" autocomplete="email" required aria-describedby=described_by(error, "email") aria-invalid=invalid(error, "email") />
                </label>
                <FieldError error name="email" />
                <label>{t!(register.password)}
                    <input type="password" name="password" autocomplete="new-password" required minlength="8" maxlength="128" aria-describedby=move || Some(described_by(error, "password")().map(|id| format!("{id} password-hint")).unwrap_or_else(|| "password-hint".into())) aria-invalid=invalid(error, "password") />
                    <small id="password-hint">{t!(register.password_hint)}</small>
                </label>
                <FieldError error name="password" />
                <details>
                    <summary>{t!(register.discord)}</summary>
                    <label>{t!(register.discord_username)}
                        <input type="text" name="discord_username" aria-describedby=described_by(error, "discord_username") aria-invalid=invalid(error, "discord_username") />
                    </label>
                    <FieldError error name="discord_username" />
                    <label>{t!(register.discord_id)}
                        <input type="text" name="discord_id" inputmode="numeric" pattern="[0-9]*" aria-describedby=described_by(error, "discord_id") aria-invalid=invalid(error, "discord_id") />
                    </label>
                    <FieldError error name="discord_id" />
                </details>
                <button type="submit" disabled=move || action.pending().get()>{t!(register.submit)}</button>
            </ActionForm>
            <p>{t!(register.already)}" "<A href="/login">{t!(register.log_in)}</A></p>
        </section>
    }
}
