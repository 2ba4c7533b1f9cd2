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

/// The reason given for field `name`, shown under its input (`role="alert"`).
#[component]
pub fn FieldError(error: Signal<Option<AppError>>, name: &'static str) -> impl IntoView {
    move || {
        error.get().and_then(|error| error.field_error(name)).map(|reason| {
            view! { <p class="field-error" role="alert" data-field=name>{reason}</p> }
        })
    }
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
