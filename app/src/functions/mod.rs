//! Server functions: thin adapters from HTTP (`/fn/...`) to the service layer.
//! Each is a public endpoint; authentication and authorization happen inside
//! the service call.

pub mod accounts;
pub mod catalog;
pub mod escalation;
pub mod live;
pub mod notifications;
pub mod service_levels;
pub mod statistics;
pub mod tickets;
pub mod two_factor;
pub mod viewer;

/// URL prefix of every server function, kept apart from the REST API's `/api/v1`.
pub const PREFIX: &str = "/fn";

#[cfg(feature = "ssr")]
pub mod ssr {
    //! Request plumbing shared by the server functions.

    use crate::error::AppError;
    use crate::services::caller::client_address;
    use crate::services::{Caller, ServerContext};
    use axum::extract::ConnectInfo;
    use leptos::prelude::*;
    use std::net::SocketAddr;
    use std::sync::Arc;
    use tower_sessions::Session;

    /// The caller of the current HTTP request, loaded once and shared by every
    /// server function that request runs. A server-rendered page runs several
    /// (the header's user and unread count, the page's data, its draft...):
    /// without it each loaded the user again. Provide a new one per request
    /// (the router does, in its Leptos context); without one, every call loads.
    #[derive(Clone, Default)]
    pub struct CallerCache(Arc<tokio::sync::OnceCell<Caller>>);

    /// The server context, the session and the authenticated caller of the current request.
    pub struct Request {
        pub context: ServerContext,
        pub session: Session,
        pub caller: Caller,
    }

    /// Reads the current request's context, session and caller.
    ///
    /// Errors: [`AppError::Internal`] when the server was wired without them.
    pub async fn request() -> Result<Request, AppError> {
        let context = use_context::<ServerContext>().ok_or_else(|| {
            tracing::error!("ServerContext missing from the Leptos context");
            AppError::internal()
        })?;
        let session: Session = leptos_axum::extract().await.map_err(|error| {
            tracing::error!(%error, "session layer missing");
            AppError::internal()
        })?;
        // The server's viewer layer loads a session's caller first (its
        // language decides the page's); it is the same request's caller.
        let preloaded =
            use_context::<http::request::Parts>().and_then(|parts| parts.extensions.get::<Caller>().cloned());
        let caller = match preloaded {
            Some(caller) => caller,
            None => {
                let load = async {
                    let peer = leptos_axum::extract::<ConnectInfo<SocketAddr>>()
                        .await
                        .ok()
                        .map(|ConnectInfo(address)| address.ip());
                    let headers = use_context::<http::request::Parts>().map(|parts| parts.headers).unwrap_or_default();
                    let address = client_address(peer, &headers, &context.settings.trusted_proxies);
                    crate::services::sessions::caller_for_session(&context.pool, &context.settings, &session, address)
                        .await
                };
                match use_context::<CallerCache>() {
                    Some(CallerCache(cell)) => cell.get_or_try_init(|| load).await?.clone(),
                    None => load.await?,
                }
            }
        };
        Ok(Request { context, session, caller })
    }

    /// Gives a server function's HTTP response the error's status code (403,
    /// 404, 422...) instead of the default 500. Plain HTML form posts are left
    /// alone: Leptos answers those with a redirect back carrying the error.
    pub fn respond<T>(result: Result<T, AppError>) -> Result<T, AppError> {
        if let Err(error) = &result {
            set_error_status(error);
        }
        result
    }

    /// Sets the status of the current server function's response (not of
    /// plain HTML form posts, see [`respond`]) from `error`, with
    /// `Retry-After` for 429 and 503. Does nothing outside a `/fn` request.
    pub fn set_error_status(error: &AppError) {
        let parts = use_context::<http::request::Parts>();
        let response = use_context::<leptos_axum::ResponseOptions>();
        if let (Some(parts), Some(response)) = (parts, response) {
            let accepts_html = parts
                .headers
                .get(http::header::ACCEPT)
                .and_then(|value| value.to_str().ok())
                .is_some_and(|value| value.contains("text/html"));
            if parts.uri.path().starts_with(super::PREFIX)
                && !accepts_html
                && let Ok(status) = http::StatusCode::from_u16(error.status())
            {
                response.set_status(status);
                if let Some(seconds) = error.retry_after_seconds() {
                    response.insert_header(http::header::RETRY_AFTER, http::HeaderValue::from(seconds));
                }
            }
        }
    }

    /// Sets the status of a server-rendered page (e.g. 403, 404) from the
    /// error shown on it. Does nothing in the browser.
    pub fn set_page_status(error: &AppError) {
        if let Some(response) = use_context::<leptos_axum::ResponseOptions>()
            && let Ok(status) = http::StatusCode::from_u16(error.status())
        {
            response.set_status(status);
        }
    }
}

#[cfg(test)]
mod tests {
    //! The input structs `#[server]` generates always derive `Debug`: their
    //! secrets are [`crate::domain::Secret`]s, which print `<redacted>`.

    use super::{accounts, notifications, two_factor};
    use crate::domain::NotificationKind;

    #[test]
    fn server_function_inputs_never_print_their_secrets() {
        let secret = "hunter2-a8f3";
        let webhook_url = "https://discord.com/api/webhooks/1/hunter2-a8f3";
        let printed = [
            format!(
                "{:?}",
                accounts::Register {
                    username: "marie".into(),
                    email: "m@e.test".into(),
                    password: secret.into(),
                    discord_username: None,
                    discord_id: None,
                }
            ),
            format!("{:?}", accounts::LogIn { login: "marie".into(), password: secret.into(), remember: true }),
            format!("{:?}", accounts::LogInSecondFactor { code: secret.into() }),
            format!("{:?}", two_factor::ConfirmTwoFactor { code: secret.into() }),
            format!("{:?}", two_factor::RegenerateRecoveryCodes { confirmation: secret.into() }),
            format!("{:?}", two_factor::DisableTwoFactor { confirmation: secret.into() }),
            format!(
                "{:#?}",
                notifications::CreateDiscordWebhook {
                    queue: "support".into(),
                    name: "#support".into(),
                    url: webhook_url.into(),
                    kinds: vec![NotificationKind::TicketCreated],
                    active: true,
                }
            ),
            format!(
                "{:?}",
                notifications::UpdateDiscordWebhook {
                    id: 1,
                    queue: "support".into(),
                    name: "#support".into(),
                    url: webhook_url.into(),
                    kinds: vec![],
                    active: false,
                }
            ),
        ];
        for line in printed {
            assert!(!line.contains(secret) && line.contains("<redacted>"), "{line}");
        }
    }
}
