//! `/settings`: the user's API tokens and notification preferences.

use crate::components::format::time;
use crate::components::forms::{FieldError, FormError, action_error};
use crate::components::notification_preferences::PreferenceTable;
use crate::error::AppError;
use crate::functions::notifications::{SaveNotificationPreferences, notification_preferences};
use crate::functions::tickets::{CreateApiToken, DeleteApiToken, list_api_tokens};
use crate::pages::errors::ErrorPage;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// Lists, creates and revokes API tokens (a new token is shown once); below,
/// the user's notification preferences.
#[component]
pub fn SettingsPage() -> impl IntoView {
    let create = ServerAction::<CreateApiToken>::new();
    let delete = ServerAction::<DeleteApiToken>::new();
    let error = action_error(create.value());
    let tokens =
        Resource::new_blocking(move || (create.version().get(), delete.version().get()), |_| list_api_tokens());
    view! {
        <Title text="Settings" />
        <section class="card">
            <h1>"API tokens"</h1>
            <p>"Scripts and integrations call the JSON API at "<code>"/api/v1"</code>" with "<code>"Authorization: Bearer <token>"</code>". A token acts as you; revoke it when it is no longer needed."</p>
            <ActionForm action=create attr:class="inline-form">
                <label>"Name " <input type="text" name="name" required maxlength="100" placeholder="e.g. monitoring script" /></label>
                <button type="submit">"Create token"</button>
            </ActionForm>
            <FieldError error name="name" />
            {move || create.value().get().and_then(Result::ok).map(|token| view! {
                <p class="notice new-token" role="status">
                    "Token "<strong>{token.name}</strong>" created. Copy it now, it will not be shown again: "
                    <code data-testid="new-token">{token.token}</code>
                </p>
            })}
            <Suspense fallback=|| view! { <p>"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match tokens.await {
                        Err(error) => view! { <ErrorPage error /> }.into_any(),
                        Ok(tokens) if tokens.is_empty() => view! { <p class="empty">"No tokens yet."</p> }.into_any(),
                        Ok(tokens) => view! {
                            <table class="data-table">
                                <thead><tr><th>"Name"</th><th>"Created"</th><th>"Last used"</th><th></th></tr></thead>
                                <tbody>
                                    {tokens.into_iter().map(|token| view! {
                                        <tr data-token-id=token.id>
                                            <td>{token.name}</td>
                                            <td>{time(&token.created_at)}</td>
                                            <td>{token.last_used_at.map(|at| time(&at)).unwrap_or_else(|| "never".into())}</td>
                                            <td>
                                                <ActionForm action=delete attr:class="inline-form">
                                                    <input type="hidden" name="id" value=token.id />
                                                    <button type="submit" class="secondary">"Revoke"</button>
                                                </ActionForm>
                                            </td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                        }.into_any(),
                    }
                })}
            </Suspense>
        </section>
        <NotificationChoices />
    }
}

/// Per event kind, whether it reaches the user by email and/or in the app
/// (the bell). A plain form: saving sends the browser back to
/// `/settings?notice=notifications`, which shows the confirmation.
#[component]
fn NotificationChoices() -> impl IntoView {
    let save = ServerAction::<SaveNotificationPreferences>::new();
    let error = action_error(save.value());
    let query = use_query_map();
    let saved =
        move || error.get().is_none() && query.with(|query| query.get("notice").as_deref() == Some("notifications"));
    let preferences = Resource::new_blocking(move || save.version().get(), |_| notification_preferences());
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match preferences.await {
                    // The tokens card above already says to log in.
                    Err(AppError::Unauthorized { .. }) => ().into_any(),
                    Err(error) => view! { <p class="form-error" role="alert">{error.to_string()}</p> }.into_any(),
                    Ok(preferences) => view! {
                        <section class="card" id="notifications">
                            <h2>"Notifications"</h2>
                            <p>"Choose how each event reaches you: by email, in the app (the bell), both or neither."</p>
                            <FormError error />
                            {move || saved().then(|| view! {
                                <p class="notice" role="status">"Your notification choices are saved."</p>
                            })}
                            <ActionForm action=save attr:class="preference-form">
                                <PreferenceTable preferences />
                                <button type="submit">"Save"</button>
                            </ActionForm>
                        </section>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}
