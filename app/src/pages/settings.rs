//! `/settings`: the user's API tokens, two-factor authentication, account
//! history and notification preferences.

use crate::components::format::FullTime;
use crate::components::forms::{ErrorSummary, FieldError, FormError, action_error, described_by, invalid};
use crate::components::notification_preferences::PreferenceTable;
use crate::components::two_factor::TwoFactorSettings;
use crate::components::viewer_settings::ViewerSettings;
use crate::error::AppError;
use crate::functions::notifications::{SaveNotificationPreferences, notification_preferences};
use crate::functions::tickets::{CreateApiToken, DeleteApiToken, list_api_tokens};
use crate::pages::errors::ErrorPage;
use crate::t;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

/// Lists, creates and revokes API tokens (a new token is shown once); below,
/// two-factor authentication with the account's history, and the user's
/// notification preferences.
#[component]
pub fn SettingsPage() -> impl IntoView {
    let create = ServerAction::<CreateApiToken>::new();
    let delete = ServerAction::<DeleteApiToken>::new();
    let error = action_error(create.value());
    let tokens =
        Resource::new_blocking(move || (create.version().get(), delete.version().get()), |_| list_api_tokens());
    view! {
        <Title text=t!(settings.title) />
        <section class="card">
            <h1>{t!(settings.tokens)}</h1>
            <p>{t!(settings.tokens_intro_before)}<code>"/api/v1"</code>{t!(settings.tokens_intro_with)}<code>"Authorization: Bearer <token>"</code>{t!(settings.tokens_intro_after)}</p>
            <ErrorSummary error labels=vec![("name", t!(settings.token_name)), ("scope", t!(settings.scope)), ("expires_in_days", t!(settings.expires))] />
            <ActionForm action=create attr:class="inline-form">
                <label>{t!(settings.token_name)}" " <input type="text" name="name" required maxlength="100" placeholder=t!(settings.token_name_placeholder) aria-describedby=described_by(error, "name") aria-invalid=invalid(error, "name") /></label>
                <label>{t!(settings.scope)}" "
                    <select name="scope" aria-describedby=described_by(error, "scope") aria-invalid=invalid(error, "scope")>
                        <option value="read">{t!(settings.scope_read)}</option>
                        <option value="write" selected>{t!(settings.scope_write)}</option>
                        <option value="admin">{t!(settings.scope_admin)}</option>
                    </select>
                </label>
                <label>{t!(settings.expires)}" "
                    <select name="expires_in_days" aria-describedby=described_by(error, "expires_in_days") aria-invalid=invalid(error, "expires_in_days")>
                        <option value="7">{t!(settings.in_days, count = 7)}</option>
                        <option value="30">{t!(settings.in_days, count = 30)}</option>
                        <option value="90" selected>{t!(settings.in_days, count = 90)}</option>
                        <option value="365">{t!(settings.in_a_year)}</option>
                        <option value="">{t!(settings.never)}</option>
                    </select>
                </label>
                <button type="submit">{t!(settings.create_token)}</button>
            </ActionForm>
            <FieldError error name="name" />
            <FieldError error name="scope" />
            <FieldError error name="expires_in_days" />
            {move || create.value().get().and_then(Result::ok).map(|token| view! {
                <p class="notice new-token" role="status">
                    {t!(settings.token_created, name = token.name, scope = token.scope.as_str())}" "
                    <code data-testid="new-token">{token.token.expose().to_string()}</code>
                </p>
            })}
            <Suspense fallback=|| view! { <p>{t!(common.loading)}</p> }>
                {move || Suspend::new(async move {
                    match tokens.await {
                        Err(AppError::TwoFactorRequired { .. }) => view! {
                            <p class="empty">{t!(settings.tokens_need_two_factor)}</p>
                        }.into_any(),
                        Err(error) => view! { <ErrorPage error /> }.into_any(),
                        Ok(tokens) if tokens.is_empty() => view! { <p class="empty">{t!(settings.no_tokens)}</p> }.into_any(),
                        Ok(tokens) => view! {
                            <table class="data-table">
                                <thead><tr><th scope="col">{t!(settings.token_name)}</th><th scope="col">{t!(settings.scope)}</th><th scope="col">{t!(settings.created)}</th><th scope="col">{t!(settings.last_used)}</th><th scope="col">{t!(settings.expires)}</th><th scope="col"><span class="visually-hidden">{t!(settings.actions)}</span></th></tr></thead>
                                <tbody>
                                    {tokens.into_iter().map(|token| view! {
                                        <tr data-token-id=token.id>
                                            <td>{token.name}</td>
                                            <td data-testid="token-scope">{token.scope.as_str()}</td>
                                            <td><FullTime at=token.created_at /></td>
                                            <td>{token.last_used_at.map(|at| view! { <FullTime at /> }.into_any()).unwrap_or_else(|| t!(settings.never).into_any())}</td>
                                            <td>{token.expires_at.map(|at| view! { <FullTime at /> }.into_any()).unwrap_or_else(|| t!(settings.never).into_any())}</td>
                                            <td>
                                                <ActionForm action=delete attr:class="inline-form">
                                                    <input type="hidden" name="id" value=token.id />
                                                    <button type="submit" class="secondary">{t!(settings.revoke)}</button>
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
        <TwoFactorSettings />
        <ViewerSettings />
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
                    // The tokens card above already says to log in, or to turn on two-factor authentication.
                    Err(AppError::Unauthorized { .. } | AppError::TwoFactorRequired { .. }) => ().into_any(),
                    Err(error) => view! { <p class="form-error" role="alert">{error.to_string()}</p> }.into_any(),
                    Ok(preferences) => view! {
                        <section class="card" id="notifications">
                            <h2>{t!(settings.notifications)}</h2>
                            <p>{t!(settings.notifications_intro)}</p>
                            <FormError error />
                            {move || saved().then(|| view! {
                                <p class="notice" role="status">{t!(settings.notifications_saved)}</p>
                            })}
                            <ActionForm action=save attr:class="preference-form">
                                <PreferenceTable preferences />
                                <button type="submit">{t!(common.save)}</button>
                            </ActionForm>
                        </section>
                    }.into_any(),
                }
            })}
        </Transition>
    }
}
