//! `/tickets`: "My tickets" for requesters, the dashboard of all tickets for
//! agents and admins. Filters live in the URL (a link or the back button
//! restores them) and work with and without wasm. Live events update the
//! list in place.

use crate::components::format::{PriorityBadge, StatusBadge, time};
use crate::components::header::CurrentUser;
use crate::components::live::{Live, throttled};
use crate::domain::{Priority, Status, StatusCount, Ticket, TicketOptions, TicketPage, TicketQuery};
use crate::error::AppError;
use crate::functions::tickets::{list_tickets, load_ticket_options, status_counts};
use crate::pages::errors::ErrorPage;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::{A, Form};
use leptos_router::hooks::use_query_map;
use leptos_router::params::ParamsMap;

fn query_from(params: &ParamsMap) -> TicketQuery {
    let text = |key: &str| params.get(key).filter(|value| !value.is_empty());
    TicketQuery {
        status: params.get_all("status").unwrap_or_default().into_iter().filter(|value| !value.is_empty()).collect(),
        priority: text("priority"),
        category: text("category"),
        queue: text("queue"),
        assignee: text("assignee"),
        q: text("q"),
        sort: text("sort"),
        cursor: text("cursor"),
        limit: None,
    }
}

/// What the list page shows as a whole; rows and counts inside update in place.
#[derive(Debug, Clone, PartialEq)]
enum Frame {
    Loading,
    Failed(AppError),
    Ready { staff: bool, options: TicketOptions },
}

/// The ticket list with filters, counts (staff) and keyset paging.
///
/// Live events refetch the list and the counts (at most twice a second);
/// rows are keyed by id and last update, so only new and changed rows are
/// rebuilt. The filters form is never rebuilt by a refetch: what is being
/// typed in it, the focus and the scroll position stay.
#[component]
pub fn TicketListPage() -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| params.with(query_from));
    let CurrentUser(user) = expect_context::<CurrentUser>();
    let live = expect_context::<Live>();
    let refresh = throttled(live.changes, 500);
    let page = Resource::new_blocking(move || (query.get(), refresh.get()), |(query, _)| list_tickets(query));
    let options = Resource::new(|| (), |_| load_ticket_options());
    let counts = Resource::new(move || refresh.get(), |_| status_counts());

    view! {
        <Transition fallback=|| view! { <p>"Loading…"</p> }>
            {
                // Created inside the Transition, so that their resource reads
                // register with it (the server waits for them). The page
                // itself depends on `frame` only: refetches update the rows
                // and counts in place instead of rebuilding it.
                let frame = Memo::new(move |previous: Option<&Frame>| {
                    let (Some(user), Some(options), Some(page)) = (user.get(), options.get(), page.get()) else {
                        return previous.cloned().unwrap_or(Frame::Loading);
                    };
                    match (page, options) {
                        (Err(error), _) | (_, Err(error)) => Frame::Failed(error),
                        (Ok(_), Ok(options)) => {
                            Frame::Ready { staff: user.as_ref().is_some_and(|user| user.role.is_staff()), options }
                        }
                    }
                });
                // The last page loaded (kept while a refetch fails).
                let latest = Memo::new(move |previous: Option<&Option<TicketPage>>| match page.get() {
                    Some(Ok(page)) => Some(page),
                    _ => previous.cloned().flatten(),
                });
                let tickets = Memo::new(move |_| {
                    latest.with(|page| page.as_ref().map(|page| page.tickets.clone()).unwrap_or_default())
                });
                let empty = Memo::new(move |_| tickets.with(Vec::is_empty));
                let next_cursor = Memo::new(move |_| {
                    latest.with(|page| page.as_ref().and_then(|page| page.next_cursor.clone()))
                });
                let status_counts = Memo::new(move |previous: Option<&Vec<StatusCount>>| match counts.get() {
                    Some(Ok(counts)) => counts,
                    _ => previous.cloned().unwrap_or_default(),
                });
                move || match frame.get() {
                    Frame::Loading => ().into_any(),
                    Frame::Failed(error) => view! { <ErrorPage error /> }.into_any(),
                    Frame::Ready { staff, options } => {
                        let title = if staff { "Dashboard" } else { "My tickets" };
                        let next_href = move || {
                            next_cursor.get().map(|cursor| {
                                let mut next = params.get_untracked();
                                next.replace("cursor", cursor);
                                format!("/tickets{}", next.to_query_string())
                            })
                        };
                        view! {
                            <Title text=title />
                            <div class="page-heading">
                                <h1>{title}</h1>
                                <A href="/tickets/new" attr:class="button">"New ticket"</A>
                            </div>
                            <ul class="status-counts" aria-label="Tickets per status">
                                <For
                                    each=move || status_counts.get()
                                    key=|count| (count.status, count.count)
                                    children=|count| view! {
                                        <li>
                                            <a href=format!("/tickets?status={}", count.status.as_str()) data-count-status=count.status.as_str()>
                                                <StatusBadge status=count.status />
                                                " "
                                                <strong>{count.count}</strong>
                                            </a>
                                        </li>
                                    }
                                />
                            </ul>
                            // Rebuilt when the address changes (new filters), not on refetches.
                            {move || view! { <Filters current=query.get() options=options.clone() staff /> }}
                            {move || if empty.get() {
                                view! { <p class="empty">"No tickets match these filters."</p> }.into_any()
                            } else {
                                view! { <TicketTable tickets staff /> }.into_any()
                            }}
                            <nav class="pager">
                                {move || query.with(|query| query.cursor.is_some()).then(|| view! { <a href="/tickets" class="button secondary">"First page"</a> })}
                                {move || next_href().map(|href| view! { <a href=href class="button secondary" rel="next">"Next page"</a> })}
                            </nav>
                        }.into_any()
                    }
                }
            }
        </Transition>
    }
}

#[component]
fn Filters(current: TicketQuery, options: TicketOptions, staff: bool) -> impl IntoView {
    let selected = |value: &Option<String>, option: &str| value.as_deref() == Some(option);
    let TicketOptions { queues, categories, agents } = options;
    view! {
        <Form method="GET" action="/tickets" attr:class="filters" attr:role="search">
            <fieldset class="status-filter">
                <legend>"Status"</legend>
                {Status::ALL.iter().map(|status| {
                    let checked = current.status.iter().any(|value| value == status.as_str());
                    view! {
                        <label class="checkbox">
                            <input type="checkbox" name="status" value=status.as_str() checked=checked />
                            {status.label()}
                        </label>
                    }
                }).collect_view()}
            </fieldset>
            <label>"Priority"
                <select name="priority">
                    <option value="">"Any"</option>
                    {Priority::ALL.iter().map(|priority| view! {
                        <option value=priority.as_str() selected=selected(&current.priority, priority.as_str())>{priority.as_str()}</option>
                    }).collect_view()}
                </select>
            </label>
            <label>"Category"
                <select name="category">
                    <option value="">"Any"</option>
                    {categories.into_iter().map(|category| {
                        let is_selected = selected(&current.category, &category.slug);
                        view! { <option value=category.slug selected=is_selected>{category.name}</option> }
                    }).collect_view()}
                </select>
            </label>
            <label>"Queue"
                <select name="queue">
                    <option value="">"Any"</option>
                    {queues.into_iter().map(|queue| {
                        let is_selected = selected(&current.queue, &queue.slug);
                        view! { <option value=queue.slug selected=is_selected>{queue.name}</option> }
                    }).collect_view()}
                </select>
            </label>
            {staff.then(|| view! {
                <label>"Assignee"
                    <select name="assignee">
                        <option value="">"Anyone"</option>
                        <option value="me" selected=selected(&current.assignee, "me")>"Me"</option>
                        <option value="none" selected=selected(&current.assignee, "none")>"Unassigned"</option>
                        {agents.into_iter().map(|agent| {
                            let id = agent.id.to_string();
                            let is_selected = selected(&current.assignee, &id);
                            view! { <option value=id selected=is_selected>{agent.username}</option> }
                        }).collect_view()}
                    </select>
                </label>
            })}
            <label>"Sort"
                <select name="sort">
                    {[("", "Best match / newest"), ("newest", "Newest"), ("oldest", "Oldest"), ("priority", "Priority"), ("updated", "Recently updated")]
                        .into_iter()
                        .map(|(value, label)| view! { <option value=value selected=current.sort.as_deref().unwrap_or("") == value>{label}</option> })
                        .collect_view()}
                </select>
            </label>
            <label class="grow">"Search"
                <input type="search" name="q" value=current.q.clone().unwrap_or_default() placeholder="Words in subject or description" />
            </label>
            <div class="filter-actions">
                <button type="submit">"Apply"</button>
                <a href="/tickets" class="button secondary">"Clear"</a>
            </div>
        </Form>
    }
}

#[component]
fn TicketTable(tickets: Memo<Vec<Ticket>>, staff: bool) -> impl IntoView {
    view! {
        <table class="data-table tickets-table">
            <thead>
                <tr>
                    <th>"Ticket"</th>
                    <th>"Subject"</th>
                    <th>"Status"</th>
                    <th>"Priority"</th>
                    {staff.then(|| view! { <th>"Requester"</th><th>"Assignee"</th> })}
                    <th>"Updated"</th>
                </tr>
            </thead>
            <tbody>
                <For
                    each=move || tickets.get()
                    key=|ticket| (ticket.id, ticket.updated_at)
                    children=move |ticket| {
                        let href = format!("/tickets/{}", ticket.reference);
                        view! {
                            <tr data-reference=ticket.reference.clone()>
                                <td><a href=href.clone()>{ticket.reference.clone()}</a></td>
                                <td><a href=href class="subject">{ticket.subject.clone()}</a></td>
                                <td><StatusBadge status=ticket.status /></td>
                                <td><PriorityBadge priority=ticket.priority /></td>
                                {staff.then(|| view! {
                                    <td class="requester">{ticket.requester.username.clone()}</td>
                                    <td>{ticket.assignee.as_ref().map(|assignee| assignee.username.clone()).unwrap_or_else(|| "—".into())}</td>
                                })}
                                <td>{time(&ticket.updated_at)}</td>
                            </tr>
                        }
                    }
                />
            </tbody>
        </table>
    }
}
