//! Form helpers: field errors and the form-level message.

use crate::error::AppError;
use leptos::prelude::*;

/// The error of a server action, if its last result failed.
pub fn action_error<T, V>(value: V) -> Signal<Option<AppError>>
where
    T: Clone + Send + Sync + 'static,
    V: Get<Value = Option<Result<T, AppError>>> + Send + Sync + 'static,
{
    Signal::derive(move || value.get().and_then(Result::err))
}

/// Where a form's field errors are on a page with several forms (the
/// `scope` of [`error_id_in`]): a form of its own, or one form per row,
/// named by the refused record's id ([`AppError::record`]).
#[derive(Clone, Copy)]
pub enum FormScope {
    /// One form, with this scope (`""`: the page's unscoped ids).
    Fixed(&'static str),
    /// One form per row: the scope of the row with this record id.
    Row(fn(i64) -> String),
}

/// The refusal for a page's error summary, among the page's forms (each
/// with its action's error, its action's version and its scope), and the
/// scope of the form it refused: the refusal of the form submitted last,
/// so that an older form's refusal neither hides a newer one nor outlives
/// the next submission; before any submission in this page (a server
/// render, a no-JS post) the first refusal in the order given.
pub fn first_refusal<const N: usize>(
    errors: [(Signal<Option<AppError>>, Signal<usize>, FormScope); N],
) -> (Signal<Option<AppError>>, Signal<String>) {
    let last_submitted = RwSignal::new(None::<usize>);
    for (index, (_, version, _)) in errors.iter().enumerate() {
        let version = *version;
        Effect::new(move |seen: Option<usize>| {
            let now = version.get();
            if seen.is_some_and(|seen| seen != now) {
                last_submitted.set(Some(index));
            }
            now
        });
    }
    let scoped = move |(error, _, scope): &(Signal<Option<AppError>>, Signal<usize>, FormScope)| {
        error.get().map(|error| {
            let scope = match scope {
                FormScope::Fixed(scope) => scope.to_string(),
                FormScope::Row(scope_of) => error.record().map(*scope_of).unwrap_or_default(),
            };
            (error, scope)
        })
    };
    let first = Memo::new(move |_| match last_submitted.get() {
        Some(index) => scoped(&errors[index]),
        None => errors.iter().find_map(scoped),
    });
    (
        Signal::derive(move || first.get().map(|(error, _)| error)),
        Signal::derive(move || first.get().map(|(_, scope)| scope).unwrap_or_default()),
    )
}

/// The reason given for field `name`, shown under its input (`role="alert"`),
/// with the id [`error_id_in`] that the input names in `aria-describedby`
/// (see [`described_by`], [`described_by_in`]).
#[component]
pub fn FieldError(
    error: Signal<Option<AppError>>,
    name: &'static str,
    /// Which of the page's forms with this field it belongs to, for a page
    /// with several (`queue-3`, `disable`); empty for a page's only one.
    #[prop(optional, into)]
    scope: String,
) -> impl IntoView {
    move || {
        error.get().and_then(|error| error.field_error(name)).map(|reason| {
            view! { <p class="field-error" role="alert" data-field=name id=error_id_in(&scope, name)>{reason}</p> }
        })
    }
}

/// The id of field `name`'s error message: `error-subject`.
pub fn error_id(name: &str) -> String {
    error_id_in("", name)
}

/// The id of field `name`'s error message in the form `scope` of a page
/// with several forms sharing field names: `error-queue-3-name`, or
/// `error-name` for an empty scope (as [`error_id`]).
pub fn error_id_in(scope: &str, name: &str) -> String {
    if scope.is_empty() { format!("error-{name}") } else { format!("error-{scope}-{name}") }
}

/// For an input's `aria-describedby`: the id of its error message while it
/// has one (so a screen reader reads the reason with the field).
pub fn described_by(
    error: Signal<Option<AppError>>,
    name: &'static str,
) -> impl Fn() -> Option<String> + Send + Sync + Copy {
    move || error.get().and_then(|error| error.field_error(name)).map(|_| error_id(name))
}

/// [`described_by`] for a field of the form `scope` (see [`error_id_in`]).
pub fn described_by_in(
    error: Signal<Option<AppError>>,
    scope: impl Into<String>,
    name: &'static str,
) -> impl Fn() -> Option<String> + Send + Sync + Clone + 'static {
    let scope = scope.into();
    move || error.get().and_then(|error| error.field_error(name)).map(|_| error_id_in(&scope, name))
}

/// For an input's `aria-invalid`: `"true"` while it has an error.
pub fn invalid(
    error: Signal<Option<AppError>>,
    name: &'static str,
) -> impl Fn() -> Option<&'static str> + Send + Sync + Copy {
    move || error.get().and_then(|error| error.field_error(name)).map(|_| "true")
}

/// The error of a page's forms of one kind, one per row, that concerns the
/// row of record `id` (see [`AppError::record`]); errors naming no record
/// stay with the page's summary.
pub fn record_error(error: Signal<Option<AppError>>, id: i64) -> Signal<Option<AppError>> {
    Signal::derive(move || error.get().filter(|error| error.record() == Some(id)))
}

/// The form-level message of an error that is not about one field
/// (wrong credentials, throttling, server failure).
#[component]
pub fn FormError(error: Signal<Option<AppError>>) -> impl IntoView {
    move || {
        error.get().filter(|error| error.fields().is_empty()).map(|error| {
            view! { <p class="form-error" role="alert">{error.to_string()}</p> }
        })
    }
}

/// The form-level message of a failed submission with, for each field
/// error, a link to it (`#error-<field>`, or `#error-<scope>-<field>`, where [`FieldError`] shows it next
/// to its input): "Please correct the highlighted fields." then "Prefix: must
/// be 2 to 8 capital letters". `labels` names the form's fields for people,
/// `(field, label)`; a field without a label is listed by its reason alone.
#[component]
pub fn ErrorSummary(
    error: Signal<Option<AppError>>,
    labels: Vec<(&'static str, &'static str)>,
    /// The form the fields belong to, as given to their [`FieldError`]s
    /// (see [`error_id_in`]); empty for a page's only form of its kind.
    #[prop(optional, into)]
    scope: MaybeProp<String>,
) -> impl IntoView {
    move || {
        error.get().map(|error| {
            let scope = scope.get().unwrap_or_default();
            let fields = error.fields();
            let links = fields
                .iter()
                .map(|(field, reason)| {
                    let label = labels.iter().find(|(name, _)| name == field).map(|(_, label)| *label);
                    let text = match label {
                        Some(label) => format!("{label}: {reason}"),
                        None => reason.clone(),
                    };
                    view! { <li><a href=format!("#{}", error_id_in(&scope, field))>{text}</a></li> }
                })
                .collect_view();
            view! {
                <div class="form-error error-summary" role="alert">
                    <p>{error.to_string()}</p>
                    {(!fields.is_empty()).then(|| view! { <ul>{links}</ul> })}
                </div>
            }
        })
    }
}

/// A submit button that asks first (issue 14: "Close ticket" and "Delete"
/// acted at once). Put it inside the form it submits, in place of its
/// submit button.
///
/// Hydrated, the button opens a modal `<dialog>` with `question`, a
/// `confirm` button that submits the form and Cancel (or Esc). Without the
/// wasm (and while hydrating) it is a disclosure (`<details>`): its summary
/// `label` reveals the same question and `confirm` button, so the form is
/// never sent by the first click. Both keep the form's other fields.
#[component]
pub fn ConfirmSubmit(
    /// What the first button says ("Close ticket").
    label: String,
    /// What is asked ("Close SUP-0042? ...").
    question: String,
    /// What the confirming button says ("Yes, close it").
    confirm: String,
    /// The first button's accessible name when `label` alone is ambiguous
    /// (one "Delete" per table row: "Delete the webhook “Alerts”"); also
    /// the dialog's name. Default: `label`.
    #[prop(optional, into)]
    name: Option<String>,
) -> impl IntoView {
    let hydrated = RwSignal::new(false);
    Effect::new(move |_| hydrated.set(true));
    let dialog = NodeRef::<leptos::html::Dialog>::new();
    let open = move |_| {
        if let Some(dialog) = dialog.get() {
            let _ = dialog.show_modal();
        }
    };
    let close = move |_| {
        if let Some(dialog) = dialog.get() {
            dialog.close();
        }
    };
    move || {
        let (label, question, confirm) = (label.clone(), question.clone(), confirm.clone());
        let name = name.clone();
        if hydrated.get() {
            view! {
                <button type="button" class="secondary" aria-haspopup="dialog" aria-label=name.clone() on:click=open>{label.clone()}</button>
                <dialog node_ref=dialog class="confirm-dialog" aria-label=name.unwrap_or(label)>
                    <p>{question}</p>
                    <div class="form-actions">
                        <button type="submit" class="danger" on:click=close>{confirm}</button>
                        <button type="button" class="secondary" on:click=close>{crate::t!(common.cancel)}</button>
                    </div>
                </dialog>
            }
            .into_any()
        } else {
            view! {
                <details class="confirm">
                    <summary class="button secondary" aria-label=name>{label}</summary>
                    <div class="confirm-panel">
                        <p>{question}</p>
                        <button type="submit" class="danger">{confirm}</button>
                    </div>
                </details>
            }
            .into_any()
        }
    }
}
