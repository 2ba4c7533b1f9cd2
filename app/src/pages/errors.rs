//! Error pages that say what happened and what to do next.

use crate::error::AppError;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

/// The 404 page for unknown addresses.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::functions::ssr::set_page_status(&AppError::not_found("page"));
    view! { <ErrorPage error=AppError::NotFound { message: "This page does not exist.".into() } /> }
}

/// Explains an error and offers the way forward; on the server it also sets
/// the page's HTTP status from the error.
#[component]
pub fn ErrorPage(error: AppError) -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::functions::ssr::set_page_status(&error);
    let (title, advice) = match &error {
        AppError::Unauthorized { .. } => ("Please log in", view! { <p><A href="/login">"Log in"</A>" to continue, or "<A href="/register">"create an account"</A>"."</p> }.into_any()),
        AppError::Forbidden { .. } => ("Not allowed", view! { <p>"Your role does not give access to this page. If you need it, ask an admin. "<A href="/">"Back to the home page"</A></p> }.into_any()),
        AppError::NotFound { .. } => ("Not found", view! { <p>"Check the address, or go "<A href="/">"back to the home page"</A>"."</p> }.into_any()),
        AppError::TooManyRequests { .. } => ("Slow down", view! { <p>"Wait a moment, then try again."</p> }.into_any()),
        _ => ("Something went wrong", view! { <p>"Reload the page in a moment. If it keeps happening, tell an admin what you were doing."</p> }.into_any()),
    };
    view! {
        <Title text=title />
        <section class="error-page" data-status=error.status()>
            <h1>{title}</h1>
            <p class="error-message">{error.to_string()}</p>
            {advice}
        </section>
    }
}
