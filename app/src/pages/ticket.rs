//! `/tickets/:reference`: the conversation, details, actions and timeline.

use crate::components::draft::{Autosave, DraftIndicator, draft_field};
use crate::components::format::{PriorityBadge, StatusBadge, time};
use crate::components::forms::{FieldError, FormError, action_error};
use crate::components::header::CurrentUser;
use crate::domain::{MessageKind, Priority, Role, Status, TicketDetail, TicketEvent, TicketOptions, User};
use crate::error::AppError;
use crate::functions::tickets::{
    AddMessage, AssignTicket, ChangeStatus, EscalateTicket, UpdateTicket, get_draft, get_ticket, load_ticket_options,
};
use crate::pages::errors::ErrorPage;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// The actions of the ticket page; each one's completion refetches the ticket.
#[derive(Clone, Copy)]
struct Actions {
    reply: ServerAction<AddMessage>,
    status: ServerAction<ChangeStatus>,
    update: ServerAction<UpdateTicket>,
    assign: ServerAction<AssignTicket>,
    escalate: ServerAction<EscalateTicket>,
}

impl Actions {
    fn version(&self) -> usize {
        self.reply.version().get()
            + self.status.version().get()
            + self.update.version().get()
            + self.assign.version().get()
            + self.escalate.version().get()
    }

    /// The error of whichever action failed last, for the page-level message.
    fn error(&self) -> Signal<Option<AppError>> {
        let errors =
            [action_error(self.status.value()), action_error(self.update.value()), action_error(self.assign.value())];
        Signal::derive(move || errors.iter().find_map(|error| error.get()))
    }
}

/// The ticket page (404 for tickets the caller may not see).
#[component]
pub fn TicketPage() -> impl IntoView {
    let params = use_params_map();
    let key = move || params.with(|params| params.get("reference").unwrap_or_default());
    let actions = Actions {
        reply: ServerAction::new(),
        status: ServerAction::new(),
        update: ServerAction::new(),
        assign: ServerAction::new(),
        escalate: ServerAction::new(),
    };
    let detail = Resource::new_blocking(move || (key(), actions.version()), |(key, _)| get_ticket(key));
    let options = Resource::new(|| (), |_| load_ticket_options());
    let CurrentUser(user) = expect_context::<CurrentUser>();

    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let user = user.await;
                let options = options.await.ok();
                match (detail.await, user) {
                    (Err(error), _) => view! { <ErrorPage error /> }.into_any(),
                    (Ok(_), None) => view! { <ErrorPage error=AppError::unauthorized() /> }.into_any(),
                    (Ok(detail), Some(user)) => view! { <TicketView detail user options actions /> }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn TicketView(detail: TicketDetail, user: User, options: Option<TicketOptions>, actions: Actions) -> impl IntoView {
    let TicketDetail { ticket, messages, events } = detail;
    let staff = user.role.is_staff();
    let key = ticket.reference.clone();
    let page_error = actions.error();
    let title = format!("{} {}", ticket.reference, ticket.subject);
    view! {
        <Title text=title />
        <article class="ticket" data-reference=ticket.reference.clone() data-status=ticket.status.as_str()>
            <header class="ticket-heading">
                <p class="reference">{ticket.reference.clone()}</p>
                <h1>{ticket.subject.clone()}</h1>
                <p class="badges">
                    <StatusBadge status=ticket.status />
                    " "
                    <PriorityBadge priority=ticket.priority />
                    " "
                    <span class="badge">{ticket.category.clone()}</span>
                </p>
            </header>
            {move || page_error.get().map(|error| view! {
                <p class="form-error" role="alert">
                    {error.fields().into_values().next().map(|reason| format!("{error} ({reason})")).unwrap_or_else(|| error.to_string())}
                </p>
            })}
            <div class="ticket-layout">
                <section class="conversation" aria-label="Conversation">
                    <div class="message description">
                        <p class="message-meta"><strong>{ticket.requester.username.clone()}</strong>" · "{time(&ticket.created_at)}</p>
                        <div class="message-body">{ticket.description.clone()}</div>
                        {metadata_view(&ticket.metadata)}
                    </div>
                    {messages.into_iter().map(|message| {
                        let class = match message.kind {
                            MessageKind::Reply => "message reply",
                            MessageKind::InternalNote => "message internal-note",
                            MessageKind::System => "message system",
                        };
                        view! {
                            <div class=class data-kind=message.kind.as_str() data-message-id=message.id>
                                <p class="message-meta">
                                    <strong>{message.author.map(|author| author.username).unwrap_or_else(|| "Guichet".into())}</strong>
                                    {(message.kind == MessageKind::InternalNote).then(|| view! { " · " <span class="note-label">"Internal note"</span> })}
                                    " · "{time(&message.created_at)}
                                </p>
                                <div class="message-body">{message.body}</div>
                            </div>
                        }
                    }).collect_view()}
                    <ReplyForm ticket_id=ticket.id key=key.clone() staff closed=ticket.status == Status::Closed action=actions.reply />
                </section>
                <aside class="ticket-side">
                    <dl class="details">
                        <dt>"Status"</dt><dd><StatusBadge status=ticket.status /></dd>
                        <dt>"Priority"</dt><dd><PriorityBadge priority=ticket.priority /></dd>
                        <dt>"Queue"</dt><dd>{ticket.queue.clone()}</dd>
                        <dt>"Category"</dt><dd>{ticket.category.clone()}</dd>
                        <dt>"Requester"</dt><dd>{ticket.requester.username.clone()}</dd>
                        <dt>"Assignee"</dt><dd class="assignee">{ticket.assignee.as_ref().map(|assignee| assignee.username.clone()).unwrap_or_else(|| "Unassigned".into())}</dd>
                        <dt>"Opened"</dt><dd>{time(&ticket.created_at)}</dd>
                        <dt>"Updated"</dt><dd>{time(&ticket.updated_at)}</dd>
                        {ticket.first_response_at.map(|at| view! { <dt>"First response"</dt><dd>{time(&at)}</dd> })}
                        {ticket.resolved_at.map(|at| view! { <dt>"Resolved"</dt><dd>{time(&at)}</dd> })}
                        {ticket.closed_at.map(|at| view! { <dt>"Closed"</dt><dd>{time(&at)}</dd> })}
                    </dl>
                    {if staff {
                        view! { <StaffControls key=key.clone() user=user.clone() status=ticket.status priority=ticket.priority category=ticket.category.clone() assignee=ticket.assignee.as_ref().map(|assignee| assignee.id) options actions /> }.into_any()
                    } else {
                        view! { <RequesterControls key=key.clone() status=ticket.status actions /> }.into_any()
                    }}
                    <section class="timeline" aria-label="Timeline">
                        <h2>"Timeline"</h2>
                        <ol>
                            {events.into_iter().map(|event| view! { <TimelineEntry event /> }).collect_view()}
                        </ol>
                    </section>
                </aside>
            </div>
        </article>
    }
}

fn metadata_view(metadata: &serde_json::Value) -> Option<impl IntoView + use<>> {
    let entries: Vec<(String, String)> = metadata
        .as_object()?
        .iter()
        .map(|(key, value)| (key.clone(), value.as_str().map(String::from).unwrap_or_else(|| value.to_string())))
        .collect();
    (!entries.is_empty()).then(|| {
        view! {
            <dl class="metadata">
                {entries.into_iter().map(|(key, value)| view! { <dt>{key}</dt><dd><code>{value}</code></dd> }).collect_view()}
            </dl>
        }
    })
}

#[component]
fn ReplyForm(
    ticket_id: i64,
    key: String,
    staff: bool,
    closed: bool,
    action: ServerAction<AddMessage>,
) -> impl IntoView {
    let form_key = format!("reply:{ticket_id}");
    let draft = Resource::new(move || action.version().get(), {
        let form_key = form_key.clone();
        move |_| get_draft(form_key.clone())
    });
    let autosave = Autosave::new(form_key, &["body"]);
    let error = action_error(action.value());
    if closed && !staff {
        return view! { <p class="notice">"This ticket is closed. Reopen it to reply."</p> }.into_any();
    }
    view! {
        <Suspense fallback=|| ()>
            {
                let key = key.clone();
                move || {
                    let key = key.clone();
                    Suspend::new(async move {
                        let draft = draft.await.ok().flatten();
                        view! {
                            <ActionForm action=action attr:class="stacked-form reply-form" on:input=move |event| autosave.on_input(event) on:submit=move |_| autosave.cancel()>
                                <input type="hidden" name="key" value=key />
                                <label>"Your message"
                                    <textarea name="body" required maxlength="20000" rows="5">{draft_field(&draft, "body")}</textarea>
                                </label>
                                <FieldError error name="body" />
                                <FormError error />
                                <div class="form-actions">
                                    {if staff {
                                        view! {
                                            <button type="submit" name="kind" value="reply">"Send reply"</button>
                                            <button type="submit" name="kind" value="internal_note" class="secondary note-button">"Add internal note"</button>
                                        }.into_any()
                                    } else {
                                        view! { <button type="submit" name="kind" value="reply">"Send reply"</button> }.into_any()
                                    }}
                                    <DraftIndicator state=autosave.state />
                                </div>
                            </ActionForm>
                        }
                    })
                }
            }
        </Suspense>
    }
    .into_any()
}

#[component]
fn RequesterControls(key: String, status: Status, actions: Actions) -> impl IntoView {
    let reopen_key = key.clone();
    view! {
        <div class="controls">
            {(status != Status::Closed).then(|| view! {
                <ActionForm action=actions.status attr:class="inline-form">
                    <input type="hidden" name="key" value=key.clone() />
                    <input type="hidden" name="status" value="closed" />
                    <button type="submit" class="secondary">"Close ticket"</button>
                </ActionForm>
            })}
            {status.is_done().then(|| view! {
                <ActionForm action=actions.status attr:class="inline-form">
                    <input type="hidden" name="key" value=reopen_key.clone() />
                    <input type="hidden" name="status" value="open" />
                    <button type="submit">"Reopen ticket"</button>
                </ActionForm>
            })}
        </div>
    }
}

#[component]
#[allow(clippy::too_many_arguments)]
fn StaffControls(
    key: String,
    user: User,
    status: Status,
    priority: Priority,
    category: String,
    assignee: Option<i64>,
    options: Option<TicketOptions>,
    actions: Actions,
) -> impl IntoView {
    let options = options.unwrap_or(TicketOptions { queues: vec![], categories: vec![], agents: vec![] });
    let escalate_error = action_error(actions.escalate.value());
    let statuses: Vec<Status> = Status::ALL
        .iter()
        .copied()
        .filter(|candidate| {
            *candidate != Status::Escalated && (*candidate != Status::Closed || user.role == Role::Admin)
        })
        .collect();
    let key = StoredValue::new(key);
    let key = move || key.get_value();
    view! {
        <div class="controls">
            <ActionForm action=actions.status attr:class="control-form">
                <input type="hidden" name="key" value=key() />
                <label>"Status"
                    <select name="status">
                        {statuses.into_iter().map(|candidate| view! {
                            <option value=candidate.as_str() selected=candidate == status>{candidate.label()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <button type="submit">"Set status"</button>
            </ActionForm>
            <ActionForm action=actions.update attr:class="control-form">
                <input type="hidden" name="key" value=key() />
                <label>"Priority"
                    <select name="priority">
                        {Priority::ALL.iter().map(|candidate| view! {
                            <option value=candidate.as_str() selected=*candidate == priority>{candidate.as_str()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>"Category"
                    <select name="category">
                        {options.categories.into_iter().map(|candidate| {
                            let is_selected = candidate.slug == category;
                            view! { <option value=candidate.slug selected=is_selected>{candidate.name}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <button type="submit">"Save"</button>
            </ActionForm>
            {if user.role == Role::Admin {
                view! {
                    <ActionForm action=actions.assign attr:class="control-form">
                        <input type="hidden" name="key" value=key() />
                        <label>"Assignee"
                            <select name="agent_id">
                                <option value="">"Unassigned"</option>
                                {options.agents.into_iter().map(|agent| view! {
                                    <option value=agent.id selected=Some(agent.id) == assignee>{agent.username}</option>
                                }).collect_view()}
                            </select>
                        </label>
                        <button type="submit">"Assign"</button>
                    </ActionForm>
                }.into_any()
            } else if assignee.is_none() {
                view! {
                    <ActionForm action=actions.assign attr:class="inline-form">
                        <input type="hidden" name="key" value=key() />
                        <input type="hidden" name="agent_id" value=user.id />
                        <button type="submit">"Take this ticket"</button>
                    </ActionForm>
                }.into_any()
            } else if assignee == Some(user.id) {
                view! {
                    <ActionForm action=actions.assign attr:class="inline-form">
                        <input type="hidden" name="key" value=key() />
                        <input type="hidden" name="agent_id" value="" />
                        <button type="submit" class="secondary">"Give back"</button>
                    </ActionForm>
                }.into_any()
            } else {
                ().into_any()
            }}
            <ActionForm action=actions.escalate attr:class="control-form escalate-form">
                <input type="hidden" name="key" value=key() />
                <label>"Escalation reason"
                    <input type="text" name="reason" required maxlength="1000" />
                </label>
                <FieldError error=escalate_error name="reason" />
                <button type="submit" class="danger">"Escalate"</button>
            </ActionForm>
        </div>
    }
}

#[component]
fn TimelineEntry(event: TicketEvent) -> impl IntoView {
    let actor = event.actor.as_ref().map(|actor| actor.username.clone()).unwrap_or_else(|| "system".into());
    let text = |key: &str| {
        event.data.get(key).map(|value| match value {
            serde_json::Value::String(text) => text.replace('_', " "),
            serde_json::Value::Object(object) => {
                object.get("username").and_then(|name| name.as_str()).unwrap_or("?").to_string()
            }
            serde_json::Value::Null => "nobody".into(),
            other => other.to_string(),
        })
    };
    let description = match event.action.as_str() {
        "created" => "opened the ticket".to_string(),
        "status_changed" => format!(
            "changed the status from {} to {}",
            text("from").unwrap_or_default(),
            text("to").unwrap_or_default()
        ),
        "priority_changed" => format!(
            "changed the priority from {} to {}",
            text("from").unwrap_or_default(),
            text("to").unwrap_or_default()
        ),
        "category_changed" => format!(
            "changed the category from {} to {}",
            text("from").unwrap_or_default(),
            text("to").unwrap_or_default()
        ),
        "assigned" => format!("assigned it to {}", text("to").unwrap_or_default()),
        "unassigned" => "unassigned it".to_string(),
        "replied" => "replied".to_string(),
        "note_added" => "added an internal note".to_string(),
        "escalated" => format!("escalated it: {}", text("reason").unwrap_or_default()),
        "reopened" => format!("reopened it (was {})", text("from").unwrap_or_default()),
        other => other.replace('_', " "),
    };
    view! {
        <li data-action=event.action.clone()>
            <strong>{actor}</strong>" "{description}
            <br />
            <small>{time(&event.created_at)}</small>
        </li>
    }
}
