//! `/admin/users`: search users, page through them, change roles.

use crate::components::forms::action_error;
use crate::domain::{Role, User};
use crate::functions::accounts::{SetUserRole, list_users};
use crate::pages::errors::ErrorPage;
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
    // Blocking, so the page's status (403) is known before the headers go out.
    let page = Resource::new_blocking(
        move || (search(), after(), set_role.version().get()),
        |(search, after, _)| list_users(search, after),
    );
    view! {
        <Title text="Users" />
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match page.await {
                    Err(error) => view! { <ErrorPage error /> }.into_any(),
                    Ok(page) => view! {
                        <section>
                            <h1>"Users"</h1>
                            <form method="get" action="/admin/users" class="search-form" role="search">
                                <input type="search" name="q" value=search() placeholder="Username or email" aria-label="Search users" />
                                <button type="submit">"Search"</button>
                            </form>
                            {move || role_error.get().map(|error| view! {
                                <p class="form-error" role="alert">{error.field_error("role").unwrap_or_else(|| error.to_string())}</p>
                            })}
                            <table class="data-table">
                                <thead><tr><th>"Username"</th><th>"Email"</th><th>"Role"</th><th>"Change role"</th></tr></thead>
                                <tbody>
                                    {page.users.into_iter().map(|user| view! { <UserRow user set_role /> }).collect_view()}
                                </tbody>
                            </table>
                            {page.next_after.map(|next| view! {
                                <a class="button secondary" href=format!("/admin/users?q={}&after={}", search(), next)>"Next page"</a>
                            })}
                        </section>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn UserRow(user: User, set_role: ServerAction<SetUserRole>) -> impl IntoView {
    let current = user.role;
    let role_label = format!("Role of {}", user.username);
    view! {
        <tr data-username=user.username.clone()>
            <td>{user.username.clone()}</td>
            <td>{user.email.clone()}</td>
            <td><span class=format!("role-badge role-{current}")>{current.as_str()}</span></td>
            <td>
                <ActionForm action=set_role attr:class="inline-form">
                    <input type="hidden" name="user_id" value=user.id />
                    <select name="role" aria-label=role_label>
                        {Role::ALL.into_iter().map(|role| view! {
                            <option value=role.as_str() selected=role == current>{role.as_str()}</option>
                        }).collect_view()}
                    </select>
                    <button type="submit">"Save"</button>
                </ActionForm>
            </td>
        </tr>
    }
}
