//! `/tickets/:reference`: the conversation, details, actions and timeline,
//! updated in place by live events, with who else is there and who is typing.

use crate::components::draft::{Autosave, DraftIndicator, draft_field};
use crate::components::format::{FullTime, PriorityBadge, QueueBadge, StatusBadge, metadata_label, slug_words, time};
use crate::components::forms::{ConfirmSubmit, ErrorSummary, FieldError, action_error, described_by, invalid};
use crate::components::live::{Live, TicketPresence, Typing, TypingIndicator, held_until};
use crate::domain::service_levels::{SlaTarget, TicketSla};
use crate::domain::{
    Message, MessageKind, Priority, RATING_CHANGE_DAYS, RATING_COMMENT_MAX, RATING_SCORES, Role, Status, Ticket,
    TicketChange, TicketDetail, TicketEvent, TicketOptions, TicketRating, User, UserReference, new_submission_key,
    score_label,
};
use crate::error::AppError;
use crate::functions::tickets::{
    AddMessage, AssignTicket, ChangeStatus, EscalateTicket, RateTicket, UpdateTicket, get_draft, get_ticket,
    load_ticket_options,
};
use crate::pages::errors::ErrorPage;
use crate::providers::CurrentUser;
use crate::reactive::resource_memo;
use crate::t;
use chrono::{DateTime, Utc};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;
use leptos_router::hooks::use_params_map;

/// The actions of the ticket page; each one's completion refetches the ticket.
#[derive(Clone, Copy)]
struct Actions {
    reply: ServerAction<AddMessage>,
    status: ServerAction<ChangeStatus>,
    update: ServerAction<UpdateTicket>,
    assign: ServerAction<AssignTicket>,
    escalate: ServerAction<EscalateTicket>,
    rate: ServerAction<RateTicket>,
}

impl Actions {
    fn version(&self) -> usize {
        self.reply.version().get()
            + self.status.version().get()
            + self.update.version().get()
            + self.assign.version().get()
            + self.escalate.version().get()
            + self.rate.version().get()
    }

    /// The error of whichever action failed last, for the page-level message.
    fn error(&self) -> Signal<Option<AppError>> {
        let errors =
            [action_error(self.status.value()), action_error(self.update.value()), action_error(self.assign.value())];
        Signal::derive(move || errors.iter().find_map(|error| error.get()))
    }
}

/// The ticket page (404 for tickets the caller may not see).
///
/// Opening another ticket from here (a toast's link) builds a new screen:
/// nothing of the previous ticket's form or data carries over.
#[component]
pub fn TicketPage() -> impl IntoView {
    let params = use_params_map();
    let key = Memo::new(move |_| params.with(|params| params.get("reference").unwrap_or_default()));
    move || view! { <TicketScreen key=key.get() /> }
}

/// What the page shows as a whole; the details inside update in place.
#[derive(Debug, Clone, PartialEq)]
enum Frame {
    Loading,
    Failed(AppError),
    Ready { ticket_id: i64, user: User, options: Option<TicketOptions> },
}

/// The page of ticket `key` (id or reference). Its data is refetched after the
/// user's own actions and after live events on this ticket; the refetch
/// updates messages, badges, details and timeline where they are, so the
/// reply being typed, the scroll position and focus stay.
#[component]
fn TicketScreen(key: String) -> impl IntoView {
    let live = expect_context::<Live>();
    let actions = Actions {
        reply: ServerAction::new(),
        status: ServerAction::new(),
        update: ServerAction::new(),
        assign: ServerAction::new(),
        escalate: ServerAction::new(),
        rate: ServerAction::new(),
    };
    // Live events refetch once the page has hydrated (see `held_until`).
    let shown = RwSignal::new(false);
    let version = held_until(shown, {
        let key = key.clone();
        move || live.ticket_version(&key)
    });
    let detail = Resource::new_blocking(move || (actions.version(), version.get()), {
        let key = key.clone();
        move |_| get_ticket(key.clone())
    });
    // Blocking, like the page's data: the page's frame waits for it, and a
    // streamed resource read by it was sometimes not awaited by the server's
    // Transition, which then rendered an empty page (leptos' Suspense
    // task-tracking race, leptos issues #4578 and #4851).
    let options = Resource::new_blocking(|| (), |_| load_ticket_options());
    let CurrentUser(user) = expect_context::<CurrentUser>();
    view! {
        <Transition fallback=|| view! { <p>{t!(common.loading)}</p> }>
            {
                // Created inside the Transition, so that their resource reads
                // register with it (the server waits for them). The page
                // itself depends on `frame` only: refetches that keep the same
                // ticket update the details in place instead of rebuilding it.
                //
                // The last detail loaded; a failed refetch (offline) keeps the page as it was.
                let latest = resource_memo(move |previous: Option<&Option<TicketDetail>>| match detail.get() {
                    Some(Ok(detail)) => Some(detail),
                    _ => previous.cloned().flatten(),
                });
                let frame = resource_memo(move |previous: Option<&Frame>| {
                    let (Some(result), Some(user), Some(options)) = (detail.get(), user.get(), options.get()) else {
                        return previous.cloned().unwrap_or(Frame::Loading);
                    };
                    match (result, user) {
                        (Ok(detail), Some(user)) => Frame::Ready { ticket_id: detail.ticket.id, user, options: options.ok() },
                        (Ok(_), None) => Frame::Failed(AppError::unauthorized()),
                        (Err(_), _) if matches!(previous, Some(Frame::Ready { .. })) => {
                            previous.cloned().unwrap_or(Frame::Loading)
                        }
                        (Err(error), _) => Frame::Failed(error),
                    }
                });
                move || match frame.get() {
                    Frame::Loading => ().into_any(),
                    Frame::Failed(error) => view! { <ErrorPage error /> }.into_any(),
                    Frame::Ready { ticket_id, user, options } => match latest.get_untracked() {
                        Some(first) if first.ticket.id == ticket_id => {
                            Effect::new(move |_| shown.set(true));
                            view! { <TicketView first detail=latest user options actions /> }.into_any()
                        }
                        _ => ().into_any(),
                    },
                }
            }
        </Transition>
    }
}

#[component]
fn TicketView(
    first: TicketDetail,
    detail: Signal<Option<TicketDetail>>,
    user: User,
    options: Option<TicketOptions>,
    actions: Actions,
) -> impl IntoView {
    let first_ticket = first.ticket.clone();
    let ticket = Memo::new(move |_| {
        detail
            .with(|detail| detail.as_ref().map(|detail| detail.ticket.clone()))
            .unwrap_or_else(|| first_ticket.clone())
    });
    let messages = Memo::new(move |_| {
        detail.with(|detail| detail.as_ref().map(|detail| detail.messages.clone()).unwrap_or_default())
    });
    let events = Memo::new(move |_| {
        detail.with(|detail| detail.as_ref().map(|detail| detail.events.clone()).unwrap_or_default())
    });
    let status = Memo::new(move |_| ticket.with(|ticket| ticket.status));
    let first_rating = (first.rating.clone(), first.can_rate);
    let rating = Memo::new(move |_| {
        detail
            .with(|detail| detail.as_ref().map(|detail| (detail.rating.clone(), detail.can_rate)))
            .unwrap_or_else(|| first_rating.clone())
    });
    let priority = Memo::new(move |_| ticket.with(|ticket| ticket.priority));
    let category = Memo::new(move |_| ticket.with(|ticket| ticket.category.clone()));
    let assignee = Memo::new(move |_| ticket.with(|ticket| ticket.assignee.clone()));
    let at = move |field: fn(&Ticket) -> Option<DateTime<Utc>>| Memo::new(move |_| ticket.with(field));
    let first_response_at = at(|ticket| ticket.first_response_at);
    let resolved_at = at(|ticket| ticket.resolved_at);
    let closed_at = at(|ticket| ticket.closed_at);
    let updated_at = Memo::new(move |_| ticket.with(|ticket| ticket.updated_at));

    let requester_discord = first.requester_discord.clone();
    let first_sla = first.sla.clone();
    let sla = Memo::new(move |_| {
        detail.with(|detail| detail.as_ref().map(|detail| detail.sla.clone())).unwrap_or_else(|| first_sla.clone())
    });
    let Ticket { id: ticket_id, reference, subject, description, metadata, queue, requester, created_at, .. } =
        first.ticket;
    // Names for people, not slugs (issue 14): the catalogue's, else the slug's words.
    let (queues, categories) = match &options {
        Some(options) => (options.queues.clone(), options.categories.clone()),
        None => (Vec::new(), Vec::new()),
    };
    let category_name = move || {
        let slug = category.get();
        categories
            .iter()
            .find(|known| known.slug == slug)
            .map(|known| known.name.clone())
            .unwrap_or_else(|| slug_words(&slug))
    };
    let queues = StoredValue::new(queues);
    let ticket_queue = queue.clone();
    let staff = user.role.is_staff();
    let key = reference.clone();
    let page_error = actions.error();
    let title = format!("{reference} {subject}");
    view! {
        <Title text=title />
        <article class="ticket" data-reference=reference.clone() data-status=move || status.get().as_str()>
            <header class="ticket-heading">
                <p class="reference">{reference.clone()}</p>
                <h1>{subject}</h1>
                <p class="badges">
                    {move || view! { <StatusBadge status=status.get() /> }}
                    " "
                    {move || view! { <PriorityBadge priority=priority.get() /> }}
                    " "
                    <span class="badge">{category_name.clone()}</span>
                </p>
                <TicketPresence ticket_id />
            </header>
            // The side panel's forms: each reason also at its field there.
            <ErrorSummary error=page_error labels=vec![
                ("status", t!(ticket.status)),
                ("priority", t!(ticket.priority)),
                ("category", t!(ticket.category)),
                ("agent_id", t!(ticket.assignee)),
            ] />
            <div class="ticket-layout">
                <section class="conversation" aria-label=t!(ticket.conversation)>
                    <div class="message description">
                        <p class="message-meta"><strong>{requester.username.clone()}</strong>" · "<FullTime at=created_at /></p>
                        <div class="message-body">{description}</div>
                        {metadata_view(&metadata)}
                    </div>
                    <For each=move || messages.get() key=|message| message.id children=|message| view! { <MessageView message /> } />
                    <TypingIndicator ticket_id />
                    <ReplyForm ticket_id key=key.clone() staff closed=Signal::derive(move || status.get() == Status::Closed) action=actions.reply />
                </section>
                <aside class="ticket-side">
                    <dl class="details">
                        <dt>{t!(ticket.status)}</dt><dd>{move || view! { <StatusBadge status=status.get() /> }}</dd>
                        <dt>{t!(ticket.priority)}</dt><dd>{move || view! { <PriorityBadge priority=priority.get() /> }}</dd>
                        <dt>{t!(ticket.queue)}</dt><dd class="queue"><QueueBadge queue=queue queues=queues /></dd>
                        <dt>{t!(ticket.category)}</dt><dd class="category">{category_name}</dd>
                        <dt>{t!(ticket.requester)}</dt><dd>{requester.username.clone()}</dd>
                        {requester_discord.map(|discord| {
                            let text = match (discord.username, discord.id) {
                                (Some(name), Some(id)) => format!("{name} ({id})"),
                                (Some(name), None) => name,
                                (None, Some(id)) => id,
                                (None, None) => String::new(),
                            };
                            view! { <dt>{t!(ticket.requester_discord)}</dt><dd data-testid="requester-discord">{text}</dd> }
                        })}
                        <dt>{t!(ticket.assignee)}</dt><dd class="assignee">{move || assignee.get().map(|assignee| assignee.username).unwrap_or_else(|| t!(ticket.unassigned).into())}</dd>
                        <dt>{t!(ticket.opened)}</dt><dd><FullTime at=created_at /></dd>
                        <dt>{t!(ticket.updated)}</dt><dd>{move || view! { <FullTime at=updated_at.get() /> }}</dd>
                        {move || first_response_at.get().map(|at| view! { <dt>{t!(ticket.first_response)}</dt><dd><FullTime at /></dd> })}
                        {move || resolved_at.get().map(|at| view! { <dt>{t!(ticket.resolved)}</dt><dd><FullTime at /></dd> })}
                        {move || closed_at.get().map(|at| view! { <dt>{t!(ticket.closed)}</dt><dd><FullTime at /></dd> })}
                    </dl>
                    {move || sla.get().map(|sla| view! { <SlaPanel sla /> })}
                    <RatingSection key=key.clone() staff rating action=actions.rate />
                    {if staff {
                        view! { <StaffControls key=key.clone() user=user.clone() queue=ticket_queue status priority category assignee options actions /> }.into_any()
                    } else {
                        view! { <RequesterControls key=key.clone() status actions /> }.into_any()
                    }}
                    <section class="timeline" aria-labelledby="timeline-heading">
                        <h2 id="timeline-heading">{t!(ticket.timeline)}</h2>
                        <ol>
                            <For each=move || events.get() key=|event| event.id children=|event| view! { <TimelineEntry event /> } />
                        </ol>
                    </section>
                </aside>
            </div>
        </article>
    }
}

/// One reply, internal note or system message.
#[component]
fn MessageView(message: Message) -> impl IntoView {
    let class = match message.kind {
        MessageKind::Reply => "message reply",
        MessageKind::InternalNote => "message internal-note",
        MessageKind::System => "message system",
    };
    view! {
        <div class=class data-kind=message.kind.as_str() data-message-id=message.id>
            <p class="message-meta">
                <strong>{message.author.map(|author| author.username).unwrap_or_else(|| "Guichet".into())}</strong>
                {(message.kind == MessageKind::InternalNote).then(|| view! { " · " <span class="note-label">{t!(ticket.internal_note)}</span> })}
                " · "<FullTime at=message.created_at />
            </p>
            <div class="message-body">{message.body}</div>
        </div>
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
                {entries.into_iter().map(|(key, value)| view! {
                    <dt title=key.clone() data-key=key.clone()>{metadata_label(&key)}</dt>
                    <dd><code>{value}</code></dd>
                }).collect_view()}
            </dl>
        }
    })
}

/// The reply form. Built once per ticket page: live refetches of the ticket
/// leave it (and the text being typed) alone; only the user's own sending
/// reloads its draft. Typing is announced to the others on the ticket.
#[component]
fn ReplyForm(
    ticket_id: i64,
    key: String,
    staff: bool,
    closed: Signal<bool>,
    action: ServerAction<AddMessage>,
) -> impl IntoView {
    let form_key = format!("reply:{ticket_id}");
    let draft = Resource::new_blocking(move || action.version().get(), {
        let form_key = form_key.clone();
        move |_| get_draft(form_key.clone())
    });
    let autosave = Autosave::new(form_key, &["body"]);
    let typing = Typing::new(ticket_id);
    let error = action_error(action.value());
    // While a send is in flight its buttons wait (issue 14).
    let sending = move || action.pending().get();
    // The reply / internal note switch needs the wasm; without it both buttons do.
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    // `r` starts a reply, `n` an internal note (staff), outside any field.
    #[cfg(feature = "hydrate")]
    crate::components::shortcuts::on_key(move |event| {
        use crate::components::shortcuts::{focus, leave_alone};
        if leave_alone(&event) {
            return;
        }
        let internal = match event.key().as_str() {
            "r" => false,
            "n" if staff => true,
            _ => return,
        };
        if focus("form.reply-form textarea[name=body]") {
            event.prevent_default();
            typing.set_internal(internal);
        }
    });
    // A message sent, the box is empty for the next one.
    Effect::new(move |_| {
        if matches!(action.value().get(), Some(Ok(_))) {
            #[cfg(feature = "hydrate")]
            {
                use wasm_bindgen::JsCast;
                if let Some(textarea) = document()
                    .query_selector("form.reply-form textarea[name=body]")
                    .ok()
                    .flatten()
                    .and_then(|element| element.dyn_into::<web_sys::HtmlTextAreaElement>().ok())
                {
                    textarea.set_value("");
                }
            }
        }
    });
    // In the box: Ctrl+Enter (or Cmd+Enter) sends it as what is being
    // written (reply or note), Esc leaves it.
    let on_keydown = move |event: leptos::ev::KeyboardEvent| {
        #[cfg(feature = "hydrate")]
        {
            use wasm_bindgen::JsCast;
            let Some(textarea) =
                event.target().and_then(|target| target.dyn_into::<web_sys::HtmlTextAreaElement>().ok())
            else {
                return;
            };
            if event.key() == "Escape" {
                let _ = textarea.blur();
            } else if event.key() == "Enter" && (event.ctrl_key() || event.meta_key()) {
                event.prevent_default();
                let kind = if typing.internal.get_untracked() { "internal_note" } else { "reply" };
                if let Some(form) = textarea.form() {
                    let button = form
                        .query_selector(&format!("button[name=kind][value={kind}]"))
                        .ok()
                        .flatten()
                        .and_then(|button| button.dyn_into::<web_sys::HtmlElement>().ok());
                    let _ = match button {
                        Some(button) => form.request_submit_with_submitter(Some(&button)),
                        None => form.request_submit(),
                    };
                }
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = event;
    };
    let key = StoredValue::new(key);
    let form = move || {
        let key = key.get_value();
        Suspend::new(async move {
            let draft = draft.await.ok().flatten();
            // One key per form shown: sending it twice (a double click, a
            // retry) makes one message; after a send the form is built again
            // with a new one. The server's key stays in the hydrated page.
            let submission = new_submission_key();
            view! {
                <ErrorSummary error labels=vec![("body", t!(ticket.your_message))] />
                <ActionForm
                    action=action
                    attr:class=move || if typing.internal.get() { "stacked-form reply-form composing-note" } else { "stacked-form reply-form" }
                    on:input=move |event| autosave.on_input(event)
                    on:submit=move |_| {
                        autosave.cancel();
                        typing.stop();
                    }
                >
                    <input type="hidden" name="key" value=key />
                    <input type="hidden" name="submission" value=submission />
                    <label>{t!(ticket.your_message)}
                        <textarea name="body" required maxlength="20000" rows="5" aria-describedby=described_by(error, "body") aria-invalid=invalid(error, "body") on:keydown=on_keydown on:input=move |event| typing.on_input(&event_target_value(&event))>
                            {draft_field(&draft, "body")}
                        </textarea>
                    </label>
                    <FieldError error name="body" />
                    <div class="form-actions">
                        {if staff {
                            view! {
                                <button type="submit" name="kind" value="reply" class:secondary=move || typing.internal.get() disabled=sending>{t!(ticket.send_reply)}</button>
                                <button type="submit" name="kind" value="internal_note" class="note-button" class:secondary=move || !typing.internal.get() disabled=sending>{t!(ticket.add_note)}</button>
                                {move || hydrated.get().then(|| view! {
                                    // No name: it is not sent, it only says what is being written.
                                    <label class="checkbox note-toggle">
                                        <input type="checkbox" data-testid="note-toggle" prop:checked=move || typing.internal.get() on:change=move |event| typing.set_internal(event_target_checked(&event)) />
                                        {t!(ticket.writing_note)}
                                    </label>
                                })}
                            }.into_any()
                        } else {
                            view! { <button type="submit" name="kind" value="reply" disabled=sending>{t!(ticket.send_reply)}</button> }.into_any()
                        }}
                        <DraftIndicator state=autosave.state />
                    </div>
                </ActionForm>
            }
        })
    };
    view! {
        <Show
            when=move || staff || !closed.get()
            fallback=|| view! { <p class="notice">{t!(ticket.closed_notice)}</p> }
        >
            <Suspense fallback=|| ()>{form}</Suspense>
        </Show>
    }
}

/// The satisfaction rating (issue 15, CSAT): for the requester while they
/// may rate, a form of five radio buttons and a comment that posts without
/// JavaScript too (and replaces their rating while it may still change);
/// otherwise the rating, for everyone who sees the ticket, if there is one.
#[component]
fn RatingSection(
    key: String,
    staff: bool,
    /// The latest resolution's rating, and whether the viewer may rate now.
    rating: Memo<(Option<TicketRating>, bool)>,
    action: ServerAction<RateTicket>,
) -> impl IntoView {
    let error = action_error(action.value());
    let key = StoredValue::new(key);
    move || {
        let (current, can_rate) = rating.get();
        if !can_rate {
            return current
                .map(|rating| {
                    view! {
                        <section class="rating" aria-labelledby="rating-heading" data-testid="rating">
                            <h2 id="rating-heading">{t!(rating_form.heading)}</h2>
                            <RatingView rating staff />
                        </section>
                    }
                    .into_any()
                })
                .unwrap_or_else(|| ().into_any());
        }
        let score = current.as_ref().map(|rating| rating.score);
        let comment = current.as_ref().and_then(|rating| rating.comment.clone()).unwrap_or_default();
        let heading = if current.is_some() { t!(rating_form.change_heading) } else { t!(rating_form.heading) };
        view! {
            <section class="rating" aria-labelledby="rating-heading" data-testid="rating">
                <h2 id="rating-heading">{heading}</h2>
                {current.map(|rating| view! { <RatingView rating staff /> })}
                <ErrorSummary error labels=vec![("score", t!(rating_form.question)), ("comment", t!(rating_form.comment))] />
                <ActionForm action=action attr:class="stacked-form rating-form">
                    <input type="hidden" name="key" value=key.get_value() />
                    <fieldset class="rating-scores" aria-describedby=described_by(error, "score") aria-invalid=invalid(error, "score")>
                        <legend>{t!(rating_form.question)}</legend>
                        {RATING_SCORES.map(|value| view! {
                            <label class="rating-score">
                                <input type="radio" name="score" value=value.to_string() required checked=score == Some(value) />
                                " "{score_label(value)}
                            </label>
                        }).collect_view()}
                    </fieldset>
                    <FieldError error name="score" />
                    <label>{t!(rating_form.comment)}
                        <textarea name="comment" rows="3" maxlength=RATING_COMMENT_MAX.to_string() aria-describedby=described_by(error, "comment") aria-invalid=invalid(error, "comment")>{comment}</textarea>
                    </label>
                    <FieldError error name="comment" />
                    <div class="form-actions">
                        <button type="submit">{t!(rating_form.submit)}</button>
                    </div>
                </ActionForm>
            </section>
        }
        .into_any()
    }
}

/// A rating as given: its score in words, the comment, when.
#[component]
fn RatingView(rating: TicketRating, staff: bool) -> impl IntoView {
    let until = rating.rated_at + chrono::Duration::days(RATING_CHANGE_DAYS);
    let label = if staff { t!(rating_form.requester_rated) } else { t!(rating_form.you_rated) };
    view! {
        <div class="rating-given" data-score=rating.score>
            <p>
                {label}" "<strong>{score_label(rating.score)}</strong>" "
                <span class="rating-stars" aria-hidden="true">{"★".repeat(rating.score.into())}{"☆".repeat(5 - usize::from(rating.score.min(5)))}</span>
            </p>
            {rating.comment.map(|comment| view! { <blockquote class="rating-comment">{comment}</blockquote> })}
            <p><small><FullTime at=rating.updated_at /></small></p>
            {(!staff && chrono::Utc::now() < until).then(|| view! {
                <p><small>{t!(rating_form.change_until)}" "<FullTime at=until /></small></p>
            })}
        </div>
    }
}

#[component]
fn RequesterControls(key: String, status: Memo<Status>, actions: Actions) -> impl IntoView {
    move || {
        let status = status.get();
        let close_key = key.clone();
        let reopen_key = key.clone();
        view! {
            <div class="controls">
                {(status != Status::Closed).then(|| view! {
                    <ActionForm action=actions.status attr:class="inline-form">
                        <input type="hidden" name="key" value=close_key.clone() />
                        <input type="hidden" name="status" value="closed" />
                        <ConfirmSubmit
                            label=t!(ticket.close).to_string()
                            question=t!(ticket.close_question, reference = close_key.clone()).to_string()
                            confirm=t!(ticket.close_confirm).to_string()
                        />
                    </ActionForm>
                })}
                {status.is_done().then(|| view! {
                    <ActionForm action=actions.status attr:class="inline-form">
                        <input type="hidden" name="key" value=reopen_key.clone() />
                        <input type="hidden" name="status" value="open" />
                        <button type="submit">{t!(ticket.reopen)}</button>
                    </ActionForm>
                })}
            </div>
        }
    }
}

/// The staff's controls. The selects follow live changes of the ticket
/// (`selected` for the first render, `prop:value` afterwards) without being
/// rebuilt, so a half-written escalation reason stays.
#[component]
#[allow(clippy::too_many_arguments)]
fn StaffControls(
    key: String,
    user: User,
    /// The ticket's queue (slug): the category choices are the ones it offers.
    queue: String,
    status: Memo<Status>,
    priority: Memo<Priority>,
    category: Memo<String>,
    assignee: Memo<Option<UserReference>>,
    options: Option<TicketOptions>,
    actions: Actions,
) -> impl IntoView {
    let mut options = options.unwrap_or(TicketOptions { queues: vec![], categories: vec![], agents: vec![] });
    // The queue's categories, and the ticket's own even if the queue no longer offers it.
    let current_category = category.get_untracked();
    if let Some(queue) = options.queues.iter().find(|candidate| candidate.slug == queue) {
        let offered = queue.categories.clone();
        options.categories.retain(|candidate| candidate.slug == current_category || offered.contains(&candidate.slug));
    }
    let escalate_error = action_error(actions.escalate.value());
    // The page's summary lists these forms' reasons; each also shows at its field.
    let error = actions.error();
    let statuses: Vec<Status> = Status::ALL
        .iter()
        .copied()
        .filter(|candidate| {
            *candidate != Status::Escalated && (*candidate != Status::Closed || user.role == Role::Admin)
        })
        .collect();
    let assignee_id = Memo::new(move |_| assignee.with(|assignee| assignee.as_ref().map(|assignee| assignee.id)));
    let key = StoredValue::new(key);
    let key = move || key.get_value();
    let user_id = user.id;
    let assign = move || match assignee_id.get() {
        None => view! {
            <ActionForm action=actions.assign attr:class="inline-form">
                <input type="hidden" name="key" value=key() />
                <input type="hidden" name="agent_id" value=user_id />
                <button type="submit">{t!(ticket.take)}</button>
            </ActionForm>
        }
        .into_any(),
        Some(id) if id == user_id => view! {
            <ActionForm action=actions.assign attr:class="inline-form">
                <input type="hidden" name="key" value=key() />
                <input type="hidden" name="agent_id" value="" />
                <button type="submit" class="secondary">{t!(ticket.give_back)}</button>
            </ActionForm>
        }
        .into_any(),
        Some(_) => ().into_any(),
    };
    view! {
        <div class="controls">
            <ActionForm action=actions.status attr:class="control-form">
                <input type="hidden" name="key" value=key() />
                <label>{t!(ticket.status)}
                    <select name="status" prop:value=move || status.get().as_str() aria-describedby=described_by(error, "status") aria-invalid=invalid(error, "status")>
                        {statuses.into_iter().map(|candidate| view! {
                            <option value=candidate.as_str() selected=move || candidate == status.get()>{candidate.label()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <FieldError error name="status" />
                <button type="submit">{t!(ticket.set_status)}</button>
            </ActionForm>
            <ActionForm action=actions.update attr:class="control-form">
                <input type="hidden" name="key" value=key() />
                <label>{t!(ticket.priority)}
                    <select name="priority" prop:value=move || priority.get().as_str() aria-describedby=described_by(error, "priority") aria-invalid=invalid(error, "priority")>
                        {Priority::ALL.iter().map(|candidate| view! {
                            <option value=candidate.as_str() selected=move || *candidate == priority.get()>{candidate.label()}</option>
                        }).collect_view()}
                    </select>
                </label>
                <label>{t!(ticket.category)}
                    <select name="category" prop:value=move || category.get() aria-describedby=described_by(error, "category") aria-invalid=invalid(error, "category")>
                        {options.categories.into_iter().map(|candidate| {
                            let slug = candidate.slug.clone();
                            view! { <option value=candidate.slug selected=move || category.with(|category| *category == slug)>{candidate.name}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <FieldError error name="priority" />
                <FieldError error name="category" />
                <button type="submit">{t!(common.save)}</button>
            </ActionForm>
            {if user.role == Role::Admin {
                view! {
                    <ActionForm action=actions.assign attr:class="control-form">
                        <input type="hidden" name="key" value=key() />
                        <label>{t!(ticket.assignee)}
                            <select name="agent_id" prop:value=move || assignee_id.get().map(|id| id.to_string()).unwrap_or_default() aria-describedby=described_by(error, "agent_id") aria-invalid=invalid(error, "agent_id")>
                                <option value="" selected=move || assignee_id.get().is_none()>{t!(ticket.unassigned)}</option>
                                {options.agents.into_iter().map(|agent| view! {
                                    <option value=agent.id selected=move || assignee_id.get() == Some(agent.id)>{agent.username}</option>
                                }).collect_view()}
                            </select>
                        </label>
                        <FieldError error name="agent_id" />
                        <button type="submit">{t!(ticket.assign)}</button>
                    </ActionForm>
                }.into_any()
            } else {
                assign.into_any()
            }}
            <ActionForm action=actions.escalate attr:class="control-form escalate-form">
                <input type="hidden" name="key" value=key() />
                <label>{t!(ticket.escalation_reason)}
                    <input type="text" name="reason" required maxlength="1000" aria-describedby=described_by(escalate_error, "reason") aria-invalid=invalid(escalate_error, "reason") />
                </label>
                <FieldError error=escalate_error name="reason" />
                <button type="submit" class="danger">{t!(ticket.escalate)}</button>
            </ActionForm>
        </div>
    }
}

/// The ticket's service level for agents and admins (issue 15): the policy,
/// both due times with whether each was met or breached, the pause, and how
/// each due time was computed (folded).
#[component]
fn SlaPanel(sla: TicketSla) -> impl IntoView {
    let TicketSla {
        policy,
        first_response_due_at,
        resolution_due_at,
        first_response_met_at,
        resolved_within,
        paused_since,
        breached,
        explanation,
    } = sla;
    let due = |at: Option<DateTime<Utc>>| match at {
        Some(at) => view! { <FullTime at /> }.into_any(),
        None => t!(sla.no_due).into_any(),
    };
    let breached_badge = |target: SlaTarget| {
        breached.contains(&target).then(|| view! { " " <span class="badge sla-breached">{t!(sla.breached)}</span> })
    };
    let resolved = resolved_within.map(|within| {
        let text = if within { t!(sla.resolved_in_time) } else { t!(sla.resolved_late) };
        view! { <br /><small>{text}</small> }
    });
    let met = first_response_met_at.map(|at| view! { <br /><small>{t!(sla.met, at = time(&at))}</small> });
    view! {
        <section class="sla" aria-labelledby="sla-heading" data-testid="sla">
            <h2 id="sla-heading">{t!(sla.heading)}</h2>
            <dl class="details">
                <dt>{t!(sla.policy)}</dt><dd data-testid="sla-policy">{policy.name}</dd>
                <dt>{t!(sla.first_response_due)}</dt>
                <dd data-target="first_response">{due(first_response_due_at)}{breached_badge(SlaTarget::FirstResponse)}{met}</dd>
                <dt>{t!(sla.resolution_due)}</dt>
                <dd data-target="resolution">{due(resolution_due_at)}{breached_badge(SlaTarget::Resolution)}{resolved}</dd>
            </dl>
            {paused_since.map(|at| view! { <p class="sla-paused" data-testid="sla-paused">{t!(sla.paused)}" · "<FullTime at /></p> })}
            <details>
                <summary>{t!(sla.how)}</summary>
                <dl class="sla-explanation">
                    {explanation
                        .into_iter()
                        .map(|entry| {
                            let label = match entry.target {
                                SlaTarget::FirstResponse => t!(sla.first_response_due),
                                SlaTarget::Resolution => t!(sla.resolution_due),
                            };
                            view! { <dt>{label}</dt><dd data-target=entry.target.as_str()>{entry.text}</dd> }
                        })
                        .collect_view()}
                </dl>
            </details>
            <p class="hint"><A href="/admin/service-levels">{t!(sla.how_deadlines_are_set)}</A></p>
        </section>
    }
}

#[component]
fn TimelineEntry(event: TicketEvent) -> impl IntoView {
    let actor = event.actor.as_ref().map(|actor| actor.username.clone()).unwrap_or_else(|| t!(timeline.system).into());
    // Stored words read with spaces: `in_progress` is "in progress".
    let words = |text: &str| text.replace('_', " ");
    let description = match &event.change {
        TicketChange::Created { .. } => t!(timeline.created).to_string(),
        TicketChange::StatusChanged { from, to, .. } => {
            t!(timeline.status_changed, from = from.label(), to = to.label())
        }
        TicketChange::PriorityChanged { from, to } => {
            t!(timeline.priority_changed, from = from.label(), to = to.label())
        }
        TicketChange::CategoryChanged { from, to } => {
            t!(timeline.category_changed, from = words(from), to = words(to))
        }
        TicketChange::Assigned { to, .. } => t!(timeline.assigned, name = to.username.clone()),
        TicketChange::Unassigned { .. } => t!(timeline.unassigned).to_string(),
        TicketChange::Replied { .. } => t!(timeline.replied).to_string(),
        TicketChange::NoteAdded { .. } => t!(timeline.note_added).to_string(),
        // A rule's escalation is told in the viewer's language (its reason
        // is in the desk's, for the notifications).
        TicketChange::Escalated { rule: Some(rule), .. } => t!(timeline.escalated_by_rule, rule = rule.label()),
        // Requesters get it without the reason (staff only).
        TicketChange::Escalated { reason, .. } if reason.is_empty() => {
            t!(timeline.escalated_without_reason).to_string()
        }
        TicketChange::Escalated { reason, .. } => t!(timeline.escalated, reason = words(reason)),
        TicketChange::Reopened { from, .. } => t!(timeline.reopened, from = from.label()),
        TicketChange::SlaWarning { target, due_at, .. } => {
            t!(timeline.sla_warning, target = target.label(), due = time(due_at))
        }
        TicketChange::SlaBreached { target, due_at, .. } => {
            t!(timeline.sla_breached, target = target.label(), due = time(due_at))
        }
        TicketChange::Rated { score, comment, replaced } => {
            let rated = if *replaced {
                t!(timeline.rating_changed, score = *score)
            } else {
                t!(timeline.rated, score = *score)
            };
            match comment {
                Some(comment) => t!(timeline.rated_with_comment, rating = rated, comment = comment.clone()),
                None => rated,
            }
        }
        TicketChange::ErrorRecurred { occurrences, .. } => t!(timeline.error_recurred, occurrences = *occurrences),
    };
    view! {
        <li data-action=event.change.action()>
            <strong>{actor}</strong>" "{description}
            <br />
            <small><FullTime at=event.created_at /></small>
        </li>
    }
}
