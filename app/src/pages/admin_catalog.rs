//! `/admin/catalog`: queues (name, colour, open-ticket limit, active), the
//! categories each queue offers with its default (`?queue=<slug>` picks the
//! queue whose categories are edited, so the page works without the wasm),
//! and categories (name, active, queues offering it, delete when unused).

use crate::components::forms::{
    ConfirmSubmit, ErrorSummary, FieldError, FormScope, action_error, described_by, described_by_in, first_refusal,
    invalid, record_error,
};
use crate::domain::{Category, Queue};
use crate::error::AppError;
use crate::functions::catalog::{
    CreateCategory, CreateQueue, DeleteCategory, SetQueueCategories, UpdateCategory, UpdateQueue, load_catalog,
};
use crate::pages::errors::ErrorPage;
use crate::t;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

#[derive(Clone, Copy)]
struct CatalogActions {
    create_queue: ServerAction<CreateQueue>,
    update_queue: ServerAction<UpdateQueue>,
    set_queue_categories: ServerAction<SetQueueCategories>,
    create_category: ServerAction<CreateCategory>,
    update_category: ServerAction<UpdateCategory>,
    delete_category: ServerAction<DeleteCategory>,
}

impl CatalogActions {
    fn version(&self) -> usize {
        self.create_queue.version().get()
            + self.update_queue.version().get()
            + self.set_queue_categories.version().get()
            + self.create_category.version().get()
            + self.update_category.version().get()
            + self.delete_category.version().get()
    }

    /// The refusal for the summary (the form submitted last, see
    /// [`first_refusal`]) and the scope of the form it refused (see
    /// [`crate::components::forms::error_id_in`]).
    fn error(&self) -> (Signal<Option<AppError>>, Signal<String>) {
        let errors = [
            (action_error(self.create_queue.value()), self.create_queue.version().into(), FormScope::Fixed("")),
            (action_error(self.update_queue.value()), self.update_queue.version().into(), FormScope::Row(queue_scope)),
            (
                action_error(self.set_queue_categories.value()),
                self.set_queue_categories.version().into(),
                FormScope::Fixed(""),
            ),
            (
                action_error(self.create_category.value()),
                self.create_category.version().into(),
                FormScope::Fixed(NEW_CATEGORY),
            ),
            (
                action_error(self.update_category.value()),
                self.update_category.version().into(),
                FormScope::Row(category_scope),
            ),
            (
                action_error(self.delete_category.value()),
                self.delete_category.version().into(),
                FormScope::Row(category_scope),
            ),
        ];
        first_refusal(errors)
    }
}

/// The scope of the new-category form, whose fields share names with the new-queue form's.
const NEW_CATEGORY: &str = "new-category";

/// The scope of queue `id`'s row form: `queue-3`.
fn queue_scope(id: i64) -> String {
    format!("queue-{id}")
}

/// The scope of category `id`'s row forms: `category-5`.
fn category_scope(id: i64) -> String {
    format!("category-{id}")
}

/// The catalogue forms' fields, named for people (the error summary's links).
fn field_labels() -> Vec<(&'static str, &'static str)> {
    vec![
        ("slug", t!(catalog.slug)),
        ("name", t!(catalog.name)),
        ("prefix", t!(catalog.prefix)),
        ("color", t!(catalog.colour)),
        ("open_ticket_limit", t!(catalog.limit_label)),
        ("categories", t!(catalog.offered_categories)),
        ("default_category", t!(catalog.default_category)),
        ("queues", t!(catalog.offered_in)),
    ]
}

/// Queues and categories, for admins (403 for everyone else).
#[component]
pub fn AdminCatalogPage() -> impl IntoView {
    let actions = CatalogActions {
        create_queue: ServerAction::new(),
        update_queue: ServerAction::new(),
        set_queue_categories: ServerAction::new(),
        create_category: ServerAction::new(),
        update_category: ServerAction::new(),
        delete_category: ServerAction::new(),
    };
    let (error, error_scope) = actions.error();
    // Each form shows its own fields' errors; a row's, those naming its record.
    let queue_error = action_error(actions.create_queue.value());
    let category_error = action_error(actions.create_category.value());
    let catalog = Resource::new_blocking(move || actions.version(), |_| load_catalog());
    let query = use_query_map();
    view! {
        <Title text=t!(catalog.title) />
        <Suspense fallback=|| view! { <p>{t!(common.loading)}</p> }>
            {move || {
                let chosen = query.with(|query| query.get("queue"));
                Suspend::new(async move {
                match catalog.await {
                    Err(error) => view! { <ErrorPage error /> }.into_any(),
                    Ok(options) => {
                        let edited = options
                            .queues
                            .iter()
                            .find(|queue| Some(&queue.slug) == chosen.as_ref())
                            .or(options.queues.first())
                            .cloned();
                        let categories = options.categories.clone();
                        let queues = options.queues.clone();
                        view! {
                        <h1>{t!(catalog.title)}</h1>
                        <ErrorSummary error labels=field_labels() scope=error_scope />
                        <section class="card">
                            <h2>{t!(catalog.queues)}</h2>
                            <table class="data-table">
                                <thead><tr><th scope="col">{t!(catalog.queue)}</th><th scope="col">{t!(catalog.queue_columns)}</th></tr></thead>
                                <tbody>
                                    {options.queues.into_iter().map(|queue| view! { <QueueRow queue action=actions.update_queue /> }).collect_view()}
                                </tbody>
                            </table>
                            <h3>{t!(catalog.add_queue)}</h3>
                            <ActionForm action=actions.create_queue attr:class="inline-form wrap">
                                <input type="text" name="slug" placeholder=t!(catalog.queue_slug_placeholder) required aria-label=t!(catalog.slug) aria-describedby=described_by(queue_error, "slug") aria-invalid=invalid(queue_error, "slug") />
                                <FieldError error=queue_error name="slug" />
                                <input type="text" name="name" placeholder=t!(catalog.name) required aria-label=t!(catalog.name) aria-describedby=described_by(queue_error, "name") aria-invalid=invalid(queue_error, "name") />
                                <FieldError error=queue_error name="name" />
                                <input type="text" name="prefix" placeholder=t!(catalog.prefix_placeholder) required aria-label=t!(catalog.prefix) aria-describedby=described_by(queue_error, "prefix") aria-invalid=invalid(queue_error, "prefix") />
                                <FieldError error=queue_error name="prefix" />
                                <input type="color" name="color" value="#5865f2" aria-label=t!(catalog.colour) aria-describedby=described_by(queue_error, "color") aria-invalid=invalid(queue_error, "color") />
                                <FieldError error=queue_error name="color" />
                                <input type="number" name="open_ticket_limit" min="1" placeholder=t!(catalog.limit) aria-label=t!(catalog.limit_label) aria-describedby=described_by(queue_error, "open_ticket_limit") aria-invalid=invalid(queue_error, "open_ticket_limit") />
                                <FieldError error=queue_error name="open_ticket_limit" />
                                <button type="submit">{t!(catalog.add_queue_button)}</button>
                            </ActionForm>
                        </section>
                        {edited.map(|queue| view! {
                            <QueueCategoriesForm queue queues=queues.clone() categories=categories.clone() action=actions.set_queue_categories />
                        })}
                        <section class="card">
                            <h2>{t!(catalog.categories)}</h2>
                            <table class="data-table">
                                <thead><tr><th scope="col">{t!(catalog.category)}</th><th scope="col">{t!(catalog.category_columns)}</th><th scope="col"><span class="visually-hidden">{t!(settings.actions)}</span></th></tr></thead>
                                <tbody>
                                    {options.categories.into_iter().map(|category| view! { <CategoryRow category actions /> }).collect_view()}
                                </tbody>
                            </table>
                            <h3>{t!(catalog.add_category)}</h3>
                            <ActionForm action=actions.create_category attr:class="inline-form wrap">
                                <input type="text" name="slug" placeholder=t!(catalog.category_slug_placeholder) required aria-label=t!(catalog.slug) aria-describedby=described_by_in(category_error, NEW_CATEGORY, "slug") aria-invalid=invalid(category_error, "slug") />
                                <FieldError error=category_error name="slug" scope=NEW_CATEGORY />
                                <input type="text" name="name" placeholder=t!(catalog.name) required aria-label=t!(catalog.name) aria-describedby=described_by_in(category_error, NEW_CATEGORY, "name") aria-invalid=invalid(category_error, "name") />
                                <FieldError error=category_error name="name" scope=NEW_CATEGORY />
                                <fieldset class="kind-choices" aria-describedby=described_by_in(category_error, NEW_CATEGORY, "queues")>
                                    <legend>{t!(catalog.offered_in)}</legend>
                                    {queues.iter().map(|queue| view! {
                                        <label class="checkbox"><input type="checkbox" name="queues[]" value=queue.slug.clone() checked aria-invalid=invalid(category_error, "queues") />{queue.name.clone()}</label>
                                    }).collect_view()}
                                </fieldset>
                                <FieldError error=category_error name="queues" scope=NEW_CATEGORY />
                                <button type="submit">{t!(catalog.add_category_button)}</button>
                            </ActionForm>
                        </section>
                    }.into_any()
                    }
                }
            })
            }}
        </Suspense>
    }
}

/// The categories `queue` offers and its default category, as one form
/// (one per page, so its field errors have one place each). `queues` lists
/// every queue, linking to its own form (`?queue=<slug>`).
#[component]
fn QueueCategoriesForm(
    queue: Queue,
    queues: Vec<Queue>,
    categories: Vec<Category>,
    action: ServerAction<SetQueueCategories>,
) -> impl IntoView {
    let error = action_error(action.value());
    let current = queue.slug.clone();
    let name = queue.name.clone();
    let title = t!(catalog.queue_categories_title, queue = name);
    let Queue { id, slug, default_category, .. } = queue.clone();
    view! {
        <section class="card" id="queue-categories" data-queue=slug aria-labelledby="queue-categories-title">
            <h2 id="queue-categories-title">{title}</h2>
            <nav class="queue-picker" aria-label=t!(catalog.choose_queue)>
                {queues.into_iter().map(|other| {
                    let is_current = other.slug == current;
                    view! {
                        <a href=format!("?queue={}#queue-categories", other.slug) aria-current=is_current.then_some("page")>{other.name}</a>" "
                    }
                }).collect_view()}
            </nav>
            <p class="hint">{t!(catalog.queue_categories_help)}</p>
            <ActionForm action=action attr:class="stacked-form">
                <input type="hidden" name="id" value=id />
                <fieldset class="kind-choices" aria-describedby=described_by(error, "categories")>
                    <legend>{t!(catalog.offered_categories)}</legend>
                    {categories.iter().map(|category| {
                        let offered = queue.offers(&category.slug);
                        view! {
                            <label class="checkbox">
                                <input type="checkbox" name="categories[]" value=category.slug.clone() checked=offered aria-invalid=invalid(error, "categories") />
                                {category.name.clone()}
                                {(!category.active).then(|| view! { " "<small>{t!(catalog.inactive)}</small> })}
                            </label>
                        }
                    }).collect_view()}
                </fieldset>
                <FieldError error name="categories" />
                <label>{t!(catalog.default_category)}
                    <select name="default_category" aria-describedby=described_by(error, "default_category") aria-invalid=invalid(error, "default_category")>
                        <option value="" selected=default_category.is_none()>{t!(catalog.no_default)}</option>
                        {categories.iter().map(|category| {
                            let is_default = default_category.as_deref() == Some(category.slug.as_str());
                            view! { <option value=category.slug.clone() selected=is_default>{category.name.clone()}</option> }
                        }).collect_view()}
                    </select>
                </label>
                <FieldError error name="default_category" />
                <div class="form-actions">
                    <button type="submit">{t!(catalog.save_categories)}</button>
                </div>
            </ActionForm>
        </section>
    }
}

/// One queue and its form; the reasons a refusal gives for this queue show
/// at their fields (ids in the scope [`queue_scope`]).
#[component]
fn QueueRow(queue: Queue, action: ServerAction<UpdateQueue>) -> impl IntoView {
    let edit_label = t!(catalog.edit_categories_of, queue = queue.name.clone());
    let error = record_error(action_error(action.value()), queue.id);
    let scope = queue_scope(queue.id);
    view! {
        <tr data-queue=queue.slug.clone()>
            <td>
                <span class="queue-swatch" style=format!("background:{}", queue.color)></span>" "<strong>{queue.prefix.clone()}</strong>" "{queue.slug.clone()}
                <br /><a class="edit-categories" href=format!("?queue={}#queue-categories", queue.slug)>{edit_label}</a>
            </td>
            <td>
                <ActionForm action=action attr:class="inline-form wrap">
                    <input type="hidden" name="id" value=queue.id />
                    <input type="text" name="name" value=queue.name.clone() required aria-label=t!(catalog.name) aria-describedby=described_by_in(error, scope.clone(), "name") aria-invalid=invalid(error, "name") />
                    <FieldError error name="name" scope=scope.clone() />
                    <input type="color" name="color" value=queue.color.clone() aria-label=t!(catalog.colour) aria-describedby=described_by_in(error, scope.clone(), "color") aria-invalid=invalid(error, "color") />
                    <FieldError error name="color" scope=scope.clone() />
                    <input type="number" name="open_ticket_limit" min="1" value=queue.open_ticket_limit.map(|limit| limit.to_string()).unwrap_or_default() aria-label=t!(catalog.limit_label) aria-describedby=described_by_in(error, scope.clone(), "open_ticket_limit") aria-invalid=invalid(error, "open_ticket_limit") />
                    <FieldError error name="open_ticket_limit" scope=scope.clone() />
                    <label class="checkbox"><input type="checkbox" name="active" value="true" checked=queue.active />{t!(catalog.active)}</label>
                    <button type="submit">{t!(common.save)}</button>
                </ActionForm>
            </td>
        </tr>
    }
}

/// One category, its form and its delete button; the reasons a refusal
/// gives for this category show at their fields (ids in the scope
/// [`category_scope`]), a refused deletion under its button.
#[component]
fn CategoryRow(category: Category, actions: CatalogActions) -> impl IntoView {
    let delete_question = t!(catalog.delete_question, name = category.name.clone()).to_string();
    let error = record_error(action_error(actions.update_category.value()), category.id);
    let delete_error = record_error(action_error(actions.delete_category.value()), category.id);
    let scope = category_scope(category.id);
    view! {
        <tr data-category=category.slug.clone()>
            <td>{category.slug.clone()}</td>
            <td>
                <ActionForm action=actions.update_category attr:class="inline-form wrap">
                    <input type="hidden" name="id" value=category.id />
                    <input type="text" name="name" value=category.name.clone() required aria-label=t!(catalog.name) aria-describedby=described_by_in(error, scope.clone(), "name") aria-invalid=invalid(error, "name") />
                    <FieldError error name="name" scope=scope.clone() />
                    <label class="checkbox"><input type="checkbox" name="active" value="true" checked=category.active />{t!(catalog.active)}</label>
                    <button type="submit">{t!(common.save)}</button>
                </ActionForm>
            </td>
            <td>
                <ActionForm action=actions.delete_category attr:class="inline-form">
                    <input type="hidden" name="id" value=category.id />
                    <ConfirmSubmit
                        label=t!(common.delete).to_string()
                        question=delete_question
                        confirm=t!(catalog.delete_confirm).to_string()
                    />
                </ActionForm>
                {move || delete_error.get().map(|error| view! { <p class="field-error" role="alert">{error.to_string()}</p> })}
            </td>
        </tr>
    }
}
