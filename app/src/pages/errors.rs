//! Error pages that say what happened and what to do next.

use crate::error::AppError;
use crate::t;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::A;

/// The 404 page for unknown addresses.
#[component]
pub fn NotFound() -> impl IntoView {
    #[cfg(feature = "ssr")]
    crate::functions::ssr::set_page_status(&AppError::not_found("page"));
    view! { <ErrorPage error=AppError::NotFound { message: t!(errors.no_such_page).into() } /> }
}

/// Explains an error and offers the way forward; on the server it also sets
/// the page's HTTP status from the error (but for
/// [`AppError::TwoFactorRequired`]: the enrolment gate's redirect to
/// Settings is that page's answer).
#[component]
pub fn ErrorPage(error: AppError) -> impl IntoView {
    #[cfg(feature = "ssr")]
    if !matches!(error, AppError::TwoFactorRequired { .. }) {
        crate::functions::ssr::set_page_status(&error);
    }
    let (title, advice) = match &error {
        AppError::Unauthorized { .. } => (t!(error_page.log_in_title), view! { <p><A href="/login">{t!(error_page.log_in)}</A>" "{t!(error_page.log_in_or)}" "<A href="/register">{t!(error_page.create_account)}</A>"."</p> }.into_any()),
        AppError::Forbidden { .. } => (t!(error_page.forbidden_title), view! { <p>{t!(error_page.forbidden)}" "<A href="/">{t!(error_page.home)}</A></p> }.into_any()),
        AppError::TwoFactorRequired { .. } => (t!(error_page.two_factor_title), view! { <p><A href="/settings#two-factor">{t!(error_page.two_factor_settings)}</A>{t!(error_page.two_factor_or_log_out)}</p> }.into_any()),
        AppError::NotFound { .. } => (t!(error_page.not_found_title), view! { <p>{t!(error_page.not_found)}" "<A href="/">{t!(error_page.back_home)}</A>"."</p> }.into_any()),
        AppError::TooManyRequests { .. } => (t!(error_page.slow_down_title), view! { <p>{t!(error_page.slow_down)}</p> }.into_any()),
        _ => (t!(error_page.failed_title), view! { <p>{t!(error_page.failed)}</p> }.into_any()),
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
