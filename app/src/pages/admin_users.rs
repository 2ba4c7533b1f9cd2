//! `/admin/users`: search users, page through them, change roles, reset
//! someone's two-factor authentication.

use crate::components::format::FullTime;
use crate::components::forms::{ErrorSummary, FieldError, action_error, described_by_in, invalid, record_error};
use crate::domain::{Role, User};
use crate::error::AppError;
use crate::functions::accounts::{SetUserRole, list_users};
use crate::functions::two_factor::ResetTwoFactor;
use crate::pages::errors::ErrorPage;
use crate::t;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// The admin's user list (403 for everyone else, on the server too).
#[component]
pub fn AdminUsersPage() -> impl IntoView {
    let query = use_query_map();
    let search = move || query.with(|query| query.get("q").unwrap_or_default());
    let after = move || query.with(|query| query.get("after"));
    let set_role = ServerAction::<SetUserRole>::new();
    let role_error = action_error(set_role.value());
    let reset = ServerAction::<ResetTwoFactor>::new();
    let reset_error = action_error(reset.value());
    // Blocking, so the page's status (403) is known before the headers go out.
    let page = Resource::new_blocking(
        move || (search(), after(), set_role.version().get(), reset.version().get()),
        |(search, after, _, _)| list_users(search, after),
    );
    view! {
        <Title text=t!(admin_users.title) />
        <Suspense fallback=|| view! { <p>{t!(common.loading)}</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Err(error) => view! { <ErrorPage error /> }.into_any(),
                    Ok(page) => view! {
                        <section>
                            <h1>{t!(admin_users.title)}</h1>
                            <form method="get" action="/admin/users" class="search-form" role="search">
                                <input type="search" name="q" value=search() placeholder=t!(admin_users.search_placeholder) aria-label=t!(admin_users.search_label) />
                                <button type="submit">{t!(admin_users.search)}</button>
                            </form>
                            // Each reason also shows in its user's row, where the summary links.
                            <ErrorSummary error=role_error labels=vec![("role", t!(admin_users.role))] scope=row_scope(role_error) />
                            <ErrorSummary error=reset_error labels=vec![("user_id", t!(admin_users.two_factor))] scope=row_scope(reset_error) />
                            {move || reset.value().get().and_then(Result::ok).map(|user| view! {
                                <p class="notice" role="status">{t!(admin_users.two_factor_reset_done, name = user.username)}</p>
                            })}
                            <table class="data-table">
                                <thead><tr><th scope="col">{t!(admin_users.username)}</th><th scope="col">{t!(admin_users.email)}</th><th scope="col">{t!(admin_users.created)}</th><th scope="col">{t!(admin_users.role)}</th><th scope="col">{t!(admin_users.change_role)}</th><th scope="col">{t!(admin_users.two_factor)}</th></tr></thead>
                                <tbody>
                                    {page.users.into_iter().map(|user| {
                                        let two_factor = page.two_factor_user_ids.contains(&user.id);
                                        view! { <UserRow user set_role role_error two_factor reset reset_error /> }
                                    }).collect_view()}
                                </tbody>
                            </table>
                            {page.next_after.map(|next| view! {
                                <a class="button secondary" href=format!("/admin/users?q={}&after={}", search(), next)>{t!(tickets.next_page)}</a>
                            })}
                        </section>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

/// The form scope of user `id`'s row: `user-7` (see [`crate::components::forms::error_id_in`]).
fn scope_of(id: i64) -> String {
    format!("user-{id}")
}

/// The scope of the row whose form `error` refused, for the page's summary.
fn row_scope(error: Signal<Option<AppError>>) -> Signal<String> {
    Signal::derive(move || error.get().and_then(|error| error.record()).map(scope_of).unwrap_or_default())
}

/// One user: the role and its form, the two-factor state and its reset;
/// `role_error` and `reset_error` are the page's, shown here when they
/// name this user.
#[component]
fn UserRow(
    user: User,
    set_role: ServerAction<SetUserRole>,
    role_error: Signal<Option<AppError>>,
    two_factor: bool,
    reset: ServerAction<ResetTwoFactor>,
    reset_error: Signal<Option<AppError>>,
) -> impl IntoView {
    let scope = scope_of(user.id);
    let role_error = record_error(role_error, user.id);
    let reset_error = record_error(reset_error, user.id);
    let role_described_by = described_by_in(role_error, scope.clone(), "role");
    let reset_described_by = described_by_in(reset_error, scope.clone(), "user_id");
    let current = user.role;
    let role_label = t!(admin_users.role_of, name = user.username.clone());
    let reset_label = t!(admin_users.two_factor_reset_of, name = user.username.clone());
    view! {
        <tr data-username=user.username.clone()>
            <td>{user.username.clone()}</td>
            <td>{user.email.clone()}</td>
            <td><FullTime at=user.created_at /></td>
            <td><span class=format!("role-badge role-{current}")>{current.label()}</span></td>
            <td>
                <ActionForm action=set_role attr:class="inline-form">
                    <input type="hidden" name="user_id" value=user.id />
                    <select name="role" aria-label=role_label aria-describedby=role_described_by aria-invalid=invalid(role_error, "role")>
                        {Role::ALL.into_iter().map(|role| view! {
                            <option value=role.as_str() selected=role == current>{role.label()}</option>
                        }).collect_view()}
                    </select>
                    <button type="submit">{t!(common.save)}</button>
                </ActionForm>
                <FieldError error=role_error name="role" scope=scope.clone() />
            </td>
            <td data-testid="two-factor">
                {if two_factor {
                    view! {
                        {t!(admin_users.two_factor_on)}" "
                        <ActionForm action=reset attr:class="inline-form">
                            <input type="hidden" name="user_id" value=user.id />
                            <button type="submit" class="secondary" aria-label=reset_label aria-describedby=reset_described_by>{t!(admin_users.two_factor_reset)}</button>
                        </ActionForm>
                        <FieldError error=reset_error name="user_id" scope=scope.clone() />
                    }.into_any()
                } else {
                    view! { {t!(admin_users.two_factor_off)} }.into_any()
                }}
            </td>
        </tr>
    }
}
