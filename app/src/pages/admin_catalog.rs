//! `/admin/catalog`: queues (name, colour, open-ticket limit, active) and
//! categories (name, active, delete when unused).

use crate::components::forms::action_error;
use crate::domain::{Category, Queue};
use crate::error::AppError;
use crate::functions::catalog::{
    CreateCategory, CreateQueue, DeleteCategory, UpdateCategory, UpdateQueue, load_catalog,
};
use crate::pages::errors::ErrorPage;
use leptos::prelude::*;
use leptos_meta::Title;

#[derive(Clone, Copy)]
struct CatalogActions {
    create_queue: ServerAction<CreateQueue>,
    update_queue: ServerAction<UpdateQueue>,
    create_category: ServerAction<CreateCategory>,
    update_category: ServerAction<UpdateCategory>,
    delete_category: ServerAction<DeleteCategory>,
}

impl CatalogActions {
    fn version(&self) -> usize {
        self.create_queue.version().get()
            + self.update_queue.version().get()
            + self.create_category.version().get()
            + self.update_category.version().get()
            + self.delete_category.version().get()
    }

    fn error(&self) -> Signal<Option<AppError>> {
        let errors = [
            action_error(self.create_queue.value()),
            action_error(self.update_queue.value()),
            action_error(self.create_category.value()),
            action_error(self.update_category.value()),
            action_error(self.delete_category.value()),
        ];
        Signal::derive(move || errors.iter().find_map(|error| error.get()))
    }
}

/// Queues and categories, for admins (403 for everyone else).
#[component]
pub fn AdminCatalogPage() -> impl IntoView {
    let actions = CatalogActions {
        create_queue: ServerAction::new(),
        update_queue: ServerAction::new(),
        create_category: ServerAction::new(),
        update_category: ServerAction::new(),
        delete_category: ServerAction::new(),
    };
    let error = actions.error();
    let catalog = Resource::new_blocking(move || actions.version(), |_| load_catalog());
    view! {
        <Title text="Queues and categories" />
        <Suspense fallback=|| view! { <p>"Loading…"</p> }>
            {move || Suspend::new(async move {
                match catalog.await {
                    Err(error) => view! { <ErrorPage error /> }.into_any(),
                    Ok(options) => view! {
                        <h1>"Queues and categories"</h1>
                        {move || error.get().map(|error| {
                            let detail = error.fields().into_iter().map(|(field, reason)| format!("{field} {reason}")).collect::<Vec<_>>().join("; ");
                            view! { <p class="form-error" role="alert">{error.to_string()}" "{detail}</p> }
                        })}
                        <section class="card">
                            <h2>"Queues"</h2>
                            <table class="data-table">
                                <thead><tr><th>"Queue"</th><th>"Name, colour, open tickets per requester (empty = unlimited), active"</th></tr></thead>
                                <tbody>
                                    {options.queues.into_iter().map(|queue| view! { <QueueRow queue action=actions.update_queue /> }).collect_view()}
                                </tbody>
                            </table>
                            <h3>"Add a queue"</h3>
                            <ActionForm action=actions.create_queue attr:class="inline-form wrap">
                                <input type="text" name="slug" placeholder="slug, e.g. billing" required aria-label="Slug" />
                                <input type="text" name="name" placeholder="Name" required aria-label="Name" />
                                <input type="text" name="prefix" placeholder="Prefix, e.g. BIL" required aria-label="Prefix" />
                                <input type="color" name="color" value="#5865f2" aria-label="Colour" />
                                <input type="number" name="open_ticket_limit" min="1" placeholder="Limit" aria-label="Open tickets per requester" />
                                <button type="submit">"Add queue"</button>
                            </ActionForm>
                        </section>
                        <section class="card">
                            <h2>"Categories"</h2>
                            <table class="data-table">
                                <thead><tr><th>"Category"</th><th>"Name and active"</th><th></th></tr></thead>
                                <tbody>
                                    {options.categories.into_iter().map(|category| view! { <CategoryRow category actions /> }).collect_view()}
                                </tbody>
                            </table>
                            <h3>"Add a category"</h3>
                            <ActionForm action=actions.create_category attr:class="inline-form wrap">
                                <input type="text" name="slug" placeholder="slug, e.g. shipping_delay" required aria-label="Slug" />
                                <input type="text" name="name" placeholder="Name" required aria-label="Name" />
                                <button type="submit">"Add category"</button>
                            </ActionForm>
                        </section>
                    }.into_any(),
                }
            })}
        </Suspense>
    }
}

#[component]
fn QueueRow(queue: Queue, action: ServerAction<UpdateQueue>) -> impl IntoView {
    view! {
        <tr data-queue=queue.slug.clone()>
            <td><span class="queue-swatch" style=format!("background:{}", queue.color)></span>" "<strong>{queue.prefix.clone()}</strong>" "{queue.slug.clone()}</td>
            <td>
                <ActionForm action=action attr:class="inline-form wrap">
                    <input type="hidden" name="id" value=queue.id />
                    <input type="text" name="name" value=queue.name.clone() required aria-label="Name" />
                    <input type="color" name="color" value=queue.color.clone() aria-label="Colour" />
                    <input type="number" name="open_ticket_limit" min="1" value=queue.open_ticket_limit.map(|limit| limit.to_string()).unwrap_or_default() aria-label="Open tickets per requester" />
                    <label class="checkbox"><input type="checkbox" name="active" value="true" checked=queue.active />"active"</label>
                    <button type="submit">"Save"</button>
                </ActionForm>
            </td>
        </tr>
    }
}

#[component]
fn CategoryRow(category: Category, actions: CatalogActions) -> impl IntoView {
    view! {
        <tr data-category=category.slug.clone()>
            <td>{category.slug.clone()}</td>
            <td>
                <ActionForm action=actions.update_category attr:class="inline-form wrap">
                    <input type="hidden" name="id" value=category.id />
                    <input type="text" name="name" value=category.name.clone() required aria-label="Name" />
                    <label class="checkbox"><input type="checkbox" name="active" value="true" checked=category.active />"active"</label>
                    <button type="submit">"Save"</button>
                </ActionForm>
            </td>
            <td>
                <ActionForm action=actions.delete_category attr:class="inline-form">
                    <input type="hidden" name="id" value=category.id />
                    <button type="submit" class="secondary">"Delete"</button>
                </ActionForm>
            </td>
        </tr>
    }
}
