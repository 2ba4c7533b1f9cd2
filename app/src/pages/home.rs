//! The home page: a welcome for visitors, a starting point for users.

use crate::providers::CurrentUser;
use crate::t;
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
                            <h1>{t!(home.hello, name = user.username.clone())}</h1>
                            <p>{t!(home.logged_in_as, role = user.role.label())}</p>
                            <p class="actions">
                                <A href="/tickets" attr:class="button">{if user.role.is_staff() { t!(home.open_dashboard) } else { t!(home.my_tickets) }}</A>
                                <A href="/tickets/new" attr:class="button secondary">{t!(home.new_ticket)}</A>
                            </p>
                        </section>
                    }.into_any(),
                    None => view! {
                        <section class="welcome">
                            <h1>"Guichet"</h1>
                            <p>{t!(home.tagline)}</p>
                            <p class="actions">
                                <A href="/login" attr:class="button">{t!(home.log_in)}</A>
                                <A href="/register" attr:class="button secondary">{t!(home.register)}</A>
                            </p>
                        </section>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}
