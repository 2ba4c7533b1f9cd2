//! `/tickets/new`: open a ticket, with draft autosave.

use crate::components::draft::{Autosave, DraftIndicator, draft_field};
use crate::components::forms::{FieldError, FormError, action_error};
use crate::domain::Priority;
use crate::functions::tickets::{CreateTicket, get_draft, load_ticket_options};
use crate::pages::errors::ErrorPage;
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
    let draft = Resource::new(|| (), |_| get_draft("new_ticket".into()));
    let autosave = Autosave::new("new_ticket".into(), DRAFT_FIELDS);

    view! {
        <Title text="New ticket" />
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let draft = draft.await.ok().flatten();
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
                        view! {
                            <section class="card">
                                <div class="page-heading">
                                    <h1>"New ticket"</h1>
                                    <DraftIndicator state=autosave.state />
                                </div>
                                <ActionForm action=action attr:class="stacked-form" on:input=move |event| autosave.on_input(event) on:submit=move |_| autosave.cancel()>
                                    <div class="form-row">
                                        <label>"Queue"
                                            <select name="queue" required>
                                                {options.queues.into_iter().map(|queue| {
                                                    let is_selected = queue.slug == chosen_queue;
                                                    view! { <option value=queue.slug selected=is_selected>{queue.name}</option> }
                                                }).collect_view()}
                                            </select>
                                        </label>
                                        <label>"Category"
                                            <select name="category" required>
                                                {options.categories.into_iter().map(|category| {
                                                    let is_selected = category.slug == chosen_category;
                                                    view! { <option value=category.slug selected=is_selected>{category.name}</option> }
                                                }).collect_view()}
                                            </select>
                                        </label>
                                        <label>"Priority"
                                            <select name="priority">
                                                {Priority::ALL.iter().map(|priority| {
                                                    let is_selected = if chosen_priority.is_empty() { *priority == Priority::Medium } else { priority.as_str() == chosen_priority };
                                                    view! { <option value=priority.as_str() selected=is_selected>{priority.as_str()}</option> }
                                                }).collect_view()}
                                            </select>
                                        </label>
                                    </div>
                                    <FieldError error name="queue" />
                                    <FieldError error name="category" />
                                    <FieldError error name="priority" />
                                    <label>"Subject"
                                        <input type="text" name="subject" required maxlength="200" value=subject />
                                    </label>
                                    <FieldError error name="subject" />
                                    <label>"Description"
                                        <textarea name="description" required maxlength="20000" rows="8">{description}</textarea>
                                    </label>
                                    <FieldError error name="description" />
                                    <details open=details_open>
                                        <summary>"Technical details (optional)"</summary>
                                        <label>"Server id" <input type="text" name="server_id" value=server_id /></label>
                                        <label>"Command used" <input type="text" name="command" value=command /></label>
                                        <label>"Error message" <textarea name="error_message" rows="3">{error_message}</textarea></label>
                                    </details>
                                    <FieldError error name="metadata" />
                                    <FormError error />
                                    <button type="submit" disabled=move || action.pending().get()>"Open ticket"</button>
                                </ActionForm>
                            </section>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
    }
}
