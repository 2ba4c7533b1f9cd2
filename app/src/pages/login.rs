//! `/login`: username or email, password, "remember me".

use crate::AuthVersion;
use crate::components::forms::{FieldError, FormError, action_error};
use crate::functions::accounts::LogIn;
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
    let registered = move || use_query_map().with(|query| query.get("registered"));
    view! {
        <Title text="Log in" />
        <section class="card narrow">
            <h1>"Log in"</h1>
            {move || registered().map(|name| view! {
                <p class="notice" role="status">"Account " <strong>{name}</strong> " created. You can log in now."</p>
            })}
            <ActionForm action=action attr:class="stacked-form">
                <label>"Username or email"
                    <input type="text" name="login" autocomplete="username" required />
                </label>
                <FieldError error name="login" />
                <label>"Password"
                    <input type="password" name="password" autocomplete="current-password" required />
                </label>
                <FieldError error name="password" />
                <label class="checkbox">
                    <input type="checkbox" name="remember" value="true" />
                    "Remember me for 30 days"
                </label>
                <FormError error />
                <button type="submit" disabled=move || action.pending().get()>"Log in"</button>
            </ActionForm>
            <p>"No account yet? " <A href="/register">"Register"</A></p>
        </section>
    }
}
