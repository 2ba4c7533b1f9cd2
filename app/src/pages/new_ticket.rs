//! `/tickets/new`: open a ticket, with draft autosave.

use crate::components::draft::{Autosave, DraftIndicator, draft_field};
use crate::components::format::metadata_label;
use crate::components::forms::{FieldError, FormError, action_error, described_by, invalid};
use crate::domain::LimitReached;
use crate::domain::Priority;
use crate::functions::tickets::{CreateTicket, get_draft, load_ticket_options, open_ticket_limits_reached};
use crate::pages::errors::ErrorPage;
use crate::t;
use leptos::prelude::*;
use leptos_meta::Title;

/// The fields kept in the `new_ticket` draft.
const DRAFT_FIELDS: &[&str] =
    &["queue", "category", "priority", "subject", "description", "server_id", "command", "error_message"];

/// The new ticket form.
#[component]
pub fn NewTicketPage() -> impl IntoView {
    let action = ServerAction::<CreateTicket>::new();
    let error = action_error(action.value());
    let options = Resource::new_blocking(|| (), |_| load_ticket_options());
    let draft = Resource::new_blocking(|| (), |_| get_draft("new_ticket".into()));
    let limits = Resource::new_blocking(|| (), |_| open_ticket_limits_reached());
    // Until the page has hydrated (and without the wasm) every reached limit
    // shows; then only the chosen queue's.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let autosave = Autosave::new("new_ticket".into(), DRAFT_FIELDS);

    view! {
        <Title text=t!(new_ticket.title) />
        <Suspense fallback=|| view! { <p>{t!(common.loading)}</p> }>
            {move || Suspend::new(async move {
                let draft = draft.await.ok().flatten();
                let limits = limits.await.unwrap_or_default();
                match options.await {
                    Err(error) => view! { <ErrorPage error /> }.into_any(),
                    Ok(options) => {
                        let field = |name: &str| draft_field(&draft, name);
                        let chosen_queue = field("queue");
                        let chosen_category = field("category");
                        let chosen_priority = field("priority");
                        let subject = field("subject");
                        let description = field("description");
                        let server_id = field("server_id");
                        let command = field("command");
                        let error_message = field("error_message");
                        let details_open = !(server_id.is_empty() && command.is_empty() && error_message.is_empty());
                        let first_queue = options.queues.first().map(|queue| queue.slug.clone()).unwrap_or_default();
                        let chosen = RwSignal::new(if chosen_queue.is_empty() { first_queue } else { chosen_queue.clone() });
                        view! {
                            <section class="card">
                                <div class="page-heading">
                                    <h1>{t!(new_ticket.title)}</h1>
                                    <DraftIndicator state=autosave.state />
                                </div>
                                <ActionForm action=action attr:class="stacked-form" on:input=move |event| autosave.on_input(event) on:submit=move |_| autosave.cancel()>
                                    <div class="form-row">
                                        <label>{t!(ticket.queue)}
                                            <select name="queue" required aria-describedby=described_by(error, "queue") aria-invalid=invalid(error, "queue") on:change=move |event| chosen.set(event_target_value(&event))>
                                                {options.queues.into_iter().map(|queue| {
                                                    let is_selected = queue.slug == chosen_queue;
                                                    view! { <option value=queue.slug selected=is_selected>{queue.name}</option> }
                                                }).collect_view()}
                                            </select>
                                        </label>
                                        <label>{t!(ticket.category)}
                                            <select name="category" required aria-describedby=described_by(error, "category") aria-invalid=invalid(error, "category")>
                                                {options.categories.into_iter().map(|category| {
                                                    let is_selected = category.slug == chosen_category;
                                                    view! { <option value=category.slug selected=is_selected>{category.name}</option> }
                                                }).collect_view()}
                                            </select>
                                        </label>
                                        <label>{t!(ticket.priority)}
                                            <select name="priority">
                                                {Priority::ALL.iter().map(|priority| {
                                                    let is_selected = if chosen_priority.is_empty() { *priority == Priority::Medium } else { priority.as_str() == chosen_priority };
                                                    view! { <option value=priority.as_str() selected=is_selected>{priority.label()}</option> }
                                                }).collect_view()}
                                            </select>
                                        </label>
                                    </div>
                                    <LimitNotices limits queue=chosen hydrated />
                                    <FieldError error name="queue" />
                                    <FieldError error name="category" />
                                    <FieldError error name="priority" />
                                    <label>{t!(ticket.subject)}
                                        <input type="text" name="subject" required maxlength="200" value=subject aria-describedby=described_by(error, "subject") aria-invalid=invalid(error, "subject") />
                                    </label>
                                    <FieldError error name="subject" />
                                    <label>{t!(ticket.description)}
                                        <textarea name="description" required maxlength="20000" rows="8" aria-describedby=described_by(error, "description") aria-invalid=invalid(error, "description")>{description}</textarea>
                                    </label>
                                    <FieldError error name="description" />
                                    <details open=details_open>
                                        <summary>{t!(new_ticket.details)}</summary>
                                        <label>{metadata_label("server_id")}" "<input type="text" name="server_id" value=server_id /></label>
                                        <label>{metadata_label("command")}" "<input type="text" name="command" value=command /></label>
                                        <label>{metadata_label("error_message")}" "<textarea name="error_message" rows="3">{error_message}</textarea></label>
                                    </details>
                                    <FieldError error name="metadata" />
                                    <FormError error />
                                    <button type="submit" disabled=move || action.pending().get()>{t!(new_ticket.submit)}</button>
                                </ActionForm>
                            </section>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}

/// The open-ticket limits the requester has reached (issue 14: say so as
/// soon as the queue is chosen, with a link to the open ticket), in one
/// polite live region: hydrated, only the chosen `queue`'s shows.
#[component]
fn LimitNotices(limits: Vec<LimitReached>, queue: RwSignal<String>, hydrated: RwSignal<bool>) -> impl IntoView {
    view! {
        <div class="limit-notices" aria-live="polite">
            {limits.into_iter().map(|limit| {
                let slug = limit.queue.clone();
                let hidden = move || hydrated.get() && queue.with(|queue| *queue != slug);
                let count = limit.references.len();
                let links = limit.references.into_iter().enumerate().map(|(index, reference)| view! {
                    {(index > 0).then_some(", ")}
                    <a href=format!("/tickets/{reference}")>{reference.clone()}</a>
                }).collect_view();
                view! {
                    <div class="notice warning limit-reached" data-queue=limit.queue hidden=hidden data-open=count>
                        <p>{t!(new_ticket.limit_reached, count = limit.limit, queue = limit.queue_name)}" "{links}</p>
                        <p>{t!(new_ticket.follow_up_there)}</p>
                    </div>
                }
            }).collect_view()}
        </div>
    }
}
