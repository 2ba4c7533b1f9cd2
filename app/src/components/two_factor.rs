//! The Settings page's two-factor authentication card and the account's
//! history. Every form is a plain `ActionForm`: without JavaScript a post
//! comes back to `/settings`, and the status (with any new recovery codes,
//! handed over once) is read again.

use crate::components::format::time;
use crate::components::forms::{ErrorSummary, FieldError, action_error, described_by_in, invalid};
use crate::domain::{AccountEvent, TwoFactorStatus};
use crate::error::AppError;
use crate::functions::two_factor::{
    BeginTwoFactor, ConfirmTwoFactor, DisableTwoFactor, RegenerateRecoveryCodes, list_account_history,
    load_two_factor_status,
};
use crate::providers::AuthVersion;
use crate::t;
use leptos::prelude::*;

/// Turning two-factor authentication on (QR code, key, first code), the
/// recovery codes once, new codes and turning it off; below, the history.
#[component]
pub fn TwoFactorSettings() -> impl IntoView {
    let begin = ServerAction::<BeginTwoFactor>::new();
    let confirm = ServerAction::<ConfirmTwoFactor>::new();
    let regenerate = ServerAction::<RegenerateRecoveryCodes>::new();
    let disable = ServerAction::<DisableTwoFactor>::new();
    let versions =
        move || (begin.version().get(), confirm.version().get(), regenerate.version().get(), disable.version().get());
    let status = Resource::new_blocking(versions, |_| load_two_factor_status());
    let history = Resource::new_blocking(versions, |_| list_account_history());
    let errors = Errors {
        begin: action_error(begin.value()),
        confirm: action_error(confirm.value()),
        regenerate: action_error(regenerate.value()),
        disable: action_error(disable.value()),
    };
    let actions = Actions { begin, confirm, regenerate, disable };
    // Turning it on or off may change what the session may do (see the enrolment gate).
    let AuthVersion(auth_version) = expect_context::<AuthVersion>();
    Effect::new(move |_| {
        if matches!(confirm.value().get(), Some(Ok(_))) || matches!(disable.value().get(), Some(Ok(_))) {
            auth_version.update(|version| *version += 1);
        }
    });
    view! {
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match status.await {
                    // The tokens card already says to log in.
                    Err(AppError::Unauthorized { .. }) => ().into_any(),
                    Err(error) => view! { <p class="form-error" role="alert">{error.to_string()}</p> }.into_any(),
                    Ok(status) => view! { <TwoFactorCard status actions errors /> }.into_any(),
                }
            })}
        </Transition>
        <Transition fallback=|| ()>
            {move || Suspend::new(async move {
                match history.await {
                    Ok(events) => view! { <AccountHistory events /> }.into_any(),
                    Err(_) => ().into_any(),
                }
            })}
        </Transition>
    }
}

/// The scopes of the card's forms' field errors (see
/// [`crate::components::forms::error_id_in`]): the Settings page has other
/// forms, and two of these share the field "confirmation".
const CONFIRM: &str = "two-factor-confirm";
const REGENERATE: &str = "two-factor-regenerate";
const DISABLE: &str = "two-factor-disable";

#[derive(Clone, Copy)]
struct Actions {
    begin: ServerAction<BeginTwoFactor>,
    confirm: ServerAction<ConfirmTwoFactor>,
    regenerate: ServerAction<RegenerateRecoveryCodes>,
    disable: ServerAction<DisableTwoFactor>,
}

#[derive(Clone, Copy)]
struct Errors {
    begin: Signal<Option<AppError>>,
    confirm: Signal<Option<AppError>>,
    regenerate: Signal<Option<AppError>>,
    disable: Signal<Option<AppError>>,
}

#[component]
fn TwoFactorCard(status: TwoFactorStatus, actions: Actions, errors: Errors) -> impl IntoView {
    let Actions { begin, confirm, regenerate, disable } = actions;
    let required_notice = (status.required && status.enabled_at.is_none()).then(|| {
        view! {
            <p class="notice warning" role="status" data-testid="two-factor-required">
                {t!(two_factor.required)}
            </p>
        }
    });
    let new_codes = status.new_recovery_codes.map(|codes| {
        view! {
            <div class="notice recovery-codes" role="status">
                <p>
                    <strong>{t!(two_factor.save_codes)}</strong>
                    " "{t!(two_factor.codes_explained)}
                </p>
                <ol data-testid="recovery-codes">
                    {codes.into_iter().map(|code| view! { <li><code>{code}</code></li> }).collect_view()}
                </ol>
            </div>
        }
    });
    let body = match (status.enabled_at, status.enrolment) {
        (Some(since), _) => view! {
            <p data-testid="two-factor-state">
                {t!(two_factor.on_since, time = time(&since))}" "
                {t!(two_factor.codes_left, count = status.recovery_codes_left as i32)}
            </p>
            // Two forms with a "confirmation" field: each has its scope (the ids of its reasons).
            <ErrorSummary error=errors.regenerate labels=vec![("confirmation", t!(two_factor.confirmation))] scope=REGENERATE />
            <ActionForm action=regenerate attr:class="inline-form">
                <label>{t!(two_factor.confirmation)}" "
                    <input type="password" name="confirmation" autocomplete="current-password" required aria-describedby=described_by_in(errors.regenerate, REGENERATE, "confirmation") aria-invalid=invalid(errors.regenerate, "confirmation") />
                </label>
                <button type="submit" class="secondary">{t!(two_factor.new_codes)}</button>
            </ActionForm>
            <FieldError error=errors.regenerate name="confirmation" scope=REGENERATE />
            <ErrorSummary error=errors.disable labels=vec![("confirmation", t!(two_factor.confirmation))] scope=DISABLE />
            <ActionForm action=disable attr:class="inline-form">
                <label>{t!(two_factor.confirmation)}" "
                    <input type="password" name="confirmation" autocomplete="current-password" required aria-describedby=described_by_in(errors.disable, DISABLE, "confirmation") aria-invalid=invalid(errors.disable, "confirmation") />
                </label>
                <button type="submit" class="secondary">{t!(two_factor.turn_off)}</button>
            </ActionForm>
            <FieldError error=errors.disable name="confirmation" scope=DISABLE />
        }
        .into_any(),
        (None, Some(enrolment)) => view! {
            <ol class="enrolment-steps">
                <li>
                    <p>{t!(two_factor.scan)}</p>
                    <div class="qr-code" inner_html=enrolment.qr_svg></div>
                    <p>
                        {t!(two_factor.by_hand)}" "
                        <code class="two-factor-secret" data-testid="two-factor-secret">{enrolment.secret}</code>
                    </p>
                </li>
                <li>
                    <p>{t!(two_factor.enter_code)}</p>
                    <ErrorSummary error=errors.confirm labels=vec![("code", t!(two_factor.code))] scope=CONFIRM />
                    <ActionForm action=confirm attr:class="inline-form">
                        <label>{t!(two_factor.code)}" "
                            <input type="text" name="code" inputmode="numeric" autocomplete="one-time-code" maxlength="64" required aria-describedby=described_by_in(errors.confirm, CONFIRM, "code") aria-invalid=invalid(errors.confirm, "code") />
                        </label>
                        <button type="submit">{t!(two_factor.turn_on)}</button>
                    </ActionForm>
                    <FieldError error=errors.confirm name="code" scope=CONFIRM />
                </li>
            </ol>
            <ErrorSummary error=errors.begin labels=vec![] />
            <ActionForm action=begin attr:class="inline-form">
                <button type="submit" class="link-button">{t!(two_factor.new_key)}</button>
            </ActionForm>
        }
        .into_any(),
        (None, None) if !status.available => view! {
            <p data-testid="two-factor-state">
                {t!(two_factor.unavailable)}
            </p>
        }
        .into_any(),
        (None, None) => view! {
            <p data-testid="two-factor-state">
                {t!(two_factor.off)}
            </p>
            <ErrorSummary error=errors.begin labels=vec![] />
            <ActionForm action=begin attr:class="inline-form">
                <button type="submit">{t!(two_factor.set_up)}</button>
            </ActionForm>
        }
        .into_any(),
    };
    view! {
        <section class="card" id="two-factor">
            <h2>{t!(two_factor.title)}</h2>
            {required_notice}
            {new_codes}
            {body}
        </section>
    }
}

/// The account's history, newest first.
#[component]
fn AccountHistory(events: Vec<AccountEvent>) -> impl IntoView {
    view! {
        <section class="card" id="history">
            <h2>{t!(two_factor.history)}</h2>
            {if events.is_empty() {
                view! { <p class="empty">{t!(two_factor.history_empty)}</p> }.into_any()
            } else {
                view! {
                    <table class="data-table" data-testid="account-history">
                        <thead><tr><th scope="col">{t!(two_factor.when)}</th><th scope="col">{t!(two_factor.what)}</th><th scope="col">{t!(two_factor.by)}</th><th scope="col">{t!(two_factor.from)}</th></tr></thead>
                        <tbody>
                            {events.into_iter().map(|event| view! {
                                <tr data-action=event.action.as_str()>
                                    <td>{time(&event.created_at)}</td>
                                    <td>{event.action.label()}</td>
                                    <td>{event.actor.map(|actor| actor.username).unwrap_or_else(|| t!(two_factor.you).into())}</td>
                                    <td>{event.address.unwrap_or_default()}</td>
                                </tr>
                            }).collect_view()}
                        </tbody>
                    </table>
                }.into_any()
            }}
        </section>
    }
}
