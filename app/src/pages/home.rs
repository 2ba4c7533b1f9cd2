//! The home page: a welcome for visitors, a starting point for users.

use crate::components::header::CurrentUser;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

/// `/`
#[component]
pub fn HomePage() -> impl IntoView {
    let CurrentUser(user) = expect_context::<CurrentUser>();
    view! {
        <Title text="" />
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match user.await {
                    Some(user) => view! {
                        <section class="welcome">
                            <h1>"Hello, " {user.username.clone()}</h1>
                            <p>"You are logged in as " <strong>{user.role.as_str()}</strong> "."</p>
                            <p class="actions">
                                <A href="/tickets" attr:class="button">{if user.role.is_staff() { "Open the dashboard" } else { "See my tickets" }}</A>
                                <A href="/tickets/new" attr:class="button secondary">"Open a new ticket"</A>
                            </p>
                        </section>
                    }.into_any(),
                    None => view! {
                        <section class="welcome">
                            <h1>"Guichet"</h1>
                            <p>"Ask for help and follow the answer, all in one place."</p>
                            <p class="actions">
                                <A href="/login" attr:class="button">"Log in"</A>
                                <A href="/register" attr:class="button secondary">"Create an account"</A>
                            </p>
                        </section>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}
