//! `/register`: a new requester account.

use crate::components::forms::{FieldError, FormError, action_error};
use crate::functions::accounts::Register;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

/// The registration form; works without wasm and hydrated.
#[component]
pub fn RegisterPage() -> impl IntoView {
    let action = ServerAction::<Register>::new();
    let error = action_error(action.value());
    view! {
        <Title text="Register" />
        <section class="card narrow">
            <h1>"Create an account"</h1>
            <ActionForm action=action attr:class="stacked-form">
                <label>"Username"
                    <input type="text" name="username" autocomplete="username" required minlength="3" maxlength="32" />
                </label>
                <FieldError error name="username" />
                <label>"Email"
                    <input type="email" name="email" autocomplete="email" required />
                </label>
                <FieldError error name="email" />
                <label>"Password"
                    <input type="password" name="password" autocomplete="new-password" required minlength="8" maxlength="128" />
                    <small>"8 to 128 characters; a phrase is easiest to remember."</small>
                </label>
                <FieldError error name="password" />
                <details>
                    <summary>"Discord (optional)"</summary>
                    <label>"Discord username"
                        <input type="text" name="discord_username" />
                    </label>
                    <FieldError error name="discord_username" />
                    <label>"Discord id"
                        <input type="text" name="discord_id" inputmode="numeric" pattern="[0-9]*" />
                    </label>
                    <FieldError error name="discord_id" />
                </details>
                <FormError error />
                <button type="submit" disabled=move || action.pending().get()>"Create account"</button>
            </ActionForm>
            <p>"Already registered? " <A href="/login">"Log in"</A></p>
        </section>
    }
}
