//! `/tickets/new`: open a ticket, with draft autosave.

use crate::components::draft::{Autosave, DraftIndicator, draft_field};
use crate::components::format::metadata_label;
use crate::components::forms::{ErrorSummary, FieldError, action_error, described_by, invalid};
use crate::domain::{Category, LimitReached, Priority, Queue};
use crate::functions::tickets::{CreateTicket, get_draft, load_ticket_options, open_ticket_limits_reached};
use crate::pages::errors::ErrorPage;
use crate::t;
use leptos::prelude::*;
use leptos_meta::Title;

/// The fields kept in the `new_ticket` draft.
const DRAFT_FIELDS: &[&str] =
    &["queue", "category", "priority", "subject", "description", "server_id", "command", "error_message"];

/// The form's fields, named for people (the error summary's links).
fn field_labels() -> Vec<(&'static str, &'static str)> {
    vec![
        ("queue", t!(ticket.queue)),
        ("category", t!(ticket.category)),
        ("priority", t!(ticket.priority)),
        ("subject", t!(ticket.subject)),
        ("description", t!(ticket.description)),
        ("metadata", t!(new_ticket.details)),
    ]
}

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
                        let choices = StoredValue::new(CategoryChoices::new(&options.queues, &options.categories));
                        // The draft's category if the queue offers it, else the queue's default.
                        let category = RwSignal::new(choices.with_value(|choices| {
                            chosen.with_untracked(|queue| choices.initial(queue, &chosen_category))
                        }));
                        view! {
                            <section class="card">
                                <div class="page-heading">
                                    <h1>{t!(new_ticket.title)}</h1>
                                    <DraftIndicator state=autosave.state />
                                </div>
                                // Every reason at once, each also at its field (issue 14).
                                <ErrorSummary error labels=field_labels() />
                                <ActionForm action=action attr:class="stacked-form" on:input=move |event| autosave.on_input(event) on:submit=move |_| autosave.cancel()>
                                    <div class="form-row">
                                        <label>{t!(ticket.queue)}
                                            <select name="queue" required aria-describedby=described_by(error, "queue") aria-invalid=invalid(error, "queue") on:change=move |event| {
                                                let queue = event_target_value(&event);
                                                let next = choices.with_value(|choices| chosen.with_untracked(|previous| {
                                                    category.with_untracked(|current| choices.after_queue_change(previous, &queue, current))
                                                }));
                                                category.set(next);
                                                chosen.set(queue);
                                            }>
                                                {options.queues.into_iter().map(|queue| {
                                                    let is_selected = queue.slug == chosen_queue;
                                                    view! { <option value=queue.slug selected=is_selected>{queue.name}</option> }
                                                }).collect_view()}
                                            </select>
                                        </label>
                                        <label>{t!(ticket.category)}
                                            <select name="category" required aria-describedby=described_by(error, "category") aria-invalid=invalid(error, "category") on:change=move |event| category.set(event_target_value(&event))>
                                                <CategoryOptions choices queue=chosen category hydrated />
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

/// One queue's choices in the new-ticket form.
#[derive(Clone, Debug, PartialEq)]
struct QueueChoice {
    slug: String,
    name: String,
    /// The active categories the queue offers, `(slug, name)`, in the catalogue's order.
    offered: Vec<(String, String)>,
    /// The slug of the category preselected, one of `offered`.
    default: Option<String>,
}

/// Each queue's categories, by name, as the new-ticket form offers them:
/// only the active categories the queue offers, and its default.
#[derive(Clone, Debug, PartialEq)]
struct CategoryChoices {
    /// In queue order.
    queues: Vec<QueueChoice>,
}

impl CategoryChoices {
    fn new(queues: &[Queue], categories: &[Category]) -> Self {
        let queues = queues
            .iter()
            .map(|queue| {
                let offered: Vec<(String, String)> = categories
                    .iter()
                    .filter(|category| queue.offers(&category.slug))
                    .map(|category| (category.slug.clone(), category.name.clone()))
                    .collect();
                let default =
                    queue.default_category.clone().filter(|slug| offered.iter().any(|(offered, _)| offered == slug));
                QueueChoice { slug: queue.slug.clone(), name: queue.name.clone(), offered, default }
            })
            .collect();
        CategoryChoices { queues }
    }

    fn queue(&self, queue: &str) -> Option<&QueueChoice> {
        self.queues.iter().find(|choice| choice.slug == queue)
    }

    fn offers(&self, queue: &str, category: &str) -> bool {
        self.queue(queue).is_some_and(|choice| choice.offered.iter().any(|(slug, _)| slug == category))
    }

    fn default_of(&self, queue: &str) -> String {
        self.queue(queue).and_then(|choice| choice.default.clone()).unwrap_or_default()
    }

    /// The category first selected in `queue`: `wanted` (a draft's) when the
    /// queue offers it, else the queue's default, else none (`""`).
    fn initial(&self, queue: &str, wanted: &str) -> String {
        if self.offers(queue, wanted) { wanted.to_string() } else { self.default_of(queue) }
    }

    /// The category selected once the queue changes from `previous` to
    /// `queue`: the one `current`ly chosen if the requester picked it (it is
    /// not the previous queue's default) and the new queue offers it, else
    /// the new queue's default.
    fn after_queue_change(&self, previous: &str, queue: &str, current: &str) -> String {
        let picked = !current.is_empty() && current != self.default_of(previous);
        if picked && self.offers(queue, current) { current.to_string() } else { self.default_of(queue) }
    }
}

/// The category `<option>`s. Hydrated, only the chosen `queue`'s categories,
/// with `category` selected (and "Choose a category" first when the queue
/// has no default). Before hydration, and without the wasm, every queue's
/// categories in one `<optgroup>` per queue, the first queue's choice
/// selected: the server refuses a category the chosen queue does not offer,
/// with a field error.
#[component]
fn CategoryOptions(
    choices: StoredValue<CategoryChoices>,
    queue: RwSignal<String>,
    category: RwSignal<String>,
    hydrated: RwSignal<bool>,
) -> impl IntoView {
    let placeholder = move |selected: bool| {
        view! { <option value="" selected=selected prop:selected=selected>{t!(new_ticket.choose_category)}</option> }
    };
    move || {
        if hydrated.get() {
            let chosen = queue.get();
            let selected = category.get_untracked();
            let (offered, default) = choices.with_value(|choices| {
                choices
                    .queue(&chosen)
                    .map(|choice| (choice.offered.clone(), choice.default.clone()))
                    .unwrap_or_default()
            });
            view! {
                {(default.is_none() || selected.is_empty()).then(|| placeholder(selected.is_empty()))}
                {offered.into_iter().map(|(slug, name)| {
                    let is_selected = slug == selected;
                    view! { <option value=slug selected=is_selected prop:selected=is_selected>{name}</option> }
                }).collect_view()}
            }
            .into_any()
        } else {
            let queues = choices.with_value(|choices| choices.queues.clone());
            let (chosen_queue, selected) = (queue.get_untracked(), category.get_untracked());
            view! {
                {selected.is_empty().then(|| placeholder(true))}
                {queues.into_iter().map(|choice| {
                    let in_chosen_queue = choice.slug == chosen_queue;
                    view! {
                        <optgroup label=choice.name data-queue=choice.slug>
                            {choice.offered.into_iter().map(|(slug, name)| {
                                let is_selected = in_chosen_queue && slug == selected;
                                view! { <option value=slug selected=is_selected>{name}</option> }
                            }).collect_view()}
                        </optgroup>
                    }
                }).collect_view()}
            }
            .into_any()
        }
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
                let links = limit.references.into_iter().enumerate().map(|(index, reference)| view! {
                    {(index > 0).then_some(", ")}
                    <a href=format!("/tickets/{reference}")>{reference.clone()}</a>
                }).collect_view();
                view! {
                    <div class="notice warning limit-reached" data-queue=limit.queue hidden=hidden>
                        <p>{t!(new_ticket.limit_reached, count = limit.limit, queue = limit.queue_name)}" "{links}</p>
                        <p>{t!(new_ticket.follow_up_there)}</p>
                    </div>
                }
            }).collect_view()}
        </div>
    }
}
