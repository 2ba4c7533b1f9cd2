//! `/login`: username or email, password, "remember me"; then, for an
//! account with two-factor authentication, `/login/two-factor`: its code.

use crate::components::forms::{ErrorSummary, FieldError, action_error, described_by, invalid};
use crate::functions::accounts::{LogIn, LogInSecondFactor};
use crate::providers::AuthVersion;
use crate::t;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::{components::A, hooks::use_query_map};

/// The log-in form; works without wasm (plain form post) and hydrated.
#[component]
pub fn LoginPage() -> impl IntoView {
    let action = ServerAction::<LogIn>::new();
    let error = action_error(action.value());
    let AuthVersion(auth_version) = expect_context::<AuthVersion>();
    Effect::new(move |_| {
        if matches!(action.value().get(), Some(Ok(_))) {
            auth_version.update(|version| *version += 1);
        }
    });
    // After a registration: the fixed notice only, nothing read from the URL.
    let registered = move || use_query_map().with(|query| query.get("registered").is_some());
    view! {
        <Title text=t!(login.title) />
        <section class="card narrow">
            <h1>{t!(login.title)}</h1>
            {move || registered().then(|| view! {
                <p class="notice" role="status">{t!(login.registered)}</p>
            })}
            <ErrorSummary error labels=vec![("login", t!(login.login)), ("password", t!(login.password))] />
            <ActionForm action=action attr:class="stacked-form">
                <label>{t!(login.login)}
                    <input type="text" name="login" autocomplete="username" required aria-describedby=described_by(error, "login") aria-invalid=invalid(error, "login") />
                </label>
                <FieldError error name="login" />
                <label>{t!(login.password)}
                    <input type="password" name="password" autocomplete="current-password" required aria-describedby=described_by(error, "password") aria-invalid=invalid(error, "password") />
                </label>
                <FieldError error name="password" />
                <label class="checkbox">
                    <input type="checkbox" name="remember" value="true" />
                    {t!(login.remember)}
                </label>
                <button type="submit" disabled=move || action.pending().get()>{t!(login.submit)}</button>
            </ActionForm>
            <p>{t!(login.no_account)}" "<A href="/register">{t!(login.register)}</A></p>
        </section>
    }
}

/// The second step of a log-in with two-factor authentication: the app's
/// code or a recovery code. Works without wasm and hydrated.
#[component]
pub fn LoginCodePage() -> impl IntoView {
    let action = ServerAction::<LogInSecondFactor>::new();
    let error = action_error(action.value());
    let AuthVersion(auth_version) = expect_context::<AuthVersion>();
    Effect::new(move |_| {
        if matches!(action.value().get(), Some(Ok(_))) {
            auth_version.update(|version| *version += 1);
        }
    });
    view! {
        <Title text=t!(login.code_title) />
        <section class="card narrow">
            <h1>{t!(login.code_title)}</h1>
            <p>{t!(login.code_intro)}</p>
            <ErrorSummary error labels=vec![("code", t!(login.code))] />
            <ActionForm action=action attr:class="stacked-form">
                <label>{t!(login.code)}
                    <input type="text" name="code" autocomplete="one-time-code" maxlength="64" required autofocus aria-describedby=described_by(error, "code") aria-invalid=invalid(error, "code") />
                </label>
                <FieldError error name="code" />
                <button type="submit" disabled=move || action.pending().get()>{t!(login.verify)}</button>
            </ActionForm>
            <p>{t!(login.code_lost)}" "<A href="/login">{t!(login.start_again)}</A></p>
        </section>
    }
}
