//! `/tickets`: "My tickets" for requesters, the dashboard of all tickets for
//! agents and admins. Filters live in the URL (a link or the back button
//! restores them) and work with and without wasm.

use crate::components::format::{PriorityBadge, StatusBadge, time};
use crate::components::header::CurrentUser;
use crate::domain::{Priority, Status, Ticket, TicketOptions, TicketQuery};
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

/// The ticket list with filters, counts (staff) and keyset paging.
#[component]
pub fn TicketListPage() -> impl IntoView {
    let params = use_query_map();
    let query = Memo::new(move |_| params.with(query_from));
    let CurrentUser(user) = expect_context::<CurrentUser>();
    let page = Resource::new_blocking(move || query.get(), list_tickets);
    let options = Resource::new(|| (), |_| load_ticket_options());
    let counts = Resource::new(|| (), |_| status_counts());

    view! {
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                let user = user.await;
                let staff = user.as_ref().is_some_and(|user| user.role.is_staff());
                let options = options.await;
                let counts = counts.await.unwrap_or_default();
                match (page.await, options) {
                    (Err(error), _) | (_, Err(error)) => view! { <ErrorPage error /> }.into_any(),
                    (Ok(page), Ok(options)) => {
                        let title = if staff { "Dashboard" } else { "My tickets" };
                        let current = query.get_untracked();
                        let paged = current.cursor.is_some();
                        let next_href = page.next_cursor.clone().map(|cursor| {
                            let mut next = params.get_untracked();
                            next.replace("cursor", cursor);
                            format!("/tickets{}", next.to_query_string())
                        });
                        view! {
                            <Title text=title />
                            <div class="page-heading">
                                <h1>{title}</h1>
                                <A href="/tickets/new" attr:class="button">"New ticket"</A>
                            </div>
                            <ul class="status-counts" aria-label="Tickets per status">
                                {counts.into_iter().map(|count| view! {
                                    <li>
                                        <a href=format!("/tickets?status={}", count.status.as_str()) data-count-status=count.status.as_str()>
                                            <StatusBadge status=count.status />
                                            " "
                                            <strong>{count.count}</strong>
                                        </a>
                                    </li>
                                }).collect_view()}
                            </ul>
                            <Filters current options staff />
                            <TicketTable tickets=page.tickets staff />
                            <nav class="pager">
                                {paged.then(|| view! { <a href="/tickets" class="button secondary">"First page"</a> })}
                                {next_href.map(|href| view! { <a href=href class="button secondary" rel="next">"Next page"</a> })}
                            </nav>
                        }.into_any()
                    }
                }
            })}
        </Suspense>
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
fn TicketTable(tickets: Vec<Ticket>, staff: bool) -> impl IntoView {
    if tickets.is_empty() {
        return view! { <p class="empty">"No tickets match these filters."</p> }.into_any();
    }
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
                {tickets.into_iter().map(|ticket| {
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
                }).collect_view()}
            </tbody>
        </table>
    }
    .into_any()
}
