//! `/tickets`: "My tickets" for requesters, the dashboard of all tickets for
//! agents and admins. Filters live in the URL (a link or the back button
//! restores them) and work with and without wasm. Live events update the
//! list in place.

use crate::components::format::{PriorityBadge, QueueBadge, RelativeTime, StatusBadge, number};
use crate::components::live::{Live, held_until, throttled};
use crate::domain::{Priority, Queue, Status, StatusCount, Ticket, TicketOptions, TicketPage, TicketQuery};
use crate::error::AppError;
use crate::functions::tickets::{list_tickets, load_ticket_options, status_counts};
use crate::pages::errors::ErrorPage;
use crate::providers::CurrentUser;
use crate::reactive::resource_memo;
use crate::t;
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

/// `search` (a query string, with or without its `?`) without its empty
/// parameters, the order of the others kept: `?status=open&q=&=` →
/// `Some("?status=open")`; `None` when it has none to drop. A form sends
/// its empty fields too; the URL names the filters that are set (issue 14).
fn without_empty_parameters(search: &str) -> Option<String> {
    let search = search.strip_prefix('?').unwrap_or(search);
    let pairs: Vec<&str> = search.split('&').collect();
    let set = |pair: &&str| pair.split_once('=').is_some_and(|(key, value)| !key.is_empty() && !value.is_empty());
    let kept: Vec<&str> = pairs.iter().copied().filter(set).collect();
    if search.is_empty() || kept.len() == pairs.len() {
        return None;
    }
    Some(if kept.is_empty() { String::new() } else { format!("?{}", kept.join("&")) })
}

/// Sends a list URL with empty parameters to the same list without them: a
/// redirect while the server renders (plain forms), a replacing navigation
/// in the browser (the hydrated filters form).
fn clean_list_url() {
    let location = leptos_router::hooks::use_location();
    #[cfg(feature = "ssr")]
    if let Some(search) = without_empty_parameters(&location.search.get_untracked()) {
        leptos_axum::redirect(&format!("/tickets{search}"));
    }
    #[cfg(not(feature = "ssr"))]
    {
        let navigate = leptos_router::hooks::use_navigate();
        Effect::new(move |_| {
            if let Some(search) = without_empty_parameters(&location.search.get()) {
                let options = leptos_router::NavigateOptions { replace: true, ..Default::default() };
                navigate(&format!("/tickets{search}"), options);
            }
        });
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
    clean_list_url();
    let params = use_query_map();
    let query = Memo::new(move |_| params.with(query_from));
    let CurrentUser(user) = expect_context::<CurrentUser>();
    let live = expect_context::<Live>();
    // Live events refetch once the page has hydrated (see `held_until`).
    let shown = RwSignal::new(false);
    let refresh = held_until(shown, {
        let throttled = throttled(live.changes, 500);
        move || throttled.get()
    });
    let page = Resource::new_blocking(move || (query.get(), refresh.get()), |(query, _)| list_tickets(query));
    // Blocking, like the page's data: the page's frame waits for it, and a
    // streamed resource read by it was sometimes not awaited by the server's
    // Transition, which then rendered an empty page (leptos' Suspense
    // task-tracking race, leptos issues #4578 and #4851).
    let options = Resource::new_blocking(|| (), |_| load_ticket_options());
    let counts = Resource::new_blocking(move || refresh.get(), |_| status_counts());
    crate::components::shortcuts::dashboard_shortcuts();

    view! {
        <Transition fallback=|| view! { <p>{t!(common.loading)}</p> }>
            {
                // Created inside the Transition, so that their resource reads
                // register with it (the server waits for them). The page
                // itself depends on `frame` only: refetches update the rows
                // and counts in place instead of rebuilding it.
                let frame = resource_memo(move |previous: Option<&Frame>| {
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
                let latest = resource_memo(move |previous: Option<&Option<TicketPage>>| match page.get() {
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
                let status_counts = resource_memo(move |previous: Option<&Vec<StatusCount>>| match counts.get() {
                    Some(Ok(counts)) => counts,
                    _ => previous.cloned().unwrap_or_default(),
                });
                move || match frame.get() {
                    Frame::Loading => ().into_any(),
                    Frame::Failed(error) => view! { <ErrorPage error /> }.into_any(),
                    Frame::Ready { staff, options } => {
                        Effect::new(move |_| shown.set(true));
                        let queues = StoredValue::new(options.queues.clone());
                        let title = if staff { t!(tickets.dashboard) } else { t!(tickets.mine) };
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
                                <A href="/tickets/new" attr:class="button">{t!(tickets.new_ticket)}</A>
                            </div>
                            <ul class="status-counts" aria-label=t!(tickets.per_status)>
                                <For
                                    each=move || status_counts.get()
                                    key=|count| (count.status, count.count)
                                    children=|count| {
                                        let label = count.status.count_label(count.count);
                                        let title = label.clone();
                                        view! {
                                            <li>
                                                // Read as "3 tickets ouverts"; seen as the badge and the number.
                                                <a href=format!("/tickets?status={}", count.status.as_str()) data-count-status=count.status.as_str() title=title>
                                                    <span aria-hidden="true">
                                                        <StatusBadge status=count.status />
                                                        " "
                                                        <strong>{number(count.count)}</strong>
                                                    </span>
                                                    <span class="visually-hidden">{label}</span>
                                                </a>
                                            </li>
                                        }
                                    }
                                />
                            </ul>
                            // Rebuilt when the address changes (new filters), not on refetches.
                            {move || view! { <Filters current=query.get() options=options.clone() staff /> }}
                            {move || if empty.get() {
                                view! { <p class="empty">{t!(tickets.empty)}</p> }.into_any()
                            } else {
                                view! { <TicketTable tickets staff queues /> }.into_any()
                            }}
                            <nav class="pager">
                                {move || query.with(|query| query.cursor.is_some()).then(|| view! { <a href="/tickets" class="button secondary">{t!(tickets.first_page)}</a> })}
                                {move || next_href().map(|href| view! { <a href=href class="button secondary" rel="next">{t!(tickets.next_page)}</a> })}
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
    let set = |value: &Option<String>| value.as_deref().is_some_and(|value| !value.is_empty());
    let filtered = !current.status.is_empty()
        || [&current.priority, &current.category, &current.queue, &current.assignee, &current.q].into_iter().any(set);
    view! {
        // On a phone the filters fold behind a button (open when some are
        // set), so the list comes first; a checkbox and its label, like the
        // header's menu.
        <input type="checkbox" id="filters-toggle" class="fold-toggle" checked=filtered />
        <label for="filters-toggle" class="fold-button" data-testid="filters-button">{t!(tickets.filters)}</label>
        <Form method="GET" action="/tickets" attr:class="filters" attr:role="search">
            <fieldset class="status-filter">
                <legend>{t!(ticket.status)}</legend>
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
            <label>{t!(ticket.priority)}
                <select name="priority">
                    <option value="">{t!(tickets.any)}</option>
                    {Priority::ALL.iter().map(|priority| view! {
                        <option value=priority.as_str() selected=selected(&current.priority, priority.as_str())>{priority.label()}</option>
                    }).collect_view()}
                </select>
            </label>
            <label>{t!(ticket.category)}
                <select name="category">
                    <option value="">{t!(tickets.any)}</option>
                    {categories.into_iter().map(|category| {
                        let is_selected = selected(&current.category, &category.slug);
                        view! { <option value=category.slug selected=is_selected>{category.name}</option> }
                    }).collect_view()}
                </select>
            </label>
            <label>{t!(ticket.queue)}
                <select name="queue">
                    <option value="">{t!(tickets.any)}</option>
                    {queues.into_iter().map(|queue| {
                        let is_selected = selected(&current.queue, &queue.slug);
                        view! { <option value=queue.slug selected=is_selected>{queue.name}</option> }
                    }).collect_view()}
                </select>
            </label>
            {staff.then(|| view! {
                <label>{t!(ticket.assignee)}
                    <select name="assignee">
                        <option value="">{t!(tickets.anyone)}</option>
                        <option value="me" selected=selected(&current.assignee, "me")>{t!(tickets.me)}</option>
                        <option value="none" selected=selected(&current.assignee, "none")>{t!(ticket.unassigned)}</option>
                        {agents.into_iter().map(|agent| {
                            let id = agent.id.to_string();
                            let is_selected = selected(&current.assignee, &id);
                            view! { <option value=id selected=is_selected>{agent.username}</option> }
                        }).collect_view()}
                    </select>
                </label>
            })}
            <label>{t!(tickets.sort)}
                <select name="sort">
                    {[("", t!(tickets.sort_best)), ("newest", t!(tickets.sort_newest)), ("oldest", t!(tickets.sort_oldest)), ("priority", t!(tickets.sort_priority)), ("updated", t!(tickets.sort_updated))]
                        .into_iter()
                        .map(|(value, label)| view! { <option value=value selected=current.sort.as_deref().unwrap_or("") == value>{label}</option> })
                        .collect_view()}
                </select>
            </label>
            <label class="grow">{t!(tickets.search)}
                <input type="search" name="q" value=current.q.clone().unwrap_or_default() placeholder=t!(tickets.search_placeholder) />
            </label>
            <div class="filter-actions">
                <button type="submit">{t!(tickets.apply)}</button>
                <a href="/tickets" class="button secondary">{t!(tickets.clear)}</a>
            </div>
        </Form>
    }
}

#[component]
fn TicketTable(tickets: Memo<Vec<Ticket>>, staff: bool, queues: StoredValue<Vec<Queue>>) -> impl IntoView {
    view! {
        <table class="data-table tickets-table">
            <thead>
                <tr>
                    <th scope="col">{t!(ticket.ticket)}</th>
                    <th scope="col">{t!(ticket.subject)}</th>
                    <th scope="col">{t!(ticket.queue)}</th>
                    <th scope="col">{t!(ticket.status)}</th>
                    <th scope="col">{t!(ticket.priority)}</th>
                    {staff.then(|| view! { <th scope="col">{t!(ticket.requester)}</th><th scope="col">{t!(ticket.assignee)}</th> })}
                    <th scope="col">{t!(ticket.updated)}</th>
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
                                <td class="reference"><a href=href.clone()>{ticket.reference.clone()}</a></td>
                                <td class="subject"><a href=href class="subject">{ticket.subject.clone()}</a></td>
                                <td class="queue"><QueueBadge queue=ticket.queue.clone() queues /></td>
                                <td class="status"><StatusBadge status=ticket.status /></td>
                                <td class="priority"><PriorityBadge priority=ticket.priority /></td>
                                {staff.then(|| view! {
                                    <td class="requester" data-label=t!(ticket.requester)>{ticket.requester.username.clone()}</td>
                                    // "Unassigned" says what it is; a name gets its label.
                                    <td class="assignee" data-label=ticket.assignee.is_some().then(|| t!(ticket.assignee))>
                                        {ticket.assignee.as_ref().map(|assignee| assignee.username.clone()).unwrap_or_else(|| t!(ticket.unassigned).into())}
                                    </td>
                                })}
                                <td class="updated"><RelativeTime at=ticket.updated_at /></td>
                            </tr>
                        }
                    }
                />
            </tbody>
        </table>
    }
}

#[cfg(test)]
mod url_tests {
    use super::without_empty_parameters;

    #[test]
    fn only_set_filters_stay_in_the_url() {
        assert_eq!(without_empty_parameters("status=open&priority=&q=&="), Some("?status=open".into()));
        assert_eq!(without_empty_parameters("?q=&sort="), Some(String::new()));
        assert_eq!(
            without_empty_parameters("?status=open&status=pending&priority=urgent&category="),
            Some("?status=open&status=pending&priority=urgent".into())
        );
        assert_eq!(without_empty_parameters("?status=open&q=vpn"), None);
        assert_eq!(without_empty_parameters(""), None);
    }
}
