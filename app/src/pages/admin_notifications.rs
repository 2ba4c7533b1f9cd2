//! `/admin/notifications`: the default notification preferences, the Discord
//! webhooks of the queues, and the outbox of emails and Discord messages.
//!
//! Everything lives in the address: `?status=` filters the outbox, `?edit=<id>`
//! opens a webhook in the form, `?notice=` (set by the server functions'
//! redirect) shows what was just done. So the page works the same with and
//! without JavaScript.

use crate::components::format::FullTime;
use crate::components::forms::{
    ConfirmSubmit, ErrorSummary, FieldError, FormError, action_error, described_by, invalid,
};
use crate::components::notification_preferences::{PreferenceTable, kind_name};
use crate::domain::{DiscordWebhook, NotificationKind, OutboxChannel, OutboxItem, OutboxStatus, Queue};
use crate::error::AppError;
use crate::functions::notifications::{
    CreateDiscordWebhook, DeleteDiscordWebhook, RetryOutboxMessage, SaveDefaultNotificationPreferences,
    UpdateDiscordWebhook, load_notification_setup, notification_outbox,
};
use crate::pages::errors::ErrorPage;
use crate::t;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{A, Form};
use leptos_router::hooks::use_query_map;

/// The page's forms.
#[derive(Clone, Copy)]
struct SetupActions {
    save_defaults: ServerAction<SaveDefaultNotificationPreferences>,
    create_webhook: ServerAction<CreateDiscordWebhook>,
    update_webhook: ServerAction<UpdateDiscordWebhook>,
    delete_webhook: ServerAction<DeleteDiscordWebhook>,
    retry: ServerAction<RetryOutboxMessage>,
}

impl SetupActions {
    fn new() -> Self {
        SetupActions {
            save_defaults: ServerAction::new(),
            create_webhook: ServerAction::new(),
            update_webhook: ServerAction::new(),
            delete_webhook: ServerAction::new(),
            retry: ServerAction::new(),
        }
    }

    /// Changes with every write, so the data refetches after one.
    fn version(&self) -> usize {
        self.save_defaults.version().get()
            + self.create_webhook.version().get()
            + self.update_webhook.version().get()
            + self.delete_webhook.version().get()
            + self.retry.version().get()
    }

    /// Whether the last submission of any form failed (then no success notice shows).
    fn failed(&self) -> Signal<bool> {
        let errors = [
            action_error(self.save_defaults.value()),
            action_error(self.create_webhook.value()),
            action_error(self.update_webhook.value()),
            action_error(self.delete_webhook.value()),
            action_error(self.retry.value()),
        ];
        Signal::derive(move || errors.iter().any(|error| error.get().is_some()))
    }
}

/// `pending`, `sent` or `failed`: the wire name.
fn status_name(status: OutboxStatus) -> &'static str {
    match status {
        OutboxStatus::Pending => "pending",
        OutboxStatus::Sent => "sent",
        OutboxStatus::Failed => "failed",
    }
}

/// An outbox status for people.
fn status_label(status: OutboxStatus) -> &'static str {
    match status {
        OutboxStatus::Pending => t!(outbox.pending),
        OutboxStatus::Sent => t!(outbox.sent),
        OutboxStatus::Failed => t!(outbox.failed),
    }
}

/// `email` or `discord`.
fn channel_name(channel: OutboxChannel) -> &'static str {
    match channel {
        OutboxChannel::Email => "email",
        OutboxChannel::Discord => "discord",
    }
}

/// What the `?notice=` set by a server function's redirect says, in the section it belongs to.
fn notice_text(notice: &str) -> Option<(&'static str, &'static str)> {
    match notice {
        "defaults" => Some(("defaults", t!(setup.defaults_saved))),
        "webhook_added" => Some(("webhooks", t!(setup.webhook_added))),
        "webhook_saved" => Some(("webhooks", t!(setup.webhook_saved))),
        "webhook_deleted" => Some(("webhooks", t!(setup.webhook_deleted))),
        "retried" => Some(("outbox", t!(setup.retried))),
        _ => None,
    }
}

/// The admins' notification page (403 for everyone else, on the server too).
#[component]
pub fn AdminNotificationsPage() -> impl IntoView {
    let query = use_query_map();
    let status = Memo::new(move |_| query.with(|query| query.get("status").and_then(|text| text.parse().ok())));
    let editing = Memo::new(move |_| query.with(|query| query.get("edit").and_then(|text| text.parse::<i64>().ok())));
    let actions = SetupActions::new();
    let failed = actions.failed();
    // The confirmation of the last write, for the section named here.
    let notice = Memo::new(move |_| {
        let notice = query.with(|query| query.get("notice"))?;
        if failed.get() { None } else { notice_text(&notice) }
    });
    let notice_for = move |section: &'static str| {
        move || {
            notice.get().filter(|(shown_in, _)| *shown_in == section).map(|(_, text)| {
                view! { <p class="notice" role="status">{text}</p> }
            })
        }
    };
    // Blocking, so the page's status (403) is known before the headers go out.
    let setup = Resource::new_blocking(move || actions.version(), |_| load_notification_setup());
    let outbox =
        Resource::new_blocking(move || (status.get(), actions.version()), |(status, _)| notification_outbox(status));
    let defaults_error = action_error(actions.save_defaults.value());
    let delete_error = action_error(actions.delete_webhook.value());
    let retry_error = action_error(actions.retry.value());

    view! {
        <Title text=t!(setup.title) />
        <Transition fallback=|| view! { <p>{t!(common.loading)}</p> }>
            {move || Suspend::new(async move {
                let (editing, status) = (editing.get(), status.get());
                let setup = match setup.await {
                    Err(error) => return view! { <ErrorPage error /> }.into_any(),
                    Ok(setup) => setup,
                };
                let outbox = outbox.await;
                let editing = editing.and_then(|id| setup.webhooks.iter().find(|webhook| webhook.id == id).cloned());
                view! {
                    <h1>{t!(setup.title)}</h1>
                    <section class="card" id="defaults">
                        <h2>{t!(setup.defaults)}</h2>
                        <p>{t!(setup.defaults_intro)}</p>
                        {notice_for("defaults")}
                        <FormError error=defaults_error />
                        <ActionForm action=actions.save_defaults attr:class="preference-form" attr:data-testid="defaults-form">
                            <PreferenceTable preferences=setup.defaults />
                            <button type="submit">{t!(setup.save_defaults)}</button>
                        </ActionForm>
                    </section>
                    <section class="card" id="webhooks">
                        <h2>{t!(setup.webhooks)}</h2>
                        <p>{t!(setup.webhooks_intro)}</p>
                        {notice_for("webhooks")}
                        <FormError error=delete_error />
                        <WebhookTable webhooks=setup.webhooks delete=actions.delete_webhook />
                        {match editing {
                            Some(webhook) => view! {
                                <EditWebhook webhook queues=setup.queues action=actions.update_webhook />
                            }.into_any(),
                            None => view! { <AddWebhook queues=setup.queues action=actions.create_webhook /> }.into_any(),
                        }}
                    </section>
                    <section class="card" id="outbox">
                        <h2>{t!(setup.outbox)}</h2>
                        <p>{t!(setup.outbox_intro)}</p>
                        {notice_for("outbox")}
                        {move || retry_error.get().map(|error| view! {
                            <p class="form-error" role="alert">{error.field_error("id").unwrap_or_else(|| error.to_string())}</p>
                        })}
                        <Form method="GET" action="/admin/notifications" attr:class="filters" attr:role="search">
                            <label>{t!(ticket.status)}
                                <select name="status">
                                    <option value="">{t!(tickets.any)}</option>
                                    {[OutboxStatus::Pending, OutboxStatus::Failed, OutboxStatus::Sent].into_iter().map(|option| view! {
                                        <option value=status_name(option) selected=status == Some(option)>{status_label(option)}</option>
                                    }).collect_view()}
                                </select>
                            </label>
                            <div class="filter-actions">
                                <button type="submit">{t!(setup.show)}</button>
                            </div>
                        </Form>
                        {match outbox {
                            Err(error) => view! { <p class="form-error" role="alert">{error.to_string()}</p> }.into_any(),
                            Ok(items) if items.is_empty() => view! { <p class="empty">{t!(setup.no_messages)}</p> }.into_any(),
                            Ok(items) => view! {
                                <div class="scroll-region" tabindex="0" role="region" aria-label=t!(setup.outbox)>
                                    <OutboxTable items retry=actions.retry />
                                </div>
                            }.into_any(),
                        }}
                    </section>
                }.into_any()
            })}
        </Transition>
    }
}

/// The webhooks, each with an Edit link (`?edit=<id>`) and a Delete button.
#[component]
fn WebhookTable(webhooks: Vec<DiscordWebhook>, delete: ServerAction<DeleteDiscordWebhook>) -> impl IntoView {
    if webhooks.is_empty() {
        return view! { <p class="empty">{t!(setup.no_webhooks)}</p> }.into_any();
    }
    let query = use_query_map();
    view! {
        <table class="data-table webhook-table">
            <thead>
                <tr><th scope="col">{t!(ticket.queue)}</th><th scope="col">{t!(setup.name)}</th><th scope="col">{t!(setup.url)}</th><th scope="col">{t!(setup.events)}</th><th scope="col">{t!(setup.active)}</th><th scope="col"><span class="visually-hidden">{t!(settings.actions)}</span></th></tr>
            </thead>
            <tbody>
                {webhooks.into_iter().map(|webhook| {
                    let mut edit = query.get_untracked();
                    edit.remove("notice");
                    edit.replace("edit", webhook.id.to_string());
                    let edit_href = format!("/admin/notifications{}#webhook-form", edit.to_query_string());
                    let (edit_label, delete_label) =
                        (t!(setup.edit_named, name = webhook.name.clone()), t!(setup.delete_named, name = webhook.name.clone()));
                    let delete_question = t!(setup.delete_question, name = webhook.name.clone()).to_string();
                    let events = webhook.kinds.iter().map(|&kind| kind_name(kind)).collect::<Vec<_>>().join(", ");
                    view! {
                        <tr data-webhook-id=webhook.id data-webhook-name=webhook.name.clone()>
                            <td>{webhook.queue}</td>
                            <td>{webhook.name.clone()}</td>
                            <td><code class="masked-url">{webhook.url}</code></td>
                            <td>{events}</td>
                            <td>{if webhook.active { t!(common.yes) } else { t!(common.no) }}</td>
                            <td>
                                <div class="row-actions">
                                    <A href=edit_href attr:class="button secondary" attr:aria-label=edit_label>{t!(setup.edit)}</A>
                                    <ActionForm action=delete attr:class="inline-form">
                                        <input type="hidden" name="id" value=webhook.id />
                                        <ConfirmSubmit
                                            label=t!(common.delete).to_string()
                                            name=delete_label
                                            question=delete_question
                                            confirm=t!(setup.delete_confirm).to_string()
                                        />
                                    </ActionForm>
                                </div>
                            </td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}

/// The form that adds a webhook.
#[component]
fn AddWebhook(queues: Vec<Queue>, action: ServerAction<CreateDiscordWebhook>) -> impl IntoView {
    let error = action_error(action.value());
    view! {
        <h3 id="webhook-form">{t!(setup.add_webhook)}</h3>
        <ErrorSummary error labels=webhook_labels() />
        <ActionForm action attr:class="stacked-form webhook-form">
            <WebhookFields queues webhook=None error />
            <div class="form-actions">
                <button type="submit">{t!(setup.add_webhook_button)}</button>
            </div>
        </ActionForm>
    }
}

/// The form that changes `webhook`; its URL field starts empty (keeps the stored one).
#[component]
fn EditWebhook(
    webhook: DiscordWebhook,
    queues: Vec<Queue>,
    action: ServerAction<UpdateDiscordWebhook>,
) -> impl IntoView {
    let error = action_error(action.value());
    let query = use_query_map();
    let mut cancel = query.get_untracked();
    cancel.remove("edit");
    cancel.remove("notice");
    let cancel_href = format!("/admin/notifications{}#webhooks", cancel.to_query_string());
    let title = t!(setup.edit_webhook, name = webhook.name.clone());
    let id = webhook.id;
    view! {
        <h3 id="webhook-form">{title}</h3>
        <ErrorSummary error labels=webhook_labels() />
        <ActionForm action attr:class="stacked-form webhook-form">
            <input type="hidden" name="id" value=id />
            <WebhookFields queues webhook=Some(webhook) error />
            <div class="form-actions">
                <button type="submit">{t!(setup.save_webhook)}</button>
                <A href=cancel_href attr:class="button secondary">{t!(common.cancel)}</A>
            </div>
        </ActionForm>
    }
}

/// A webhook form's fields, named for people (the error summary's links).
fn webhook_labels() -> Vec<(&'static str, &'static str)> {
    vec![
        ("queue", t!(ticket.queue)),
        ("name", t!(setup.name)),
        ("url", t!(setup.webhook_url)),
        ("kinds", t!(setup.announces)),
    ]
}

/// The fields of a webhook form, filled from `webhook` when editing, with the
/// service's field errors under each.
#[component]
fn WebhookFields(
    queues: Vec<Queue>,
    webhook: Option<DiscordWebhook>,
    error: Signal<Option<AppError>>,
) -> impl IntoView {
    let editing = webhook.is_some();
    let current_queue = webhook.as_ref().map(|webhook| webhook.queue.clone());
    let name = webhook.as_ref().map(|webhook| webhook.name.clone()).unwrap_or_default();
    let url_placeholder = match &webhook {
        Some(webhook) => webhook.url.clone(),
        None => "https://discord.com/api/webhooks/<id>/<token>".to_string(),
    };
    let kinds: Vec<NotificationKind> =
        webhook.as_ref().map(|webhook| webhook.kinds.clone()).unwrap_or_else(|| vec![NotificationKind::TicketCreated]);
    let active = webhook.as_ref().is_none_or(|webhook| webhook.active);
    view! {
        <label>{t!(ticket.queue)}
            <select name="queue" required aria-describedby=described_by(error, "queue") aria-invalid=invalid(error, "queue")>
                {queues.into_iter().map(|queue| {
                    let selected = current_queue.as_deref() == Some(queue.slug.as_str());
                    view! { <option value=queue.slug selected=selected>{queue.name}</option> }
                }).collect_view()}
            </select>
        </label>
        <FieldError error name="queue" />
        <label>{t!(setup.name)}
            <input type="text" name="name" value=name required maxlength="100" placeholder=t!(setup.name_placeholder) aria-describedby=described_by(error, "name") aria-invalid=invalid(error, "name") />
        </label>
        <FieldError error name="name" />
        <label>{t!(setup.webhook_url)}
            <input type="url" name="url" required=!editing maxlength="500" placeholder=url_placeholder autocomplete="off" aria-describedby=described_by(error, "url") aria-invalid=invalid(error, "url") />
            {editing.then(|| view! { <small>{t!(setup.keep_url)}</small> })}
        </label>
        <FieldError error name="url" />
        <fieldset class="kind-choices" aria-describedby=described_by(error, "kinds")>
            <legend>{t!(setup.announces)}</legend>
            {NotificationKind::DISCORD.into_iter().map(|kind| view! {
                <label class="checkbox">
                    <input type="checkbox" name="kinds[]" value=kind.as_str() checked=kinds.contains(&kind) aria-invalid=invalid(error, "kinds") />
                    {kind_name(kind)}
                </label>
            }).collect_view()}
        </fieldset>
        <FieldError error name="kinds" />
        <label class="checkbox">
            <input type="checkbox" name="active" value="true" checked=active />
            {t!(setup.active)}
        </label>
    }
}

/// The outbox rows, newest first; failed ones have a Retry button.
#[component]
fn OutboxTable(items: Vec<OutboxItem>, retry: ServerAction<RetryOutboxMessage>) -> impl IntoView {
    view! {
        <table class="data-table outbox-table">
            <thead>
                <tr>
                    <th scope="col">{t!(ticket.status)}</th><th scope="col">{t!(setup.channel)}</th><th scope="col">{t!(preferences.event)}</th><th scope="col">{t!(ticket.ticket)}</th><th scope="col">{t!(setup.recipient)}</th>
                    <th scope="col">{t!(setup.attempts)}</th><th scope="col">{t!(setup.last_error)}</th><th scope="col">{t!(setup.next_attempt)}</th><th scope="col">{t!(settings.created)}</th><th scope="col">{t!(outbox.sent)}</th><th scope="col"><span class="visually-hidden">{t!(settings.actions)}</span></th>
                </tr>
            </thead>
            <tbody>
                {items.into_iter().map(|item| {
                    let failed = item.status == OutboxStatus::Failed;
                    let reference = item.reference.clone().unwrap_or_default();
                    view! {
                        <tr data-outbox-id=item.id data-status=status_name(item.status) data-channel=channel_name(item.channel) data-reference=reference>
                            <td><span class=format!("badge outbox-{}", status_name(item.status))>{status_label(item.status)}</span></td>
                            <td>{channel_name(item.channel)}</td>
                            <td>{kind_name(item.kind)}</td>
                            <td>{match item.reference {
                                Some(reference) => {
                                    let href = format!("/tickets/{reference}");
                                    view! { <a href=href>{reference}</a> }.into_any()
                                }
                                None => "—".into_any(),
                            }}</td>
                            <td class="recipient">{item.recipient}</td>
                            <td class="attempts">{item.attempts}</td>
                            <td class="last-error">{item.last_error.unwrap_or_default()}</td>
                            <td>{(item.status == OutboxStatus::Pending).then(|| view! { <FullTime at=item.next_attempt_at /> })}</td>
                            <td><FullTime at=item.created_at /></td>
                            <td>{item.sent_at.map(|at| view! { <FullTime at /> })}</td>
                            <td>{failed.then(|| view! {
                                <ActionForm action=retry attr:class="inline-form">
                                    <input type="hidden" name="id" value=item.id />
                                    <button type="submit" class="secondary">{t!(setup.retry)}</button>
                                </ActionForm>
                            })}</td>
                        </tr>
                    }
                }).collect_view()}
            </tbody>
        </table>
    }
}
